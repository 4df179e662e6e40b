// Uploads show their progress and can be cancelled: a form that posts a file (multipart, with a file input) is sent
// with XMLHttpRequest, its upload progress shown in a <progress>, and a Cancel button aborts it, so nothing is saved.
// The page the server answers with is then shown as if the form had posted: after a redirect it is loaded again; a
// refusal (nothing saved) is posted again natively to show it. A form whose answer is a page of its own rather than
// a redirect opts out with `data-upload="plain"`. Without this script the form posts as before. Words come from the page's `.toast-region` (`data-text-uploading`, `data-text-cancel`, ...).
import { toast } from "./ui.js";

function texts() {
  const region = document.querySelector(".toast-region");
  const data = region ? region.dataset : {};
  return {
    uploading: data.textUploading || "Uploading…",
    processing: data.textProcessing || "Processing…",
    cancel: data.textCancel || "Cancel upload",
    cancelled: data.textCancelled || "Upload cancelled: nothing was saved.",
    failed: data.textFailed || "The upload failed. Please try again.",
  };
}

function chosenFile(form) {
  return Array.from(form.querySelectorAll("input[type=file]")).some((input) => input.files && input.files.length);
}

function showAnswer(xhr, form) {
  if (xhr.getResponseHeader("X-Podium-Page") === "GET" && xhr.status < 400) {
    location.assign(xhr.responseURL); // the page after the redirect, loaded again to show its notice
    return;
  }
  if (xhr.status >= 400) {
    // Refused, so nothing was saved: post the form as the browser would, to show the refusal as a real page.
    form.dataset.upload = "plain";
    HTMLFormElement.prototype.submit.call(form);
    return;
  }
  document.open();
  document.write(xhr.responseText);
  document.close();
}

function send(form, submitter) {
  const words = texts();
  const data = new FormData(form, submitter || undefined);
  const xhr = new XMLHttpRequest();
  const panel = document.createElement("div");
  panel.className = "upload-progress";
  const label = document.createElement("span");
  label.className = "upload-label";
  label.textContent = words.uploading;
  label.id = `upload-label-${Math.random().toString(36).slice(2)}`;
  const bar = document.createElement("progress");
  bar.max = 100;
  bar.value = 0;
  bar.setAttribute("aria-labelledby", label.id);
  const cancel = document.createElement("button");
  cancel.type = "button";
  cancel.className = "btn btn-secondary upload-cancel";
  cancel.textContent = words.cancel;
  panel.append(label, bar, cancel);
  const buttons = Array.from(form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]"));
  (submitter || buttons[0] || form.lastElementChild).after(panel);
  buttons.forEach((button) => {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
  });
  const finish = () => {
    panel.remove();
    buttons.forEach((button) => {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    });
  };
  xhr.upload.addEventListener("progress", (event) => {
    if (!event.lengthComputable) return;
    bar.value = Math.round((event.loaded / event.total) * 100);
    label.textContent = `${words.uploading} ${bar.value}%`;
  });
  xhr.upload.addEventListener("load", () => {
    bar.value = 100;
    label.textContent = words.processing;
    cancel.disabled = true; // the server has the file now: cancelling could no longer promise nothing is saved
  });
  xhr.addEventListener("load", () => showAnswer(xhr, form));
  xhr.addEventListener("error", () => {
    finish();
    toast(words.failed, "error");
  });
  xhr.addEventListener("abort", () => {
    finish();
    toast(words.cancelled, "info");
  });
  cancel.addEventListener("click", () => xhr.abort());
  xhr.open("POST", form.action);
  xhr.setRequestHeader("X-Podium-Upload", "1");
  xhr.send(data);
}

// Wires every multipart form under `root` that has a file input (a form may opt out with `data-upload="plain"`).
export function wireUploads(root = document) {
  for (const form of root.querySelectorAll('form[enctype="multipart/form-data"]')) {
    if (form.dataset.upload === "plain" || form.dataset.uploadWired || !form.querySelector("input[type=file]")) {
      continue;
    }
    form.dataset.uploadWired = "true";
    form.addEventListener("submit", (event) => {
      if (event.defaultPrevented || !chosenFile(form) || typeof XMLHttpRequest === "undefined") return;
      event.preventDefault();
      send(form, event.submitter);
    });
  }
}
