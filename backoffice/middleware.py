"""Middleware of the staff console.

DeviceIdMiddleware gives every browser a long-lived random device id (a cookie; not a tracker: it is read
only here) and, for a logged-in session, records once per session, device and address that the user was
seen there: the evidence fraud flags compare between a bidder and a seller. It costs no query on a
request whose session already recorded the same device and address.

API, webhook and file paths are left alone: their clients are programs (the site's own pages set the
cookie before their scripts call the API), and the bid lane answers API bids without Django at all.

ConsoleAuditMiddleware lets django-auditlog stamp console table edits (fee tables, roles …) with the staff
member and their address; only under the admin's URL, so the rest of the site pays nothing for it.
"""

import re
import secrets
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from core.audit import client_address

DEVICE_ID = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
SEEN_KEY = "_console_device_seen"
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
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            self._record_sighting(request, device)
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

    @staticmethod
    def _record_sighting(request: HttpRequest, device: str) -> None:
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        if user is None or session is None or not user.is_authenticated:
            return
        address = client_address(request)
        mark = f"{device}|{address}"
        if session.get(SEEN_KEY) == mark:
            return
        from backoffice.services import device_sighting_record

        device_sighting_record(
            user_id=user.pk,
            device_id=device,
            ip_address=address,
            user_agent=request.headers.get("User-Agent", ""),
        )
        session[SEEN_KEY] = mark


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
