// What every live page shares: the connection, its status line, the announcements banner and the counts.

import { LiveConnection } from "./client.js";
import { RoomState } from "./state.js";
import { T, byId, clear, el, timeOf } from "./dom.js";
import { number } from "../common/when.js";

export function startRoom() {
  const root = byId("live");
  const session = Number(root.dataset.session);
  const state = new RoomState();
  const statusLine = byId("live-status");
  const onStatus = (status, message) => {
    if (!statusLine) return;
    statusLine.dataset.state = status;
    // The connection's state, worded apart from the stream's: "Connected", never "Live" (the player says that).
    const words = status === "live" ? T.connected : T[status];
    statusLine.textContent = status === "refused" ? message || T.failed : message || words || "";
    root.dataset.connection = status;
  };
  const connection = new LiveConnection({
    session,
    roomToken: root.dataset.roomToken || "",
    handlers: state.handlers(onStatus),
    staffOnly: "staffOnly" in root.dataset,
  });
  showAnnouncements(state);
  showCounts(state);
  connection.start();
  return { root, state, connection };
}

function showAnnouncements(state) {
  const section = byId("announcements");
  const list = byId("announcement-list");
  if (!section || !list) return;
  state.subscribe((parts) => {
    if (!parts.has("announcements")) return;
    const items = Array.from(state.announcements.values()).sort((a, b) => b.id - a.id);
    clear(list);
    items.forEach((item) => {
      list.append(
        el("li", { class: "announcement" }, el("time", { datetime: item.created_at }, timeOf(item.created_at)), " ", el("span", { class: "announcement-text" }, item.text)),
      );
    });
    section.hidden = items.length === 0;
  });
}

// Elements with data-count="online|onsite|connected" show the room's presence.
function showCounts(state) {
  state.subscribe((parts) => {
    if (!parts.has("counts")) return;
    document.querySelectorAll("[data-count]").forEach((node) => {
      const name = node.dataset.count;
      if (name in state.presence) node.textContent = number(state.presence[name]);
    });
  });
}
