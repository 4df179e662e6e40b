"""Words the registration pages show for stored values, in the reader's language."""

from __future__ import annotations

from server.accounts.models import Role
from server.i18n import gettext as _
from server.registration.badges import CheckInOutcome
from server.registration.models import Attendance, ChoiceStatus, RegistrationStatus


def attendance_labels() -> dict[str, str]:
    return {Attendance.onsite: _("On site"), Attendance.online: _("Online")}


def status_labels() -> dict[str, str]:
    return {
        RegistrationStatus.unconfirmed: _("Waiting for your confirmation by email"),
        RegistrationStatus.pending: _("Waiting for the organisers' approval"),
        RegistrationStatus.waitlisted: _("On the waitlist"),
        RegistrationStatus.confirmed: _("Confirmed"),
        RegistrationStatus.rejected: _("Declined by the organisers"),
        RegistrationStatus.cancelled: _("Cancelled"),
    }


def organiser_status_labels() -> dict[str, str]:
    return {
        RegistrationStatus.unconfirmed: _("Unconfirmed"),
        RegistrationStatus.pending: _("Pending approval"),
        RegistrationStatus.waitlisted: _("Waitlisted"),
        RegistrationStatus.confirmed: _("Confirmed"),
        RegistrationStatus.rejected: _("Rejected"),
        RegistrationStatus.cancelled: _("Cancelled"),
    }


def role_labels() -> dict[str, str]:
    return {
        Role.delegate: _("Delegate"),
        Role.speaker: _("Speaker"),
        Role.moderator: _("Moderator"),
        Role.organiser: _("Organiser"),
        Role.checkin: _("Check-in staff"),
    }


def choice_labels() -> dict[str, str]:
    return {ChoiceStatus.confirmed: _("Seat confirmed"), ChoiceStatus.waitlisted: _("On the waitlist")}


def check_in_headlines() -> dict[str, str]:
    """One unmistakable line per outcome, read at a glance at a busy desk."""
    return {
        CheckInOutcome.checked_in: _("Checked in. Welcome!"),
        CheckInOutcome.already: _("ALREADY checked in"),
        CheckInOutcome.cancelled: _("CANCELLED registration"),
        CheckInOutcome.unconfirmed: _("UNCONFIRMED registration"),
        CheckInOutcome.other_event: _("NOT FOUND: a badge of ANOTHER EVENT"),
        CheckInOutcome.invalid: _("NOT a valid badge code"),
        CheckInOutcome.not_found: _("NOT FOUND at this event"),
    }


def check_in_advice() -> dict[str, str]:
    return {
        CheckInOutcome.checked_in: _("Hand over the conference pack."),
        CheckInOutcome.already: _("This badge was scanned before. Check the person's identity before letting them in."),
        CheckInOutcome.cancelled: _("This person cancelled their registration. Send them to the registration desk."),
        CheckInOutcome.unconfirmed: _(
            "This person never confirmed their registration by email. Send them to the registration desk."
        ),
        CheckInOutcome.other_event: _("This badge was issued for another event and does not admit to this one."),
        CheckInOutcome.invalid: _("Check the code and type it again, or send the person to the registration desk."),
        CheckInOutcome.not_found: _(
            "Nobody with this registration is registered for this event. Search by name again, or send the person to "
            "the registration desk."
        ),
    }
