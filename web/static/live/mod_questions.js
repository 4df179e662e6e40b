// The moderators' Q&A: the review queue, the published questions and what was set aside, with
// approve, reject, edit, label, merge, highlight, answered, archive and restore.

import { act, flash, keyedList } from "../common/ui.js";
import { T, byId, clear, el, say, whereFrom } from "./dom.js";
import { number } from "../common/when.js";
import { byVotes } from "./questions.js";

const LISTS = {
  queue: { filter: (q) => q.status === "pending", sort: (a, b) => a.id - b.id },
  published: { filter: (q) => q.status === "approved" && !q.archived, sort: byVotes },
  aside: { filter: (q) => q.status === "rejected" || q.status === "merged" || q.archived, sort: (a, b) => b.id - a.id },
};

export function mountModQuestions({ state, connection }) {
  const status = byId("mod-status");
  // The room event of a change, sent to this connection too, redraws the lists; true when it was accepted.
  const send = async (name, fields) => (await act(null, () => connection.request(name, fields), { status })).ok;
  let highlighted = null;
  // One node per question across the three lists: a question moving between them keeps its node.
  const items = keyedList({
    make: (question) => questionItem(question),
    update: (item, question) => updateItem(item, question, highlighted, state, send),
  });

  function draw() {
    highlighted = state.room && state.room.highlighted ? state.room.highlighted.id : null;
    const all = Array.from(state.questions.values());
    for (const [name, rule] of Object.entries(LISTS)) {
      const shown = all.filter(rule.filter).sort(rule.sort);
      const nodes = items.draw(byId(name), shown, { forget: false });
      byId(`${name}-empty`).hidden = nodes.length > 0;
      document.querySelectorAll(`[data-count="${name}"]`).forEach((node) => (node.textContent = number(nodes.length)));
    }
    drawHighlight(state, send);
  }

  const clearButton = byId("highlight-clear");
  clearButton.addEventListener("click", () => send("question.highlight", { question: null }));
  state.subscribe((parts) => {
    if (parts.has("questions") || parts.has("room") || parts.has("counts")) draw();
  });
}

function drawHighlight(state) {
  const highlighted = state.room && state.room.highlighted;
  byId("highlight-text").textContent = highlighted ? highlighted.text : T.nothing_on_screen;
  byId("highlight-clear").hidden = !highlighted;
}

function questionItem(question) {
  const parts = {
    text: el("p", { class: "question-text" }),
    meta: el("p", { class: "question-meta" }),
    tags: el("p", { class: "tags" }),
    actions: el("div", { class: "mod-actions" }),
    editor: el("div", { class: "mod-editor", hidden: true }),
    shape: "",
  };
  // tabindex -1: the keyboard shortcuts' j and k move the focus from question to question.
  const item = el("li", { class: "mod-question", tabindex: -1, data: { id: question.id } }, parts.text, parts.meta, parts.tags, parts.actions, parts.editor);
  item._parts = parts;
  return item;
}

function updateItem(item, question, highlighted, state, send) {
  const parts = item._parts;
  parts.text.textContent = question.text;
  const author = question.author ? question.author.name : T.anonymous;
  const who = question.anonymous ? `${author} (${T.anonymous_to_audience})` : author;
  parts.meta.textContent = [who, whereFrom(question), say("votes", { count: question.votes })].filter(Boolean).join(" · ");
  clear(parts.tags);
  const tags = [];
  if (question.id === highlighted) tags.push(["on-screen", T.on_screen]);
  if (question.answered) tags.push(["answered", T.answered]);
  if (question.status === "merged") tags.push(["merged", T.merged]);
  if (question.status === "rejected") tags.push(["rejected", T.rejected]);
  if (question.archived) tags.push(["archived", T.archived]);
  if (question.label) tags.push(["label", question.label]);
  if (question.edited) tags.push(["edited", T.edited]);
  tags.forEach(([kind, label]) => parts.tags.append(el("span", { class: `tag tag-${kind}` }, label), " "));
  parts.tags.hidden = tags.length === 0;
  item.classList.toggle("is-highlighted", question.id === highlighted);
  const shape = [question.status, question.archived, question.answered, question.id === highlighted].join(":");
  if (shape === parts.shape) return;
  parts.shape = shape;
  clear(parts.actions);
  parts.actions.append(...buttons(item, question, highlighted, state, send));
}

// `action` names the button for the keyboard shortcuts (mod_keys.js).
function button(label, handler, kind = "", action = null) {
  const node = el("button", { type: "button", class: kind, data: action ? { action } : {} }, label);
  node.addEventListener("click", handler);
  return node;
}

function buttons(item, question, highlighted, state, send) {
  const id = question.id;
  const edit = () => openEditor(item, "edit", question, state, send);
  const label = () => openEditor(item, "label", question, state, send);
  const merge = () => openEditor(item, "merge", question, state, send);
  if (question.status === "pending") {
    return [
      button(T.approve, () => send("question.approve", { question: id }), "", "approve"),
      button(T.reject, () => send("question.reject", { question: id }), "button-danger", "reject"),
      button(T.edit, edit, "button-secondary"),
      button(T.label, label, "button-secondary"),
      button(T.merge, merge, "button-secondary"),
    ];
  }
  if (question.status === "approved" && !question.archived) {
    const onScreen = id === highlighted;
    return [
      button(onScreen ? T.unhighlight : T.highlight, () => send("question.highlight", { question: onScreen ? null : id }), "", "highlight"),
      button(question.answered ? T.mark_unanswered : T.mark_answered, () =>
        send("question.answer", { question: id, answered: !question.answered }),
      "button-secondary", "answer"),
      button(T.edit, edit, "button-secondary"),
      button(T.label, label, "button-secondary"),
      button(T.merge, merge, "button-secondary"),
      button(T.archive, () => send("question.archive", { question: id, archived: true }), "button-secondary"),
    ];
  }
  if (question.archived) return [button(T.restore, () => send("question.archive", { question: id, archived: false }))];
  if (question.status === "rejected") return [button(T.restore, () => send("question.approve", { question: id }))];
  return [];
}

function openEditor(item, kind, question, state, send) {
  const editor = item._parts.editor;
  const current = state.questions.get(question.id) || question;
  const fieldId = `${kind}-${question.id}`;
  let field;
  let label;
  if (kind === "edit") {
    label = T.question_text;
    field = el("textarea", { id: fieldId, maxlength: 500, rows: 3, required: true });
    field.value = current.text;
  } else if (kind === "label") {
    label = T.label;
    field = el("input", { id: fieldId, maxlength: 40 });
    field.value = current.label;
  } else {
    label = T.merge_into;
    const targets = Array.from(state.questions.values()).filter(
      (other) => other.id !== question.id && other.status === "approved" && !other.archived,
    );
    if (!targets.length) {
      flash(byId("mod-status"), T.merge_none, "error");
      return;
    }
    field = el("select", { id: fieldId }, targets.map((other) => el("option", { value: other.id }, other.text.slice(0, 120))));
  }
  const close = () => {
    clear(editor);
    editor.hidden = true;
  };
  const form = el(
    "form",
    { class: "mod-form" },
    el("label", { for: fieldId }, label),
    field,
    el("div", { class: "actions" }, el("button", { type: "submit" }, kind === "merge" ? T.merge : T.save), button(T.cancel, close, "button-secondary")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const fields =
      kind === "edit"
        ? { question: question.id, text: field.value }
        : kind === "label"
          ? { question: question.id, label: field.value.trim() }
          : { question: question.id, into: Number(field.value) };
    if (await send(`question.${kind}`, fields)) close();
  });
  clear(editor).append(form);
  editor.hidden = false;
  field.focus();
}
