// Small DOM helpers for the live pages. Text people type is only ever set with textContent.

const LANG = document.documentElement.lang || "en";

function readText() {
  const words = {};
  document.querySelectorAll("#live-text [data-key]").forEach((node) => {
    words[node.dataset.key] = node.textContent;
  });
  return words;
}

export const T = readText();

// `T` with `{name}` placeholders filled in.
export function say(key, values = {}) {
  return (T[key] || key).replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

// el("button", {class: "vote", type: "button", aria: {pressed: "false"}}, "text", child, ...)
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "data") Object.assign(node.dataset, value);
    else if (name === "aria") {
      for (const [aria, text] of Object.entries(value)) node.setAttribute(`aria-${aria}`, String(text));
    } else if (name === "on") {
      for (const [event, handler] of Object.entries(value)) node.addEventListener(event, handler);
    } else if (value === true) node.setAttribute(name, "");
    else node.setAttribute(name, String(value));
  }
  append(node, children);
  return node;
}

export function append(node, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node) {
  while (node.firstChild) node.firstChild.remove();
  return node;
}

let regions = null;
export function countryName(code) {
  if (!code) return "";
  try {
    regions = regions || new Intl.DisplayNames([LANG], { type: "region" });
    return regions.of(code.toUpperCase()) || code;
  } catch (_error) {
    return code;
  }
}

export function timeOf(iso) {
  const moment = new Date(iso);
  if (Number.isNaN(moment.getTime())) return "";
  return moment.toLocaleTimeString(LANG, { hour: "2-digit", minute: "2-digit" });
}

export function originText(origin) {
  return origin === "onsite" ? T.onsite : T.online;
}

// "On site · Indonesia": where someone takes part from.
export function whereFrom(item) {
  return [originText(item.origin), countryName(item.country)].filter(Boolean).join(" · ");
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

// Shows `message` in a status line (role="status") for a while.
export function flash(node, message, kind = "info") {
  if (!node) return;
  node.textContent = message || "";
  node.dataset.kind = kind;
  clearTimeout(node._flashTimer);
  if (message && kind !== "error") node._flashTimer = setTimeout(() => (node.textContent = ""), 6000);
}

export function failure(answer) {
  return (answer && answer.error) || T.failed;
}

export function byId(id) {
  return document.getElementById(id);
}
