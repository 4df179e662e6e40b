// WHEP and WHIP signalling (one HTTP POST of the whole offer; no trickle ICE, so the offer waits for
// ICE gathering to finish) and the DELETE that ends the session.

const GATHERING_TIMEOUT_MS = 3000;

export class SignallingError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// A pass for the relay from the app (JSON with the WHEP/WHIP address and its bearer token), asked afresh on each
// (re)connection; a refusal throws with the HTTP status, so callers tell "not allowed" from "try again".
export async function fetchPass(url, headers = {}) {
  const response = await fetch(url, {
    credentials: "same-origin",
    headers: { Accept: "application/json", ...headers },
    cache: "no-store",
  });
  if (!response.ok) throw new SignallingError(response.status, "pass " + response.status);
  return response.json();
}

// The pass's address asking the app to send this viewer elsewhere than `relay` (the pass's "relay", which the last
// attempt failed to reach: a dead relay stays in the registry a few seconds before its heartbeat goes stale).
export function passAvoiding(url, relay) {
  const address = new URL(url, document.baseURI);
  if (relay) address.searchParams.set("avoid", relay);
  return address.href;
}

export function gatheringComplete(pc) {
  return new Promise((resolve) => {
    if (pc.iceGatheringState === "complete") {
      resolve();
      return;
    }
    const timer = setTimeout(done, GATHERING_TIMEOUT_MS);
    function done() {
      clearTimeout(timer);
      pc.removeEventListener("icegatheringstatechange", changed);
      resolve();
    }
    function changed() {
      if (pc.iceGatheringState === "complete") done();
    }
    pc.addEventListener("icegatheringstatechange", changed);
  });
}

// Offers the peer connection's transceivers to `url`; answers the resource URL to DELETE when done.
export async function negotiate(pc, url, token) {
  await pc.setLocalDescription(await pc.createOffer());
  await gatheringComplete(pc);
  const headers = { "Content-Type": "application/sdp" };
  if (token) headers.Authorization = "Bearer " + token;
  let response;
  try {
    response = await fetch(url, { method: "POST", headers, body: pc.localDescription.sdp, credentials: "omit" });
  } catch (error) {
    throw new SignallingError(0, String(error));
  }
  if (response.status !== 201) {
    throw new SignallingError(response.status, (await response.text()).slice(0, 300));
  }
  const answer = await response.text();
  const location = new URL(response.headers.get("Location") || url, new URL(url, document.baseURI)).href;
  await pc.setRemoteDescription({ type: "answer", sdp: answer });
  return location;
}

export async function release(location, token) {
  if (!location) return;
  const headers = token ? { Authorization: "Bearer " + token } : {};
  try {
    await fetch(location, { method: "DELETE", headers, credentials: "omit", keepalive: true });
  } catch {
    // The relay drops a viewer whose connection ends; the DELETE only makes it quicker.
  }
}
