// The public session page is cached and shared by everyone, while its archive (answered questions, poll results)
// depends on who asks and on whether the session has ended: this fetches the server-rendered, escaped fragment
// (GET /{slug}/sessions/{code}/archive) into each placeholder `.session-archive-slot[data-archive-url]`, on the
// session page or beside a replay. Before the end, or when the session left nothing, the placeholder stays empty.
export async function fillArchive(slot) {
  try {
    const answer = await fetch(slot.dataset.archiveUrl, { headers: { accept: "text/html" }, credentials: "same-origin" });
    const html = answer.ok ? await answer.text() : "";
    const archive = new DOMParser().parseFromString(html, "text/html").querySelector(".session-archive");
    slot.replaceChildren(...(archive ? [document.adoptNode(archive)] : []));
  } catch (_error) {
    // Offline or the server away: the page stays as it was, without its archive.
  }
}

document.querySelectorAll(".session-archive-slot[data-archive-url]").forEach(fillArchive);
