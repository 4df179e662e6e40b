// One interpretation channel, heard over its own audio-only WHEP connection (live/whep.js): the room page's
// player (stream.js) opens one next to the floor's, the hall's listening page (listen.js) opens one alone. It asks
// the app for a pass (`?channel=ja`; the hall's page also sends its room token), plays into an <audio> element with
// nothing buffered beyond WebRTC's own jitter buffer, reconnects like the floor (live/reconnect.js), and says how it
// goes through `onState(state)`:
//   "connecting"; "live" (the interpreter's voice arrives); "silent" (packets arrive but carry no sound: the
//   interpreter muted their microphone); "offline" (nothing arrives: nobody is on air, or the relay lost the
//   channel); "gone" (the channel no longer runs: the app answers 404); "refused" (not, or no longer, admitted).

import { Backoff, watchConnection } from "./reconnect.js";
import { fetchPass, negotiate, passAvoiding, release } from "./whep.js";

const CHANNEL_BACKOFF_MS = [1000, 2000, 4000, 8000]; // a listener waits for an interpreter to come on air
const CHECK_MS = 250; // the first packets make the switch: looked for often
const OFFLINE_AFTER_CHECKS = 8; // two seconds without a packet: nobody on air
const SILENT_AFTER_CHECKS = 12; // three seconds of packets without sound: the interpreter is silent
const RECONNECT_AFTER_CHECKS = 40; // ten seconds without a packet: connect afresh in case the relay dropped us
// Below this much energy a second (the square of the level, 0..1) it is silence: a muted microphone sends
// comfort noise well below it, a voice well above.
const SILENCE_ENERGY_PER_SECOND = 1e-5;

export function listenTo({ passUrl, language, element, headers = {}, onState }) {
  const backoff = new Backoff(CHANNEL_BACKOFF_MS);
  let pc = null;
  let resource = null;
  let unwatch = null;
  let timer = null;
  let retryTimer = null;
  let generation = 0;
  let closed = false;
  let state = "";
  let relay = ""; // the relay of the last pass, and the one the last attempt failed to reach (as stream.js)
  let avoid = "";

  function say(next) {
    if (next === "live") avoid = "";
    if (next === state) return;
    state = next;
    onState(next);
  }

  function drop() {
    generation += 1;
    clearTimeout(retryTimer);
    clearInterval(timer);
    if (unwatch) unwatch();
    unwatch = null;
    const previous = pc;
    const location = resource;
    pc = null;
    resource = null;
    if (previous) previous.ontrack = null;
    return release(location).finally(() => previous && previous.close());
  }

  function retry(delay) {
    drop();
    if (closed) return;
    retryTimer = setTimeout(connect, delay ?? backoff.next());
  }

  function channelPass() {
    const url = new URL(passAvoiding(passUrl, avoid));
    url.searchParams.set("channel", language);
    return fetchPass(url, headers);
  }

  async function connect() {
    drop();
    const mine = generation;
    if (state !== "offline" && state !== "silent") say("connecting");
    const peer = new RTCPeerConnection({ iceServers: [] });
    pc = peer;
    peer.addTransceiver("audio", { direction: "recvonly" });
    peer.ontrack = (event) => {
      // A remote track unmutes with its first packet: the switch need not wait for the next look at the stats.
      event.track.addEventListener("unmute", () => {
        if (mine === generation && state !== "silent") say("live");
      });
      element.srcObject = new MediaStream([event.track]);
      element.play().catch(() => {}); // refused before a tap: the page's play button starts it
    };
    unwatch = watchConnection(peer, {
      connected: () => watch(peer, mine),
      lost: (reason) => {
        if (mine !== generation) return;
        if (reason === "ended") resource = null; // the relay let this listener go: nothing left to DELETE
        else avoid = relay;
        retry();
      },
    });
    try {
      const pass = await channelPass();
      if (mine !== generation) return;
      relay = pass.relay || "";
      const location = await negotiate(peer, pass.url, pass.token);
      if (mine !== generation) {
        release(location);
        return;
      }
      resource = location;
    } catch (error) {
      if (mine !== generation) return;
      if (error.status === 401 || error.status === 403 || error.status === 400) {
        say("refused");
        drop();
        return;
      }
      if (error.status === 404 && String(error.message).startsWith("pass")) {
        say("gone"); // the app says the channel no longer runs in this session
        drop();
        return;
      }
      // The relay refused (no such channel yet: nobody has published it) or could not be reached.
      avoid = relay;
      say("offline");
      retry();
    }
  }

  async function reading(peer) {
    let packets = 0;
    let energy = 0;
    (await peer.getStats()).forEach((report) => {
      if (report.type === "inbound-rtp" && report.kind === "audio") {
        packets = report.packetsReceived || 0;
        energy = report.totalAudioEnergy || 0;
      }
    });
    return { packets, energy };
  }

  function watch(peer, mine) {
    clearInterval(timer);
    let last = null;
    let still = 0;
    let quiet = 0;
    const check = async () => {
      if (mine !== generation) return;
      const now = await reading(peer);
      if (mine !== generation) return;
      if (last === null && now.packets > 0) say("live");
      else if (last !== null) {
        if (now.packets > last.packets) {
          still = 0;
          backoff.reset();
          const loud = now.energy - last.energy > (SILENCE_ENERGY_PER_SECOND * CHECK_MS) / 1000;
          quiet = loud ? 0 : quiet + 1;
          say(quiet >= SILENT_AFTER_CHECKS ? "silent" : "live");
        } else {
          still += 1;
          if (still >= OFFLINE_AFTER_CHECKS) say("offline");
          if (still >= RECONNECT_AFTER_CHECKS) retry();
        }
      }
      last = now;
    };
    check();
    timer = setInterval(check, CHECK_MS);
  }

  connect();

  return {
    language,
    get state() {
      return state;
    },
    // Counted afresh by each connection: the inbound audio's packets and energy so far (tests and the page).
    stats: () => (pc ? pc.getStats() : Promise.resolve(new Map())),
    reconnect() {
      if (closed) return;
      backoff.reset();
      connect();
    },
    close() {
      closed = true;
      element.srcObject = null;
      return drop();
    },
  };
}

const STORAGE_PREFIX = "podium-audio:";

// What the listener last chose for this event's sessions ("" for the floor), or null.
export function rememberedChoice(event) {
  try {
    return localStorage.getItem(STORAGE_PREFIX + event);
  } catch {
    return null; // storage refused (private mode): nothing remembered
  }
}

export function rememberChoice(event, code) {
  try {
    localStorage.setItem(STORAGE_PREFIX + event, code);
  } catch {
    // Remembered for this page only.
  }
}

// The choice a page starts with: the remembered one while it runs, else the channel in the page's language.
export function firstChoice(event, running) {
  const remembered = rememberedChoice(event);
  if (remembered !== null && (remembered === "" || running.includes(remembered))) return remembered;
  const lang = document.documentElement.lang;
  return running.includes(lang) ? lang : "";
}
