"""Idempotency-Key: one design for every write that moves money or makes a commitment (bids, payments, offers).

A retry with the same key gets the first answer instead of a second bid, charge or offer. The service owns
the rule (the key is stored in the transaction of the change it answers for); entry points read the header
(`parse_key`) and render what the service returns.
- **Key**: 1-100 characters, ASCII letters, digits and `- _ . : ~ + / =` (a UUID, a ULID, base64 fit), compared
  without case (stored lower-cased); blank is no key; anything else is 400 `invalid_idempotency_key`, never cut.
- **Scope**: a key belongs to one user and names one request: its `scope` and values (`fingerprint`).
- **Replay**: the same key and request get the first answer (status and body as stored) with
  `Idempotent-Replayed: true`; read the resource for its state now.
- **Conflict**: the same key for another request is 409 `idempotency_key_reused`; while the first request is
  still being processed (a payment at the card processor), 409 `idempotency_key_in_flight`.
- **Refusals keep nothing**: a write refused by a rule (a DomainError) stores no key; only a committed change
  stores its answer.

Stored in `core.models.IdempotencyKey`, unique on (user, key). The bid batch reads and stores keys in its own
statements under the auction lock (auctions/services/bid_batch.py). A new endpoint, `POST
/api/vehicles/<id>/offers` say; in the service, one transaction:

    def offer_create(*, vehicle_id: int, buyer: User, amount: Decimal,
                     idempotency_key: str | None = None) -> Offer | idempotency.Replay:
        keyed = idempotency.keyed(buyer, idempotency.parse_key(idempotency_key), "offer.create", vehicle_id, amount)

        def work() -> tuple[Offer, idempotency.Answer]:
            offer = ...  # lock, check, write, event row, on_commit notifications
            return offer, idempotency.Answer(201, {"message": "Offer sent.", "data": offer_payload(offer)})

        return idempotency.once(keyed, work)

and in the view (schema: `parameters=[idempotency.openapi_header()]`, and the 400/409 answers):

    result = services.offer_create(..., idempotency_key=idempotency.parse_key(request.headers.get(idempotency.HEADER)))
    if isinstance(result, idempotency.Replay):
        return idempotency.replay_response(result)
    return ok(offer_payload(result), message="Offer sent.", status_code=201)

A service that spans transactions (a payment: commit, call the vendor, commit) uses `once`'s parts: `replay`
before, `claim` in the first transaction, `record` in the last (orders/payments.py); one whose transaction
commits a refusal (offers/services/once.py) gives its claim back with `release`.
"""

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import IntegrityError, transaction

from core.errors import Conflict, DomainError

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 100
KEY_GRAMMAR = re.compile(r"[A-Za-z0-9_.:~+/=-]{1,100}", re.ASCII)
KEY_FORM = "1 to 100 characters: ASCII letters, digits and - _ . : ~ + / = (a UUID fits)"
T = TypeVar("T")


class InvalidKey(DomainError):
    status_code = 400
    code = "invalid_idempotency_key"


class KeyReused(Conflict):
    code = "idempotency_key_reused"


class KeyInFlight(Conflict):
    code = "idempotency_key_in_flight"


REUSED_MESSAGE = "This Idempotency-Key was already used for a different request."
IN_FLIGHT_MESSAGE = "The first request with this Idempotency-Key is still being processed. Try again in a moment."


def parse_key(raw: str | bytes | None) -> str | None:
    """The key from a header value (str, or bytes from an ASGI scope): None when absent or blank, the key
    lower-cased when it fits the grammar, else InvalidKey (400 `invalid_idempotency_key`)."""
    if isinstance(raw, bytes):
        raw = raw.decode("latin-1")
    text = (raw or "").strip()
    if not text:
        return None
    if not KEY_GRAMMAR.fullmatch(text):
        raise InvalidKey(f"{HEADER} must be {KEY_FORM}.", details={"idempotency_key": [KEY_FORM]})
    return text.lower()


def fingerprint(scope: str, *parts: object) -> str:
    """What a keyed request asks for, as stored beside its key: a SHA-256 of `scope:part:part...` (each part
    as `str()` gives it: pass parsed values, `Decimal("6000.00")` rather than the text a client sent)."""
    text = ":".join([scope, *(str(part) for part in parts)])
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Keyed:
    """A request sent with a key: whose, the key, and the fingerprint of what it asks."""

    user_id: int
    key: str
    fingerprint: str


def keyed(user: Any, key: str | None, scope: str, *parts: object) -> Keyed | None:
    """The keyed request for a parsed key (from `parse_key`), or None when there is no key."""
    if key is None:
        return None
    return Keyed(int(user.pk), key, fingerprint(scope, *parts))


@dataclass(frozen=True)
class Answer:
    """A write's answer, as stored for replays: the HTTP status and the JSON body."""

    status: int
    body: dict[str, Any]


@dataclass(frozen=True)
class Replay(Answer):
    """The first answer, returned again for a retry (rendered with `Idempotent-Replayed: true`)."""


def stored_answer(row: Any, fingerprint_: str) -> Replay:
    """The replay a stored row gives a request with this fingerprint, or KeyReused / KeyInFlight."""
    if row.fingerprint != fingerprint_:
        raise KeyReused(REUSED_MESSAGE)
    if row.response_status is None:
        raise KeyInFlight(IN_FLIGHT_MESSAGE)
    return Replay(row.response_status, row.response_body)


def replay(request: Keyed) -> Replay | None:
    """Before the work: the first answer when the key is stored (None when it is not)."""
    from core.models import IdempotencyKey

    row = IdempotencyKey.objects.filter(user_id=request.user_id, key=request.key).first()
    return None if row is None else stored_answer(row, request.fingerprint)


class KeyTaken(Exception):
    """`claim` found the key stored by a request that committed first: roll back, then `replay`."""


def claim(request: Keyed) -> None:
    """Inside the service's transaction, before its writes: take the key, with no answer yet. A concurrent
    request with the same key waits here (the unique index) until this transaction ends; if that one
    committed, KeyTaken. Precondition: the caller's transaction is open (the claim goes with its changes)."""
    from core.models import IdempotencyKey

    try:
        with transaction.atomic():  # a savepoint: the caller may still roll back cleanly
            IdempotencyKey.objects.create(
                user_id=request.user_id, key=request.key, fingerprint=request.fingerprint, response_status=None
            )
    except IntegrityError as exc:
        raise KeyTaken from exc


def record(user_id: int, key: str, answer: Answer) -> None:
    """The answer of a claimed key, written in the transaction that finishes the work (once: a key that has an
    answer keeps it)."""
    from core.models import IdempotencyKey

    IdempotencyKey.objects.filter(user_id=user_id, key=key, response_status__isnull=True).update(
        response_status=answer.status, response_body=answer.body
    )


def release(request: Keyed) -> None:
    """Give back a key this transaction claimed and will not answer: the work was refused after all, though the
    transaction still commits (offers: acting on a thread that had just expired ends it, commits that, and
    refuses the request). Like any refusal, it keeps no key."""
    from core.models import IdempotencyKey

    IdempotencyKey.objects.filter(user_id=request.user_id, key=request.key, response_status__isnull=True).delete()


def once(request: Keyed | None, work: Callable[[], tuple[T, Answer]]) -> T | Replay:
    """Run `work` in one durable transaction, at most once per key: a stored key's first answer is returned
    instead (a Replay), a key used for another request is KeyReused. `work` returns its result and the
    answer to store; a DomainError it raises rolls everything back and stores nothing."""
    if request is not None and (stored := replay(request)) is not None:
        return stored
    try:
        with transaction.atomic(durable=True):
            if request is not None:
                claim(request)
            result, answer = work()
            if request is not None:
                record(request.user_id, request.key, answer)
    except KeyTaken:
        assert request is not None
        return replay_taken(request)
    return result


def replay_taken(request: Keyed) -> Replay:
    """After KeyTaken (the transaction rolled back): the answer of the request that took the key."""
    stored = replay(request)
    if stored is None:  # pragma: no cover - taken by a transaction that committed, so it is there
        raise KeyInFlight(IN_FLIGHT_MESSAGE)
    return stored


def replay_response(answer: Answer) -> Any:
    """A DRF Response for a replayed answer, marked `Idempotent-Replayed: true`."""
    from rest_framework.response import Response

    return Response(answer.body, status=answer.status, headers={REPLAYED_HEADER: "true"})


def openapi_header() -> Any:
    """The header's OpenAPI parameter, for `extend_schema(parameters=[...])` of every keyed endpoint."""
    from drf_spectacular.types import OpenApiTypes
    from drf_spectacular.utils import OpenApiParameter

    return OpenApiParameter(
        HEADER,
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        required=False,
        description=f"{KEY_FORM}. A retry gets the first answer ({REPLAYED_HEADER}: true); the same key for "
        "another request is 409 idempotency_key_reused; a malformed key 400 invalid_idempotency_key.",
    )
