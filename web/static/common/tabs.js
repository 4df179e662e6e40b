// ARIA tabs: `tabs(root)` wires a `.tabs` element holding a `role="tablist"` of `role="tab"` buttons, each with
// `aria-controls` naming its `role="tabpanel"`. Arrow keys move between tabs (Home and End to the ends), one tab
// is in the tab order, and the chosen one shows its panel. Without script every panel stays visible.
export function tabs(root) {
  const list = root.querySelector('[role="tablist"]') || root;
  const all = Array.from(list.querySelectorAll('[role="tab"]'));
  if (!all.length) return null;
  const panelOf = (tab) => document.getElementById(tab.getAttribute("aria-controls"));

  function select(chosen, { focus = false } = {}) {
    for (const tab of all) {
      const selected = tab === chosen;
      tab.setAttribute("aria-selected", String(selected));
      tab.tabIndex = selected ? 0 : -1;
      const panel = panelOf(tab);
      if (panel) panel.hidden = !selected;
    }
    if (focus) chosen.focus();
    root.dispatchEvent(new CustomEvent("tabchange", { detail: { tab: chosen } }));
  }

  list.addEventListener("click", (event) => {
    const tab = event.target.closest('[role="tab"]');
    if (tab && all.includes(tab)) select(tab);
  });
  list.addEventListener("keydown", (event) => {
    const index = all.indexOf(document.activeElement);
    if (index < 0) return;
    const rtl = getComputedStyle(list).direction === "rtl";
    const step = { ArrowRight: rtl ? -1 : 1, ArrowLeft: rtl ? 1 : -1, ArrowDown: 1, ArrowUp: -1 }[event.key];
    let next = null;
    if (step) next = all[(index + step + all.length) % all.length];
    else if (event.key === "Home") next = all[0];
    else if (event.key === "End") next = all[all.length - 1];
    if (!next) return;
    event.preventDefault();
    select(next, { focus: true });
  });
  select(all.find((tab) => tab.getAttribute("aria-selected") === "true") || all[0]);
  return { select };
}

// Every `.tabs[data-tabs]` on the page, wired once it is read.
for (const root of document.querySelectorAll(".tabs[data-tabs]")) tabs(root);
