"""Socket.IO requests of live rooms: each decodes its fields and calls one service (PROTOCOL.md). ``ACTIONS``
at the end lists them for the live server."""

from __future__ import annotations

from collections.abc import Mapping

from realtime.live import booths, captions
from realtime.live.actions import Action, Call, by_name, room_action
from realtime.live.payloads import Kind, optional, required
from server.broadcast import Outcome
from server.events.models import Event
from server.live import announcements, chat, mutes, polls, questions, rooms
from server.live.votes import Ballot
from server.ops import metrics

INT, BOOL, TEXT = required(Kind.int), required(Kind.bool), required(Kind.text)


@room_action("join", joined=False, since_seq=optional(Kind.int_or_null))
async def join(call: Call) -> Outcome:
    answer = await call.live.join(call.connection, call.session_id, call.payload.get("since_seq"))
    return Outcome(answer=answer)


@room_action("leave", joined=False)
async def leave(call: Call) -> Outcome:
    await call.live.leave(call.connection, call.session_id)
    return Outcome(answer={})


@room_action("question.ask", limit="ask", text=TEXT, anonymous=optional(Kind.bool), client_id=TEXT)
async def ask(call: Call) -> Outcome:
    p = call.payload
    outcome = await questions.ask_question(
        call.db,
        actor=call.actor,
        session_id=call.session_id,
        text=p["text"],
        anonymous=p.get("anonymous", False),
        client_id=p["client_id"],
    )
    await call.live.follow_own_questions(call.connection, call.actor)
    if not outcome.answer.get("duplicate"):
        metrics.question_asked()
    return outcome


@room_action("question.vote", limit="vote", question=INT, vote=BOOL)
async def vote(call: Call) -> Outcome:
    p = call.payload
    ballot = Ballot(actor=call.actor, session_id=call.session_id, question_id=p["question"], vote=p["vote"])
    outcome = await call.live.votes.submit(ballot)
    metrics.votes_cast()
    return outcome


@room_action("question.approve", question=INT)
async def approve(call: Call) -> Outcome:
    return await questions.approve_question(
        call.db, actor=call.actor, session_id=call.session_id, question_id=call.payload["question"]
    )


@room_action("question.reject", question=INT)
async def reject(call: Call) -> Outcome:
    return await questions.reject_question(
        call.db, actor=call.actor, session_id=call.session_id, question_id=call.payload["question"]
    )


@room_action("question.edit", question=INT, text=TEXT)
async def edit(call: Call) -> Outcome:
    p = call.payload
    return await questions.edit_question(
        call.db, actor=call.actor, session_id=call.session_id, question_id=p["question"], text=p["text"]
    )


@room_action("question.merge", question=INT, into=INT)
async def merge(call: Call) -> Outcome:
    p = call.payload
    return await questions.merge_question(
        call.db, actor=call.actor, session_id=call.session_id, question_id=p["question"], into_id=p["into"]
    )


@room_action("question.label", question=INT, label=TEXT)
async def label(call: Call) -> Outcome:
    p = call.payload
    return await questions.label_question(
        call.db, actor=call.actor, session_id=call.session_id, question_id=p["question"], label=p["label"]
    )


@room_action("question.highlight", question=required(Kind.int_or_null))
async def highlight(call: Call) -> Outcome:
    return await questions.highlight_question(
        call.db, actor=call.actor, session_id=call.session_id, question_id=call.payload["question"]
    )


@room_action("question.answer", question=INT, answered=BOOL)
async def answer(call: Call) -> Outcome:
    p = call.payload
    return await questions.answer_question(
        call.db, actor=call.actor, session_id=call.session_id, question_id=p["question"], answered=p["answered"]
    )


@room_action("question.archive", question=INT, archived=BOOL)
async def archive(call: Call) -> Outcome:
    p = call.payload
    return await questions.archive_question(
        call.db, actor=call.actor, session_id=call.session_id, question_id=p["question"], archived=p["archived"]
    )


@room_action("chat.send", limit="chat", text=TEXT, client_id=TEXT)
async def send(call: Call) -> Outcome:
    p = call.payload
    return await chat.send_message(
        call.db, actor=call.actor, session_id=call.session_id, text=p["text"], client_id=p["client_id"]
    )


@room_action("chat.history", before=INT)
async def history(call: Call) -> Outcome:
    return await chat.chat_history(call.db, actor=call.actor, session_id=call.session_id, before=call.payload["before"])


@room_action("chat.delete", message=INT)
async def delete(call: Call) -> Outcome:
    return await chat.delete_message(
        call.db, actor=call.actor, session_id=call.session_id, message_id=call.payload["message"]
    )


@room_action("chat.approve", message=INT)
async def approve_chat(call: Call) -> Outcome:
    return await chat.review_message(
        call.db, actor=call.actor, session_id=call.session_id, message_id=call.payload["message"], approve=True
    )


@room_action("chat.reject", message=INT)
async def reject_chat(call: Call) -> Outcome:
    return await chat.review_message(
        call.db, actor=call.actor, session_id=call.session_id, message_id=call.payload["message"], approve=False
    )


@room_action("participant.mute", participant=TEXT, muted=BOOL)
async def mute(call: Call) -> Outcome:
    p = call.payload
    return await mutes.mute_participant(
        call.db, actor=call.actor, session_id=call.session_id, participant=p["participant"], muted=p["muted"]
    )


@room_action("participant.muted")
async def muted(call: Call) -> Outcome:
    return await mutes.list_muted(call.db, actor=call.actor, session_id=call.session_id)


@room_action(
    "room.update",
    moderated=optional(Kind.bool),
    qa_open=optional(Kind.bool),
    chat_open=optional(Kind.bool),
    chat_reviewed=optional(Kind.bool),
)
async def update_room(call: Call) -> Outcome:
    p = call.payload
    return await rooms.update_room(
        call.db,
        actor=call.actor,
        session_id=call.session_id,
        moderated=p.get("moderated"),
        qa_open=p.get("qa_open"),
        chat_open=p.get("chat_open"),
        chat_reviewed=p.get("chat_reviewed"),
    )


@room_action("poll.create", question=TEXT, kind=TEXT, options=required(Kind.text_list), client_id=TEXT)
async def create_poll(call: Call) -> Outcome:
    p = call.payload
    return await polls.create_poll(
        call.db,
        actor=call.actor,
        session_id=call.session_id,
        question=p["question"],
        kind=p["kind"],
        options=p["options"],
        client_id=p["client_id"],
    )


@room_action("poll.open", poll=INT)
async def open_poll(call: Call) -> Outcome:
    return await polls.open_poll(call.db, actor=call.actor, session_id=call.session_id, poll_id=call.payload["poll"])


@room_action("poll.close", poll=INT)
async def close_poll(call: Call) -> Outcome:
    return await polls.close_poll(call.db, actor=call.actor, session_id=call.session_id, poll_id=call.payload["poll"])


@room_action("poll.show_results", poll=INT, visible=BOOL)
async def show_results(call: Call) -> Outcome:
    p = call.payload
    return await polls.show_results(
        call.db, actor=call.actor, session_id=call.session_id, poll_id=p["poll"], visible=p["visible"]
    )


@room_action("poll.vote", limit="vote", poll=INT, options=required(Kind.int_list))
async def vote_poll(call: Call) -> Outcome:
    p = call.payload
    return await polls.vote_poll(
        call.db, actor=call.actor, session_id=call.session_id, poll_id=p["poll"], option_ids=p["options"]
    )


@room_action("announcement.post", text=TEXT, client_id=TEXT)
async def post_announcement(call: Call) -> Outcome:
    event = await call.db.get_one(Event, call.actor.event_id)
    return await announcements.post_announcement(
        call.db,
        actor=await call.event_actor(),
        event=event,
        text=call.payload["text"],
        client_id=call.payload["client_id"],
    )


@room_action("announcement.remove", announcement=INT)
async def remove_announcement(call: Call) -> Outcome:
    event = await call.db.get_one(Event, call.actor.event_id)
    return await announcements.remove_announcement(
        call.db, actor=await call.event_actor(), event=event, announcement_id=call.payload["announcement"]
    )


ACTIONS: Mapping[str, Action] = by_name(
    [
        join,
        leave,
        ask,
        vote,
        approve,
        reject,
        edit,
        merge,
        label,
        highlight,
        answer,
        archive,
        send,
        history,
        delete,
        approve_chat,
        reject_chat,
        mute,
        muted,
        update_room,
        create_poll,
        open_poll,
        close_poll,
        show_results,
        vote_poll,
        post_announcement,
        remove_announcement,
        *captions.ACTIONS,
        *booths.ACTIONS,
    ]
)
