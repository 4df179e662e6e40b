// The public session page is cached and shared by everyone, so it carries nobody's state: this asks the server
// for the viewer's (seats left, full, a clash with their picks, picked) and shows it as a badge by the pick link.
const slot = document.querySelector(".session-state[data-state-url]");
if (slot) {
  fetch(slot.dataset.stateUrl, { headers: { accept: "application/json" }, credentials: "same-origin" })
    .then((answer) => (answer.ok ? answer.json() : null))
    .then((answer) => {
      const state = answer && answer.states ? Object.values(answer.states)[0] : null;
      if (!state || !state.state || !state.text) return;
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.dataset.state = state.state;
      badge.textContent = state.text;
      slot.replaceChildren(badge);
    })
    .catch(() => {});
}
