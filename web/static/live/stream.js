// The room page's player: watches the session's stream over WHEP (live/whep.js). Starts muted with an
// Unmute button, offers audio only for poor connections, reconnects by itself with backoff, and says
// plainly when the stream is offline: a holding slate with the session's start and a countdown, and a badge with
// the session's phase as every page shows it (server/phases), "Live" whenever media plays (player_controls.js has the volume, menus, picture in picture, full screen).
// The audio-language menu switches between the floor and an interpretation channel: the floor's connection (and
// its picture) stays; a channel plays over a second, audio-only connection (channel.js) that is heard once its
// first packets arrive (the floor goes quiet then, or plays softly under it), and is closed on going back to the
// floor. The choice is remembered per event in this browser; without one, the channel in the page's language is
// chosen when one runs.
// When WebRTC cannot be used — no RTCPeerConnection in this browser, a first connection that never got through (UDP
// blocked, TURN unreachable), a relay that refuses this person or address more streams (429), or a full relay (503)
// when no other one has room (the pass says "full", or names no other relay) — the player turns to the session's
// HLS over plain HTTP (hls_player.js) and says so; it stays on HLS until the page is loaded again. A full relay
// while others have room sends the viewer to another relay instead.

import { textsOf } from "../common/ui.js";
import { firstChoice, listenTo, rememberChoice } from "./channel.js";
import { mountControls } from "./player_controls.js";
import { playOverHls } from "./hls_player.js";
import { Backoff, watchConnection } from "./reconnect.js";
import { fetchPass, negotiate, passAvoiding, release } from "./whep.js";

const STALL_CHECK_MS = 2000;
const STALLED_CHECKS = 2; // no new frames for this many checks: the stream is offline
// Still nothing after this many: connect afresh, in case the relay dropped this viewer (a restart) and the
// browser has not noticed yet; with the publisher simply away, the backoff spaces these out.
const RECONNECT_AFTER_CHECKS = 4;
const OFFLINE_BACKOFF_MS = 10000; // the relay says there is nothing to watch: look again now and then

const root = document.getElementById("stream");

if (root && root.dataset.passUrl) {
  start(root);
}

function start(root) {
  const video = root.querySelector("video");
  const status = root.querySelector("[data-stream-status]");
  const audioOnly = root.querySelector("[data-stream-audio-only]");
  const words = textsOf(root);

  let pc = null;
  let resource = null;
  let unwatch = null;
  const backoff = new Backoff();
  let retryTimer = null;
  let stallTimer = null;
  let generation = 0;
  let lastProgress = -1;
  let stalled = 0;
  let leaving = false;
  let relay = ""; // the relay the last pass sent this viewer to (server/relays)
  let avoid = ""; // the one the last attempt failed to reach: the next pass sends the viewer elsewhere if it can
  let crowded = false; // the last pass said every relay that could take this viewer is full
  const webrtc = "RTCPeerConnection" in window;
  let everConnected = false;
  let overHttp = null; // the HLS player, once WebRTC gave way to it

  const controls = mountControls(root, video, words);
  controls.onPhase((phase) => {
    if (phase === "live" && root.dataset.state === "offline") {
      backoff.reset();
      connect();
    }
  });
  const channels = webrtc ? mountChannels(root, controls, words) : { stats: () => Promise.resolve(new Map()), tracks: () => [] };

  function show(state) {
    root.dataset.state = state;
    status.textContent = words(state);
    controls.showState();
  }

  function close() {
    generation += 1;
    clearTimeout(retryTimer);
    clearInterval(stallTimer);
    const previous = pc;
    const location = resource;
    pc = null;
    resource = null;
    if (unwatch) unwatch();
    unwatch = null;
    if (previous) previous.ontrack = null;
    // Closed once the relay has let the resource go: closing first makes the relay drop it on its own,
    // and the DELETE that follows finds nothing (a 404 in the console).
    return release(location).finally(() => previous && previous.close());
  }

  function useHttp() {
    if (overHttp) return;
    close();
    audioOnly.hidden = true;
    const menu = root.querySelector('[data-stream-menu="audio"]');
    if (menu && !webrtc) menu.hidden = true; // interpretation channels are WebRTC only
    overHttp = playOverHls({ root, video, words, show, passUrl: root.dataset.passUrl });
  }

  function retry(delay) {
    close();
    if (leaving || overHttp) return;
    retryTimer = setTimeout(connect, delay ?? backoff.next());
  }

  async function connect() {
    if (overHttp) return;
    if (!webrtc) {
      useHttp();
      return;
    }
    close();
    const mine = generation;
    const was = root.dataset.state;
    if (was !== "offline") show(was === "live" || was === "reconnecting" ? "reconnecting" : "connecting");
    const peer = new RTCPeerConnection({ iceServers: [] });
    pc = peer;
    const media = new MediaStream();
    if (audioOnly.getAttribute("aria-pressed") !== "true") {
      peer.addTransceiver("video", { direction: "recvonly" });
    }
    peer.addTransceiver("audio", { direction: "recvonly" });
    peer.ontrack = (event) => {
      media.addTrack(event.track);
      if (video.srcObject !== media) video.srcObject = media;
      controls.tracksChanged(media);
    };
    unwatch = watchConnection(peer, {
      connected: () => {
        everConnected = true;
        watchProgress(peer, mine);
      },
      unsteady: () => show("reconnecting"),
      lost: () => {
        if (mine !== generation) return;
        avoid = relay;
        if (!everConnected && root.dataset.hlsScript) useHttp(); // never got through: UDP blocked, TURN unreachable
        else retry();
      },
    });
    try {
      const pass = await fetchPass(passAvoiding(root.dataset.passUrl, avoid));
      if (mine !== generation) return;
      relay = pass.relay || "";
      crowded = pass.full === true;
      const location = await negotiate(peer, pass.url, pass.token);
      if (mine !== generation) {
        release(location);
        return;
      }
      resource = location;
    } catch (error) {
      if (mine !== generation) return;
      if (error.status === 401 || error.status === 403) {
        // Not (or no longer) admitted: the room page itself says why on the next load.
        show("refused");
        close();
        return;
      }
      const full = error.status === 503 && (crowded || !relay); // no other relay to try
      if ((error.status === 429 || full) && root.dataset.hlsScript) {
        useHttp(); // WebRTC has no room for this viewer: watch over HTTP, which any cache serves to a crowd
        return;
      }
      if (error.status === 404) {
        show("offline");
        retry(OFFLINE_BACKOFF_MS);
        return;
      }
      avoid = relay; // the relay refused or could not be reached
      show("reconnecting");
      retry();
    }
  }

  async function progress(peer) {
    let count = 0;
    const kind = audioOnly.getAttribute("aria-pressed") === "true" ? "audio" : "video";
    (await peer.getStats()).forEach((report) => {
      if (report.type === "inbound-rtp" && report.kind === kind) {
        count = kind === "video" ? report.framesDecoded || 0 : report.packetsReceived || 0;
      }
    });
    return count;
  }

  function watchProgress(peer, mine) {
    clearInterval(stallTimer);
    lastProgress = -1;
    stalled = 0;
    const check = async () => {
      if (mine !== generation) return;
      const count = await progress(peer);
      if (mine !== generation) return;
      if (count > lastProgress && lastProgress >= 0) {
        backoff.reset();
        stalled = 0;
        avoid = "";
        show("live");
        video.play().catch(() => {});
      } else if (lastProgress >= 0) {
        stalled += 1;
        // The relay keeps a viewer through a publisher's absence: the picture returns by itself.
        if (stalled >= STALLED_CHECKS) show("offline");
        if (stalled >= RECONNECT_AFTER_CHECKS) {
          avoid = relay; // a relay frozen or cut off sends nothing either
          retry();
        }
      }
      lastProgress = count;
    };
    check();
    stallTimer = setInterval(check, STALL_CHECK_MS);
  }

  audioOnly.addEventListener("click", () => {
    const on = audioOnly.getAttribute("aria-pressed") !== "true";
    audioOnly.setAttribute("aria-pressed", String(on));
    root.classList.toggle("stream-audio-only", on);
    controls.showState();
    backoff.reset();
    connect();
  });

  window.addEventListener("pagehide", () => {
    leaving = true;
    close();
    if (overHttp) overHttp.stop();
  });
  window.addEventListener("online", () => {
    if (root.dataset.state !== "live") {
      backoff.reset();
      connect();
    }
  });

  // For scripts and tests that ask how the player is doing (getStats of the current connection).
  window.podiumStream = {
    stats: () => (pc ? pc.getStats() : Promise.resolve(new Map())),
    transport: () => root.dataset.transport || "webrtc",
    channelStats: channels.stats,
    channelTracks: channels.tracks, // the interpretation's track while it is heard
  };

  // A video element waiting for media holds back the page's load event: connect once the page has loaded.
  if (document.readyState === "complete") connect();
  else window.addEventListener("load", connect, { once: true });
}

function mountChannels(root, controls, words) {
  const menu = root.querySelector("[data-stream-audio]");
  const status = root.querySelector("[data-stream-channel-status]");
  const event = root.dataset.event || "";
  const running = Array.from(menu.options, (option) => option.value).filter(Boolean);
  let current = null; // { code, handle, element, heard }: the chosen channel
  let heard = null; // the channel heard now (the previous one until the chosen one's voice arrives)

  const nameOf = (code) => Array.from(menu.options).find((option) => option.value === code)?.textContent || code;

  function hear(choice) {
    if (heard && heard !== choice) heard.handle.close();
    heard = choice;
    root.dataset.heard = choice ? choice.code : "";
    controls.hearChannel(choice ? choice.element : null);
  }

  function stateChanged(choice, state) {
    if (choice !== current) return;
    root.dataset.channel = state;
    status.hidden = false;
    status.textContent = words("channel" + state[0].toUpperCase() + state.slice(1), { language: nameOf(choice.code) });
    if (state === "live" && heard !== choice) hear(choice);
    if (state === "gone" || state === "refused") {
      menu.value = "";
      current = null;
      hear(null);
      choice.handle.close();
    }
  }

  function choose(code) {
    if ((current ? current.code : "") === code) return;
    if (current && current !== heard) current.handle.close(); // chosen, never heard: nothing to keep
    if (!code) {
      current = null;
      status.hidden = true;
      delete root.dataset.channel;
      hear(null);
      return;
    }
    const element = new Audio();
    element.muted = true; // until the player's sound settings take it over (autoplay allows muted media)
    const choice = { code, element, handle: null };
    current = choice;
    choice.handle = listenTo({
      passUrl: root.dataset.passUrl,
      language: code,
      element,
      onState: (state) => stateChanged(choice, state),
    });
  }

  menu.addEventListener("change", () => {
    rememberChoice(event, menu.value);
    choose(menu.value);
  });
  window.addEventListener("pagehide", () => {
    if (current) current.handle.close();
    if (heard && heard !== current) heard.handle.close();
  });

  menu.value = firstChoice(event, running);
  root.dataset.heard = "";
  if (menu.value) choose(menu.value);

  return {
    stats: () => (current ? current.handle.stats() : Promise.resolve(new Map())),
    tracks: () => (heard && heard.element.srcObject ? heard.element.srcObject.getAudioTracks() : []),
  };
}
