// The speakers' studio: choose a camera and a microphone, see the preview, go live over WHIP, stop.

import { negotiate, release } from "../live/whep.js";

const root = document.getElementById("studio");

if (root) start(root);

function start(root) {
  const preview = document.getElementById("studio-preview");
  const cameraSelect = document.getElementById("studio-camera");
  const micSelect = document.getElementById("studio-microphone");
  const goLive = document.getElementById("studio-go-live");
  const stop = document.getElementById("studio-stop");
  const status = document.getElementById("studio-status");
  const words = (key) => root.dataset["text" + key[0].toUpperCase() + key.slice(1)] || key;
  const token = root.dataset.token;

  let media = null;
  let pc = null;
  let resource = null;

  function show(state) {
    root.dataset.state = state;
    status.textContent = words(state);
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
      return;
    }
    const next = await navigator.mediaDevices.getUserMedia(constraints);
    if (media) media.getTracks().forEach((track) => track.stop());
    media = next;
    preview.srcObject = media;
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

  async function live() {
    if (pc) return;
    goLive.disabled = true;
    show("starting");
    const peer = new RTCPeerConnection({ iceServers: [] });
    pc = peer;
    for (const kind of ["video", "audio"]) {
      const track = media ? media.getTracks().find((t) => t.kind === kind) : undefined;
      peer.addTransceiver(track || kind, { direction: "sendonly", streams: media ? [media] : [] });
    }
    peer.onconnectionstatechange = () => {
      if (pc !== peer) return;
      if (peer.connectionState === "connected") show("live");
      if (peer.connectionState === "failed") {
        end("failed");
      }
    };
    try {
      resource = await negotiate(peer, root.dataset.whipUrl, token);
      stop.disabled = false;
    } catch {
      end("failed");
    }
  }

  async function end(state) {
    const peer = pc;
    const previous = resource;
    pc = null;
    resource = null;
    stop.disabled = true;
    // Release the resource before closing: the relay drops a publisher whose connection closed, and a
    // DELETE that arrives after that answers 404.
    await release(previous, token);
    if (peer) peer.close();
    goLive.disabled = false;
    show(state);
  }

  cameraSelect.addEventListener("change", changed);
  micSelect.addEventListener("change", changed);
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
