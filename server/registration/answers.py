"""An event's custom registration questions (text, choice, checkbox; labels, help and options per event
language) and the answers each registration gives, which delegates may change while registration is open."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, delete, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.actors import Actor
from server.accounts.models import Account
from server.audit.services import record, snapshot
from server.db import begin_write
from server.errors import Conflict, NotFound
from server.events.models import Event
from server.i18n import gettext as _
from server.permissions import require
from server.registration.configuration import InvalidFields, registration_settings, require_open
from server.registration.locking import locked_registration
from server.registration.models import (
    QuestionKind,
    Registration,
    RegistrationAnswer,
    RegistrationQuestion,
    RegistrationStatus,
)
from server.registration.rules import can_change_registration_settings
from server.registration.translations import language_name, translated

LABEL_LIMIT = 200
HELP_LIMIT = 1000
ANSWER_LIMIT = 2000
MAX_OPTIONS = 50
MAX_QUESTIONS = 50  # per event: a form longer than this is a survey
MAX_POSITION = 10_000
QUESTION_FIELDS = ("kind", "label", "help", "options", "required", "position")


class StaleQuestion(Conflict):
    def __init__(self, current: RegistrationQuestion) -> None:
        super().__init__(
            _("Another organiser changed this question while you were editing. Their version is shown below.")
        )
        self.current = current


@dataclass(frozen=True)
class QuestionInput:
    kind: QuestionKind
    label: dict[str, str]
    help: dict[str, str]
    options: list[dict[str, str]]
    required: bool
    position: int | None  # None: after the others

    @classmethod
    def parse(
        cls,
        *,
        event: Event,
        kind: str,
        labels: Mapping[str, str],
        helps: Mapping[str, str],
        options: Mapping[str, str],
        required: bool,
        position: str,
    ) -> QuestionInput:
        """``options``: per language, one option a line; the lines of each language match the first's."""
        errors: dict[str, str] = {}
        languages = event.language_list
        try:
            chosen = QuestionKind(kind)
        except ValueError:
            errors["kind"], chosen = _("Please choose the kind of question."), QuestionKind.text
        label, help_ = {}, {}
        for code in languages:
            text, hint = labels.get(code, "").strip(), helps.get(code, "").strip()
            if len(text) > LABEL_LIMIT:
                errors[f"label_{code}"] = _("The label is too long (%(limit)s characters at most).") % {
                    "limit": LABEL_LIMIT
                }
            elif text:
                label[code] = text
            if len(hint) > HELP_LIMIT:
                errors[f"help_{code}"] = _("The help is too long (%(limit)s characters at most).") % {
                    "limit": HELP_LIMIT
                }
            elif hint:
                help_[code] = hint
        if languages and languages[0] not in label and f"label_{languages[0]}" not in errors:
            errors[f"label_{languages[0]}"] = _("Please give the question in %(language)s.") % {
                "language": language_name(languages[0])
            }
        choices: list[dict[str, str]] = []
        if chosen == QuestionKind.choice and languages:
            lines = {
                code: [line.strip() for line in options.get(code, "").splitlines() if line.strip()]
                for code in languages
            }
            first = lines[languages[0]]
            if not first:
                errors[f"options_{languages[0]}"] = _("Please give the options, one a line.")
            elif len(first) > MAX_OPTIONS:
                errors[f"options_{languages[0]}"] = _("%(limit)s options at most.") % {"limit": MAX_OPTIONS}
            elif len(set(first)) < len(first):
                errors[f"options_{languages[0]}"] = _("Each option may appear once.")
            for code in languages:
                if any(len(line) > LABEL_LIMIT for line in lines[code]):
                    errors[f"options_{code}"] = _("An option is too long (%(limit)s characters at most).") % {
                        "limit": LABEL_LIMIT
                    }
                elif code != languages[0] and len(lines[code]) > len(first):
                    errors[f"options_{code}"] = _("Give as many lines as in %(language)s, in the same order.") % {
                        "language": language_name(languages[0])
                    }
            choices = [
                {code: lines[code][index] for code in languages if index < len(lines[code])}
                for index in range(len(first))
            ]
        place = None
        if position.strip():
            if not position.strip().isdigit() or int(position.strip()[:8]) > MAX_POSITION:
                errors["position"] = _("Please give a whole number from 0 to %(max)s.") % {"max": MAX_POSITION}
            else:
                place = int(position.strip())
        if errors:
            raise InvalidFields(errors)
        return cls(kind=chosen, label=label, help=help_, options=choices, required=required, position=place)


async def questions_of(db: AsyncSession, *, event: Event) -> list[RegistrationQuestion]:
    """The event's questions in the form's order."""
    query = (
        select(RegistrationQuestion)
        .where(RegistrationQuestion.event_id == event.id)
        .order_by(col(RegistrationQuestion.position), col(RegistrationQuestion.id))
    )
    return list((await db.exec(query)).all())


async def find_question(
    db: AsyncSession, *, event: Event, question_id: int, lock: bool = False
) -> RegistrationQuestion:
    """A question of ``event``; another event's is not found."""
    query = select(RegistrationQuestion).where(
        RegistrationQuestion.id == question_id, RegistrationQuestion.event_id == event.id
    )
    question = (await db.exec(query.with_for_update() if lock else query)).first()
    if question is None:
        raise NotFound(_("There is no such question in this event."))
    return question


def _audit(question: RegistrationQuestion) -> dict[str, Any]:
    return snapshot(question, QUESTION_FIELDS)


async def create_question(db: AsyncSession, *, actor: Actor, event: Event, data: QuestionInput) -> RegistrationQuestion:
    require(actor, can_change_registration_settings, event)
    await begin_write(db)
    count = (
        await db.exec(
            select(func.count()).select_from(RegistrationQuestion).where(RegistrationQuestion.event_id == event.id)
        )
    ).one()
    if count >= MAX_QUESTIONS:
        await db.rollback()
        raise Conflict(_("An event's form holds %(limit)s questions at most.") % {"limit": MAX_QUESTIONS})
    last = (
        await db.exec(select(func.max(RegistrationQuestion.position)).where(RegistrationQuestion.event_id == event.id))
    ).one()
    question = RegistrationQuestion(event_id=event.id or 0, kind=data.kind)
    _apply(question, data, default_position=(last or 0) + 1)
    db.add(question)
    await db.flush()
    record(
        db,
        actor=actor,
        event=event,
        action="question.create",
        target_type="question",
        target_id=question.id,
        target_label=translated(question.label, event),
        after=_audit(question),
    )
    await db.commit()
    return question


def _apply(question: RegistrationQuestion, data: QuestionInput, *, default_position: int) -> None:
    question.kind = data.kind
    question.label = data.label
    question.help = data.help
    question.options = data.options
    question.required = data.required
    question.position = data.position if data.position is not None else default_position


async def update_question(
    db: AsyncSession, *, actor: Actor, event: Event, question_id: int, data: QuestionInput, version: int
) -> RegistrationQuestion:
    """Saves the question if nobody saved it since ``version`` was read. Answers already given stay as given."""
    require(actor, can_change_registration_settings, event)
    await begin_write(db)
    question = await find_question(db, event=event, question_id=question_id, lock=True)
    if question.version != version:
        if question in db:
            db.expunge(question)  # keeps the values read, which the refusal shows
        await db.rollback()
        raise StaleQuestion(question)
    before = _audit(question)
    _apply(question, data, default_position=question.position)
    question.version += 1
    db.add(question)
    record(
        db,
        actor=actor,
        event=event,
        action="question.update",
        target_type="question",
        target_id=question.id,
        target_label=translated(question.label, event),
        before=before,
        after=_audit(question),
    )
    await db.commit()
    return question


async def delete_question(db: AsyncSession, *, actor: Actor, event: Event, question_id: int) -> None:
    """The question goes with its answers."""
    require(actor, can_change_registration_settings, event)
    await begin_write(db)
    question = await find_question(db, event=event, question_id=question_id, lock=True)
    record(
        db,
        actor=actor,
        event=event,
        action="question.delete",
        target_type="question",
        target_id=question.id,
        target_label=translated(question.label, event),
        before=_audit(question),
    )
    await db.delete(question)
    await db.commit()


def answer_field(question: RegistrationQuestion) -> str:
    """The form field (and error key) of a question's answer."""
    return f"q{question.id}"


def parse_answers(questions: list[RegistrationQuestion], event: Event, submitted: Mapping[str, str]) -> dict[int, str]:
    """The answers by question id, checked; ``submitted`` holds the form's ``q<id>`` fields."""
    errors: dict[str, str] = {}
    answers: dict[int, str] = {}
    for question in questions:
        field = answer_field(question)
        value = submitted.get(field, "").strip()
        if question.kind == QuestionKind.checkbox:
            value = "yes" if value == "yes" else ""
        elif question.kind == QuestionKind.choice:
            canonical = [
                option.get(event.language_list[0], "") if event.language_list else "" for option in question.options
            ]
            if value and value not in canonical:
                errors[field] = _("Please choose one of the options.")
        elif len(value) > ANSWER_LIMIT:
            errors[field] = _("This answer is too long (%(limit)s characters at most).") % {"limit": ANSWER_LIMIT}
        if question.required and not value and field not in errors:
            errors[field] = (
                _("Please tick this box to register.")
                if question.kind == QuestionKind.checkbox
                else _("Please answer this question.")
            )
        answers[question.id or 0] = value
    if errors:
        raise InvalidFields(errors)
    return answers


async def save_answers(
    db: AsyncSession, *, event: Event, registration: Registration, answers: Mapping[int, str]
) -> None:
    """Replaces the registration's answers to these questions (the caller commits)."""
    if not answers:
        return
    await db.exec(
        delete(RegistrationAnswer).where(
            col(RegistrationAnswer.registration_id) == registration.id,
            col(RegistrationAnswer.question_id).in_(list(answers)),
        )
    )
    db.add_all(
        RegistrationAnswer(
            event_id=event.id or 0, registration_id=registration.id or 0, question_id=question_id, value=value
        )
        for question_id, value in answers.items()
        if value
    )
    await db.flush()


async def answers_of(db: AsyncSession, *, registration: Registration) -> dict[int, str]:
    rows = await db.exec(select(RegistrationAnswer).where(RegistrationAnswer.registration_id == registration.id))
    return {answer.question_id: answer.value for answer in rows.all()}


async def event_answers(db: AsyncSession, *, event: Event) -> dict[int, dict[int, str]]:
    """Every answer of the event: registration id → question id → value (the organiser's list and CSV)."""
    rows = await db.exec(select(RegistrationAnswer).where(RegistrationAnswer.event_id == event.id))
    answers: dict[int, dict[int, str]] = {}
    for answer in rows.all():
        answers.setdefault(answer.registration_id, {})[answer.question_id] = answer.value
    return answers


async def change_answers(
    db: AsyncSession, *, event: Event, account: Account, submitted: Mapping[str, str]
) -> Registration:
    """A delegate changes their answers, while registration is open."""
    registration = await locked_registration(db, event=event, account=account)
    if registration.status == RegistrationStatus.rejected:
        raise Conflict(_("The organisers declined your registration for this event. Please write to them."))
    require_open(await registration_settings(db, event=event))
    questions = await questions_of(db, event=event)
    answers = parse_answers(questions, event, submitted)
    await save_answers(db, event=event, registration=registration, answers=answers)
    await db.commit()
    return registration
