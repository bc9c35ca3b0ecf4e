"""Middleware of the staff console.

DeviceIdMiddleware gives every browser a long-lived random device id (a cookie; not a tracker: only fraud
flags read it) and exposes it as `request.device_id`. Logins record (user, device, address)
(`record_login_sighting`, connected to Django's `user_logged_in` in backoffice.apps): the evidence fraud flags
compare between a bidder and a seller, with the addresses bids record themselves. No query is added to any
other request.

API, webhook and file paths are left alone: their clients are programs (the site's own pages set the
cookie before their scripts call the API), and the bid lane answers API bids without Django at all.

ConsoleAuditMiddleware lets django-auditlog stamp console table edits (fee tables, roles …) with the staff
member and their address; only under the admin's URL, so the rest of the site pays nothing for it.
"""

import logging
import re
import secrets
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from core.audit import client_address

logger = logging.getLogger(__name__)
DEVICE_ID = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
SKIPPED_PATHS = ("/api/", "/anymail/", "/metrics", "/static/", "/media/")


def device_id_of(request: HttpRequest) -> str | None:
    value = request.COOKIES.get(settings.DEVICE_COOKIE_NAME, "")
    return value if DEVICE_ID.match(value) else None


class DeviceIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(SKIPPED_PATHS):  # API clients and vendors: no browser to recognise
            return self.get_response(request)
        device = device_id_of(request)
        fresh = device is None
        if device is None:
            device = secrets.token_urlsafe(24)
        request.device_id = device  # type: ignore[attr-defined]
        response = self.get_response(request)
        if fresh:
            response.set_cookie(
                settings.DEVICE_COOKIE_NAME,
                device,
                max_age=settings.DEVICE_COOKIE_AGE_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response


def record_login_sighting(sender: object, request: HttpRequest | None, user: object, **kwargs: object) -> None:
    """`user_logged_in` receiver: the user was seen on this browser at this address (never raises)."""
    if request is None or getattr(user, "pk", None) is None:
        return
    device = getattr(request, "device_id", None) or device_id_of(request)
    if device is None:
        return
    from backoffice.services import device_sighting_record

    try:
        device_sighting_record(
            user_id=user.pk,  # type: ignore[attr-defined]
            device_id=device,
            ip_address=client_address(request),
            user_agent=request.headers.get("User-Agent", ""),
        )
    except Exception:  # noqa: BLE001 - evidence for staff must never cost anyone their login
        logger.exception("device sighting not recorded")


class ConsoleAuditMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.prefix = "/admin/"

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(self.prefix):
            return self.get_response(request)
        from auditlog.context import set_extra_data

        user = getattr(request, "user", None)
        actor = user if user is not None and user.is_authenticated else None
        with set_extra_data(context_data={"actor": actor, "remote_addr": client_address(request), "remote_port": None}):
            return self.get_response(request)
