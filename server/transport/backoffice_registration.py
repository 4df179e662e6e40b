"""The back office's Registration section: the window, limits, the form's fields and custom questions, approval
and the confirmation mail's paragraph; and the organisers' approve and reject buttons on the dashboard."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.agenda.services import to_zone
from server.errors import InvalidInput
from server.events.models import Event
from server.i18n import gettext as _
from server.registration.answers import (
    QuestionInput,
    StaleQuestion,
    create_question,
    delete_question,
    find_question,
    questions_of,
    update_question,
)
from server.registration.approval import approve, reject
from server.registration.configuration import (
    STANDARD_FIELDS,
    InvalidFields,
    SettingsInput,
    StaleSettings,
    field_modes,
    registration_settings,
    update_settings,
)
from server.registration.models import (
    Attendance,
    QuestionKind,
    Registration,
    RegistrationQuestion,
    RegistrationSettings,
    RegistrationStatus,
)
from server.registration.places import status_mail
from server.registration.rules import can_approve_registrations, can_change_registration_settings
from server.registration.translations import language_name, translated
from server.text import UNSTORABLE
from server.transport.auth import MAX_FORM_BYTES, checked_form, form_text
from server.transport.backoffice import render_backoffice
from server.transport.context import database, see_other
from server.transport.loaders import EventPage, load_event_page, requires
from server.transport.urls import path_for

SECTION = "registration_settings"


def field_labels() -> dict[str, str]:
    return {
        "organisation": _("Organisation"),
        "job_title": _("Job title"),
        "country": _("Country"),
        "accessibility_needs": _("Accessibility needs"),
        "language": _("Preferred language"),
        "listed": _("Consent to appear in the participant list"),
    }


def mode_labels() -> dict[str, str]:
    return {"hidden": _("Not asked"), "optional": _("Optional"), "required": _("Required")}


def kind_labels() -> dict[str, str]:
    return {QuestionKind.text: _("Text"), QuestionKind.choice: _("Choice"), QuestionKind.checkbox: _("Checkbox")}


async def posted(request: Request) -> tuple[FormData, str]:
    """The posted form after the CSRF check; text no database stores (a NUL byte) comes back with its message,
    so the page shows the form again, cleaned, instead of an error page."""
    try:
        return await checked_form(request), ""
    except InvalidInput as error:
        length = request.headers.get("content-length", "")
        if not length.isdigit() or int(length) > MAX_FORM_BYTES:
            raise
        form = await request.form()  # parsed and checked for CSRF by checked_form already
        return form, error.message


def text(form: FormData, name: str) -> str:
    return UNSTORABLE.sub("", form_text(form, name))


def local_input(moment: Any, event: Event) -> str:
    """A stored UTC time as the ``datetime-local`` value in the event's zone."""
    return to_zone(moment, ZoneInfo(event.timezone)).strftime("%Y-%m-%dT%H:%M") if moment else ""


def settings_form_values(settings: RegistrationSettings, event: Event) -> dict[str, Any]:
    modes = field_modes(settings)
    return {
        "opens_at": local_input(settings.opens_at, event),
        "closes_at": local_input(settings.closes_at, event),
        "onsite_limit": "" if settings.onsite_limit is None else str(settings.onsite_limit),
        "online_limit": "" if settings.online_limit is None else str(settings.online_limit),
        "requires_approval": settings.requires_approval,
        **{f"field_{name}": str(modes[name]) for name in STANDARD_FIELDS},
        **{f"confirmation_{code}": settings.confirmation_text.get(code, "") for code in event.language_list},
        "version": str(settings.version),
    }


async def previews(event: Event, settings: RegistrationSettings) -> list[dict[str, str]]:
    """The confirmation mail as a delegate reading each event language gets it (its paragraph in that language)."""
    previews = []
    for code in event.language_list:
        sample = Registration(
            event_id=event.id or 0,
            account_id=0,
            name="",
            email="",
            country="",
            attendance=Attendance.onsite,
            language=code,
            status=RegistrationStatus.confirmed,
            badge_nonce="",
            feed_token="",
        )
        mail = await status_mail(None, event=event, settings=settings, registration=sample)
        assert mail is not None  # a confirmed registration always has its mail
        previews.append({"code": code, "language": language_name(code), "subject": mail[0], "body": mail[1]})
    return previews


async def settings_page(
    request: Request,
    page: EventPage,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    message: str = "",
    preview_of: RegistrationSettings | None = None,
    status_code: int = 200,
    saved: bool = False,
) -> Response:
    event = page.event
    async with database(request).session() as db:
        settings = await registration_settings(db, event=event)
        questions = await questions_of(db, event=event)
    context = {
        "values": values or settings_form_values(settings, event),
        "errors": errors or {},
        "error": message,
        "saved": saved,
        "fields": STANDARD_FIELDS,
        "field_labels": field_labels(),
        "mode_labels": mode_labels(),
        "kind_labels": kind_labels(),
        "event_languages": [(code, language_name(code)) for code in event.language_list],
        "questions": [(question, translated(question.label, event)) for question in questions],
        "previews": await previews(event, preview_of or settings),
        "zone": event.timezone,
    }
    return render_backoffice(
        request, page, "backoffice/registration.html", context, section=SECTION, status_code=status_code
    )


@requires(can_change_registration_settings, load_event_page)
async def settings_view(request: Request, page: EventPage) -> Response:
    return await settings_page(request, page, saved=request.query_params.get("saved") == "1")


def settings_submitted(form: FormData, event: Event) -> dict[str, Any]:
    return {
        **{
            name: text(form, name)[:100]
            for name in ("opens_at", "closes_at", "onsite_limit", "online_limit", "version")
        },
        "requires_approval": form_text(form, "requires_approval") == "yes",
        **{f"field_{name}": text(form, f"field_{name}")[:20] for name in STANDARD_FIELDS},
        **{f"confirmation_{code}": text(form, f"confirmation_{code}")[:5000] for code in event.language_list},
    }


@requires(can_change_registration_settings, load_event_page)
async def settings_submit(request: Request, page: EventPage) -> Response:
    form, unstorable = await posted(request)
    event = page.event
    values = settings_submitted(form, event)
    if unstorable:
        return await settings_page(request, page, values=values, message=unstorable, status_code=400)
    try:
        data = SettingsInput.parse(
            event=event,
            opens_at=values["opens_at"],
            closes_at=values["closes_at"],
            onsite_limit=values["onsite_limit"],
            online_limit=values["online_limit"],
            requires_approval=values["requires_approval"],
            fields={name: values[f"field_{name}"] for name in STANDARD_FIELDS},
            confirmation_text={code: values[f"confirmation_{code}"] for code in event.language_list},
        )
        if form_text(form, "action") == "preview":
            shown = RegistrationSettings(event_id=event.id or 0, confirmation_text=data.confirmation_text)
            return await settings_page(request, page, values=values, preview_of=shown)
        version = int(values["version"]) if values["version"].isdigit() and len(values["version"]) < 10 else -1
        async with database(request).session() as db:
            await update_settings(db, actor=page.actor, event=event, data=data, version=version)
    except InvalidFields as error:
        return await settings_page(
            request, page, values=values, errors=error.errors, message=error.message, status_code=400
        )
    except StaleSettings as error:
        return await settings_page(
            request,
            page,
            values=settings_form_values(error.current, event),
            message=error.message,
            status_code=409,
        )
    return see_other(path_for(request, SECTION, slug=event.slug) + "?saved=1")


def question_form_values(question: RegistrationQuestion, event: Event) -> dict[str, Any]:
    first = event.language_list[0] if event.language_list else ""
    return {
        "kind": question.kind,
        "required": question.required,
        "position": str(question.position),
        "version": str(question.version),
        **{f"label_{code}": question.label.get(code, "") for code in event.language_list},
        **{f"help_{code}": question.help.get(code, "") for code in event.language_list},
        **{
            f"options_{code}": "\n".join(option.get(code, option.get(first, "")) for option in question.options)
            for code in event.language_list
        },
    }


def question_submitted(form: FormData, event: Event) -> dict[str, Any]:
    values: dict[str, Any] = {
        "kind": text(form, "kind")[:20],
        "required": form_text(form, "required") == "yes",
        "position": text(form, "position")[:20],
        "version": text(form, "version")[:20],
    }
    for code in event.language_list:
        values[f"label_{code}"] = text(form, f"label_{code}")[:1000]
        values[f"help_{code}"] = text(form, f"help_{code}")[:5000]
        values[f"options_{code}"] = text(form, f"options_{code}")[:20000]
    return values


def question_page(
    request: Request,
    page: EventPage,
    *,
    values: dict[str, Any],
    question: RegistrationQuestion | None = None,
    errors: dict[str, str] | None = None,
    message: str = "",
    status_code: int = 200,
) -> Response:
    context = {
        "question": question,
        "values": values,
        "errors": errors or {},
        "error": message,
        "kind_labels": kind_labels(),
        "event_languages": [(code, language_name(code)) for code in page.event.language_list],
    }
    return render_backoffice(
        request, page, "backoffice/question.html", context, section=SECTION, status_code=status_code
    )


@requires(can_change_registration_settings, load_event_page)
async def question_new(request: Request, page: EventPage) -> Response:
    return question_page(request, page, values={"kind": QuestionKind.text, "required": False})


async def _question_save(request: Request, page: EventPage, question_id: int | None) -> Response:
    form, unstorable = await posted(request)
    event = page.event
    values = question_submitted(form, event)
    current = None
    async with database(request).session() as db:
        if question_id is not None:
            current = await find_question(db, event=event, question_id=question_id)
    if unstorable:
        return question_page(request, page, values=values, question=current, message=unstorable, status_code=400)
    try:
        data = QuestionInput.parse(
            event=event,
            kind=values["kind"],
            labels={code: values[f"label_{code}"] for code in event.language_list},
            helps={code: values[f"help_{code}"] for code in event.language_list},
            options={code: values[f"options_{code}"] for code in event.language_list},
            required=values["required"],
            position=values["position"],
        )
        async with database(request).session() as db:
            if question_id is None:
                await create_question(db, actor=page.actor, event=event, data=data)
            else:
                version = int(values["version"]) if values["version"].isdigit() else -1
                await update_question(
                    db, actor=page.actor, event=event, question_id=question_id, data=data, version=version
                )
    except InvalidFields as error:
        return question_page(
            request, page, values=values, question=current, errors=error.errors, message=error.message, status_code=400
        )
    except StaleQuestion as error:
        return question_page(
            request,
            page,
            values=question_form_values(error.current, event),
            question=error.current,
            message=error.message,
            status_code=409,
        )
    return see_other(path_for(request, SECTION, slug=event.slug) + "#questions")


@requires(can_change_registration_settings, load_event_page)
async def question_create(request: Request, page: EventPage) -> Response:
    return await _question_save(request, page, None)


@requires(can_change_registration_settings, load_event_page)
async def question_edit(request: Request, page: EventPage) -> Response:
    async with database(request).session() as db:
        question = await find_question(db, event=page.event, question_id=request.path_params["question_id"])
    return question_page(request, page, values=question_form_values(question, page.event), question=question)


@requires(can_change_registration_settings, load_event_page)
async def question_update(request: Request, page: EventPage) -> Response:
    return await _question_save(request, page, request.path_params["question_id"])


@requires(can_change_registration_settings, load_event_page)
async def question_delete(request: Request, page: EventPage) -> Response:
    await checked_form(request)
    async with database(request).session() as db:
        await delete_question(db, actor=page.actor, event=page.event, question_id=request.path_params["question_id"])
    return see_other(path_for(request, SECTION, slug=page.event.slug) + "#questions")


async def _decide(request: Request, page: EventPage, decision: str) -> Response:
    form = await checked_form(request)
    registration_id = request.path_params["registration_id"]
    async with database(request).session() as db:
        decide = approve if decision == "approve" else reject
        await decide(
            db, actor=page.actor, event=page.event, registration_id=registration_id, message=form_text(form, "message")
        )
    return see_other(path_for(request, "organiser", slug=page.event.slug) + "#registrations")


@requires(can_approve_registrations, load_event_page)
async def approve_submit(request: Request, page: EventPage) -> Response:
    return await _decide(request, page, "approve")


@requires(can_approve_registrations, load_event_page)
async def reject_submit(request: Request, page: EventPage) -> Response:
    return await _decide(request, page, "reject")


QUESTION = "/{slug}/organiser/registration/questions/{question_id:id}"
DECISION = "/{slug}/organiser/registrations/{registration_id:id}"
routes: list[BaseRoute] = [
    Route("/{slug}/organiser/registration", settings_view, methods=["GET"], name=SECTION),
    Route("/{slug}/organiser/registration", settings_submit, methods=["POST"], name=SECTION),
    Route("/{slug}/organiser/registration/questions/new", question_new, methods=["GET"], name="question_new"),
    Route("/{slug}/organiser/registration/questions", question_create, methods=["POST"], name="question_create"),
    Route(QUESTION, question_edit, methods=["GET"], name="question_edit"),
    Route(QUESTION, question_update, methods=["POST"], name="question_edit"),
    Route(QUESTION + "/delete", question_delete, methods=["POST"], name="question_delete"),
    Route(DECISION + "/approve", approve_submit, methods=["POST"], name="registration_approve"),
    Route(DECISION + "/reject", reject_submit, methods=["POST"], name="registration_reject"),
]
