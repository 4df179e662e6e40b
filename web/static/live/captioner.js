// The captioner's page: each line typed (or pasted by a respeaker's software) goes out with Enter as
// `caption.send` (realtime/live/PROTOCOL.md, "Live captions"), one after the other, so lines keep their order;
// the list below shows each line and whether the server kept it (its seq) or refused it, and why.

import { textsOf } from "../common/ui.js";
import { startRoom } from "./page.js";

const { connection } = startRoom();
const form = document.getElementById("caption-form");
const input = document.getElementById("caption-line");
const sent = document.getElementById("caption-sent");
const status = document.getElementById("caption-status");
const words = textsOf(form);
const language = form.dataset.language;
let queue = Promise.resolve();

function row(text) {
  const item = document.createElement("li");
  const state = document.createElement("span");
  state.className = "caption-state";
  state.textContent = words("sending");
  const line = document.createElement("span");
  line.className = "caption-text";
  line.textContent = text;
  item.dataset.state = "sending";
  item.append(state, line);
  sent.prepend(item);
  return { item, state };
}

async function send(text, shown) {
  const answer = await connection.write("caption.send", { language, text });
  if (answer.ok) {
    shown.item.dataset.state = "sent";
    shown.item.dataset.seq = String(answer.line.seq);
    shown.state.textContent = words("sent", { seq: answer.line.seq });
    status.textContent = "";
  } else {
    shown.item.dataset.state = "failed";
    const reason = answer.error || words("retry");
    shown.state.textContent = words("failed", { reason });
    status.textContent = reason;
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = input.value;
  if (!text.trim()) return;
  input.value = ""; // the next line can be typed while this one is on its way
  const shown = row(text);
  queue = queue.then(() => send(text, shown));
  input.focus();
});
