"""A delegate's own pages: registering, their registration and agenda, the calendar feed, the badge.

The session picks and the organisers' pages live in ``picks``, ``organiser`` and ``speakers``; their routes join these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server import i18n
from server.accounts.models import Account
from server.agenda import calendar
from server.agenda.services import load_programme, to_zone
from server.errors import Conflict, InvalidInput, NotFound, RateLimited
from server.events.models import Event
from server.i18n import gettext as _
from server.i18n import localised
from server.ops import metrics
from server.registration.answers import answer_field, answers_of, change_answers, questions_of
from server.registration.badges import check_in_code, qr_svg
from server.registration.configuration import InvalidFields, Window, field_modes, registration_settings, window
from server.registration.countries import countries, country_name
from server.registration.models import Registration, RegistrationQuestion, RegistrationSettings, RegistrationStatus
from server.registration.places import require_confirmed, waitlist_position
from server.registration.seats import agenda_of
from server.registration.services import (
    cancel_registration,
    change_attendance,
    find_registration,
    parse_registration_form,
    register,
    registration_by_feed_token,
    rotate_feed_token,
)
from server.registration.translations import translated
from server.reminders.services import alarm_minutes, reminders_of
from server.transport import backoffice_registration, organiser, picks, speakers
from server.transport.auth import checked_form, client_ip, current_account, form_text
from server.transport.context import (
    database,
    end_reads,
    event_of,
    private,
    see_other,
    settings,
    sign_in_redirect,
    webcal_url,
)
from server.transport.labels import attendance_labels, choice_labels, status_labels
from server.transport.notices import Notice, leave_notice
from server.transport.reminder_pages import reminder_label
from server.transport.rendering import render
from server.transport.signin_prompt import sign_in_prompt
from server.transport.urls import SiteUrls, path_for
from server.transport.zones import shown_zone

FIELDS = ("name", "email", "country", "organisation", "job_title", "attendance", "language", "accessibility_needs")
CALENDAR_TYPE = "text/calendar; charset=utf-8"


def question_views(event: Event, questions: list[RegistrationQuestion]) -> list[dict[str, Any]]:
    """The questions as the reader sees them: label, help and options in their language."""
    first = event.language_list[0] if event.language_list else ""
    return [
        {
            "id": question.id,
            "field": answer_field(question),
            "kind": question.kind,
            "label": translated(question.label, event),
            "help": translated(question.help, event),
            "required": question.required,
            "options": [(option.get(first, ""), translated(option, event)) for option in question.options],
        }
        for question in questions
    ]


@dataclass(frozen=True)
class RegisterForm:
    """What the register page shows besides the values: the event's settings and questions."""

    settings: RegistrationSettings
    questions: list[RegistrationQuestion]

    @classmethod
    async def of(cls, db: AsyncSession, event: Event) -> RegisterForm:
        return cls(await registration_settings(db, event=event), await questions_of(db, event=event))


def form_context(
    event: Event,
    account: Account | None,
    values: dict[str, Any],
    error: str = "",
    *,
    form: RegisterForm,
    errors: dict[str, str] | None = None,
    answers: dict[str, str] | None = None,
) -> dict[str, Any]:
    zone = ZoneInfo(event.timezone)
    settings = form.settings
    return {
        "event": event,
        "account": account,
        "values": values,
        "error": error,
        "errors": errors or {},
        "answers": answers or {},
        "modes": field_modes(settings),
        "questions": question_views(event, form.questions),
        "window": window(settings),
        "opens_local": to_zone(settings.opens_at, zone) if settings.opens_at else None,
        "closes_local": to_zone(settings.closes_at, zone) if settings.closes_at else None,
        "countries": countries(),
        "languages": i18n.LANGUAGES,
        "attendance_labels": attendance_labels(),
    }


async def register_form(request: Request) -> Response:
    async with database(request).session() as db:
        event = await event_of(db, request)
        account = await current_account(request, db)
        registration = await find_registration(db, event=event, account=account)
        form = await RegisterForm.of(db, event)
        answers = await answers_of(db, registration=registration) if registration is not None else {}
    if registration is not None and registration.status not in {
        RegistrationStatus.unconfirmed,
        RegistrationStatus.cancelled,
    }:
        return see_other(path_for(request, "registration", slug=event.slug))
    values: dict[str, Any] = {"language": i18n.current_language().code, "listed": False}
    if account is not None:
        values.update(name=account.name, email=account.email)
    if registration is not None:  # cancelled or never confirmed: offer what was given last time
        values.update({field: getattr(registration, field) for field in (*FIELDS, "listed")})
    given = {f"q{question_id}": value for question_id, value in answers.items()}
    return render(request, "registration/register.html", form_context(event, account, values, form=form, answers=given))


def submitted(form: FormData) -> dict[str, Any]:
    return {**{field: form_text(form, field) for field in FIELDS}, "listed": form_text(form, "listed") == "yes"}


def submitted_answers(form: FormData, questions: list[RegistrationQuestion]) -> dict[str, str]:
    return {answer_field(question): form_text(form, answer_field(question)) for question in questions}


async def register_submit(request: Request) -> Response:
    form = await checked_form(request)
    values = submitted(form)
    async with database(request).session() as db:
        event = await event_of(db, request)
        account = await current_account(request, db)
        register_form_ = await RegisterForm.of(db, event)
        answers = submitted_answers(form, register_form_.questions)
        try:
            data, parsed = parse_registration_form(
                event=event,
                settings=register_form_.settings,
                questions=register_form_.questions,
                values={**values, "email": account.email if account else values["email"]},
                answers=answers,
            )
            await end_reads(db)
            registered = await register(
                db,
                event=event,
                account=account,
                data=data,
                answers=parsed,
                requester_ip=client_ip(request),
                links=SiteUrls.of(request),
            )
            metrics.registration_created(data.attendance)
        except (InvalidInput, Conflict, RateLimited) as error:
            # Shown again with what was typed (cut to the field limits), so nothing needs retyping.
            shown = {name: value[:1000] if isinstance(value, str) else value for name, value in values.items()}
            context = form_context(
                event,
                account,
                shown,
                error.message,
                form=register_form_,
                errors=getattr(error, "errors", None),
                answers={name: value[:2000] for name, value in answers.items()},
            )
            return render(request, "registration/register.html", context, error.status_code)
    if registered.needs_confirmation:
        return see_other(path_for(request, "register_sent", slug=event.slug))
    return see_other(path_for(request, "registration", slug=event.slug))


async def register_sent(request: Request) -> Response:
    async with database(request).session() as db:
        event = await event_of(db, request)
    return render(request, "registration/register_sent.html", {"event": event})


def feed_urls(request: Request, event: Event, registration: Registration) -> dict[str, str]:
    https = SiteUrls.of(request).url("agenda_feed", slug=event.slug, token=registration.feed_token)
    return {"https": https, "webcal": webcal_url(https)}


async def registration_page(request: Request) -> Response:
    async with database(request).session() as db:
        event = await event_of(db, request)
        account = await current_account(request, db)
        if account is None:
            return await sign_in_prompt(request, db, event)
        registration = await find_registration(db, event=event, account=account)
        context: dict[str, Any] = {
            "event": event,
            "account": account,
            "registration": registration,
            "status_labels": status_labels(),
            "attendance_labels": attendance_labels(),
            "choice_labels": choice_labels(),
        }
        if registration is not None and registration.status not in {
            RegistrationStatus.cancelled,
            RegistrationStatus.rejected,
        }:
            context.update(await answers_context(db, event, registration))
        if registration is not None and registration.status == RegistrationStatus.waitlisted:
            context["waitlist_position"] = await waitlist_position(db, registration=registration)
        if registration is not None and registration.status == RegistrationStatus.confirmed:
            programme = await load_programme(db, event=event)
            chosen = await agenda_of(db, registration=registration)
            reminders = await reminders_of(db, registration=registration)
            zone = shown_zone(request, event, account)
            context.update(
                zone=zone,
                time_zone=zone.key,
                agenda=[
                    (view, chosen[view.session.id or 0]) for view in programme.sessions if view.session.id in chosen
                ],
                reminder_labels={id_: reminder_label(reminders.get(id_)) for id_ in chosen},
                feed=feed_urls(request, event, registration),
                country=country_name(registration.country),
            )
    return private(render(request, "registration/registration.html", context))


def shown_answer(question: dict[str, Any], answers: dict[str, str]) -> str:
    """An answer as the reader reads it: a choice's label in their language, a ticked box as "Yes"."""
    value = answers.get(question["field"], "")
    if question["kind"] == "checkbox":
        return _("Yes") if value else _("No")
    return next((label for option, label in question["options"] if option == value), value)


async def answers_context(
    db: AsyncSession,
    event: Event,
    registration: Registration,
    *,
    answers: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The registration page's answers: shown always, editable while registration is open."""
    form = await RegisterForm.of(db, event)
    questions = question_views(event, form.questions)
    given = await answers_of(db, registration=registration)
    shown = answers if answers is not None else {f"q{question_id}": value for question_id, value in given.items()}
    return {
        "questions": questions,
        "answers": shown,
        "errors": errors or {},
        "answers_editable": bool(questions) and window(form.settings) == Window.open,
        "answered": [(question["label"], shown_answer(question, shown)) for question in questions],
    }


async def answers_submit(request: Request) -> Response:
    """The delegate changes their answers; a refused one shows the page again with the message by the field."""
    form = await checked_form(request)
    async with database(request).session() as db:
        event = await event_of(db, request)
        account = await current_account(request, db)
        if account is None:
            return sign_in_redirect(request, path_for(request, "registration", slug=event.slug))
        questions = await questions_of(db, event=event)
        answers = submitted_answers(form, questions)
        await end_reads(db)
        try:
            await change_answers(db, event=event, account=account, submitted=answers)
        except InvalidFields as error:
            # Read in the refused change's transaction, which ends unwritten with the session.
            registration = await find_registration(db, event=event, account=account)
            assert registration is not None  # change_answers found it
            context: dict[str, Any] = {
                "event": event,
                "account": account,
                "registration": registration,
                "status_labels": status_labels(),
                "attendance_labels": attendance_labels(),
                "choice_labels": choice_labels(),
                "error": error.message,
                "answers_only": True,
                "waitlist_position": await waitlist_position(db, registration=registration),
                **await answers_context(db, event, registration, answers=answers, errors=error.errors),
            }
            return private(render(request, "registration/registration.html", context, 400))
    saved = Notice(_("Your answers are saved."), "success")
    return leave_notice(request, see_other(path_for(request, "registration", slug=event.slug) + "#answers"), saved)


async def _signed_in_change(request: Request, change: str) -> Response:
    """Mode change, cancellation and a new feed address: the same shape, one service each."""
    form = await checked_form(request)
    async with database(request).session() as db:
        event = await event_of(db, request)
        account = await current_account(request, db)
        if account is None:
            return sign_in_redirect(request, path_for(request, "registration", slug=event.slug))
        await end_reads(db)
        back = path_for(request, "registration", slug=event.slug)
        try:
            if change == "attendance":
                await change_attendance(db, event=event, account=account, attendance=form_text(form, "attendance"))
                done = _("Your way of attending is changed.")
            elif change == "cancel":
                if form_text(form, "confirm") != "yes":
                    raise InvalidInput(_("Please tick the box to confirm that you want to cancel your registration."))
                await cancel_registration(db, event=event, account=account)
                done = _("Your registration is cancelled.")
            else:
                await rotate_feed_token(db, event=event, account=account)
                done = _("Your calendar feed has a new address: the old one no longer works.")
        except (InvalidInput, Conflict) as refused:
            # Back to the page, the reason shown there: the form is still there to try again.
            return leave_notice(request, see_other(back), Notice(refused.message, "error"))
    return leave_notice(request, see_other(back), Notice(done, "success"))


async def attendance_submit(request: Request) -> Response:
    return await _signed_in_change(request, "attendance")


async def cancel_submit(request: Request) -> Response:
    return await _signed_in_change(request, "cancel")


async def feed_rotate(request: Request) -> Response:
    return await _signed_in_change(request, "feed")


async def agenda_feed(request: Request) -> Response:
    async with database(request).session() as db:
        event = await event_of(db, request)
        registration = await registration_by_feed_token(db, event=event, token=request.path_params["token"])
        programme = await load_programme(db, event=event)
        chosen = await agenda_of(db, registration=registration)
        alarms = await alarm_minutes(db, registration=registration)
    views = [view for view in programme.sessions if view.session.id in chosen]
    name = _("{event}: my agenda").format(event=localised(event, "title"))
    body = calendar.agenda_calendar(programme, views, name=name, links=SiteUrls.of(request), alarms=alarms)
    # A secret address: no shared caches, and a rotated token stops working at once.
    return Response(body, media_type=CALENDAR_TYPE, headers={"cache-control": "private, no-cache"})


async def confirmed_registration(db: AsyncSession, *, event: Event, account: Account) -> Registration:
    registration = await find_registration(db, event=event, account=account)
    if registration is None or registration.status == RegistrationStatus.cancelled:
        raise NotFound(_("You are not registered for this event."))
    require_confirmed(registration)
    return registration


async def badge_page(request: Request) -> Response:
    async with database(request).session() as db:
        event = await event_of(db, request)
        account = await current_account(request, db)
        if account is None:
            return await sign_in_prompt(request, db, event)
        registration = await confirmed_registration(db, event=event, account=account)
    code = check_in_code(registration, secret=settings(request).secret_key)
    context = {
        "event": event,
        "registration": registration,
        "country": country_name(registration.country),
        "attendance_labels": attendance_labels(),
        "code": code,
        # segno draws the SVG from the signed code alone; no user text reaches it.
        "qr": Markup(qr_svg(code)),  # noqa: S704
    }
    return private(render(request, "registration/badge.html", context))


routes: list[BaseRoute] = [
    Route("/{slug}/register", register_form, methods=["GET"], name="register"),
    Route("/{slug}/register", register_submit, methods=["POST"], name="register"),
    Route("/{slug}/register/sent", register_sent, methods=["GET"], name="register_sent"),
    Route("/{slug}/registration", registration_page, methods=["GET"], name="registration"),
    Route("/{slug}/registration/attendance", attendance_submit, methods=["POST"], name="registration_attendance"),
    Route("/{slug}/registration/cancel", cancel_submit, methods=["POST"], name="registration_cancel"),
    Route("/{slug}/registration/feed", feed_rotate, methods=["POST"], name="registration_feed"),
    Route("/{slug}/registration/answers", answers_submit, methods=["POST"], name="registration_answers"),
    Route("/{slug}/agenda/{token}.ics", agenda_feed, methods=["GET"], name="agenda_feed"),
    Route("/{slug}/badge", badge_page, methods=["GET"], name="badge"),
    *picks.routes,
    *organiser.routes,
    *speakers.routes,
    *backoffice_registration.routes,
]
