// The room screen (projector): the highlighted question, big, and the poll results the moderators show.
// The QR code, the room's short code and the now/next sessions come with the page, which reloads when the next session starts.

import { mountCaptions } from "./captions.js";
import { T, byId, clear, el, whereFrom } from "./dom.js";
import { startRoom } from "./page.js";
import { resultsShown, resultsView } from "./polls.js";

const DAY_MS = 24 * 60 * 60 * 1000;

const { root, state, connection } = startRoom();
mountCaptions(connection);
const question = byId("screen-question");
const text = byId("screen-question-text");
const meta = byId("screen-question-meta");
const idle = byId("screen-idle");
const pollBox = byId("screen-poll");
let pollShape = "";
let results = null;

function drawQuestion() {
  const highlighted = state.room && state.room.highlighted;
  question.hidden = !highlighted;
  idle.hidden = Boolean(highlighted);
  if (!highlighted) return;
  text.textContent = highlighted.text;
  // The screen signs in as a moderator, who sees every author: show only what the audience may see.
  const author = highlighted.anonymous || !highlighted.author ? T.anonymous : highlighted.author.name;
  meta.textContent = [author, whereFrom(highlighted)].filter(Boolean).join(" · ");
}

function drawPoll() {
  const poll = state.currentPoll();
  const shown = poll && poll.results_visible && resultsShown(poll) ? poll : null;
  const shape = shown ? `${shown.id}:${shown.status}` : "";
  if (shape !== pollShape) {
    pollShape = shape;
    clear(pollBox);
    results = null;
    pollBox.hidden = !shown;
    if (!shown) return;
    results = resultsView(shown);
    pollBox.append(el("h2", { class: "screen-poll-question" }, shown.question), results);
  } else if (results && shown) {
    results._draw(shown);
  }
}

state.subscribe((parts) => {
  if (parts.has("room") || parts.has("questions")) drawQuestion();
  if (parts.has("polls") || parts.has("counts")) drawPoll();
});

const refreshAt = Date.parse(root.dataset.refreshAt || "");
if (!Number.isNaN(refreshAt)) {
  const wait = refreshAt - Date.now() + 5000;
  if (wait > 0 && wait < DAY_MS) setTimeout(() => window.location.reload(), wait);
}
