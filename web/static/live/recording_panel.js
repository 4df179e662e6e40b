// The moderator console's recorded-video panel: what the session's recording is and when it plays, its position
// while it plays, and Play / Stop buttons that post without leaving the console (the forms work without script too).

import { act, textsOf } from "../common/ui.js";
import { dateTime } from "../common/when.js";
import { onStreamStatus, refreshStreamStatus } from "./stream_feed.js";

const panel = document.getElementById("recording-panel");

if (panel) start(panel);

function start(panel) {
  const field = (name) => panel.querySelector(`[data-recording="${name}"]`);
  const words = textsOf(panel);

  function clock(seconds) {
    if (seconds === null || seconds === undefined) return "–";
    const whole = Math.max(0, Math.round(seconds));
    return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
  }

  function show(status) {
    const recording = status.recording;
    field("file").textContent = recording ? `${recording.filename} (${clock(recording.duration)})` : words("none");
    if (status.mode === "playback") {
      field("state").textContent = words("playing", { position: clock(status.position), duration: clock(status.duration) });
      panel.dataset.state = "playing";
    } else if (recording && recording.play_at && !recording.started_at) {
      field("state").textContent = words("scheduled", { time: dateTime(recording.play_at) });
      panel.dataset.state = "scheduled";
    } else {
      field("state").textContent = recording && !recording.play_at ? words("manual") : "";
      panel.dataset.state = "idle";
    }
  }

  for (const form of panel.querySelectorAll("form[data-recording-action]")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      // The panel's own message line shows the answer, accepted or not (a network failure clears it).
      await act(form.querySelector("button"), async () => {
        try {
          const response = await fetch(form.action, {
            method: "POST",
            body: new URLSearchParams(new FormData(form)),
            credentials: "same-origin",
            headers: { Accept: "application/json" },
          });
          const body = await response.json();
          field("message").textContent = body.message || body.error || "";
        } catch {
          field("message").textContent = "";
        }
        return { ok: true };
      });
      refreshStreamStatus();
    });
  }

  onStreamStatus(panel.dataset.statusUrl, show);
}
