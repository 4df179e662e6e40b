// The moderators' polls: create single or multiple choice polls, open and close them, show the results.

import { T, byId, clear, el, failure, flash, order } from "./dom.js";
import { resultsView } from "./polls.js";

const STATUS = { draft: "poll_draft", open: "poll_open", closed: "poll_closed_status" };

export function mountModPolls({ state, connection }) {
  const list = byId("polls");
  const empty = byId("polls-empty");
  const status = byId("poll-status");
  const items = new Map();

  async function act(name, fields) {
    const answer = await connection.request(name, fields);
    if (!answer.ok) flash(status, failure(answer), "error");
  }

  function draw() {
    const polls = Array.from(state.polls.values()).sort((a, b) => b.id - a.id);
    const nodes = polls.map((poll) => {
      let item = items.get(poll.id);
      const shape = `${poll.status}:${poll.results_visible}`;
      if (!item || item._shape !== shape) {
        item = pollItem(poll, act);
        item._shape = shape;
        items.set(poll.id, item);
      } else {
        item._results._draw(poll);
      }
      return item;
    });
    order(list, nodes);
    empty.hidden = nodes.length > 0;
  }

  mountCreateForm({ state, connection, status });
  state.subscribe((parts) => {
    if (parts.has("polls") || parts.has("counts")) draw();
  });
}

function pollItem(poll, act) {
  const controls = [];
  const add = (label, name, fields, kind = "") => {
    const node = el("button", { type: "button", class: kind }, label);
    node.addEventListener("click", () => act(name, { poll: poll.id, ...fields }));
    controls.push(node);
  };
  if (poll.status === "open") add(T.close_poll, "poll.close", {}, "button-danger");
  else add(T.open_poll, "poll.open", {});
  add(poll.results_visible ? T.hide_results : T.show_results, "poll.show_results", { visible: !poll.results_visible }, "button-secondary");
  const results = resultsView(poll);
  const item = el(
    "li",
    { class: "mod-poll", data: { id: poll.id, status: poll.status } },
    el("h3", { class: "poll-question" }, poll.question),
    el(
      "p",
      { class: "tags" },
      el("span", { class: `tag tag-poll-${poll.status}` }, T[STATUS[poll.status]]),
      " ",
      el("span", { class: "tag" }, poll.kind === "multiple" ? T.multiple : T.single),
      poll.results_visible ? [" ", el("span", { class: "tag tag-on-screen" }, T.results_shown)] : [],
    ),
    results,
    el("div", { class: "mod-actions" }, controls),
  );
  item._results = results;
  return item;
}

function mountCreateForm({ state, connection, status }) {
  const form = byId("poll-create");
  if (!form) return;
  const question = byId("poll-question");
  const kind = byId("poll-kind");
  const options = byId("poll-options");
  const fieldset = form.querySelector("fieldset");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const choices = options.value
      .split("\n")
      .map((line) => line.trim())
      .filter(Boolean);
    fieldset.disabled = true;
    const answer = await connection.write("poll.create", { question: question.value.trim(), kind: kind.value, options: choices });
    fieldset.disabled = false;
    if (!answer.ok) {
      flash(status, failure(answer), "error");
      return;
    }
    form.reset();
    clear(status);
  });
}
