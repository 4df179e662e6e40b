"""Domain errors. Transport maps them to HTTP statuses or Socket.IO error acknowledgements."""


class PodiumError(Exception):
    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(PodiumError):
    """Unknown, or belongs to another event: both look the same to the caller."""

    status_code = 404


class InvalidInput(PodiumError):
    status_code = 400


class Unauthorized(PodiumError):
    """No credentials, or ones that are unknown, revoked or expired (an API token)."""

    status_code = 401


class Forbidden(PodiumError):
    status_code = 403


class Conflict(PodiumError):
    """The request is understood but clashes with the current state (a full session, an overlap)."""

    status_code = 409


class RateLimited(PodiumError):
    status_code = 429


class FieldErrors(InvalidInput):
    """A form's input refused field by field: ``errors`` maps each field's name to its message, shown beside it."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(next(iter(errors.values()), ""))
        self.errors = errors


class StaleVersion(Conflict):
    """Someone else saved the same thing since this form was opened: the save is refused, never merged."""
