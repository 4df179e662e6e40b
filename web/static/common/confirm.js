// Destructive forms ask first: a form with `data-confirm="<question>"` opens a native <dialog> with the question
// and two buttons (their words from `data-confirm-yes` / `data-confirm-no`, else the page's). Without this script
// the form posts at once, as before.

let dialog = null;

function dialogFor() {
  if (dialog) return dialog;
  dialog = document.createElement("dialog");
  dialog.className = "dialog confirm-dialog";
  const question = document.createElement("p");
  question.className = "confirm-question";
  question.id = "confirm-question";
  dialog.setAttribute("aria-labelledby", question.id);
  const buttons = document.createElement("form");
  buttons.method = "dialog";
  buttons.className = "confirm-buttons";
  const no = document.createElement("button");
  no.value = "no";
  no.className = "btn btn-secondary";
  const yes = document.createElement("button");
  yes.value = "yes";
  yes.className = "btn btn-danger";
  buttons.append(no, yes);
  dialog.append(question, buttons);
  document.body.append(dialog);
  return dialog;
}

// Asks the form's question; resolves true when the person confirms.
export function confirmAction(form) {
  const box = dialogFor();
  const region = document.querySelector(".toast-region");
  const texts = region ? region.dataset : {};
  box.querySelector(".confirm-question").textContent = form.dataset.confirm;
  box.querySelector("button[value=yes]").textContent = form.dataset.confirmYes || texts.textConfirmYes || "OK";
  box.querySelector("button[value=no]").textContent = form.dataset.confirmNo || texts.textConfirmNo || "Cancel";
  box.returnValue = "";
  return new Promise((resolve) => {
    box.addEventListener("close", () => resolve(box.returnValue === "yes"), { once: true });
    box.showModal();
    box.querySelector("button[value=no]").focus();
  });
}

// Wires every `form[data-confirm]` under `root`.
export function wireConfirms(root = document) {
  for (const form of root.querySelectorAll("form[data-confirm]")) {
    if (form.dataset.confirmWired) continue;
    form.dataset.confirmWired = "true";
    form.addEventListener("submit", async (event) => {
      if (form.dataset.confirmed === "true") return;
      event.preventDefault();
      const submitter = event.submitter;
      if (await confirmAction(form)) {
        form.dataset.confirmed = "true";
        form.requestSubmit(submitter && submitter.form === form ? submitter : undefined);
        delete form.dataset.confirmed;
      }
    });
  }
}
