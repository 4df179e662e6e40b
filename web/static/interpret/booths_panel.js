// The moderator's booth panel (interpret/_booths_panel.html): who is on air in each booth (live, over Socket.IO), whose
// microphones reach the relay (asked every few seconds), and the chat of every booth. Text only through textContent.

import { textsOf } from "../common/ui.js";

const STATUS_EVERY_MS = 5000;
const panel = document.getElementById("booths-panel");
if (panel) start(panel);

function start(panel) {
  const words = textsOf(panel);
  const session = Number(panel.dataset.session);
  const messages = document.getElementById("booth-messages");
  const status = document.getElementById("booth-panel-status");
  const versions = new Map();
  const seen = new Set();
  let socket = null;

  function row(language) {
    return [...panel.querySelectorAll("tr[data-booth]")].find((tr) => tr.dataset.booth === language);
  }

  function showBooth(booth) {
    if (booth.session !== session) return;
    if ((versions.get(booth.language) || 0) > booth.version) return;
    versions.set(booth.language, booth.version);
    const tr = row(booth.language);
    if (!tr) return;
    const cell = tr.querySelector("[data-on-air]");
    cell.dataset.state = booth.on_air ? "on" : "off";
    cell.textContent = booth.on_air
      ? booth.on_air.name + (booth.handover ? " (" + words("handover") + ")" : "")
      : words("nobody");
  }

  function showMessage(message) {
    if (message.session !== session || seen.has(message.id)) return;
    seen.add(message.id);
    const item = document.createElement("li");
    const author = document.createElement("span");
    author.className = "booth-author";
    const tr = row(message.language);
    author.textContent = message.author.name + " · " + (tr ? tr.querySelector("th").textContent : message.language);
    const text = document.createElement("span");
    text.textContent = message.text;
    item.append(author, text);
    messages.append(item);
    messages.scrollTop = messages.scrollHeight;
  }

  async function poll() {
    try {
      const response = await fetch(panel.dataset.statusUrl, { credentials: "same-origin", cache: "no-store" });
      if (!response.ok) return;
      const answer = await response.json();
      for (const booth of answer.booths) {
        showBooth(booth);
        const tr = row(booth.language);
        if (!tr) continue;
        const cell = tr.querySelector("[data-connected]");
        if (booth.connected === null) cell.textContent = words("unknown");
        else cell.textContent = booth.connected.length ? booth.connected.join(", ") : words("none");
      }
    } catch {
      // asked again shortly
    }
  }

  function connect() {
    if (!window.io) return;
    socket = window.io("/live", { transports: ["websocket", "polling"] });
    socket.on("connect", () => {
      socket.emit("booth.join", { session }, (answer) => {
        if (!answer || !answer.ok) return;
        answer.booths.forEach(showBooth);
        answer.messages.forEach(showMessage);
      });
    });
    socket.on("booth.state", showBooth);
    socket.on("booth.chat", showMessage);
  }

  document.getElementById("booth-chat-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = document.getElementById("booth-chat-text");
    const language = document.getElementById("booth-chat-language").value;
    const text = input.value.trim();
    if (!text || !socket) return;
    const clientId = crypto.randomUUID().replaceAll("-", "");
    socket.emit("booth.chat", { session, language, text, client_id: clientId }, (answer) => {
      if (answer && answer.ok) {
        input.value = "";
        showMessage(answer.message);
        status.textContent = "";
      } else {
        status.textContent = (answer && answer.error) || words("chatFailed");
      }
    });
  });

  poll();
  setInterval(poll, STATUS_EVERY_MS);
  if (document.readyState === "complete") connect();
  else window.addEventListener("load", connect);
}
