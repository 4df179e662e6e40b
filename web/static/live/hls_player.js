// The room page's player over HTTP: the session's HLS (written by the relay, served by the site or any HTTP cache
// in front of it) played with hls.js (from npm, served under /static/vendor/), or the browser's own HLS where it has
// no Media Source Extensions. stream.js turns to it when WebRTC cannot be used: no RTCPeerConnection in this
// browser, a connection that never got through (UDP blocked, TURN unreachable), or a relay full (429).
// The playlist's address comes in the viewer pass ("hls"), asked afresh on each (re)load; the page says
// "Watching over HTTP (HLS)" meanwhile. A playlist not there yet (404: the session is not live) is asked again now
// and then, like the WebRTC player does.

import { fetchPass } from "./whep.js";

const RETRY_MS = 5000;
const PROGRESS_CHECK_MS = 2000;
const STALLED_CHECKS = 3; // no progress for this many checks: offline, and the playlist is loaded afresh
const HLS_CONFIG = {
  // Close to the live edge: two segments of two seconds (the relay writes no LL-HLS parts).
  liveSyncDurationCount: 2,
  liveMaxLatencyDurationCount: 5,
  lowLatencyMode: true,
  enableWorker: false, // the page's CSP allows no blob: workers; transmuxing a 360p stream on the page is cheap
  manifestLoadingMaxRetry: 2,
  levelLoadingMaxRetry: 4,
  fragLoadingMaxRetry: 4,
};

let hlsModule = null;

function loadHls(url) {
  hlsModule = hlsModule || import(url).then((module) => module.default);
  return hlsModule;
}

export function playOverHls({ root, video, words, show, passUrl }) {
  const note = root.querySelector("[data-stream-transport]");
  let hls = null;
  let stopped = false;
  let retryTimer = null;
  let progressTimer = null;
  let lastTime = -1;
  let stalls = 0;

  root.dataset.transport = "hls";
  if (note) {
    note.textContent = words("hls");
    note.hidden = false;
  }

  function detach() {
    clearTimeout(retryTimer);
    clearInterval(progressTimer);
    if (hls) hls.destroy();
    hls = null;
  }

  function retry(state) {
    detach();
    if (stopped) return;
    show(state);
    retryTimer = setTimeout(load, RETRY_MS);
  }

  function watchProgress() {
    clearInterval(progressTimer);
    lastTime = -1;
    stalls = 0;
    progressTimer = setInterval(() => {
      const time = video.currentTime;
      if (time > lastTime && lastTime >= 0) {
        stalls = 0;
        show("live");
      } else if (lastTime >= 0) {
        stalls += 1;
        if (stalls >= STALLED_CHECKS) retry("offline");
      }
      lastTime = time;
    }, PROGRESS_CHECK_MS);
  }

  async function load() {
    if (stopped) return;
    let pass;
    try {
      pass = await fetchPass(passUrl);
    } catch (error) {
      if (error.status === 401 || error.status === 403) {
        detach();
        show("refused");
        return;
      }
      retry("reconnecting");
      return;
    }
    if (stopped) return;
    if (!pass.hls) {
      detach();
      show("hlsUnavailable");
      return;
    }
    const url = new URL(pass.hls, document.baseURI).href;
    let Hls = null;
    try {
      Hls = await loadHls(root.dataset.hlsScript);
    } catch {
      Hls = null;
    }
    if (stopped) return;
    if (Hls && Hls.isSupported()) {
      hls = new Hls(HLS_CONFIG);
      hls.on(Hls.Events.ERROR, (_event, data) => {
        if (data.fatal) retry("offline"); // most often the playlist is not there (yet): the session is not live
      });
      hls.on(Hls.Events.MANIFEST_PARSED, () => video.play().catch(() => {}));
      hls.loadSource(url);
      hls.attachMedia(video);
    } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = url;
      video.play().catch(() => {});
    } else {
      show("hlsUnavailable");
      return;
    }
    watchProgress();
  }

  load();
  return {
    stop() {
      stopped = true;
      detach();
    },
  };
}
