// The moderator console's stream panel: live or offline, viewers, bitrate and the publisher's
// connection, read every few seconds (stream_feed.js); the WHIP address and token for an encoder (the token shown on request).

import { textsOf } from "../common/ui.js";
import { onStreamStatus } from "./stream_feed.js";
import { number } from "../common/when.js";

const panel = document.getElementById("stream-panel");

if (panel) start(panel);

function start(panel) {
  const field = (name) => panel.querySelector(`[data-stream="${name}"]`);
  const words = textsOf(panel);

  function kbps(bits) {
    return `${number(Math.round(bits / 1000))} kbit/s`;
  }

  function showStatus(status) {
    if (status.whip_url) field("whip-url").textContent = new URL(status.whip_url, document.baseURI).href;
    if (status.publish_token) field("token").textContent = status.publish_token;
    if (!status.available) {
      panel.dataset.state = "unknown";
      field("state").textContent = words("unknown");
      return;
    }
    panel.dataset.state = status.live ? "live" : "offline";
    field("state").textContent = status.live ? words("live") : words("offline");
    field("viewers").textContent = number(status.viewers);
    field("bitrate").textContent = kbps(status.bitrate);
    field("publisher").textContent = status.publisher_state || "–";
    showRecorded(status.relay_recording);
    showRestreams(status.restreams || []);
  }

  // Each restream target's state and bitrate, as its relay last wrote them (the key masked).
  const restreamsBlock = field("restreams-block");
  const restreamWords = textsOf(restreamsBlock);

  function showRestreams(targets) {
    restreamsBlock.hidden = targets.length === 0;
    const items = targets.map((target) => {
      const item = document.createElement("li");
      item.dataset.state = target.state;
      item.dataset.target = String(target.id);
      const label = document.createElement("strong");
      label.textContent = target.label;
      const state = restreamWords(target.state);
      const bitrate = target.state === "live" && target.bitrate ? ` · ${kbps(target.bitrate)}` : "";
      item.append(label, ` ${target.key}: ${state}${bitrate}`);
      if (target.message && target.state !== "live") {
        const why = document.createElement("span");
        why.className = "restream-message";
        why.textContent = ` (${target.message})`;
        item.append(why);
      }
      return item;
    });
    field("restreams").replaceChildren(...items);
  }

  // The relay's own recording of the stream (for the replay): its state and what it has written.
  const recordedRow = field("recorded-row");
  const recordedWords = textsOf(recordedRow);
  const megabytesIn = new Intl.NumberFormat(document.documentElement.lang || undefined, {
    style: "unit",
    unit: "megabyte",
    maximumFractionDigits: 1,
  });
  const states = { recording: "recording", stopped: "stopped", off: "off", disk_full: "diskFull", failed: "failed" };

  function showRecorded(recording) {
    const state = recording && states[recording.state];
    recordedRow.hidden = !state;
    if (!state) return;
    const size = megabytesIn.format((recording.bytes || 0) / 1_000_000);
    field("recorded").textContent = recordedWords(state, { size });
  }

  // The token stays hidden until asked for: a console is often on a shared or projected screen.
  const show = field("show-token");
  show.addEventListener("click", () => {
    const shown = field("token").hidden;
    field("token").hidden = !shown;
    field("token-hidden").hidden = shown;
    show.setAttribute("aria-expanded", String(shown));
    if (!show.dataset.textShow) show.dataset.textShow = show.textContent;
    show.textContent = shown ? show.dataset.textHide : show.dataset.textShow;
  });

  const copied = field("copied");
  for (const button of panel.querySelectorAll("[data-copy]")) {
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(field(button.dataset.copy).textContent);
        copied.textContent = copied.dataset.textCopied;
      } catch {
        copied.textContent = copied.dataset.textNotCopied;
      }
    });
  }

  onStreamStatus(panel.dataset.statusUrl, showStatus);
}
