// The session page's phase (server/phases): the page is cached and shared by everyone, so this asks now.json (the
// answer the agenda and the room page read too) and shows the phase as a badge, with the Watch button while the
// session is live or about to start; asked again every few seconds.

const POLL_MS = 15000;
const WATCHABLE = new Set(["live", "starting_soon"]);

const slot = document.querySelector(".session-phase[data-phase-url]");

async function refresh() {
  try {
    const response = await fetch(slot.dataset.phaseUrl, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      cache: "no-store",
    });
    if (!response.ok) return;
    const body = await response.json();
    const known = body.sessions && body.sessions[slot.dataset.code];
    if (!known) return;
    const badge = slot.querySelector("[data-phase-badge]");
    badge.dataset.state = known.phase;
    badge.textContent = known.label;
    badge.hidden = false;
    slot.dataset.phase = known.phase;
    slot.querySelector("[data-phase-watch]").hidden = !WATCHABLE.has(known.phase);
  } catch {
    // The next poll tries again.
  }
}

if (slot) {
  refresh();
  setInterval(refresh, POLL_MS);
}
