// The console's one reader of the stream status URL: the stream panel and the recorded-video panel both show
// parts of the same answer, so one poll feeds both.

const POLL_MS = 3000;
const listeners = new Set();
let statusUrl = null;
let timer = null;

export function onStreamStatus(url, listener) {
  statusUrl = url;
  listeners.add(listener);
  if (timer === null) {
    refreshStreamStatus();
    timer = setInterval(refreshStreamStatus, POLL_MS);
  }
}

// The console stops asking once its person may no longer moderate: the room said so (page.js marks the page
// "refused"), or the status answers that this session is not theirs to see.
function closed() {
  const root = document.getElementById("live");
  return Boolean(root && root.dataset.connection === "refused");
}

function stop() {
  clearInterval(timer);
}

export async function refreshStreamStatus() {
  if (closed()) {
    stop();
    return;
  }
  try {
    const response = await fetch(statusUrl, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      cache: "no-store",
    });
    if ([401, 403, 404].includes(response.status)) stop();
    if (!response.ok) return;
    const status = await response.json();
    for (const listener of listeners) listener(status);
  } catch {
    // The next poll tries again.
  }
}
