// The style guide's live specimens: toasts, the confirm dialog's answer and a button's busy state.
import { confirmAction } from "./common/confirm.js";
import { allTabs } from "./common/tabs.js";
import { toast } from "./common/ui.js";

allTabs();

for (const button of document.querySelectorAll("[data-toast]")) {
  button.addEventListener("click", () => toast(button.dataset.message, button.dataset.toast));
}

// The sample form goes nowhere: the dialog's answer shows as a toast instead.
const sample = document.querySelector("[data-sample-confirm]");
if (sample) {
  sample.addEventListener("submit", (event) => event.preventDefault());
  sample.querySelector("button").addEventListener("click", async (event) => {
    event.preventDefault();
    const confirmed = await confirmAction(sample);
    toast(confirmed ? sample.dataset.textYes || "✓" : sample.dataset.textNo || "✗", confirmed ? "success" : "info");
  });
}

for (const button of document.querySelectorAll("[data-busy-demo]")) {
  button.addEventListener("click", () => {
    button.setAttribute("aria-busy", "true");
    setTimeout(() => button.removeAttribute("aria-busy"), 2000);
  });
}
