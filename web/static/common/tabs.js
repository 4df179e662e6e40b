// Tabs (ARIA tabs pattern): `tabs(root)` turns a `.tabs` list of buttons and the panels its buttons name with
// `aria-controls` into a tab list, one panel shown at a time. Without script the list stays hidden and every panel
// shows. Arrow keys, Home and End move between tabs (each selects its panel); only the selected tab is in the tab
// order. With `data-tabs-until="<media query>"` on the root, the tabs switch off while the query matches (e.g.
// side by side on a desktop) and every panel shows again. A link to an element inside a panel opens that panel.

export function tabs(root) {
  const list = root.querySelector(".tabs");
  if (!list) return null;
  const buttons = Array.from(list.querySelectorAll("button[aria-controls]"));
  const panels = buttons.map((button) => document.getElementById(button.getAttribute("aria-controls")));
  if (!buttons.length || panels.includes(null)) return null;
  const wide = root.dataset.tabsUntil ? window.matchMedia(root.dataset.tabsUntil) : null;
  let current = Math.max(0, buttons.findIndex((button) => button.getAttribute("aria-selected") === "true"));

  function on() {
    list.hidden = false;
    list.setAttribute("role", "tablist");
    buttons.forEach((button, index) => {
      if (!button.id) button.id = `${panels[index].id}-tab`;
      button.setAttribute("role", "tab");
      button.setAttribute("aria-selected", String(index === current));
      button.tabIndex = index === current ? 0 : -1;
      panels[index].setAttribute("role", "tabpanel");
      panels[index].setAttribute("aria-labelledby", button.id);
      panels[index].tabIndex = 0;
      panels[index].hidden = index !== current;
    });
    root.dataset.tabs = "on";
  }

  function off() {
    list.hidden = true;
    list.removeAttribute("role");
    buttons.forEach((button, index) => {
      button.removeAttribute("role");
      button.removeAttribute("aria-selected");
      panels[index].removeAttribute("role");
      panels[index].removeAttribute("aria-labelledby");
      panels[index].removeAttribute("tabindex");
      panels[index].hidden = false;
    });
    root.dataset.tabs = "off";
  }

  function layout() {
    if (wide && wide.matches) off();
    else on();
  }

  function select(index, { focus = false } = {}) {
    current = (index + buttons.length) % buttons.length;
    if (root.dataset.tabs === "on") on();
    if (focus) buttons[current].focus();
    root.dispatchEvent(new CustomEvent("tabchange", { detail: { panel: panels[current] } }));
  }

  buttons.forEach((button, index) => {
    button.type = "button";
    button.addEventListener("click", () => select(index));
    button.addEventListener("keydown", (event) => {
      // The arrow that points along the row of tabs moves to the next one: left in a right-to-left page.
      const forward = getComputedStyle(root).direction === "rtl" ? -1 : 1;
      const moves = { ArrowRight: current + forward, ArrowLeft: current - forward, Home: 0, End: buttons.length - 1 };
      if (!(event.key in moves)) return;
      event.preventDefault();
      select(moves[event.key], { focus: true });
    });
  });

  function openHash() {
    const id = decodeURIComponent(window.location.hash.slice(1));
    const target = id && document.getElementById(id);
    const index = target ? panels.findIndex((panel) => panel.contains(target)) : -1;
    if (index >= 0) {
      select(index);
      target.scrollIntoView();
    }
  }

  if (wide) wide.addEventListener("change", layout);
  window.addEventListener("hashchange", openHash);
  layout();
  openHash();
  return { select: (panel) => select(panels.indexOf(panel)), panels };
}

// Every `[data-tabs]` on the page.
export function allTabs(scope = document) {
  return Array.from(scope.querySelectorAll("[data-tabs]"), (root) => tabs(root));
}
