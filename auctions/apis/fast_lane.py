"""The HTTP bid lane, transport only: API clients' bid POSTs (`/api/auctions/<id>/bid`, `/auto-bid`,
`/api/bids/auction/<id>`) answered in the event loop and batched like the live room's bids, without DRF or a
thread per request: bid_protocol reads, core/throttles.py admits, `bid_place_async` decides (the token's user
checked under the auction's lock on plain values: core.auth.account_refusal), bid_protocol tells, and the
answer goes out through the API's own middleware chain (core.middleware.AnsweredRequests): headers, request
id and metrics from the same place as every API answer.

Django answers, unchanged, anything else: no Bearer token or a cookie, a body, amount or key that does not
read (DRF authenticates first: a gone user gets its 401 before a 400), a token or user that fails, an
untrusted Host, plain HTTP where HTTPS is required, no Redis (`make run`). Numbers: docs/auctions.md.
"""

import io
import re
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import DisallowedHost, ValidationError
from django.core.handlers.asgi import ASGIRequest

from auctions import bid_protocol
from auctions.apis.common import client_ip, user_agent
from auctions.services import bid_place_async
from auctions.services.bid_batch import TokenUserRefused
from core.auth import account_rule, validated_token
from core.errors import DomainError
from core.middleware import DjangoHttp, is_api_client
from core.parsers import loads_json
from core.request_id import accept_or_new, reset_request_id, set_request_id
from core.shared_redis import shared_redis
from core.throttles import admit_async, windows

PATH = re.compile(r"^/api/(?:auctions/(\d+)/(?:bid|auto-bid)|bids/auction/(\d+))/?$")
MAX_BODY = 16 * 1024


class _Bidder:
    """The token's user, by id: the batch reads (and checks) the account under the lock."""

    __slots__ = ("pk",)

    def __init__(self, pk: Any) -> None:
        self.pk = pk


class BidLane:
    """ASGI: the bid POSTs it can answer; everything else goes to `django`."""

    def __init__(self, django: DjangoHttp) -> None:
        self.django = django

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        match = PATH.match(scope.get("path", "")) if scope["type"] == "http" and scope["method"] == "POST" else None
        if match is None or not is_api_client(scope) or shared_redis() is None:
            await self.django(scope, receive, send)
            return
        body, fits = await _read_body(receive)
        request = ASGIRequest(scope, io.BytesIO(body))
        asked = _read(request, body) if fits else None
        if asked is None:
            await self.django(scope, _replay(body, receive), send)
            return
        bidder, account, ask = asked
        request_id = accept_or_new(request.META.get("HTTP_X_REQUEST_ID", ""))
        request.META["HTTP_X_REQUEST_ID"] = request_id  # the chain's RequestIdMiddleware keeps it
        token = set_request_id(request_id)
        try:
            outcome = await self._decide(request, int(match.group(1) or match.group(2)), bidder, account, ask)
        finally:
            reset_request_id(token)
        if isinstance(outcome, TokenUserRefused):  # Django's authentication answers the 401
            await self.django(scope, _replay(body, receive), send)
            return
        told = bid_protocol.tell(outcome)
        await self.django.answer(request, told.body, told.status, told.headers, send)

    @staticmethod
    async def _decide(request: ASGIRequest, auction_id: int, bidder: _Bidder, account: Any, ask: Any) -> object:
        ip = client_ip(request)
        admission = await admit_async(windows(user_id=bidder.pk, address=ip, scope="bids"))
        if not admission.allowed:
            return bid_protocol.throttled(admission.wait)
        agent = user_agent(request)
        return await bid_place_async(
            auction_id, bidder, ask.amount, ip, agent, account=account, key=ask.idempotency_key
        )


def _read(request: ASGIRequest, body: bytes) -> tuple[_Bidder, Any, bid_protocol.BidAsk] | None:
    """The bidder, its account rule and the bid, or None when Django is to answer (see the module docstring)."""
    try:
        request.get_host()  # ALLOWED_HOSTS
        if settings.SECURE_SSL_REDIRECT and not request.is_secure():
            return None
        if request.content_type != "application/json":
            return None  # form bodies are DRF's
        ask = bid_protocol.read(loads_json(body), request.META.get("HTTP_IDEMPOTENCY_KEY"))
        token = validated_token(request.META.get("HTTP_AUTHORIZATION", "")[7:])
        if token is None:
            return None
        rule = account_rule(token)
        pk = get_user_model()._meta.pk.to_python(rule.user_id)  # type: ignore[union-attr]
    except (DisallowedHost, ValueError, UnicodeDecodeError, DomainError, ValidationError):
        return None
    return (_Bidder(pk), rule, ask) if pk is not None else None


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
