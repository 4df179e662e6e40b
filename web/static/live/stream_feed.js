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

export async function refreshStreamStatus() {
  try {
    const response = await fetch(statusUrl, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      cache: "no-store",
    });
    if (!response.ok) return;
    const status = await response.json();
    for (const listener of listeners) listener(status);
  } catch {
    // The next poll tries again.
  }
}
