// What every page script shares: strings read from the page, acting on a button, and lists kept by key.
// Text people type is only ever set with textContent.

// `template` with `{name}` placeholders filled from `values`; unknown placeholders stay as they are.
export function fill(template, values = {}) {
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

// The strings a page element carries as `data-text-<key>` attributes (the server translated them):
// `textsOf(panel)("scheduled", { time })` reads `data-text-scheduled`; a missing key reads as itself.
export function textsOf(node) {
  return (key, values = {}) => fill(node.dataset["text" + key[0].toUpperCase() + key.slice(1)] || key, values);
}

// Shows `message` in a status line (role="status") for a while; errors stay until replaced.
export function flash(node, message, kind = "info") {
  if (!node) return;
  node.textContent = message || "";
  node.dataset.kind = kind;
  clearTimeout(node._flashTimer);
  if (message && kind !== "error") node._flashTimer = setTimeout(() => (node.textContent = ""), 6000);
}

let refusedText = "";

// The words shown when a refusal brings no message of its own (each page's strings set them once).
export function whenRefusedSay(text) {
  refusedText = text || "";
}

// Disables `control` (a button, a checkbox, a fieldset, or null) and marks it busy while `request()` runs, enables
// it again, and shows a refusal in `status`. Returns the answer: `{ok: true, ...}` or `{ok: false, error}`.
export async function act(control, request, { status = null } = {}) {
  if (control) {
    control.disabled = true;
    control.setAttribute("aria-busy", "true");
  }
  let answer;
  try {
    answer = await request();
  } finally {
    if (control) {
      control.disabled = false;
      control.removeAttribute("aria-busy");
    }
  }
  if (answer && !answer.ok) flash(status, answer.error || refusedText, "error");
  return answer;
}

// Keeps `list`'s children in the order of `nodes`, moving only what is out of place, and keeps the focus
// on the element that had it (moving a node in the DOM drops its focus).
export function order(list, nodes) {
  const focused = document.activeElement;
  let moved = false;
  nodes.forEach((node, index) => {
    if (list.children[index] !== node) {
      list.insertBefore(node, list.children[index] || null);
      moved = true;
    }
  });
  while (list.children.length > nodes.length) list.lastElementChild.remove();
  if (moved && focused && focused !== document.activeElement && list.contains(focused)) focused.focus();
}

// A list drawn from rows, one node per key, built once and then only updated, so that redrawing keeps what has
// the focus. `make(row)` builds a node; `update(node, row)` refreshes a kept one; a node whose `shape(row)`
// changed is built again. `draw(list, rows)` puts the rows' nodes in `list` in order and returns them; with
// `forget: false`, nodes of rows not drawn are kept (for rows that move between several lists).
export function keyedList({ make, update = () => {}, shape = () => "", key = (row) => row.id }) {
  const nodes = new Map();
  return {
    draw(list, rows, { forget = true } = {}) {
      const drawn = rows.map((row) => {
        let node = nodes.get(key(row));
        if (!node || node._shape !== shape(row)) {
          node = make(row);
          node._shape = shape(row);
          nodes.set(key(row), node);
        }
        update(node, row);
        return node;
      });
      if (forget) {
        const shown = new Set(rows.map(key));
        for (const known of Array.from(nodes.keys())) if (!shown.has(known)) nodes.delete(known);
      }
      order(list, drawn);
      return drawn;
    },
  };
}

// Shows `message` as a toast in the page's `.toast-region` (base.html): a `.notice` of `kind` (info, success,
// error, warning). Errors stay until dismissed; the rest leave after a while. Returns the notice.
export function toast(message, kind = "info") {
  let region = document.querySelector(".toast-region");
  if (!region) {
    region = document.createElement("div");
    region.className = "toast-region";
    region.setAttribute("role", "status");
    document.body.append(region);
  }
  const notice = document.createElement("div");
  notice.className = "toast notice";
  notice.dataset.kind = kind;
  if (kind === "error") notice.setAttribute("role", "alert");
  const text = document.createElement("p");
  text.className = "notice-message";
  text.textContent = message;
  notice.append(text);
  region.append(notice);
  dismissible(notice);
  if (kind !== "error") setTimeout(() => notice.remove(), 8000);
  return notice;
}

// Gives a notice a close button (the words come from the region's `data-text-dismiss`).
export function dismissible(notice) {
  if (notice.querySelector(".notice-close")) return;
  const region = notice.closest(".toast-region");
  const close = document.createElement("button");
  close.type = "button";
  close.className = "notice-close btn-quiet";
  close.textContent = "×";
  close.setAttribute("aria-label", (region && region.dataset.textDismiss) || "Dismiss");
  close.addEventListener("click", () => notice.remove());
  notice.append(close);
}
