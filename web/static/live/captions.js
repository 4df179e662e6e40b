// Live captions for viewers (realtime/live/PROTOCOL.md, "Live captions"): under the room's player, where the
// player's captions menu picks the language or turns them off (remembered on this device), and big on the room
// screen, whose address names the language (?captions=ja). Lines are set with textContent: text stays text.

import { textsOf } from "../common/ui.js";

const STORE = "podium-captions-language";
const SHOWN = 3; // lines on show: the newest, and two before it for context

function remembered() {
  try {
    return localStorage.getItem(STORE) || "";
  } catch (_error) {
    return "";
  }
}

function remember(language) {
  try {
    localStorage.setItem(STORE, language);
  } catch (_error) {
    // Private browsing: the choice lasts for this page only.
  }
}

function whenParsed(run) {
  // Module scripts run before DOMContentLoaded ("interactive" already): by then the player (stream.js, a later
  // module) has set up its menus. The load event covers a call after DOMContentLoaded; `once` keeps it to one run.
  let done = false;
  const once = () => {
    if (!done) run();
    done = true;
  };
  if (document.readyState === "complete") once();
  else {
    document.addEventListener("DOMContentLoaded", once, { once: true });
    window.addEventListener("load", once, { once: true });
  }
}

export function mountCaptions(connection, box = document.querySelector("[data-captions]")) {
  if (!box) return;
  const lines = box.querySelector("[data-captions-lines]");
  const words = textsOf(box);
  const fixed = box.dataset.language || ""; // the room screen's
  const select = fixed ? null : document.querySelector("[data-stream-captions]");
  let language = fixed;
  let lastSeq = null; // of the lines shown, in `language`
  let following = false; // a caption.follow is in flight: broadcasts wait for its answer
  let pending = [];

  function show(list) {
    for (const line of list) {
      if (line.language !== language || (lastSeq !== null && line.seq <= lastSeq)) continue;
      lines.querySelector(".captions-waiting")?.remove();
      const shown = document.createElement("p");
      shown.textContent = line.text;
      shown.dataset.seq = String(line.seq);
      lines.append(shown);
      lastSeq = line.seq;
    }
    while (lines.children.length > SHOWN) lines.firstElementChild.remove();
  }

  function waiting() {
    if (lines.children.length) return;
    const note = document.createElement("p");
    note.className = "captions-waiting";
    note.textContent = words("waiting");
    lines.append(note);
  }

  async function follow() {
    const asked = language;
    following = true;
    const answer = await connection.request("caption.follow", { language: asked, since: asked ? lastSeq : null });
    following = false;
    const held = pending;
    pending = [];
    if (asked !== language) return; // chosen again meanwhile: that choice's request decides
    if (!answer.ok) return;
    if (lastSeq !== null && answer.lines.length && answer.lines[0].seq > lastSeq + 1) {
      lines.replaceChildren(); // too far behind for the missed lines: the recent ones instead
      lastSeq = null;
    }
    show(answer.lines);
    show(held);
    if (asked) waiting();
  }

  function choose(chosen) {
    language = chosen;
    lastSeq = null;
    lines.replaceChildren();
    lines.lang = chosen;
    box.hidden = !chosen;
    box.querySelectorAll("[data-caption-file]").forEach((link) => (link.hidden = link.dataset.captionFile !== chosen));
    follow();
  }

  connection.socket.on("caption", (line) => {
    if (line.session !== connection.session) return;
    if (following) pending.push(line);
    else show([line]);
  });
  connection.onJoined(() => language && follow()); // a reconnect: the lines missed meanwhile

  if (fixed) {
    lines.lang = fixed;
    waiting();
    return;
  }
  whenParsed(() => {
    const choices = Array.from(box.querySelectorAll("[data-caption-choices] [data-value]"));
    if (!select || !choices.length) return;
    select.replaceChildren(
      select.options[0],
      ...choices.map((choice) => {
        const option = document.createElement("option");
        option.value = choice.dataset.value;
        option.lang = choice.dataset.value;
        option.textContent = choice.textContent;
        return option;
      }),
    );
    select.closest("[data-stream-menu]").hidden = false;
    const kept = remembered();
    select.value = choices.some((choice) => choice.dataset.value === kept) ? kept : "";
    select.addEventListener("change", () => {
      remember(select.value);
      choose(select.value);
    });
    if (select.value) choose(select.value);
  });
}
