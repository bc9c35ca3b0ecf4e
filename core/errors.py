"""Domain errors raised by services; every entry point turns them into a clear message."""

from typing import Any


class DomainError(Exception):
    """A rule of the business refused the request. `status_code` is the HTTP status it maps to."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}
        if code:
            self.code = code


class NotAllowed(DomainError):
    status_code = 403
    code = "forbidden"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class VendorUnavailable(DomainError):
    """A vendor did not answer in time or failed; the caller may try again later."""

    status_code = 503
    code = "vendor_unavailable"
