"""Q&A through real clients on a real server: asking, voting, the review queue and the stage tools."""

from __future__ import annotations

import pytest
from sqlmodel import select

from server.db import Database
from server.live.models import Question, QuestionVote
from tests.support.live_clients import client_id
from tests.support.world import World

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)]


async def ask(client, session: int, text: str, **extra) -> dict:
    answer = await client.call("question.ask", {"session": session, "text": text, "client_id": client_id(), **extra})
    assert answer["ok"] is True, answer
    return answer["question"]


async def moderate(client, event: str, **payload) -> dict:
    answer = await client.call(event, payload)
    assert answer["ok"] is True, answer
    return answer


async def test_question_asked_reaches_everyone_with_origin_and_country(world: World, clients) -> None:
    room = world.session.id
    delegate, onsite = await clients(world.delegate), await clients(world.onsite)
    await delegate.join(room)
    await onsite.join(room)

    question = await ask(onsite, room, "How will the corridor be financed?")

    seen = await delegate.wait_for("room_event", lambda e: e["kind"] == "question")
    assert seen["data"]["text"] == "How will the corridor be financed?"
    assert (seen["data"]["origin"], seen["data"]["country"]) == ("onsite", "MY")
    assert seen["data"]["author"] == {"key": world.onsite.key, "name": "Bima Onsite"}
    assert seen["seq"] == 1
    assert question["status"] == "approved"
    assert question["mine"] is True


async def test_moderated_question_visible_to_asker_and_moderators_only(world: World, clients) -> None:
    room = world.session.id
    moderator, asker, audience = (
        await clients(world.moderator),
        await clients(world.delegate),
        await clients(world.onsite),
    )
    for client in (moderator, asker, audience):
        await client.join(room)
    await moderate(moderator, "room.update", session=room, moderated=True)

    question = await ask(asker, room, "Pending one")

    assert question["status"] == "pending"
    queued = await moderator.wait_for("room_event", lambda e: e["kind"] == "question")
    assert queued["data"]["status"] == "pending"
    own = await asker.wait_for("own_question")
    assert (own["question"]["id"], own["question"]["status"], own["question"]["mine"]) == (
        question["id"],
        "pending",
        True,
    )
    skipped = await audience.wait_for("room_event", lambda e: e["seq"] == queued["seq"])
    assert skipped["kind"] == "skip" and skipped["data"] is None
    fresh = await (await clients(world.onsite)).join(room)
    assert [q["id"] for q in fresh["questions"]] == []
    mine = await (await clients(world.delegate)).join(room)
    assert [q["id"] for q in mine["questions"]] == [question["id"]]

    await moderate(moderator, "question.approve", session=room, question=question["id"])

    shown = await audience.wait_for("room_event", lambda e: e["kind"] == "question")
    assert shown["data"]["status"] == "approved"


async def test_anonymous_question_hides_author_from_audience_not_moderators(world: World, clients) -> None:
    room = world.session.id
    moderator, asker, audience = (
        await clients(world.moderator),
        await clients(world.delegate),
        await clients(world.onsite),
    )
    for client in (moderator, asker, audience):
        await client.join(room)

    question = await ask(asker, room, "Anonymous one", anonymous=True)

    for_audience = await audience.wait_for("room_event", lambda e: e["kind"] == "question")
    for_moderators = await moderator.wait_for("room_event", lambda e: e["kind"] == "question")
    assert for_audience["data"]["author"] is None
    assert for_moderators["data"]["author"] == {"key": world.delegate.key, "name": "Ayu Online"}
    assert question["author"] == {"key": world.delegate.key, "name": "Ayu Online"}
    snapshot = await (await clients(world.onsite)).join(room)
    assert snapshot["questions"][0]["author"] is None
    assert world.delegate.key not in str(snapshot["questions"])


async def test_vote_toggle_counts_exactly(world: World, clients, database: Database) -> None:
    room = world.session.id
    asker, voter, other = await clients(world.delegate), await clients(world.onsite), await clients(world.speaker)
    for client in (asker, voter, other):
        await client.join(room)
    question = await ask(asker, room, "Vote on me")
    vote = {"session": room, "question": question["id"]}

    first = await voter.call("question.vote", {**vote, "vote": True})
    again = await voter.call("question.vote", {**vote, "vote": True})
    second = await other.call("question.vote", {**vote, "vote": True})
    undone = await voter.call("question.vote", {**vote, "vote": False})
    undone_again = await voter.call("question.vote", {**vote, "vote": False})

    assert [a["votes"] for a in (first, again, second, undone, undone_again)] == [1, 1, 2, 1, 1]
    assert [a["voted"] for a in (first, again, second, undone, undone_again)] == [True, True, True, False, False]
    counts = await asker.wait_for("counts", lambda c: c["votes"].get(str(question["id"])) == 1, timeout=3)
    assert counts["session"] == room
    async with database.session() as db:
        voters = (await db.exec(select(QuestionVote.voter_key).where(QuestionVote.question_id == question["id"]))).all()
        stored = await db.get_one(Question, question["id"])
    assert list(voters) == [world.speaker.key]
    assert stored.votes == 1
    rejoined = await (await clients(world.speaker)).join(room)
    assert rejoined["me"]["voted"] == [question["id"]]
    assert rejoined["counts"]["votes"] == {str(question["id"]): 1}


async def test_merge_counts_each_voter_once(world: World, clients) -> None:
    room = world.session.id
    moderator, a, b = await clients(world.moderator), await clients(world.delegate), await clients(world.onsite)
    for client in (moderator, a, b):
        await client.join(room)
    kept = await ask(a, room, "What about visas?")
    duplicate = await ask(b, room, "Visa question again")
    for client, question in ((a, kept), (b, kept), (b, duplicate), (moderator, duplicate)):
        assert (await client.call("question.vote", {"session": room, "question": question["id"], "vote": True}))["ok"]

    merged = await moderate(moderator, "question.merge", session=room, question=duplicate["id"], into=kept["id"])

    assert merged["question"]["id"] == kept["id"]
    assert merged["question"]["votes"] == 3  # a, b (once) and the moderator
    removed = await a.wait_for("room_event", lambda e: e["kind"] == "question_removed")
    assert removed["data"] == {"id": duplicate["id"], "into": kept["id"]}
    snapshot = await (await clients(world.speaker)).join(room)
    assert [(q["id"], q["votes"]) for q in snapshot["questions"]] == [(kept["id"], 3)]


async def test_highlight_one_at_a_time_and_cleared_by_archive(world: World, clients) -> None:
    room = world.session.id
    moderator, audience = await clients(world.moderator), await clients(world.delegate)
    await moderator.join(room)
    await audience.join(room)
    first, second = await ask(audience, room, "First"), await ask(audience, room, "Second")

    one = await moderate(moderator, "question.highlight", session=room, question=first["id"])
    two = await moderate(moderator, "question.highlight", session=room, question=second["id"])

    assert one["room"]["highlighted"]["id"] == first["id"]
    assert two["room"]["highlighted"]["id"] == second["id"]
    seen = await audience.wait_for(
        "room_event",
        lambda e: (
            e["kind"] == "room"
            and e["data"]["highlighted"] is not None
            and e["data"]["highlighted"]["id"] == second["id"]
        ),
    )
    assert seen["data"]["highlighted"]["text"] == "Second"

    archived = await moderate(moderator, "question.archive", session=room, question=second["id"], archived=True)

    assert archived["question"]["archived"] is True
    cleared = await audience.wait_for("room_event", lambda e: e["kind"] == "room" and e["data"]["highlighted"] is None)
    assert cleared["seq"] > seen["seq"]
    gone = await audience.wait_for("room_event", lambda e: e["kind"] == "question_removed")
    assert gone["data"] == {"id": second["id"]}

    restored = await moderate(moderator, "question.archive", session=room, question=second["id"], archived=False)

    assert restored["question"]["archived"] is False
    back = await audience.wait_for(
        "room_event",
        lambda e: e["kind"] == "question" and e["data"]["id"] == second["id"] and not e["data"]["archived"],
    )
    assert back["data"]["text"] == "Second"


async def test_edit_label_answer_reject(world: World, clients) -> None:
    room = world.session.id
    moderator, audience = await clients(world.moderator), await clients(world.delegate)
    await moderator.join(room)
    await audience.join(room)
    question = await ask(audience, room, "Whta is the plan?")
    target = {"session": room, "question": question["id"]}

    edited = await moderate(moderator, "question.edit", **target, text="What is the plan?")
    labelled = await moderate(moderator, "question.label", **target, label="Panel 2")
    answered = await moderate(moderator, "question.answer", **target, answered=True)
    with_highlight = await moderate(moderator, "question.highlight", session=room, question=question["id"])
    rejected = await moderate(moderator, "question.reject", **target)

    assert (edited["question"]["text"], edited["question"]["edited"]) == ("What is the plan?", True)
    assert labelled["question"]["label"] == "Panel 2"
    assert answered["question"]["answered"] is True
    assert with_highlight["room"]["highlighted"]["id"] == question["id"]
    assert rejected["question"]["status"] == "rejected"
    own = await audience.wait_for("own_question", lambda e: e["question"]["status"] == "rejected")
    assert own["question"]["mine"] is True
    snapshot = await (await clients(world.onsite)).join(room)
    assert snapshot["questions"] == []
    assert snapshot["room"]["highlighted"] is None
    moderator_view = await (await clients(world.organiser)).join(room)
    assert [(q["text"], q["label"], q["status"]) for q in moderator_view["questions"]] == [
        ("What is the plan?", "Panel 2", "rejected")
    ]


async def test_closed_qa_refuses_questions(world: World, clients, database: Database) -> None:
    room = world.session.id
    moderator, audience = await clients(world.moderator), await clients(world.delegate)
    await moderator.join(room)
    await audience.join(room)
    await moderate(moderator, "room.update", session=room, qa_open=False)

    refused = await audience.call("question.ask", {"session": room, "text": "Too late?", "client_id": client_id()})

    assert (refused["ok"], refused["code"]) == (False, "forbidden")
    async with database.session() as db:
        assert (await db.exec(select(Question))).all() == []


async def test_concurrent_votes_are_exact(world: World, clients, database: Database) -> None:
    import asyncio

    room = world.session.id
    people = [world.delegate, world.onsite, world.speaker, world.moderator, world.organiser]
    voters = [await clients(person) for person in people]
    for client in voters:
        await client.join(room)
    questions = [(await ask(voters[3], room, f"Q{n}"))["id"] for n in range(3)]

    async def votes(client) -> list[dict]:
        calls = [client.call("question.vote", {"session": room, "question": q, "vote": True}) for q in questions]
        calls.append(client.call("question.vote", {"session": room, "question": questions[0], "vote": False}))
        return [await call for call in calls]

    answers = await asyncio.gather(*(votes(client) for client in voters))

    assert all(answer["ok"] for batch in answers for answer in batch)
    async with database.session() as db:
        stored = {q.id: q.votes for q in (await db.exec(select(Question))).all()}
        rows = (await db.exec(select(QuestionVote.question_id))).all()
    assert stored == {questions[0]: 0, questions[1]: 5, questions[2]: 5}
    assert sorted(rows) == sorted([questions[1]] * 5 + [questions[2]] * 5)
    final = await voters[0].wait_for("counts", lambda c: c["votes"].get(str(questions[2])) == 5)
    assert final["session"] == room
