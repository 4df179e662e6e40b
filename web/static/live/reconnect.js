// One rule for the room page's player and the speakers' studio: when a WebRTC connection to the relay counts as
// lost, and how long to wait before each new attempt.

export const BACKOFF_MS = [1000, 2000, 4000, 8000, 15000, 30000];
// A "disconnected" connection often comes back by itself after a network hiccup; after this long it is lost.
export const DISCONNECTED_GRACE_MS = 3000;
const TRANSPORT_CHECK_MS = 1000;

export class Backoff {
  constructor(steps = BACKOFF_MS) {
    this.steps = steps;
    this.attempt = 0;
  }

  next() {
    const delay = this.steps[Math.min(this.attempt, this.steps.length - 1)];
    this.attempt += 1;
    return delay;
  }

  reset() {
    this.attempt = 0;
  }
}

// The relay ended the DTLS session (it dropped this peer, or shut down cleanly): nothing more will flow.
function transportClosed(peer) {
  const transports = [...peer.getSenders(), ...peer.getReceivers()].map((end) => end.transport).filter(Boolean);
  return transports.length > 0 && transports.every((transport) => transport.state === "closed");
}

// Watches `peer`: `connected()` each time it connects, `unsteady()` when it loses its path to the relay, and
// `lost(reason)` once: "ended" when the relay closed the DTLS session on purpose (it dropped this peer; a relay
// shutting down does not close it, see Relay.close), "lost" when the connection failed, was closed, or stayed
// disconnected past the grace period. Answers a function that stops watching.
export function watchConnection(peer, { connected, unsteady = () => {}, lost }) {
  let graceTimer = null;
  let finished = false;

  function stop() {
    finished = true;
    clearTimeout(graceTimer);
    clearInterval(transportTimer);
    peer.removeEventListener("connectionstatechange", changed);
  }

  function giveUp(reason) {
    if (finished) return;
    stop();
    lost(reason);
  }

  function changed() {
    if (finished) return;
    const state = peer.connectionState;
    if (state === "connected") {
      clearTimeout(graceTimer);
      graceTimer = null;
      connected();
    } else if (state === "failed" || state === "closed") {
      giveUp("lost");
    } else if (state === "disconnected" && graceTimer === null) {
      unsteady();
      graceTimer = setTimeout(() => giveUp("lost"), DISCONNECTED_GRACE_MS);
    }
  }

  const transportTimer = setInterval(() => {
    if (transportClosed(peer)) giveUp("ended");
  }, TRANSPORT_CHECK_MS);
  peer.addEventListener("connectionstatechange", changed);
  return stop;
}
