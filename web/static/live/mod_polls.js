// The moderators' polls: create single or multiple choice polls, open and close them, show the results.

import { act, keyedList } from "../common/ui.js";
import { T, byId, clear, el } from "./dom.js";
import { resultsView } from "./polls.js";

const STATUS = { draft: "poll_draft", open: "poll_open", closed: "poll_closed_status" };

export function mountModPolls({ state, connection }) {
  const list = byId("polls");
  const empty = byId("polls-empty");
  const status = byId("poll-status");
  const send = (name, fields) => act(null, () => connection.request(name, fields), { status });
  const items = keyedList({
    make: (poll) => pollItem(poll, send),
    update: (item, poll) => item._results._draw(poll),
    shape: (poll) => `${poll.status}:${poll.results_visible}`,
  });

  function draw() {
    const polls = Array.from(state.polls.values()).sort((a, b) => b.id - a.id);
    const nodes = items.draw(list, polls);
    empty.hidden = nodes.length > 0;
  }

  mountCreateForm({ state, connection, status });
  state.subscribe((parts) => {
    if (parts.has("polls") || parts.has("counts")) draw();
  });
}

function pollItem(poll, send) {
  const controls = [];
  const add = (label, name, fields, kind = "") => {
    const node = el("button", { type: "button", class: kind }, label);
    node.addEventListener("click", () => send(name, { poll: poll.id, ...fields }));
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
    const poll = { question: question.value.trim(), kind: kind.value, options: choices };
    const answer = await act(fieldset, () => connection.write("poll.create", poll), { status });
    if (!answer.ok) return;
    form.reset();
    clear(status);
  });
}
