// The audience's Q&A: ask (optionally anonymous to the audience), upvote once, sort by votes or time.
// One list for on-site and online askers; the asker also sees their own questions still in review.

import { act, flash, keyedList } from "../common/ui.js";
import { T, byId, clear, el, whereFrom } from "./dom.js";
import { number } from "../common/when.js";

const STATUS_TAG = { pending: "pending", rejected: "rejected", merged: "merged" };

export function byVotes(a, b) {
  return b.votes - a.votes || a.id - b.id;
}

export function byTime(a, b) {
  return b.id - a.id;
}

export function mountQuestions({ state, connection }) {
  const list = byId("questions");
  const empty = byId("questions-empty");
  const onScreen = byId("on-screen");
  const items = keyedList({
    make: (question) => questionItem(question, vote),
    update: (item, question) => updateItem(item, question, state),
  });
  let sort = "votes";

  function draw() {
    const shown = Array.from(state.questions.values()).filter((q) => q.mine || (q.status === "approved" && !q.archived));
    shown.sort(sort === "votes" ? byVotes : byTime);
    const nodes = items.draw(list, shown);
    empty.hidden = nodes.length > 0;
  }

  function drawOnScreen() {
    if (!onScreen) return;
    const highlighted = state.room && state.room.highlighted;
    onScreen.hidden = !highlighted;
    onScreen.querySelector(".on-screen-text").textContent = highlighted ? highlighted.text : "";
  }

  async function vote(question, button) {
    const voted = !state.hasVoted(question.id);
    const answer = await act(button, () => connection.request("question.vote", { question: question.id, vote: voted }), {
      status: byId("qa-status"),
    });
    if (answer.ok) state.setVoted(question.id, answer.voted, answer.votes);
  }

  document.querySelectorAll("[data-sort]").forEach((button) => {
    button.addEventListener("click", () => {
      sort = button.dataset.sort;
      document.querySelectorAll("[data-sort]").forEach((other) => {
        other.setAttribute("aria-pressed", String(other === button));
      });
      draw();
    });
  });

  mountAskForm({ state, connection });
  state.subscribe((parts) => {
    if (parts.has("questions") || parts.has("counts") || parts.has("me")) draw();
    if (parts.has("room")) drawOnScreen();
  });
}

function questionItem(question, vote) {
  const text = el("p", { class: "question-text" });
  const meta = el("p", { class: "question-meta" });
  const tags = el("p", { class: "tags" });
  const count = el("span", { class: "vote-count" });
  const button = el(
    "button",
    { type: "button", class: "vote", aria: { pressed: "false" } },
    el("span", { class: "vote-arrow", aria: { hidden: "true" } }, "▲"),
    el("span", { class: "visually-hidden" }, T.upvote),
    count,
  );
  const item = el("li", { class: "question", data: { id: question.id } }, el("div", { class: "question-body" }, text, meta, tags), button);
  item._parts = { text, meta, tags, count, button, question };
  button.addEventListener("click", () => vote(item._parts.question, button));
  return item;
}

function updateItem(item, question, state) {
  const parts = item._parts;
  parts.question = question;
  parts.text.textContent = question.text;
  const who = question.author ? question.author.name : T.anonymous;
  parts.meta.textContent = [who, whereFrom(question)].filter(Boolean).join(" · ");
  clear(parts.tags);
  const tags = [];
  if (question.mine) tags.push(["yours", T.yours]);
  if (STATUS_TAG[question.status]) tags.push([question.status, T[STATUS_TAG[question.status]]]);
  if (question.archived) tags.push(["archived", T.archived]);
  if (question.answered) tags.push(["answered", T.answered]);
  if (state.room && state.room.highlighted && state.room.highlighted.id === question.id) tags.push(["on-screen", T.on_screen]);
  if (question.label) tags.push(["label", question.label]);
  if (question.edited) tags.push(["edited", T.edited]);
  tags.forEach(([kind, label]) => parts.tags.append(el("span", { class: `tag tag-${kind}` }, label), " "));
  parts.tags.hidden = tags.length === 0;
  const voted = state.hasVoted(question.id);
  const votable = question.status === "approved" && !question.archived;
  parts.count.textContent = number(question.votes);
  parts.button.setAttribute("aria-pressed", String(voted));
  parts.button.hidden = !votable;
  item.classList.toggle("is-mine", Boolean(question.mine));
  item.classList.toggle("is-pending", question.status === "pending");
}

function mountAskForm({ state, connection }) {
  const form = byId("ask-form");
  if (!form) return;
  const text = byId("ask-text");
  const anonymous = byId("ask-anonymous");
  const status = byId("ask-status");
  const submit = form.querySelector("button[type=submit]");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const question = text.value.trim();
    if (!question) return;
    const answer = await act(submit, () => connection.write("question.ask", { text: question, anonymous: anonymous.checked }), {
      status,
    });
    if (!answer.ok) return;
    text.value = "";
    anonymous.checked = false;
    flash(status, answer.question.status === "pending" ? T.asked_pending : T.asked, "success");
  });
  state.subscribe((parts) => {
    if (!parts.has("room") && !parts.has("me")) return;
    const closed = Boolean(state.room && !state.room.qa_open && !(state.me && state.me.can_moderate));
    form.querySelector("fieldset").disabled = closed;
    if (closed) flash(status, T.qa_closed, "error");
    else if (status.textContent === T.qa_closed) flash(status, "");
  });
}
