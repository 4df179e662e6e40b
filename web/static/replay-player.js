// The replay player (web/templates/replays/_player.html): the page may be cached and shared by everyone, so this
// asks the server whether the viewer may watch a replay of the session, and only then shows the video with its
// chapters (a list that seeks on click, and a WebVTT chapters track), its caption tracks and the Q&A archive.
const section = document.querySelector(".replay[data-replay-player-url]");

function clock(seconds) {
  const whole = Math.max(0, Math.floor(seconds));
  const hours = Math.floor(whole / 3600);
  const minutes = String(Math.floor((whole % 3600) / 60)).padStart(2, "0");
  const rest = String(whole % 60).padStart(2, "0");
  return hours ? `${hours}:${minutes}:${rest}` : `${minutes}:${rest}`;
}

function addTrack(video, kind, src, language, label, isDefault) {
  const track = document.createElement("track");
  track.kind = kind;
  track.src = src;
  if (language) track.srclang = language;
  if (label) track.label = label;
  if (isDefault) track.default = true;
  video.append(track);
}

function showChapters(video, chapters) {
  const nav = section.querySelector(".replay-chapters");
  const list = section.querySelector(".replay-chapter-list");
  if (!chapters.length) return;
  const buttons = chapters.map((chapter) => {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "replay-chapter";
    button.dataset.start = String(chapter.start);
    button.dataset.kind = chapter.kind;
    const time = document.createElement("span");
    time.className = "replay-chapter-time";
    time.textContent = clock(chapter.start);
    const title = document.createElement("span");
    title.className = "replay-chapter-title";
    title.textContent = chapter.title;
    button.append(time, " ", title);
    button.addEventListener("click", () => {
      video.currentTime = chapter.start;
      video.play().catch(() => {});
    });
    item.append(button);
    list.append(item);
    return button;
  });
  nav.hidden = false;
  video.addEventListener("timeupdate", () => {
    let current = -1;
    chapters.forEach((chapter, index) => {
      if (video.currentTime + 0.25 >= chapter.start) current = index;
    });
    buttons.forEach((button, index) => {
      if (index === current) button.setAttribute("aria-current", "true");
      else button.removeAttribute("aria-current");
    });
  });
}

async function showArchive(url) {
  const body = section.querySelector(".replay-archive-body");
  const link = section.querySelector(".replay-archive-link");
  if (link) link.href = url;
  if (section.dataset.replayArchive !== "fetch") return;
  try {
    const answer = await fetch(url, { headers: { accept: "text/html" }, credentials: "same-origin" });
    if (!answer.ok) return; // the link stays
    const fragment = document.createElement("template");
    fragment.innerHTML = await answer.text(); // the server's own page fragment, its user text escaped there
    body.replaceChildren(fragment.content);
  } catch {
    // the link stays
  }
}

function show(replay) {
  const video = section.querySelector(".replay-video");
  const source = document.createElement("source");
  source.src = replay.src;
  source.type = replay.content_type;
  video.append(source);
  addTrack(video, "chapters", replay.chapters_url, "", "", true);
  for (const caption of replay.captions) addTrack(video, "captions", caption.src, caption.language, caption.label, false);
  showChapters(video, replay.chapters);
  section.hidden = false;
  // The live player only says that the session has ended: the replay takes its place.
  const live = document.getElementById("stream");
  if (live && section.dataset.replayArchive === "fetch") live.hidden = true;
  video.load();
  showArchive(replay.archive_url);
}

async function load() {
  try {
    const answer = await fetch(section.dataset.replayPlayerUrl, {
      headers: { accept: "application/json" },
      credentials: "same-origin",
    });
    if (answer.ok) show(await answer.json());
  } catch {
    // no replay to show
  }
}

if (section) {
  const end = Date.parse(section.dataset.replayEnd || "");
  const wait = Number.isNaN(end) ? 0 : end - Date.now();
  // Before the end there is no replay; a page left open past the end asks then (timers cap at about 24 days).
  if (wait <= 0) load();
  else if (wait < 2 ** 31 - 1) setTimeout(load, wait + 5000);
}
