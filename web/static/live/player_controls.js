// The room player's own controls and what it shows while nothing plays: mute and volume (of the floor, or of the
// interpretation chosen in the audio-language menu, with the floor softly under it on request), picture in picture
// and full screen (where the browser offers them), the session's phase badge and the holding slate with the
// session's start in the page's time zone (<html data-time-zone>) and a countdown to it.

const PHASE_CHECK_MS = 5000; // how often the room asks the session's phase
const FLOOR_SOFTLY = 0.15; // the floor's volume under an interpretation, against the interpretation's

const LANG = document.documentElement.lang || "en";

// "starting_soon" → "StartingSoon": the suffix of the player's texts for a phase (data-text-phase-starting-soon).
function key(phase) {
  return phase.replace(/(^|_)([a-z])/g, (_match, _sep, letter) => letter.toUpperCase());
}

// A moment in the page's zone and language, on the 24-hour clock the agenda uses; the browser's own zone when the
// page names none or an unknown one.
function formatted(date, options) {
  const zone = document.documentElement.dataset.timeZone;
  const clock = { hourCycle: "h23", ...options };
  try {
    return new Intl.DateTimeFormat(LANG, { ...clock, timeZone: zone || undefined }).format(date);
  } catch {
    return new Intl.DateTimeFormat(LANG, clock).format(date);
  }
}

export function mountControls(root, video, words) {
  const part = (name) => root.querySelector(`[data-stream-${name}]`);
  const unmute = part("unmute");
  const volume = part("volume");
  const pip = part("pip");
  const fullscreen = part("fullscreen");
  const softly = part("softly");
  const softlyField = part("softly-field");
  const badge = part("badge");
  const status = part("status");
  const slate = part("slate");
  const slateMessage = part("slate-message");
  const startTime = part("start");
  const countdown = part("countdown");
  const start = new Date(root.dataset.start);
  const end = new Date(root.dataset.end);

  // The session's phase as the server says it (now.json: server/phases, the same on the agenda, the session page
  // and in the API), read every few seconds; until the first answer, the schedule on this device's clock.
  let server = null; // { phase, label }
  let offset = 0; // the server's clock minus this device's
  function phase() {
    if (server) return server.phase;
    const now = Date.now();
    if (now < start.getTime()) return "upcoming";
    if (now >= end.getTime()) return "ended";
    return root.dataset.streamed === "true" ? "starting_soon" : "live";
  }

  // Before the start, the holding screen counts down to it, on the server's clock.
  function secondsLeft() {
    return Math.round((start.getTime() - (Date.now() + offset)) / 1000);
  }
  function countdownText() {
    const left = Math.max(0, secondsLeft());
    const hours = Math.floor(left / 3600);
    const minutes = String(Math.floor((left % 3600) / 60)).padStart(2, "0");
    const seconds = String(left % 60).padStart(2, "0");
    return words("countdown", { time: `${hours}:${minutes}:${seconds}` });
  }

  function showState() {
    const playing = root.dataset.state === "live";
    // Media that plays is live whatever the last answer said (the server's answer follows within seconds); else
    // the server's phase. Live without media: a streamed session's picture is on its way (the relay has it);
    // a session not streamed runs on site.
    const when = playing ? "live" : phase();
    badge.dataset.state = when;
    badge.textContent = playing || !server ? words("phase" + key(when)) : server.label;
    root.dataset.phase = when;
    slate.hidden = playing;
    // Past the start, a streamed session still awaiting its stream says so without a countdown at zero.
    const before = (when === "upcoming" || when === "starting_soon") && secondsLeft() > 0;
    countdown.hidden = !before;
    if (before) countdown.textContent = countdownText();
    if (!playing) {
      const time = formatted(start, { hour: "2-digit", minute: "2-digit" });
      let message = "slate" + key(when);
      if (when === "live") message = root.dataset.streamed === "true" ? "slateConnecting" : "slateOnsite";
      slateMessage.textContent = words(message, { time });
      // Offline, the status line says what the slate says ("starts at 14:00", "has ended"), not a bare "offline".
      if (root.dataset.state === "offline" && status.textContent !== slateMessage.textContent) {
        status.textContent = slateMessage.textContent;
      }
    }
    pip.disabled = !playing || root.classList.contains("stream-audio-only");
  }

  const listeners = [];
  async function askPhase() {
    try {
      const response = await fetch(root.dataset.nowUrl, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        cache: "no-store",
      });
      if (!response.ok) return;
      const body = await response.json();
      const known = body.sessions && body.sessions[root.dataset.code];
      if (!known) return;
      const serverNow = Date.parse(body.now);
      if (!Number.isNaN(serverNow)) offset = serverNow - Date.now();
      const was = server && server.phase;
      server = known;
      showState();
      if (was !== known.phase) listeners.forEach((listener) => listener(known.phase));
    } catch {
      // The next poll tries again.
    }
  }

  if (!Number.isNaN(start.getTime())) {
    startTime.textContent = formatted(start, { weekday: "long", day: "numeric", month: "long", hour: "2-digit", minute: "2-digit" });
  }
  if (root.dataset.nowUrl) {
    askPhase();
    setInterval(askPhase, PHASE_CHECK_MS);
  }
  setInterval(() => {
    if (countdown.hidden) return;
    if (secondsLeft() > 0) countdown.textContent = countdownText();
    else showState();
  }, 1000);

  // Sound: muted at first (browsers refuse sound before a click), then the volume slider. What is heard is the
  // floor (the video's own audio), or an interpretation channel's <audio> with the floor silenced, or softly
  // under it when the listener asks for that.
  let muted = true;
  let channelAudio = null; // the interpretation's <audio> while a channel is heard
  function floorTracks() {
    return video.srcObject ? video.srcObject.getAudioTracks() : [];
  }
  function applySound() {
    const level = Number(volume.value);
    const underneath = Boolean(softly && softly.checked);
    if (channelAudio) {
      channelAudio.muted = muted;
      channelAudio.volume = level;
      video.muted = muted || !underneath;
      video.volume = level * FLOOR_SOFTLY;
      floorTracks().forEach((track) => (track.enabled = underneath));
    } else {
      video.muted = muted;
      video.volume = level;
      floorTracks().forEach((track) => (track.enabled = true));
    }
    if (!muted) {
      video.play().catch(() => {});
      if (channelAudio) channelAudio.play().catch(() => {});
    }
  }
  function setMuted(value) {
    muted = value;
    unmute.setAttribute("aria-pressed", String(!muted));
    unmute.textContent = muted ? words("unmute") : words("mute");
    applySound();
  }
  unmute.addEventListener("click", () => {
    if (muted && Number(volume.value) === 0) volume.value = "1";
    setMuted(!muted);
  });
  volume.addEventListener("input", () => {
    if (muted !== (Number(volume.value) === 0)) setMuted(Number(volume.value) === 0);
    else applySound();
  });
  if (softly) softly.addEventListener("change", applySound);
  // stream.js hands over the channel's <audio> once its voice arrives, and null to go back to the floor.
  function hearChannel(element) {
    channelAudio = element;
    softlyField.hidden = !element;
    applySound();
  }

  // Picture in picture keeps the talk in view while the person reads the questions or another tab.
  if (document.pictureInPictureEnabled && !video.disablePictureInPicture) {
    pip.hidden = false;
    pip.addEventListener("click", async () => {
      try {
        if (document.pictureInPictureElement === video) await document.exitPictureInPicture();
        else await video.requestPictureInPicture();
      } catch {
        // Refused (no picture yet, or the browser said no): the button stays as it was.
      }
    });
    video.addEventListener("enterpictureinpicture", () => (pip.textContent = words("exitPip")));
    video.addEventListener("leavepictureinpicture", () => (pip.textContent = words("pip")));
  }

  // Full screen takes the whole player, its controls included.
  if (document.fullscreenEnabled && root.requestFullscreen) {
    fullscreen.hidden = false;
    fullscreen.addEventListener("click", () => {
      if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
      else root.requestFullscreen().catch(() => {});
    });
    document.addEventListener("fullscreenchange", () => {
      const on = document.fullscreenElement === root;
      fullscreen.textContent = on ? words("exitFullscreen") : words("fullscreen");
      fullscreen.setAttribute("aria-pressed", String(on));
    });
  }

  // A new floor connection brings new tracks: they follow what is heard now.
  function tracksChanged() {
    applySound();
  }

  // stream.js connects afresh when the phase turns live, rather than waiting out its offline backoff.
  function onPhase(listener) {
    listeners.push(listener);
  }

  return { showState, tracksChanged, hearChannel, onPhase };
}
