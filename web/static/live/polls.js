// Polls as the audience sees them: vote in the open poll, and live results once moderators show them.
// `resultsView` is shared with the moderator console and the room screen.

import { act, flash } from "../common/ui.js";
import { T, byId, clear, el, say } from "./dom.js";
import { LANG, number } from "../common/when.js";

export function resultsView(poll) {
  const list = el("ul", { class: "poll-results" });
  const voters = el("p", { class: "poll-voters" });
  const view = el("div", { class: "poll-results-view" }, list, voters);
  view._draw = (current) => {
    const total = current.options.reduce((sum, option) => sum + (option.votes || 0), 0);
    clear(list);
    current.options.forEach((option) => {
      const votes = option.votes || 0;
      const percent = total ? Math.round((votes * 100) / total) : 0;
      list.append(
        el(
          "li",
          { class: "poll-result" },
          el("span", { class: "result-option" }, option.text),
          el("span", { class: "result-count" }, say("option_result", { count: number(votes), percent: number(percent) })),
          el("progress", { max: Math.max(total, 1), value: votes, aria: { label: option.text } }),
        ),
      );
    });
    // People, not votes: in a multiple-choice poll one person's ballot counts for several options.
    voters.textContent = typeof current.voters === "number" ? votersText(current.voters) : "";
    voters.hidden = !voters.textContent;
  };
  view._draw(poll);
  return view;
}

const PLURAL = new Intl.PluralRules(LANG);

function votersText(count) {
  return PLURAL.select(count) === "one" ? say("voters_one", { count: number(count) }) : say("voters", { count: number(count) });
}

export function resultsShown(poll) {
  return poll.options.every((option) => option.votes !== null && option.votes !== undefined);
}

function ballotForm(poll, state, connection) {
  const multiple = poll.kind === "multiple";
  const chosen = new Set((state.me && state.me.poll_votes[String(poll.id)]) || []);
  const status = el("p", { class: "form-status", role: "status" });
  const choices = poll.options.map((option) => {
    const id = `poll-${poll.id}-${option.id}`;
    return el(
      "div",
      { class: "choice" },
      el("input", {
        type: multiple ? "checkbox" : "radio",
        name: `poll-${poll.id}`,
        id,
        value: option.id,
        checked: chosen.has(option.id),
      }),
      el("label", { for: id }, option.text),
    );
  });
  const submit = el("button", { type: "submit" }, chosen.size ? T.change_vote : T.vote);
  const form = el(
    "form",
    { class: "poll-form" },
    el(
      "fieldset",
      { class: "choices" },
      el("legend", { class: "poll-question" }, poll.question),
      el("p", { class: "hint" }, multiple ? T.choose_many : T.choose_one),
      choices,
    ),
    el("div", { class: "actions" }, submit),
    status,
  );
  if (chosen.size) flash(status, T.voted, "success");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const options = Array.from(form.querySelectorAll("input:checked"), (input) => Number(input.value));
    if (!options.length) return;
    const answer = await act(submit, () => connection.request("poll.vote", { poll: poll.id, options }, { retry: true }), { status });
    if (!answer.ok) return;
    state.setBallot(poll.id, answer.options);
    submit.textContent = T.change_vote;
    flash(status, T.voted, "success");
  });
  return form;
}

export function mountPoll({ state, connection }) {
  const box = byId("poll");
  if (!box) return;
  let shape = null;
  let results = null;

  function draw() {
    const poll = state.currentPoll();
    const ballot = poll && state.me ? state.me.poll_votes[String(poll.id)] || [] : [];
    const next = poll ? `${poll.id}:${poll.status}:${resultsShown(poll)}:${ballot.join(",")}` : "";
    if (next !== shape) {
      shape = next;
      results = null;
      clear(box);
      if (!poll) {
        box.append(el("p", { class: "empty" }, T.no_poll));
        return;
      }
      const card = el("div", { class: "poll-card", data: { id: poll.id } });
      if (poll.status === "open") card.append(ballotForm(poll, state, connection));
      else card.append(el("h3", { class: "poll-question" }, poll.question), el("p", { class: "hint" }, T.poll_closed));
      if (resultsShown(poll)) {
        results = resultsView(poll);
        card.append(results);
      } else {
        card.append(el("p", { class: "hint" }, T.results_later));
      }
      box.append(card);
    } else if (results && poll) {
      results._draw(poll);
    }
  }

  state.subscribe((parts) => {
    if (parts.has("polls") || parts.has("counts")) draw();
  });
  draw();
}
