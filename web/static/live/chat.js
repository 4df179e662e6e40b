// The room's chat with its history; in the moderator console each message also offers delete and mute.

import { act, flash, keyedList } from "../common/ui.js";
import { T, byId, el, timeOf, whereFrom } from "./dom.js";
import { number } from "../common/when.js";

export function mountChat({ state, connection, moderate = false }) {
  const list = byId("chat");
  const log = byId("chat-log");
  const empty = byId("chat-empty");
  const earlier = byId("chat-earlier");
  const status = byId("chat-status");
  const items = keyedList({
    make: (message) => messageItem(message, moderate ? actions : null),
    update: moderate ? (item, message) => updateModeration(item, message, state) : undefined,
    shape: (message) => message.status || "shown",
  });
  const review = moderate ? mountReview({ state, connection, status }) : null;

  function draw() {
    if (review) review();
    const nearBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
    const nodes = items.draw(list, state.chat);
    empty.hidden = nodes.length > 0;
    if (earlier) earlier.hidden = state.chatComplete || nodes.length === 0;
    if (nearBottom) log.scrollTop = log.scrollHeight;
  }

  function actions(kind, message) {
    const request =
      kind === "delete"
        ? () => connection.request("chat.delete", { message: message.id })
        : () =>
            connection.request("participant.mute", {
              participant: message.author.key,
              muted: !state.muted.has(message.author.key),
            });
    return act(null, request, { status });
  }

  if (earlier) {
    earlier.addEventListener("click", async () => {
      if (!state.chat.length) return;
      const answer = await act(earlier, () => connection.request("chat.history", { before: state.chat[0].id }), { status });
      if (!answer.ok) return;
      state.addHistory(answer.messages, answer.more);
      log.scrollTop = 0; // the oldest just loaded come first
      if (earlier.hidden) log.focus(); // the button went away with the focus on it
    });
  }

  mountChatForm({ state, connection, status });
  state.subscribe((parts) => {
    if (parts.has("chat") || parts.has("muted")) draw();
  });
}

function messageItem(message, actions) {
  const meta = el(
    "p",
    { class: "chat-meta" },
    el("span", { class: "chat-author" }, message.author.name),
    " ",
    el("span", { class: "chat-from" }, whereFrom(message)),
    " ",
    el("time", { datetime: message.created_at }, timeOf(message.created_at)),
  );
  const status = message.status || "shown";
  const item = el("li", { class: "chat-message", data: { id: message.id, status } }, meta, el("p", { class: "chat-text" }, message.text));
  if (status === "held") meta.append(" ", el("span", { class: "tag tag-held" }, T.chat_waiting));
  if (status === "rejected") meta.append(" ", el("span", { class: "tag tag-rejected" }, T.chat_not_approved));
  if (actions && status === "shown") {
    const mutedTag = el("span", { class: "tag tag-muted" }, T.muted);
    const mute = el("button", { type: "button", class: "button-secondary" });
    mute.addEventListener("click", () => actions("mute", message));
    const remove = el("button", { type: "button", class: "button-danger" }, T.delete);
    remove.addEventListener("click", () => actions("delete", message));
    meta.append(" ", mutedTag);
    item.append(el("div", { class: "mod-actions" }, remove, mute));
    item._mod = { mute, mutedTag };
  }
  return item;
}

// The moderators' queue of chat messages waiting for review (a reviewed chat): approve or reject each.
function mountReview({ state, connection, status }) {
  const list = byId("chat-review");
  const empty = byId("chat-review-empty");
  const count = byId("chat-review-count");
  if (!list) return null;
  const items = keyedList({
    make: (message) => {
      const approve = el("button", { type: "button" }, T.approve);
      const reject = el("button", { type: "button", class: "button-secondary" }, T.reject);
      approve.addEventListener("click", () => act(approve, () => connection.request("chat.approve", { message: message.id }), { status }));
      reject.addEventListener("click", () => act(reject, () => connection.request("chat.reject", { message: message.id }), { status }));
      const meta = el("p", { class: "chat-meta" }, el("span", { class: "chat-author" }, message.author.name), " ", el("time", { datetime: message.created_at }, timeOf(message.created_at)));
      return el("li", { class: "chat-message", data: { id: message.id } }, meta, el("p", { class: "chat-text" }, message.text), el("div", { class: "mod-actions" }, approve, reject));
    },
  });
  return () => {
    const held = Array.from(state.heldChat.values()).sort((a, b) => a.id - b.id);
    items.draw(list, held);
    empty.hidden = held.length > 0;
    count.textContent = number(held.length);
  };
}

function updateModeration(item, message, state) {
  if (!item._mod) return;
  const muted = state.muted.has(message.author.key);
  const mine = state.me && state.me.key === message.author.key;
  item._mod.mute.textContent = muted ? T.unmute : T.mute;
  item._mod.mute.hidden = Boolean(mine);
  item._mod.mutedTag.hidden = !muted;
}

function mountChatForm({ state, connection, status }) {
  const form = byId("chat-form");
  if (!form) return;
  const input = byId("chat-text");
  const fieldset = form.querySelector("fieldset");
  const note = byId("chat-note");
  let sending = false;
  let wasMuted = null;

  // Why this person cannot chat now, or "".
  function reason() {
    const me = state.me;
    if (me && me.kind === "guest") return T.chat_sign_in;
    if (me && me.muted) return T.muted_you;
    if (state.room && !state.room.chat_open && !(me && me.can_moderate)) return T.chat_closed;
    return "";
  }

  function refresh() {
    const why = reason();
    fieldset.disabled = sending || Boolean(why);
    const me = state.me;
    // A closed chat hides its input (the note says why); muted or a guest, it stays in sight, disabled.
    fieldset.hidden = why === T.chat_closed;
    const reviewed = state.room && state.room.chat_reviewed && !(me && me.can_moderate);
    const shown = why || (reviewed ? T.chat_reviewed : "");
    note.textContent = shown;
    note.hidden = !shown;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    sending = true;
    refresh();
    const answer = await act(null, () => connection.write("chat.send", { text }), { status });
    sending = false;
    refresh();
    if (!answer.ok) return;
    input.value = "";
    input.focus();
  });
  state.subscribe((parts) => {
    if (!parts.has("room") && !parts.has("me")) return;
    refresh();
    const muted = Boolean(state.me && state.me.muted);
    // Said aloud too when it changes while the page is open (the note alone is not a live region).
    if (wasMuted !== null && muted !== wasMuted) flash(status, muted ? T.muted_you : T.unmuted_you, muted ? "info" : "success");
    if (state.me) wasMuted = muted;
  });
}
