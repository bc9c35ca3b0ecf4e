"""One use case, one durable transaction, at most once per Idempotency-Key.

`run_once(keyed, status, actor, work)`: a stored key's first answer is returned instead (a Replay); otherwise
the key is claimed inside the transaction, `work(fx)` runs under it, and the answer (the API's body, built
here so it is stored with the change) is recorded before commit. `work` returns the OfferResult, or the
refusal to raise once the transaction committed (time, an auction or a sale ended the thread: that ending
commits, the key is released, the caller is refused). A DomainError raised by `work` rolls everything back.
"""

from collections.abc import Callable
from typing import Any

from django.db import transaction

from core import idempotency
from core.errors import DomainError
from offers.services.effects import Effects


def run_once(
    keyed: idempotency.Keyed | None,
    *,
    status: int,
    actor: Any,
    work: Callable[[Effects], Any],
) -> Any:
    from offers.payloads import result_payload

    if keyed is not None and (stored := idempotency.replay(keyed)) is not None:
        return stored
    fx = Effects()
    try:
        with transaction.atomic(durable=True):
            if keyed is not None:
                idempotency.claim(keyed)
            outcome = work(fx)
            if keyed is not None:
                if isinstance(outcome, DomainError):
                    idempotency.release(keyed)
                else:
                    idempotency.record(
                        keyed.user_id, keyed.key, idempotency.Answer(status, result_payload(outcome, actor))
                    )
            fx.on_commit()
    except idempotency.KeyTaken:
        assert keyed is not None
        return idempotency.replay_taken(keyed)
    if isinstance(outcome, DomainError):
        raise outcome
    return outcome
