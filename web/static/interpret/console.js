// The interpreter's console (server/transport/interpret_pages.py). The microphone publishes into the booth's channel
// over WHIP from the moment the page opens: the relay forwards only the interpreter on air, so a handover switches
// publishers per packet with nobody renegotiating. After each (re)connection of the microphone the console tells the
// app, which tells the relay again who is on air (a restarted relay learns it). The source (the floor, or another
// channel for relay interpreting) plays over WHEP. Passes expire: each connection asks for fresh ones, and a refused
// pass means the role was removed, which the console says and stops. Booth state, the floor's language and the
// booth chat come over Socket.IO (PROTOCOL.md, "Interpretation booths"); text is only set with textContent.

import { textsOf } from "../common/ui.js";
import { Backoff, watchConnection } from "../live/reconnect.js";
import { negotiate, release } from "../live/whep.js";
import { mountLevel } from "../media/level.js";

const root = document.getElementById("booth");
if (root) start(root);

function start(root) {
  const words = textsOf(root);
  const byId = (id) => document.getElementById(id);
  const session = Number(root.dataset.session);
  const language = root.dataset.language;
  const me = Number(root.dataset.me);
  const light = byId("on-air-light");
  const lightText = byId("on-air-text");
  const onButton = byId("air-on");
  const handButton = byId("air-hand");
  const withdrawButton = byId("air-withdraw");
  const offButton = byId("air-off");
  const cough = byId("cough");
  const micStatus = byId("mic-status");
  const airStatus = byId("air-status");
  const sourceSelect = byId("source");
  const sourceAudio = byId("source-audio");
  const sourceStatus = byId("source-status");
  const floorName = byId("floor-language");
  const messages = byId("booth-messages");
  const chatForm = byId("booth-chat-form");
  const chatText = byId("booth-chat-text");
  const connectionLine = byId("booth-connection");
  const level = mountLevel(byId("mic-level"));
  const languageNames = JSON.parse(root.dataset.languageNames || "{}");

  let booth = {
    version: Number(root.dataset.version),
    on_air: root.dataset.onAir ? { id: Number(root.dataset.onAir), name: root.dataset.onAirName || "" } : null,
    handover: root.dataset.handover === "true",
  };
  let stopped = false;
  let media = null;
  let passes = null;

  // --- on air ---------------------------------------------------------------------------------------------------

  function showBooth(next) {
    if (next.language !== undefined && next.language !== language) return;
    if (next.version < booth.version) return; // an older broadcast that crossed a newer answer
    const wasMine = booth.on_air && booth.on_air.id === me;
    booth = next;
    const mine = booth.on_air && booth.on_air.id === me;
    let state = "nobody";
    if (mine) state = booth.handover ? "offered" : "mine";
    else if (booth.on_air) state = booth.handover ? "partner-offers" : "partner";
    light.dataset.state = state;
    root.dataset.air = state;
    const key = state === "partner-offers" ? "partnerOffers" : state;
    lightText.textContent = words(key, { name: booth.on_air ? booth.on_air.name : "" });
    onButton.hidden = Boolean(mine);
    onButton.querySelector("span").textContent = state === "partner-offers" ? words("take") : words("go");
    handButton.hidden = !mine || booth.handover;
    withdrawButton.hidden = !mine || !booth.handover;
    offButton.hidden = !mine;
    // Taken off air by nobody's handover: perhaps the role went. A refused pass says so.
    if (wasMine && !booth.on_air) checkStillInterpreter();
  }

  async function air(action, button) {
    if (stopped) return;
    const form = new FormData(byId("booth-air-form"));
    form.append("action", action);
    if (button) button.disabled = true;
    try {
      const response = await fetch(root.dataset.airUrl, { method: "POST", body: form, credentials: "same-origin" });
      if (response.status === 404) return revoked();
      const answer = await response.json().catch(() => ({}));
      if (answer.booth) {
        showBooth(answer.booth);
        if (action !== "connected") airStatus.textContent = "";
      } else if (answer.error) {
        airStatus.textContent = answer.error;
      }
    } catch {
      // The app is away for a moment: the next press, or the next reconnection, says it again.
    } finally {
      if (button) button.disabled = false;
    }
  }

  onButton.addEventListener("click", () => air("on", onButton));
  handButton.addEventListener("click", () => air("hand_over", handButton));
  withdrawButton.addEventListener("click", () => air("withdraw", withdrawButton));
  offButton.addEventListener("click", () => air("off", offButton));

  // --- cough / mute: the microphone track is disabled while held (nothing leaves the browser meanwhile) -----------

  function mute(on) {
    const track = media && media.getAudioTracks()[0];
    if (track) track.enabled = !on;
    cough.setAttribute("aria-pressed", on ? "true" : "false");
    cough.querySelector("span").textContent = on ? words("muted") : words("unmuted");
  }
  cough.addEventListener("pointerdown", () => mute(true));
  for (const name of ["pointerup", "pointerleave", "pointercancel", "blur"]) {
    cough.addEventListener(name, () => mute(false));
  }
  cough.addEventListener("keydown", (event) => {
    if (event.key === " " || event.key === "Enter") mute(true);
  });
  cough.addEventListener("keyup", () => mute(false));
  window.addEventListener("keydown", (event) => {
    if (event.key === "Control" && !event.repeat) mute(true);
  });
  window.addEventListener("keyup", (event) => {
    if (event.key === "Control") mute(false);
  });

  // --- passes ---------------------------------------------------------------------------------------------------

  async function fetchPasses() {
    const response = await fetch(root.dataset.passUrl, { credentials: "same-origin", cache: "no-store" });
    if (response.status === 404 || response.status === 403) {
      revoked();
      throw new Error("revoked");
    }
    if (!response.ok) throw new Error("pass " + response.status);
    passes = await response.json();
    return passes;
  }

  async function checkStillInterpreter() {
    try {
      await fetchPasses();
    } catch {
      // revoked() has spoken if that was the reason
    }
  }

  function revoked() {
    if (stopped) return;
    stopped = true;
    const notice = byId("booth-revoked");
    notice.textContent = words("revoked");
    notice.hidden = false;
    notice.focus();
    for (const button of [onButton, handButton, withdrawButton, offButton, cough]) button.disabled = true;
    light.dataset.state = "nobody";
    lightText.textContent = words("nobody");
    microphone.stop();
    source.stop();
    if (socket) socket.close();
  }

  // --- one WebRTC link that reconnects by itself with fresh passes ----------------------------------------------

  function link({ name, status, setup, target, connected = () => {} }) {
    let pc = null;
    let resource = null;
    let token = "";
    let timer = null;
    let unwatch = null;
    let active = false;
    const backoff = new Backoff();
    // The link's state, shown in its status line and kept on the console's root (data-mic, data-source).
    function say(state) {
      root.dataset[name] = state;
      status.textContent = words(name + state[0].toUpperCase() + state.slice(1));
    }

    async function connect() {
      if (!active || stopped) return;
      const peer = new RTCPeerConnection({ iceServers: [] });
      pc = peer;
      say("connecting");
      try {
        const found = target(await fetchPasses());
        if (!found) return;
        token = found.token;
        setup(peer);
        unwatch = watchConnection(peer, {
          connected: () => {
            backoff.reset();
            say("live");
            connected();
          },
          unsteady: () => say("reconnecting"),
          lost: () => retry(peer),
        });
        const location = await negotiate(peer, found.url, token);
        if (pc !== peer) return release(location, token);
        resource = location;
      } catch {
        retry(peer);
      }
    }

    function retry(peer) {
      if (pc !== peer || !active || stopped) return;
      drop();
      say("reconnecting");
      timer = setTimeout(connect, backoff.next());
    }

    function drop() {
      const peer = pc;
      const previous = resource;
      pc = null;
      resource = null;
      clearTimeout(timer);
      if (unwatch) unwatch();
      unwatch = null;
      release(previous, token);
      if (peer) peer.close();
    }

    return {
      start() {
        active = true;
        backoff.reset();
        drop();
        connect();
      },
      stop() {
        active = false;
        drop();
      },
      release() {
        if (resource) release(resource, token);
      },
    };
  }

  const microphone = link({
    name: "mic",
    status: micStatus,
    target: (found) => ({ url: found.whip_url, token: found.token }),
    setup: (peer) => {
      const track = media.getAudioTracks()[0];
      peer.addTransceiver(track, { direction: "sendonly", streams: [media] });
    },
    connected: () => air("connected", null),
  });

  const source = link({
    name: "source",
    status: sourceStatus,
    target: (found) => found.sources.find((item) => item.language === sourceSelect.value) || found.sources[0],
    setup: (peer) => {
      peer.addTransceiver("audio", { direction: "recvonly" });
      peer.addEventListener("track", (event) => {
        sourceAudio.srcObject = event.streams[0] || new MediaStream([event.track]);
        sourceAudio.play().catch(() => {});
      });
    },
  });

  sourceSelect.addEventListener("change", () => {
    level.wake();
    source.start();
  });
  window.addEventListener("pagehide", () => {
    microphone.release();
    source.release();
  });

  // --- booth chat and state over Socket.IO ----------------------------------------------------------------------

  let socket = null;

  function showFloor(floor) {
    if (floor.session !== session) return;
    // Named in this page's language, not in that of the moderator who set it.
    const named = floor.language && languageNames[floor.language];
    floorName.textContent = named || floor.language_name || words("floorUnknown");
    floorName.lang = floor.language || "";
  }

  const seen = new Set();
  function showMessage(message) {
    if (message.language !== language || seen.has(message.id)) return;
    seen.add(message.id);
    const item = document.createElement("li");
    const author = document.createElement("span");
    author.className = "booth-author";
    author.textContent = message.author.name;
    const text = document.createElement("span");
    text.textContent = message.text;
    item.append(author, text);
    messages.append(item);
    messages.scrollTop = messages.scrollHeight;
  }

  function join() {
    socket.emit("booth.join", { session, language }, (answer) => {
      if (!answer || !answer.ok) {
        if (answer && (answer.code === "not_found" || answer.code === "forbidden")) revoked();
        return;
      }
      connectionLine.textContent = words("connected");
      answer.booths.forEach(showBooth);
      showFloor(answer.floor);
      answer.messages.forEach(showMessage);
    });
  }

  function connectSocket() {
    if (!window.io) return;
    socket = window.io("/live", { transports: ["websocket", "polling"] });
    socket.on("connect", join);
    socket.on("disconnect", () => {
      if (!stopped) connectionLine.textContent = words("disconnected");
    });
    socket.on("booth.state", showBooth);
    socket.on("booth.floor", showFloor);
    socket.on("booth.chat", showMessage);
    // The role or the language was taken away (PROTOCOL.md, "Revocation"): the booth is no longer theirs.
    socket.on("revoked", (notice) => {
      if (notice && notice.left && (notice.session === session || notice.session === null)) revoked();
    });
  }

  chatForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = chatText.value.trim();
    if (!text || !socket) return;
    const clientId = crypto.randomUUID().replaceAll("-", "");
    socket.emit("booth.chat", { session, language, text, client_id: clientId }, (answer) => {
      if (answer && answer.ok) {
        chatText.value = "";
        showMessage(answer.message);
      } else {
        airStatus.textContent = (answer && answer.error) || words("chatFailed");
      }
    });
  });

  // --- start ----------------------------------------------------------------------------------------------------

  showBooth({ ...booth, version: booth.version });
  (async () => {
    try {
      media = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
      level.listen(media);
      microphone.start();
    } catch {
      micStatus.textContent = words("micNodevice");
    }
  })();
  source.start();
  if (document.readyState === "complete") connectSocket();
  else window.addEventListener("load", connectSocket);
}
