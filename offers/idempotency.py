"""Idempotency-Key for offer writes: an interim stand-in with the API of the project's one design
(`core.idempotency`, being built beside this work). Swapping onto it is the import in offers/services and
offers/apis: the names, the rules and the call pattern below are the same.

Rules: the key is 1-100 characters of `A-Za-z0-9_.:~+/=-`, compared without case; it belongs to one user and
names one request (scope + fingerprint). The same key and request get the first answer again
(`Idempotent-Replayed: true`); the same key for another request is 409 `idempotency_key_reused`; a refused
write (a DomainError) stores nothing. The service claims the key inside its own transaction, before its
writes, so concurrent requests with one key wait on the unique index and then replay the winner's answer.

Storage, until core's lands: the bids' table (`auctions.IdempotencyKey`, unique per user and key), whose
`response_status` 0 marks a claim whose answer is written before the same transaction commits (so no other
request ever sees it).
"""

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from core.errors import Conflict, DomainError

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_GRAMMAR = re.compile(r"[A-Za-z0-9_.:~+/=-]{1,100}", re.ASCII)
KEY_FORM = "1 to 100 characters: ASCII letters, digits and - _ . : ~ + / = (a UUID fits)"
CLAIMED = 0


class InvalidKey(DomainError):
    status_code = 400
    code = "invalid_idempotency_key"


class KeyReused(Conflict):
    code = "idempotency_key_reused"


def parse_key(raw: str | bytes | None) -> str | None:
    """The key from a header or form value: None when absent or blank, lower-cased when it fits, else 400."""
    if isinstance(raw, bytes):
        raw = raw.decode("latin-1")
    text = (raw or "").strip()
    if not text:
        return None
    if not KEY_GRAMMAR.fullmatch(text):
        raise InvalidKey(f"{HEADER} must be {KEY_FORM}.", details={"idempotency_key": [KEY_FORM]})
    return text.lower()


def fingerprint(scope: str, *parts: object) -> str:
    return hashlib.sha256(":".join([scope, *(str(part) for part in parts)]).encode()).hexdigest()


@dataclass(frozen=True)
class Keyed:
    user_id: int
    key: str
    fingerprint: str


def keyed(user: Any, key: str | None, scope: str, *parts: object) -> Keyed | None:
    if key is None:
        return None
    return Keyed(int(user.pk), key, fingerprint(scope, *parts))


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]


@dataclass(frozen=True)
class Replay(Answer):
    """The first answer, returned again for a retry."""


class KeyTaken(Exception):
    """`claim` found the key taken by a request that committed first: roll back, then `replay`."""


def replay(request: Keyed) -> Replay | None:
    from auctions.models import IdempotencyKey

    row = IdempotencyKey.objects.filter(user_id=request.user_id, key=request.key).first()
    if row is None:
        return None
    if row.fingerprint != request.fingerprint:
        raise KeyReused("This Idempotency-Key was already used for a different request.")
    return Replay(row.response_status, row.response_body)


def claim(request: Keyed) -> None:
    """Inside the service's transaction, before its writes. A concurrent request with the same key waits here
    until this transaction ends; if that one committed, KeyTaken."""
    from auctions.models import IdempotencyKey

    try:
        with transaction.atomic():
            IdempotencyKey.objects.create(
                user_id=request.user_id,
                key=request.key,
                fingerprint=request.fingerprint,
                response_status=CLAIMED,
                response_body={},
            )
    except IntegrityError as exc:
        raise KeyTaken from exc


def record(request: Keyed, answer: Answer) -> None:
    """The claimed key's answer, in the transaction that did the work."""
    from auctions.models import IdempotencyKey

    IdempotencyKey.objects.filter(user_id=request.user_id, key=request.key, response_status=CLAIMED).update(
        response_status=answer.status, response_body=answer.body
    )


def release(request: Keyed) -> None:
    """The work was refused after all (a refusal that still commits, like ending an expired thread): keep no key."""
    from auctions.models import IdempotencyKey

    IdempotencyKey.objects.filter(user_id=request.user_id, key=request.key, response_status=CLAIMED).delete()


def replay_taken(request: Keyed) -> Replay:
    stored = replay(request)
    if stored is None:  # pragma: no cover - taken by a transaction that committed, so it is there
        raise Conflict(
            "The first request with this Idempotency-Key is still being processed.", code="idempotency_key_in_flight"
        )
    return stored


def replay_response(answer: Answer) -> Any:
    from rest_framework.response import Response

    return Response(answer.body, status=answer.status, headers={REPLAYED_HEADER: "true"})


def openapi_header() -> Any:
    from drf_spectacular.types import OpenApiTypes
    from drf_spectacular.utils import OpenApiParameter

    return OpenApiParameter(
        HEADER,
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        required=False,
        description=f"{KEY_FORM}. A retry with the same key gets the first answer (header {REPLAYED_HEADER}: "
        "true) instead of doing the write twice; the same key for another request is 409 "
        "idempotency_key_reused; a malformed key is 400 invalid_idempotency_key.",
    )
