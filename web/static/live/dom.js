// Small DOM helpers for the live pages and their strings (#live-text). Text people type is only ever set with
// textContent; acting on buttons, status lines and keyed lists are in ../common/ui.js.

import { fill, whenRefusedSay } from "../common/ui.js";

import { LANG } from "../common/when.js";

function readText() {
  const words = {};
  document.querySelectorAll("#live-text [data-key]").forEach((node) => {
    words[node.dataset.key] = node.textContent;
  });
  return words;
}

export const T = readText();
whenRefusedSay(T.failed);

// `T` with `{name}` placeholders filled in.
export function say(key, values = {}) {
  return fill(T[key] || key, values);
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

// A moment's time in the page's zone and language, as the agenda prints it (../common/when.js).
export { time as timeOf } from "../common/when.js";

export function originText(origin) {
  return origin === "onsite" ? T.onsite : T.online;
}

// "On site · Indonesia": where someone takes part from.
export function whereFrom(item) {
  return [originText(item.origin), countryName(item.country)].filter(Boolean).join(" · ");
}

export function byId(id) {
  return document.getElementById(id);
}
