"""The HTTP bid lane: `POST /api/auctions/<id>/bid` (and `/auto-bid`, `/api/bids/auction/<id>`) from API clients,
answered in the event loop without Django's middleware chain and DRF, in batches like live-room bids.

On a hot lot the web stack, not the bid, was the cost: a bid spent ~6 ms of CPU in middleware, DRF, the
per-request thread hop and two throttle round trips, against ~1 ms for the same bid over a live room. Here
the same rules run with the same results: the JWT is checked by simplejwt, the `user` and `bids` throttles
count in the same Redis keys (one Redis round trip for the requests of one turn of the event loop), the
amount is read exactly as the DRF view reads it, and the bid goes through `bid_place_async` → the combiner
→ one transaction per batch, where the token's user is read with the bidders' other columns under the lock
and must pass simplejwt's rules (exists, active, password unchanged when tokens are revoked by it) before
the bid is judged. The response body, status and headers are the DRF view's (auctions/tests/test_fast_lane.py
compares the two paths request by request).

performance: the lane used to load the users and count the throttles in a worker thread per batch of
requests before the bids joined the combiner: a thread hop, a SELECT and its health-check ping on every
batch's way in. Reading the users under the lock costs no statement (the batch already reads each bidder's
row), and the throttles need no thread. One difference from DRF, which authenticates before it throttles:
a request whose user turns out to be gone or inactive has counted in its throttles before Django answers
its 401.

An Idempotency-Key rides with its bid: the batch looks it up under the lock, in the statement that reads
the bidders, and stores it with an accepted bid (no extra statement). A key found stored (a retry, or a key
reused for another request), the same key twice in one batch, or a key some other auction's batch stored
meanwhile is answered by Django once the batch has committed: it replays the stored response, or refuses a
reused key with 409, as it does for any keyed request. (Such a retry counts twice in its throttles: once
here, once in DRF.)

Anything unusual is handed to Django unchanged, so it keeps one implementation: a request without a
Bearer token, with an Origin (CORS) header or an Idempotency-Key over 100 characters, a non-JSON or
malformed body or an amount that does not parse, an invalid or expired token, an unknown or inactive user, a throttled user, an untrusted
Host or a plain-HTTP request where HTTPS is required, or no Redis (`make run`).
"""

import functools
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.core.signals import setting_changed
from django.http.request import split_domain_port, validate_host

from auctions.apis.bids import amount_sent
from auctions.gather import Gatherer
from auctions.services import bid_place_async, parse_bid_amount
from auctions.services.bid_batch import TokenUserRefused
from auctions.services.results import BidResult
from core import idempotency
from core.api import SERVER_ERROR, database_down_answer, error_body
from core.errors import DomainError
from core.request_id import accept_or_new
from core.shared_redis import shared_redis
from core.throttles import ScopedRateThrottle, UserRateThrottle, throttle_many_async

logger = logging.getLogger(__name__)

# The bid POSTs the lane answers, and the methods their DRF views allow (the `Allow` header).
PATHS = (
    (re.compile(r"^/api/auctions/(\d+)/(?:bid|auto-bid)/?$"), b"POST, OPTIONS"),
    (re.compile(r"^/api/bids/auction/(\d+)/?$"), b"GET, POST, HEAD, OPTIONS"),  # also lists the history
)
MAX_BODY = 16 * 1024
ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


class _Delegate:
    """Outcome: let the full Django stack answer this request."""


DELEGATE = _Delegate()


@dataclass(frozen=True)
class _Bidder:
    """The token's user, by id: the batch reads (and checks) the account under the lock."""

    pk: Any


async def _admit(auction_id: int, bidders: list[_Bidder]) -> list[Any]:
    """In the event loop, for the requests that arrived together: their bidders' `user` and `bids` throttles,
    counted in one Redis round trip. Per request, the bidder if it may go ahead, or DELEGATE (Django answers:
    the 429 with its Retry-After, or everything when there is no Redis)."""
    checks = []
    for bidder in bidders:
        checks += [(UserRateThrottle, "user", bidder.pk), (ScopedRateThrottle, "bids", bidder.pk)]
    allowed = await throttle_many_async(checks)
    if allowed is None:
        return [DELEGATE] * len(bidders)
    return [bidder if allowed[2 * k] and allowed[2 * k + 1] else DELEGATE for k, bidder in enumerate(bidders)]


def _bidder(token: Any) -> _Bidder | None:
    """The user the token names, as a value of the user model's primary key, or None (Django then answers,
    as for any unknown user): a claim that cannot be one, or a USER_ID_FIELD other than the key."""
    from rest_framework_simplejwt.settings import api_settings

    from accounts.models import User

    key = User._meta.pk
    assert key is not None
    claim = token.get(api_settings.USER_ID_CLAIM)
    if claim is None or api_settings.USER_ID_FIELD not in (key.name, key.attname):
        return None
    try:
        return _Bidder(key.get_prep_value(claim))
    except (TypeError, ValueError):
        return None


_lane = Gatherer(_admit)


def _headers(scope: dict[str, Any]) -> dict[bytes, bytes] | None:
    """The request headers (lower-case names), or None when one repeats (rare; Django decides)."""
    headers: dict[bytes, bytes] = {}
    for name, value in scope.get("headers") or []:
        if name in headers:
            return None
        headers[name] = value
    return headers


def _secure(scope: dict[str, Any], headers: dict[bytes, bytes]) -> bool:
    """As Django's `request.is_secure()`: the trusted proxy's header when it is present, else the scheme."""
    proxy = settings.SECURE_PROXY_SSL_HEADER
    if proxy:
        value = headers.get(proxy[0].removeprefix("HTTP_").lower().replace("_", "-").encode())
        if value is not None:
            return value.decode("latin-1").split(",")[0].strip() == proxy[1]
    return scope.get("scheme") == "https"


def _bearer(headers: dict[bytes, bytes]) -> str | None:
    """The token of a plain API-client bid, or None when anything calls for the full stack."""
    from rest_framework_simplejwt.settings import api_settings

    if b"origin" in headers or b"x-forwarded-host" in headers:
        return None
    if headers.get(b"content-type", b"").split(b";")[0].strip().lower() != b"application/json":
        return None
    host, _port = split_domain_port(headers.get(b"host", b"").decode("latin-1"))
    if not host or not validate_host(host, settings.ALLOWED_HOSTS):
        return None
    parts = headers.get(b"authorization", b"").decode("latin-1").split()
    if len(parts) != 2 or parts[0] not in api_settings.AUTH_HEADER_TYPES:
        return None
    return parts[1]


async def _read_body(receive: Any) -> tuple[bytes, bool]:
    """The whole body and whether it fit under MAX_BODY (a longer one is still read whole, for Django)."""
    body = b""
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return body, False
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body, len(body) <= MAX_BODY


def _replay(body: bytes, receive: Any) -> Any:
    """A `receive` that gives Django the body already read, then the connection's own messages."""
    sent = False

    async def replayed() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


def _idempotency_key(headers: dict[bytes, bytes]) -> tuple[bool, str | None]:
    """(usable here, the key or None): a key that breaks the rules is Django's to refuse."""
    try:
        return True, idempotency.parse_key(headers.get(b"idempotency-key"))
    except DomainError:
        return False, None


def _parses(amount: Any) -> bool:
    """A bid amount the lane may take: one it cannot parse is Django's to refuse, after DRF authenticated the
    request (a gone user's token gets its 401 before any 400)."""
    try:
        parse_bid_amount(amount)
    except DomainError:
        return False
    return True


def _amount(body: bytes) -> tuple[bool, Any]:
    try:
        data = json.loads(body, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        return False, None
    return amount_sent(data if isinstance(data, dict) else None)


@functools.cache
def _authentication() -> Any:
    from core.auth import FastJWTAuthentication

    return FastJWTAuthentication()  # keeps no per-request state


def _token(raw: str) -> Any:
    """The validated access token, as the API's authentication class validates it, or None."""
    from rest_framework_simplejwt.exceptions import InvalidToken

    try:
        return _authentication().get_validated_token(raw.encode())
    except InvalidToken:
        return None


def _route(scope: dict[str, Any]) -> tuple[re.Match[str], bytes] | None:
    """The auction id's match and the view's `Allow` value for a bid POST the lane answers, else None."""
    if scope["type"] != "http" or scope["method"] != "POST":
        return None
    path = scope.get("path", "")
    for pattern, allow in PATHS:
        if match := pattern.match(path):
            return match, allow
    return None


@functools.cache
def response_headers(secure: bool, allow: bytes) -> tuple[tuple[bytes, bytes], ...]:
    """What the middleware chain and DRF add to the bid view's JSON response (besides length and request id).
    Composed once per process (settings are read-only at run time; tests that change them clear it)."""
    headers = [
        (b"content-type", b"application/json"),
        (b"vary", b"Accept, origin"),
        (b"allow", allow),
        (b"x-frame-options", settings.X_FRAME_OPTIONS.encode()),
    ]
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        headers.append((b"x-content-type-options", b"nosniff"))
    if referrer := settings.SECURE_REFERRER_POLICY:
        value = referrer if isinstance(referrer, str) else ",".join(referrer)
        headers.append((b"referrer-policy", value.encode()))
    if coop := settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        headers.append((b"cross-origin-opener-policy", coop.encode()))
    if secure and settings.SECURE_HSTS_SECONDS:
        hsts = f"max-age={settings.SECURE_HSTS_SECONDS}"
        if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
            hsts += "; includeSubDomains"
        if settings.SECURE_HSTS_PRELOAD:
            hsts += "; preload"
        headers.append((b"strict-transport-security", hsts.encode()))
    return tuple(headers)


def _settings_changed(**kwargs: Any) -> None:
    response_headers.cache_clear()
    _authentication.cache_clear()


setting_changed.connect(_settings_changed)


def _answer(outcome: Any) -> tuple[int, dict[str, Any], dict[str, str]]:
    """Status, body and extra headers, as the DRF view and the API's exception handler answer."""
    if isinstance(outcome, idempotency.Replay):
        return outcome.status, outcome.body, {idempotency.REPLAYED_HEADER: "true"}
    if isinstance(outcome, BidResult):
        return 201, {"message": outcome.message, "data": outcome.as_dict()}, {}
    if isinstance(outcome, DomainError):
        return outcome.status_code, error_body(outcome.message, outcome.details, code=outcome.code), {}
    if isinstance(outcome, BaseException) and (down := database_down_answer(outcome)) is not None:
        return 503, *down
    logger.error("bid failed in the HTTP lane", exc_info=outcome if isinstance(outcome, BaseException) else None)
    return 500, error_body(SERVER_ERROR, code="server_error"), {}


class BidLane:
    """ASGI: takes the bid POSTs it can answer exactly as the API does; everything else goes to `django`."""

    def __init__(self, django: ASGIApp) -> None:
        self.django = django

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        route = _route(scope)
        match, allow = route if route is not None else (None, b"")
        headers = _headers(scope) if match else None
        raw_token = _bearer(headers) if headers is not None else None
        secure = _secure(scope, headers) if headers is not None else False
        key_usable, key = _idempotency_key(headers) if headers is not None else (False, None)
        if (
            match is None
            or headers is None
            or raw_token is None
            or not key_usable
            or (settings.SECURE_SSL_REDIRECT and not secure)
            or shared_redis() is None  # `make run`: the DRF view's cache-based throttles
        ):
            await self.django(scope, receive, send)
            return
        body, fits = await _read_body(receive)
        has_amount, amount = _amount(body) if fits else (False, None)
        token = _token(raw_token) if has_amount and _parses(amount) else None
        bidder = _bidder(token) if token is not None else None
        outcome: Any = DELEGATE
        if bidder is not None:
            client = scope.get("client") or [None]
            ip = client[0] or None  # the connection's, as `client_ip` records it for the API
            agent = headers.get(b"user-agent", b"").decode("latin-1", errors="replace")[:300]
            auction_id = int(match.group(1))
            admitted = await _lane.submit(auction_id, bidder)
            if isinstance(admitted, Exception):  # not a Redis failure (throttles let those through): a 500
                outcome = admitted
            elif admitted is not DELEGATE:
                outcome = await bid_place_async(auction_id, bidder, amount, ip, agent, token=token, key=key)
                if isinstance(outcome, TokenUserRefused):
                    outcome = DELEGATE  # the 401 for a gone, inactive or re-passworded user
        if outcome is DELEGATE:
            await self.django(scope, _replay(body, receive), send)
            return
        status, payload, extra = _answer(outcome)
        await self._send(send, status, payload, headers, response_headers(secure, allow), extra)

    @staticmethod
    async def _send(
        send: Any,
        status: int,
        payload: dict[str, Any],
        headers: dict[bytes, bytes],
        fixed: tuple[tuple[bytes, bytes], ...],
        extra: dict[str, str],
    ) -> None:
        request_id = accept_or_new(headers.get(b"x-request-id", b"").decode("latin-1"))
        content = json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":")).encode()
        out = [
            *fixed,
            (b"content-length", str(len(content)).encode()),
            (b"x-request-id", request_id.encode()),
        ]
        out += [(name.lower().encode(), value.encode()) for name, value in extra.items()]
        await send({"type": "http.response.start", "status": status, "headers": out})
        await send({"type": "http.response.body", "body": content})
