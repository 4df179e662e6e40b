"""What each person sees of a room's objects. Log entries keep the moderators' view; ``project`` derives
everyone else's from it, the same way for live broadcasts and for resync."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from server.live.models import (
    ChatMessage,
    LiveRoom,
    Poll,
    PollOption,
    PollStatus,
    Question,
    QuestionStatus,
)

JSON = dict[str, Any]


@dataclass(frozen=True)
class Viewer:
    """Whose eyes: ``key`` None stands for a whole audience (a broadcast), where nothing is "mine"."""

    key: str | None
    moderator: bool


AUDIENCE = Viewer(key=None, moderator=False)
MODERATORS = Viewer(key=None, moderator=True)


def timestamp(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def is_public(question: JSON | Question) -> bool:
    if isinstance(question, Question):
        return question.status == QuestionStatus.approved and not question.archived
    return bool(question["status"] == QuestionStatus.approved and not question["archived"])


def question_view(question: Question) -> JSON:
    """The moderators' view, as stored in the log."""
    return {
        "id": question.id,
        "text": question.text,
        "status": question.status,
        "answered": question.answered,
        "archived": question.archived,
        "label": question.label,
        "votes": question.votes,
        "anonymous": question.anonymous,
        "author": {"key": question.author_key, "name": question.author_name},
        "origin": question.origin,
        "country": question.country,
        "edited": bool(question.original_text),
        "merged_into": question.merged_into_id,
        "mine": False,
        "created_at": timestamp(question.created_at),
    }


def question_for(full: JSON, viewer: Viewer) -> JSON | None:
    """This viewer's view of a question, or None when they may not see it."""
    mine = viewer.key is not None and full["author"] is not None and full["author"]["key"] == viewer.key
    if not (viewer.moderator or mine or is_public(full)):
        return None
    view = {**full, "mine": mine}
    if full["anonymous"] and not (viewer.moderator or mine):
        view["author"] = None
    return view


def chat_view(message: ChatMessage) -> JSON:
    return {
        "id": message.id,
        "text": message.text,
        "author": {"key": message.author_key, "name": message.author_name},
        "origin": message.origin,
        "country": message.country,
        "status": message.status,
        "created_at": timestamp(message.created_at),
    }


def poll_view(poll: Poll, options: list[PollOption]) -> JSON:
    return {
        "id": poll.id,
        "question": poll.question,
        "kind": poll.kind,
        "status": poll.status,
        "results_visible": poll.results_visible,
        "options": [{"id": option.id, "text": option.text, "votes": option.votes} for option in options],
        "voters": poll.voters,
    }


def results_visible_to(full: JSON, viewer: Viewer) -> bool:
    return viewer.moderator or bool(full["results_visible"])


def poll_for(full: JSON, viewer: Viewer) -> JSON | None:
    if full["status"] == PollStatus.draft and not viewer.moderator:
        return None
    if results_visible_to(full, viewer):
        return full
    hidden = [{**option, "votes": None} for option in full["options"]]
    return {**full, "options": hidden, "voters": None}


def room_view(room: LiveRoom, *, title: str, highlighted: Question | None) -> JSON:
    return {
        "session": room.session_id,
        "title": title,
        "moderated": room.moderated,
        "qa_open": room.qa_open,
        "chat_open": room.chat_open,
        "chat_reviewed": room.chat_reviewed,
        "highlighted": question_view(highlighted) if highlighted is not None else None,
    }


def room_for(full: JSON, viewer: Viewer) -> JSON:
    highlighted = full["highlighted"]
    return {**full, "highlighted": question_for(highlighted, viewer) if highlighted is not None else None}


def project(kind: str, data: JSON, viewer: Viewer) -> tuple[str, Any]:
    """A log entry (kind and stored data) as one viewer receives it."""
    if kind == "question":
        view = question_for(data["question"], viewer)
        if view is not None:
            return "question", view
        if data.get("was_public"):
            full = data["question"]
            removed: JSON = {"id": full["id"]}
            if full["merged_into"] is not None:
                removed["into"] = full["merged_into"]
            return "question_removed", removed
        return "skip", None
    if kind == "room":
        return "room", room_for(data, viewer)
    if kind == "poll":
        poll = poll_for(data, viewer)
        return ("poll", poll) if poll is not None else ("skip", None)
    if kind == "mute":
        return ("mute", data) if viewer.moderator else ("skip", None)
    if kind in ("chat_held", "chat_rejected"):  # a message waiting for review: its author's and the moderators'
        mine = viewer.key is not None and data["author"]["key"] == viewer.key
        return (kind, data) if viewer.moderator or mine else ("skip", None)
    return kind, data  # chat, chat_removed: the same for everyone
