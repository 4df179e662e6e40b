// The public session page is cached and shared by everyone, while its archive (answered questions, poll results)
// depends on who asks and on whether the session has ended: this fetches the server-rendered, escaped fragment
// into the page. Before the end the fragment is empty and the placeholder stays empty.
const slot = document.querySelector(".session-archive-slot[data-archive-url]");
if (slot) {
  fetch(slot.dataset.archiveUrl, { headers: { accept: "text/html" }, credentials: "same-origin" })
    .then((answer) => (answer.ok ? answer.text() : ""))
    .then((html) => {
      const parsed = new DOMParser().parseFromString(html, "text/html");
      const archive = parsed.querySelector(".session-archive");
      slot.replaceChildren(...(archive ? [document.adoptNode(archive)] : []));
    })
    .catch(() => {});
}
