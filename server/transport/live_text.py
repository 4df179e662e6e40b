"""The words the live-room scripts show, translated on the server and handed to the page as text."""

from __future__ import annotations

from server.i18n import gettext as _


def client_text() -> dict[str, str]:
    """Keyed strings for ``web/static/live/*.js``; ``{count}`` and the like are filled in by the script."""
    return {
        # connection
        "connecting": _("Connecting…"),
        "live": _("Live"),
        "reconnecting": _("Connection lost. Reconnecting…"),
        "failed": _("That did not work. Please try again."),
        # people and places
        "onsite": _("On site"),
        "online": _("Online"),
        "anonymous": _("Anonymous"),
        "anonymous_to_audience": _("anonymous to the audience"),
        # questions
        "upvote": _("Upvote"),
        "votes": _("Votes: {count}"),
        "answered": _("Answered"),
        "pending": _("Waiting for review"),
        "rejected": _("Not published"),
        "merged": _("Merged with a similar question"),
        "archived": _("Archived"),
        "edited": _("Edited by a moderator"),
        "on_screen": _("On screen now"),
        "yours": _("Your question"),
        "no_questions": _("No questions yet. Be the first to ask."),
        "asked": _("Your question was sent."),
        "asked_pending": _("Your question was sent. Everyone will see it once a moderator approves it."),
        "qa_closed": _("Questions are closed in this room."),
        # chat
        "no_messages": _("No messages yet."),
        "muted_you": _("A moderator has muted you in this room."),
        "chat_closed": _("The chat is closed in this room."),
        "chat_sign_in": _("Please sign in to chat."),
        # polls
        "no_poll": _("There is no poll right now."),
        "choose_one": _("Choose one answer."),
        "choose_many": _("Choose one or more answers."),
        "vote": _("Vote"),
        "change_vote": _("Change my vote"),
        "voted": _("Your vote is counted. You can change it while the poll is open."),
        "poll_closed": _("This poll is closed."),
        "results_later": _("The results will be shown later."),
        "voters": _("Voters: {count}"),
        "option_result": _("{count} ({percent}%)"),
        "poll_draft": _("Draft"),
        "poll_open": _("Open"),
        "poll_closed_status": _("Closed"),
        "single": _("Single choice"),
        "multiple": _("Multiple choice"),
        # moderation
        "approve": _("Approve"),
        "reject": _("Reject"),
        "edit": _("Edit"),
        "save": _("Save"),
        "cancel": _("Cancel"),
        "merge": _("Merge"),
        "merge_into": _("Duplicate of"),
        "merge_none": _("No published question to merge into."),
        "label": _("Label"),
        "question_text": _("Question text"),
        "highlight": _("Show on screen"),
        "unhighlight": _("Take off screen"),
        "mark_answered": _("Mark answered"),
        "mark_unanswered": _("Mark not answered"),
        "archive": _("Archive"),
        "restore": _("Restore"),
        "delete": _("Delete"),
        "mute": _("Mute"),
        "unmute": _("Unmute"),
        "muted": _("Muted"),
        "open_poll": _("Open"),
        "close_poll": _("Close"),
        "show_results": _("Show results"),
        "hide_results": _("Hide results"),
        "results_shown": _("Results shown to the audience"),
        "nothing_pending": _("Nothing is waiting for review."),
        "nothing_approved": _("No published questions yet."),
        "nothing_set_aside": _("Nothing set aside."),
        "no_polls": _("No polls yet."),
        "nothing_on_screen": _("Nothing is on the screen."),
        # room screen
        "screen_idle": _("Scan the code to ask your question."),
    }
