// The moderators' list of who is muted in the room's chat (name, where from, since when, by whom), kept
// current by the room's `mute` events, with an Unmute button each.

import { act, flash } from "../common/ui.js";
import { T, byId, clear, el, say, timeOf, whereFrom } from "./dom.js";
import { number } from "../common/when.js";

export function mountModMutes({ state, connection }) {
  const list = byId("muted");
  const empty = byId("muted-empty");
  const count = byId("muted-count");
  const status = byId("muted-status");
  if (!list) return;

  async function unmute(person, button) {
    const answer = await act(button, () => connection.request("participant.mute", { participant: person.key, muted: false }), {
      status,
    });
    if (answer.ok) flash(status, say("unmuted", { name: person.name || person.key }), "success");
  }

  function draw() {
    const people = Array.from(state.muted.values()).sort((a, b) => (a.since || "").localeCompare(b.since || ""));
    clear(list);
    people.forEach((person) => {
      const name = person.name || person.key;
      const button = el("button", { type: "button", class: "button-secondary", aria: { label: say("unmute_person", { name }) } }, T.unmute);
      button.addEventListener("click", () => unmute(person, button));
      const since = person.since ? timeOf(person.since) : "";
      const when = person.by ? say("muted_since_by", { time: since, name: person.by.name }) : say("muted_since", { time: since });
      list.append(
        el(
          "li",
          { class: "muted-person", data: { key: person.key } },
          el("p", { class: "muted-name" }, name, person.origin ? [" ", el("span", { class: "muted-from" }, whereFrom(person))] : []),
          since ? el("p", { class: "muted-meta" }, el("time", { datetime: person.since }, when)) : null,
          el("div", { class: "mod-actions" }, button),
        ),
      );
    });
    empty.hidden = people.length > 0;
    count.textContent = number(people.length);
  }

  state.subscribe((parts) => {
    if (parts.has("muted")) draw();
  });
  draw();
}
