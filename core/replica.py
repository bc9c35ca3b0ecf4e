"""Reads off the primary: the read replica (`DATABASE_REPLICA_URL`), for the read paths that opt in.

Contract (docs/SCALING.md, "Reads off the primary"):

- Nothing reads from the replica unless its code runs inside `replica_reads(user)` (a context manager) or a
  view wrapped in `@replica_reads_view`. Opt in only for reads that decide nothing: inventory, search,
  results and report pages and APIs. Never around a service, anything that bids, offers, pays, takes a lock
  or decides a write.
- Even inside, a read goes to the primary when: no replica is configured; a transaction is open on the
  primary (anything under a lock or in a service); the block has written (its later reads follow its write);
  or the user has a write the replica has not applied yet (read your writes, below).
- Read your writes: after a user's write commits, the primary's GTID position is remembered for that user
  (`writes_committed(user_ids)`, in the cache, shared by every process): by `ReadYourWritesMiddleware` after
  any successful POST/PUT/PATCH/DELETE, and by the bid path's after-commit hook for bids from every door
  (HTTP lane, live room, forms). While the replica has not applied that position, the user's opted-in reads
  go to the primary; the first time it has, the mark is dropped. So whatever the replication lag, a user
  never sees their own write disappear; other users may see the replica's slightly older copy.
- Without `DATABASE_REPLICA_URL` every function here is free: no query, no cache access.

MariaDB positions are `domain-server-seq` lists (`@@gtid_binlog_pos` on the primary, `@@gtid_slave_pos` on
the replica); MySQL's are GTID sets (`@@GLOBAL.gtid_executed`, compared with `GTID_SUBSET`).
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import structlog
from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.http import HttpRequest, HttpResponse

logger = structlog.get_logger(__name__)

REPLICA = "replica"
PRIMARY = "default"
FENCE_SECONDS = 600  # a mark older than this is dropped by the cache (the replica is far behind: page someone)
_KEY = "replica:fence:{}"

# None: not opted in; "replica" / "default": where this block's reads go
_reads: contextvars.ContextVar[str | None] = contextvars.ContextVar("replica_reads", default=None)

F = TypeVar("F", bound=Callable[..., Any])


def configured() -> bool:
    return REPLICA in settings.DATABASES


def _primary_position() -> str:
    connection = connections[PRIMARY]
    with connection.cursor() as cursor:
        mariadb = getattr(connection, "mysql_is_mariadb", False)
        cursor.execute("SELECT @@GLOBAL.gtid_binlog_pos" if mariadb else "SELECT @@GLOBAL.gtid_executed")
        row = cursor.fetchone()
    return str(row[0] or "") if row else ""


def _mariadb_applied(position: str, replica_position: str) -> bool:
    """Every domain's sequence number in `position` is at or below the replica's for that domain."""
    applied: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in replica_position.split(","))):
        domain, _, seq = part.split("-")
        applied[domain] = max(applied.get(domain, 0), int(seq))
    for part in filter(None, (p.strip() for p in position.split(","))):
        domain, _, seq = part.split("-")
        if applied.get(domain, -1) < int(seq):
            return False
    return True


def replica_has_applied(position: str) -> bool:
    """Has the replica applied every transaction up to `position` (a primary position)?"""
    if not position:
        return True
    connection = connections[REPLICA]
    with connection.cursor() as cursor:
        if getattr(connection, "mysql_is_mariadb", False):
            cursor.execute("SELECT @@GLOBAL.gtid_slave_pos")
            row = cursor.fetchone()
            return _mariadb_applied(position, str(row[0] or "") if row else "")
        cursor.execute("SELECT GTID_SUBSET(%s, @@GLOBAL.gtid_executed)", [position])
        row = cursor.fetchone()
        return bool(row and row[0])


def writes_committed(user_ids: Iterable[int | None]) -> None:
    """These users' writes just committed (call after the commit): their opted-in reads stay on the primary
    until the replica has applied them. No-op without a replica."""
    if not configured():
        return
    ids = {uid for uid in user_ids if uid}
    if not ids:
        return
    try:
        position = _primary_position()
        cache.set_many({_KEY.format(uid): position for uid in ids}, timeout=FENCE_SECONDS)
    except Exception:  # runs after a commit: the write happened; say so loudly, never undo it
        logger.exception("replica.fence_not_recorded", user_ids=sorted(ids))


def _fresh_write(user: Any) -> bool:
    """Does this user have a write the replica has not applied yet? Drops the mark once it has."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    key = _KEY.format(user.pk)
    position = cache.get(key)
    if position is None:
        return False
    if replica_has_applied(position):
        cache.delete(key)
        return False
    return True


@contextmanager
def replica_reads(user: Any = None) -> Iterator[str]:
    """Reads in this block may come from the replica (see the module's contract); yields where they go."""
    if not configured() or connections[PRIMARY].in_atomic_block:
        target = PRIMARY
    else:
        target = PRIMARY if _fresh_write(user) else REPLICA
    token = _reads.set(target)
    try:
        yield target
    finally:
        _reads.reset(token)


def replica_reads_view(view: F) -> F:
    """`@replica_reads_view` on a function view (request first) or a view method (self, request): the
    view's reads may come from the replica, for the request's user."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        request = next((a for a in args[:2] if hasattr(a, "method") and hasattr(a, "META")), None)
        with replica_reads(getattr(request, "user", None)):
            return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


class ReplicaRouter:
    """settings.DATABASE_ROUTERS: reads go where `replica_reads` said, writes and migrations to the primary."""

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        target = _reads.get()
        if target != REPLICA:
            return None
        if connections[PRIMARY].in_atomic_block:  # a transaction (a lock, a service) reads its own writes
            return None
        return REPLICA

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        if _reads.get() == REPLICA:
            _reads.set(PRIMARY)  # this block's later reads follow its write
        return PRIMARY

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # one database, two copies

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        return db == PRIMARY


class ReadYourWritesMiddleware:
    """After a successful write request by a logged-in user, remember the primary's position for that user
    (`writes_committed`). No-op without a replica."""

    UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.active = configured()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.active and request.method in self.UNSAFE and response.status_code < 400:
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                writes_committed([user.pk])
        return response
