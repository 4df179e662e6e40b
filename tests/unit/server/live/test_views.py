"""What each viewer sees of a room event."""

from __future__ import annotations

import pytest

from server.live.views import AUDIENCE, MODERATORS, Viewer, project

pytestmark = pytest.mark.unit


def test_pending_question_projects_to_skip_for_the_audience_only() -> None:
    question = {
        "id": 7,
        "text": "Why?",
        "status": "pending",
        "answered": False,
        "archived": False,
        "label": "",
        "votes": 0,
        "anonymous": True,
        "author": {"key": "a5", "name": "Ayu"},
        "origin": "online",
        "country": "ID",
        "edited": False,
        "merged_into": None,
        "mine": False,
        "created_at": "2026-01-01T00:00:00Z",
    }
    data = {"question": question, "was_public": False}

    assert project("question", data, AUDIENCE) == ("skip", None)
    assert project("question", data, MODERATORS)[1]["author"] == {"key": "a5", "name": "Ayu"}
    own = project("question", data, Viewer(key="a5", moderator=False))[1]
    assert (own["mine"], own["author"]) == (True, {"key": "a5", "name": "Ayu"})
    published = {"question": {**question, "status": "approved"}, "was_public": False}
    assert project("question", published, AUDIENCE)[1]["author"] is None
    removed = {"question": {**question, "status": "rejected"}, "was_public": True}
    assert project("question", removed, AUDIENCE) == ("question_removed", {"id": 7})
