"""The id of the request (or task) being served, shared by logs, responses and Celery headers."""

import contextvars
import uuid

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    return _request_id.get()


def set_request_id(value: str | None) -> contextvars.Token[str | None]:
    return _request_id.set(value)


def reset_request_id(token: contextvars.Token[str | None]) -> None:
    _request_id.reset(token)


def accept_or_new(incoming: str) -> str:
    """The caller's X-Request-ID when it is a sane one (8-64 ASCII characters), else a new id."""
    return incoming if 8 <= len(incoming) <= 64 and incoming.isascii() else uuid.uuid4().hex
