// The hall's listening page (/j/CODE/listen): the phone as a headset. One button per running interpretation
// channel, a Play button (browsers play sound only after a tap), and one <audio> element fed by an audio-only
// WHEP connection (channel.js, with the reconnecting of live/reconnect.js): nothing is buffered beyond WebRTC's own
// jitter buffer. Media Session metadata names the session and the language on the lock screen, where the
// browser keeps playing with the screen locked. The chosen language is remembered per event, as on the room page.

import { textsOf } from "../common/ui.js";
import { firstChoice, listenTo, rememberChoice } from "./channel.js";

const root = document.getElementById("listen");
if (root && root.querySelector("[data-listen-play]") && "RTCPeerConnection" in window) start(root);

function start(root) {
  const words = textsOf(root);
  const audio = root.querySelector("[data-listen-audio]");
  const play = root.querySelector("[data-listen-play]");
  const status = root.querySelector("[data-listen-status]");
  const buttons = Array.from(root.querySelectorAll("[data-listen-language]"));
  const event = root.dataset.event || "";
  const running = buttons.map((button) => button.dataset.listenLanguage);
  let chosen = firstChoice(event, running) || (running.length === 1 ? running[0] : "");
  let channel = null;

  const nameOf = (code) => buttons.find((button) => button.dataset.listenLanguage === code)?.textContent.trim() || code;

  function show(state) {
    root.dataset.state = state;
    status.textContent = words(state, { language: nameOf(chosen) });
    const playing = channel !== null;
    play.textContent = playing ? words("pause") : words("play");
    play.setAttribute("aria-pressed", String(playing));
    play.disabled = !chosen;
    buttons.forEach((button) => button.setAttribute("aria-pressed", String(button.dataset.listenLanguage === chosen)));
  }

  function describe() {
    if (!("mediaSession" in navigator) || !window.MediaMetadata) return;
    navigator.mediaSession.metadata = new MediaMetadata({
      title: root.dataset.sessionTitle,
      artist: nameOf(chosen),
      album: root.dataset.eventTitle,
    });
    navigator.mediaSession.playbackState = channel ? "playing" : "paused";
  }

  function stop(state = "paused") {
    const previous = channel;
    channel = null;
    if (previous && previous.handle) previous.handle.close();
    audio.pause();
    show(state);
    describe();
  }

  function listen() {
    if (!chosen) return;
    if (channel && channel.handle) channel.handle.close();
    // Called from a tap: the element may play with sound from now on.
    audio.muted = false;
    audio.play().catch(() => {});
    const mine = {};
    channel = mine;
    mine.handle = listenTo({
      passUrl: root.dataset.passUrl,
      language: chosen,
      element: audio,
      headers: { "X-Room-Token": root.dataset.roomToken },
      onState: (state) => {
        if (channel !== mine) return;
        if (state === "gone" || state === "refused") stop(state);
        else show(state);
      },
    });
    show(mine.handle.state || "connecting");
    describe();
  }

  buttons.forEach((button) =>
    button.addEventListener("click", () => {
      chosen = button.dataset.listenLanguage;
      rememberChoice(event, chosen);
      listen();
    }),
  );
  play.addEventListener("click", () => (channel ? stop() : listen()));

  if ("mediaSession" in navigator) {
    const handlers = { play: listen, pause: () => stop(), stop: () => stop() };
    Object.entries(handlers).forEach(([action, handler]) => {
      try {
        navigator.mediaSession.setActionHandler(action, handler);
      } catch {
        // An action this browser does not know.
      }
    });
  }
  window.addEventListener("pagehide", () => channel && channel.handle && channel.handle.close());

  // For scripts and tests that ask how the listening goes (getStats of the current connection).
  window.podiumListen = { stats: () => (channel && channel.handle ? channel.handle.stats() : Promise.resolve(new Map())) };

  show("idle");
}
