// The speakers' studio: choose a camera and a microphone, see the preview and the microphone's level, go live over
// WHIP, stop; reconnects by itself when the relay goes away (a restart) and says so meanwhile. Beside it, the room as
// the speaker needs it: how many people are online and on site, and the question on the room screen. A rotated
// publish token ends in a state of its own that says what to do, and nothing retries.

import { textsOf } from "../common/ui.js";
import { T, byId } from "../live/dom.js";
import { startRoom } from "../live/page.js";
import { Backoff, watchConnection } from "../live/reconnect.js";
import { negotiate, release, SignallingError } from "../live/whep.js";
import { mountLevel } from "./level.js";

const root = document.getElementById("studio");

if (root) start(root);

function start(root) {
  const preview = document.getElementById("studio-preview");
  const cameraSelect = document.getElementById("studio-camera");
  const micSelect = document.getElementById("studio-microphone");
  const goLive = document.getElementById("studio-go-live");
  const stop = document.getElementById("studio-stop");
  const status = document.getElementById("studio-status");
  const words = textsOf(root);
  const token = root.dataset.token;

  const level = mountLevel(byId("studio-level"));
  const replaced = byId("studio-replaced");

  let media = null;
  let pc = null;
  let resource = null;

  function show(state) {
    root.dataset.state = state;
    status.textContent = words(state);
    if (state === "replaced") {
      // Going live again with this token cannot work: only a new token (a reload) or a new link can.
      goLive.disabled = true;
      replaced.hidden = false;
      replaced.focus();
    }
  }

  function fill(select, devices, kind, chosen) {
    const label = kind === "videoinput" ? words("camera") : words("microphone");
    select.replaceChildren();
    const none = document.createElement("option");
    none.value = "";
    none.textContent = words("none");
    select.append(none);
    devices
      .filter((device) => device.kind === kind)
      .forEach((device, index) => {
        const option = document.createElement("option");
        option.value = device.deviceId;
        option.textContent = device.label || `${label} ${index + 1}`;
        select.append(option);
      });
    const wanted = [...select.options].find((option) => option.value === chosen);
    select.value = wanted ? chosen : select.options.length > 1 ? select.options[1].value : "";
  }

  function currentId(kind) {
    const track = media && media.getTracks().find((t) => t.kind === kind);
    return track ? track.getSettings().deviceId || "" : "";
  }

  async function listDevices() {
    const devices = await navigator.mediaDevices.enumerateDevices();
    fill(cameraSelect, devices, "videoinput", currentId("video"));
    fill(micSelect, devices, "audioinput", currentId("audio"));
  }

  async function open(cameraId, micId) {
    const constraints = {
      video: cameraId === "" ? false : { deviceId: cameraId ? { exact: cameraId } : undefined, width: 640, height: 360 },
      audio: micId === "" ? false : { deviceId: micId ? { exact: micId } : undefined },
    };
    if (!constraints.video && !constraints.audio) {
      if (media) media.getTracks().forEach((track) => track.stop());
      media = null;
      preview.srcObject = null;
      level.listen(null);
      return;
    }
    const next = await navigator.mediaDevices.getUserMedia(constraints);
    if (media) media.getTracks().forEach((track) => track.stop());
    media = next;
    preview.srcObject = media;
    level.listen(media);
    if (pc) await replaceTracks();
  }

  async function replaceTracks() {
    for (const transceiver of pc.getTransceivers()) {
      const kind = transceiver.receiver.track.kind;
      const track = media ? media.getTracks().find((t) => t.kind === kind) || null : null;
      await transceiver.sender.replaceTrack(track);
    }
  }

  async function changed() {
    try {
      await open(cameraSelect.value, micSelect.value);
    } catch {
      show("nodevice");
    }
  }

  // The speaker wants to be live from Go live until Stop: a connection lost meanwhile (the relay crashed or
  // restarted, the network dropped) is made again, with backoff (live/reconnect.js, the player's rule), until it
  // works, the relay refuses this studio's token, or the relay ends the publish on purpose.
  let wanted = false;
  let everLive = false;
  let unwatch = null;
  let retryTimer = null;
  const backoff = new Backoff();

  async function live() {
    if (wanted) return;
    wanted = true;
    everLive = false;
    level.wake(); // a click lets the page's audio run
    backoff.reset();
    goLive.disabled = true;
    stop.disabled = false;
    show("starting");
    await connect();
  }

  async function connect() {
    const peer = new RTCPeerConnection({ iceServers: [] });
    pc = peer;
    for (const kind of ["video", "audio"]) {
      const track = media ? media.getTracks().find((t) => t.kind === kind) : undefined;
      peer.addTransceiver(track || kind, { direction: "sendonly", streams: media ? [media] : [] });
    }
    unwatch = watchConnection(peer, {
      connected: () => {
        everLive = true;
        backoff.reset();
        show("live");
      },
      unsteady: () => show("reconnecting"),
      lost: (reason) => lost(peer, reason),
    });
    try {
      const location = await negotiate(peer, root.dataset.whipUrl, token);
      if (pc !== peer) {
        release(location, token);
        return;
      }
      resource = location;
    } catch (error) {
      if (pc !== peer) return;
      // A rotated token (401, 403) or a session gone (404): trying again cannot help.
      const status = error instanceof SignallingError ? error.status : 0;
      if (status === 401 || status === 403) end("replaced");
      else if (status === 404) end("refused");
      else lost(peer);
    }
  }

  function lost(peer, reason) {
    if (pc !== peer || !wanted) return;
    if (reason === "ended") {
      // The relay let this publisher go on purpose (an organiser's Stop): coming back would undo it.
      end("ended");
      return;
    }
    if (!everLive) {
      end("failed");
      return;
    }
    show("reconnecting");
    drop();
    retryTimer = setTimeout(connect, backoff.next());
  }

  async function drop() {
    const peer = pc;
    const previous = resource;
    pc = null;
    resource = null;
    clearTimeout(retryTimer);
    if (unwatch) unwatch();
    unwatch = null;
    // Release the resource before closing: the relay drops a publisher whose connection closed, and a
    // DELETE that arrives after that answers 404.
    await release(previous, token);
    if (peer) peer.close();
  }

  async function end(state) {
    wanted = false;
    stop.disabled = true;
    await drop();
    goLive.disabled = false;
    show(state);
  }

  byId("studio-reload").addEventListener("click", () => window.location.reload());

  cameraSelect.addEventListener("change", () => {
    level.wake();
    changed();
  });
  micSelect.addEventListener("change", () => {
    level.wake();
    changed();
  });
  goLive.addEventListener("click", live);
  stop.addEventListener("click", () => end("stopped"));
  window.addEventListener("pagehide", () => {
    if (resource) release(resource, token);
  });
  if (navigator.mediaDevices && navigator.mediaDevices.addEventListener) {
    navigator.mediaDevices.addEventListener("devicechange", () => listDevices().catch(() => {}));
  }

  (async () => {
    try {
      await open(undefined, undefined);
      await listDevices();
    } catch {
      show("nodevice");
    }
  })();
}

// The room beside the studio: its counts (page.js fills [data-count]) and the question on the room screen.
function showRoom() {
  const { state } = startRoom();
  const highlight = byId("studio-highlight");
  state.subscribe((parts) => {
    if (!parts.has("room") && !parts.has("questions")) return;
    const question = state.room && state.room.highlighted;
    highlight.textContent = question ? question.text : T.nothing_on_screen;
  });
}

if (root && byId("live")) showRoom();
