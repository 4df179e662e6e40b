// The console's keyboard shortcuts (live/_shortcuts.html): j and k move the focus through the review queue and the
// published questions, a approves, r rejects, h puts the question on the room screen (or takes it off), d marks it
// answered (or not), ? opens the list. They press the question's own buttons, so a shortcut does exactly what the
// click does; they never fire while the moderator types in a field or holds a modifier key.

import { flash } from "../common/ui.js";
import { T, byId } from "./dom.js";

const LISTS = ["queue", "published"];
const ACTIONS = { a: "approve", r: "reject", h: "highlight", d: "answer" };

function typing(target) {
  if (!(target instanceof Element)) return false;
  return Boolean(target.closest("input, textarea, select, [contenteditable]:not([contenteditable='false'])"));
}

function questions() {
  return LISTS.flatMap((name) => Array.from(byId(name).querySelectorAll(":scope > li.mod-question")));
}

function current() {
  const focused = document.activeElement;
  const item = focused instanceof Element ? focused.closest("li.mod-question") : null;
  return item && questions().includes(item) ? item : null;
}

function choose(item) {
  if (!item) return;
  item.focus();
  item.scrollIntoView({ block: "nearest" });
}

function move(step) {
  const all = questions();
  const at = all.indexOf(current());
  if (at < 0) choose(step > 0 ? all[0] : all[all.length - 1]);
  else choose(all[Math.min(all.length - 1, Math.max(0, at + step))]);
}

function act(action) {
  const status = byId("mod-status");
  const item = current();
  if (!item) {
    flash(status, T.shortcut_choose, "error");
    return;
  }
  const button = item.querySelector(`.mod-actions [data-action="${action}"]`);
  if (!button || button.disabled) {
    flash(status, T.shortcut_none, "error");
    return;
  }
  // Approving or rejecting takes the question out of the queue: the focus goes on to the next one waiting.
  let next = null;
  if (item.parentElement === byId("queue")) next = item.nextElementSibling || item.previousElementSibling;
  button.click();
  if (next) choose(next);
}

export function mountModKeys() {
  const help = byId("shortcuts");
  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    if (typing(event.target) || document.querySelector("dialog[open]")) return;
    const key = event.key;
    if (key === "?") {
      help.open = !help.open;
    } else if (key === "j" || key === "k") {
      move(key === "j" ? 1 : -1);
    } else if (key in ACTIONS) {
      act(ACTIONS[key]);
    } else {
      return;
    }
    event.preventDefault();
  });
}
