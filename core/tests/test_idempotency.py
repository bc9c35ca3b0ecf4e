"""core.idempotency: one key grammar, one replay and one conflict answer, and at most one run per key, also
when two requests with the same key race on MariaDB."""

import threading
import time

import pytest
from django.db import connection, connections

from core import idempotency
from core.errors import DomainError
from core.models import IdempotencyKey


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        (None, None),
        ("", None),
        ("   ", None),
        ("Retry-1", "retry-1"),
        (b"3f2b9c1e-7d4a-4e8b-9f00-1a2b3c4d5e6f", "3f2b9c1e-7d4a-4e8b-9f00-1a2b3c4d5e6f"),
        ("k" * 100, "k" * 100),
        ("a_b.c:d~e+f/g=h", "a_b.c:d~e+f/g=h"),
    ],
)
def test_keys_that_fit_the_grammar_are_read_lower_cased(raw, key):
    assert idempotency.parse_key(raw) == key


@pytest.mark.parametrize("raw", ["k" * 101, "two words", "ключ", "k,1", "k;1", "k\x00", '"k"'])
def test_any_other_key_is_a_400_and_is_never_cut(raw):
    with pytest.raises(idempotency.InvalidKey) as refused:
        idempotency.parse_key(raw)
    assert (refused.value.status_code, refused.value.code) == (400, "invalid_idempotency_key")
    assert "100 characters" in refused.value.message


@pytest.mark.django_db
def test_once_runs_the_work_once_and_replays_its_answer(user_factory):
    user = user_factory()
    runs: list[int] = []

    def work() -> tuple[str, idempotency.Answer]:
        runs.append(1)
        return "done", idempotency.Answer(201, {"message": "Made."})

    request = idempotency.keyed(user, "k-1", "thing.create", 7)
    assert idempotency.once(request, work) == "done"
    assert idempotency.once(request, work) == idempotency.Replay(201, {"message": "Made."})
    assert runs == [1]
    with pytest.raises(idempotency.KeyReused):
        idempotency.once(idempotency.keyed(user, "k-1", "thing.create", 8), work)
    assert idempotency.once(idempotency.keyed(user_factory(), "k-1", "thing.create", 8), work) == "done"  # own keys


@pytest.mark.django_db
def test_a_refused_write_keeps_no_key(user_factory):
    user = user_factory()
    request = idempotency.keyed(user, "k-2", "thing.create", 7)

    def refused() -> tuple[str, idempotency.Answer]:
        raise DomainError("No.")

    with pytest.raises(DomainError):
        idempotency.once(request, refused)
    assert not IdempotencyKey.objects.exists()
    assert idempotency.once(request, lambda: ("ok", idempotency.Answer(200, {}))) == "ok"


@pytest.mark.django_db
def test_a_claimed_key_without_an_answer_is_in_flight(user_factory):
    user = user_factory()
    request = idempotency.keyed(user, "k-3", "payment", 1)
    assert request is not None
    IdempotencyKey.objects.create(user=user, key=request.key, fingerprint=request.fingerprint)
    with pytest.raises(idempotency.KeyInFlight) as waiting:
        idempotency.replay(request)
    assert (waiting.value.status_code, waiting.value.code) == (409, "idempotency_key_in_flight")


@pytest.mark.django_db(transaction=True)
def test_two_requests_with_one_key_at_once_run_the_work_once(user_factory):
    """The second request's claim waits on the unique index for the first transaction; once it commits, the
    second is answered with the first's answer. The first holds its transaction open until the database
    reports the second waiting for its lock (an event, not a timer)."""
    user = user_factory()
    request = idempotency.keyed(user, "race", "thing.create", 1)
    runs: list[str] = []
    results: dict[str, object] = {}
    first_in = threading.Event()

    def waiting_for_lock() -> bool:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM information_schema.INNODB_TRX WHERE trx_state = %s", ["LOCK WAIT"])
            return bool(cursor.fetchone()[0])

    def first_work() -> tuple[str, idempotency.Answer]:
        runs.append("first")
        first_in.set()
        deadline = time.monotonic() + 30
        while not waiting_for_lock() and time.monotonic() < deadline:
            time.sleep(0.15)  # InnoDB refreshes this table's cache only when not read for 0.1 s
        return "first", idempotency.Answer(201, {"by": "first"})

    def second_work() -> tuple[str, idempotency.Answer]:
        runs.append("second")
        return "second", idempotency.Answer(201, {"by": "second"})

    def run(name: str, work) -> None:  # type: ignore[no-untyped-def]
        try:
            results[name] = idempotency.once(request, work)
        finally:
            connection.close()

    first = threading.Thread(target=run, args=("first", first_work))
    first.start()
    assert first_in.wait(30)
    second = threading.Thread(target=run, args=("second", second_work))
    second.start()
    first.join(60)
    second.join(60)
    assert runs == ["first"]
    assert results == {"first": "first", "second": idempotency.Replay(201, {"by": "first"})}
