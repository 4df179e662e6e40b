// Destructive actions ask first. `confirmAction(form)` opens the page's `dialog.dialog#confirm-dialog`
// (base.html: its words are translated there) with the form's `data-confirm` question and resolves to true when
// the person confirms. Every form with `data-confirm` asks before it is sent; without script it is sent at once.
export function confirmAction(form, question = form.dataset.confirm) {
  const dialog = document.getElementById("confirm-dialog");
  if (!dialog || typeof dialog.showModal !== "function") return Promise.resolve(window.confirm(question));
  dialog.querySelector(".dialog-question").textContent = question || "";
  const yes = dialog.querySelector("[data-confirm-yes]");
  if (form.dataset.confirmYes) yes.textContent = form.dataset.confirmYes;
  else yes.textContent = yes.dataset.confirmYes;
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "yes"), { once: true });
    dialog.returnValue = "";
    dialog.showModal();
    dialog.querySelector("[data-confirm-no]").focus();
  });
}

// In the capture phase, before any page script handles the submission: nothing is sent until confirmed.
document.addEventListener(
  "submit",
  async (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.confirm || form.dataset.confirmed) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    const submitter = event.submitter || null;
    if (!(await confirmAction(form))) return;
    form.dataset.confirmed = "yes";
    try {
      form.requestSubmit(submitter);
    } finally {
      delete form.dataset.confirmed;
    }
  },
  true,
);
