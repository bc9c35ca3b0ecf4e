"""Reads off the primary, against a real MariaDB replica the test starts itself (tests/replica/servers.py):
a primary with a binary log and a replica applying it, each its own mariadbd, port and data directory.

A web process (scripts/web-server.sh) runs with DATABASE_URL = the primary and DATABASE_REPLICA_URL = the
replica. Replication lag is made real and unbounded by stopping the replica's SQL thread, then:

- the auction list and search (opted in with @replica_reads_view) answer other users from the replica: they
  still see the old state (proof that the replica answers);
- the user who just bid (the HTTP bid lane: the bid path's after-commit hook) and a user who just wrote
  through Django (a watch: ReadYourWritesMiddleware) read the primary: their own write never disappears;
- bids themselves are decided on the primary whatever the replica holds (each bid gets the next seq);
- once the replica has caught up, everyone sees the same, and the marks of the users it applied are gone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.live_server import free_port, wait_for_port
from tests.replica.servers import primary_and_replica, wait_caught_up

ROOT = Path(__file__).resolve().parents[2]
DATABASE = "auction_replica"

pytestmark = pytest.mark.slow


def call(base: str, method: str, path: str, token: str | None = None, body: Any = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{base}{path}", data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - our own server
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def seq_seen(base: str, auction_id: int, token: str | None, path: str = "/api/auctions?page_size=100") -> int:
    status, body = call(base, "GET", path, token)
    assert status == 200, body
    card = next(c for c in body["results"] if c["id"] == auction_id)
    return int(card["seq"])


def bid(base: str, auction_id: int, token: str, amount: int) -> int:
    status, body = call(base, "POST", f"/api/auctions/{auction_id}/bid", token, {"amount": f"{amount}.00"})
    assert status == 201, body
    return int(body["data"]["bid"]["seq"])


def test_reads_go_to_the_replica_but_never_hide_a_users_own_write(tmp_path: Path) -> None:
    import redis

    isolation = f"replica-{uuid.uuid4().hex[:8]}"
    with primary_and_replica(tmp_path) as (primary, replica):
        primary.query(f"CREATE DATABASE {DATABASE} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": primary.url(DATABASE),
            "TEST_ISOLATION": isolation,
            "CHANNEL_LAYER_PREFIX": f"asgi-{isolation}",
            "PYTHONUNBUFFERED": "1",
        }
        seeded = subprocess.run(
            [sys.executable, "-m", "tests.replica.seed"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
        )
        assert seeded.returncode == 0, seeded.stderr[-3000:]
        data = json.loads(seeded.stdout.strip().splitlines()[-1])
        auction_id, (bidder, other) = data["auction_id"], data["tokens"]
        wait_caught_up(primary, replica)

        port = free_port()
        log = (tmp_path / "web.log").open("wb")
        web = subprocess.Popen(
            ["bash", str(ROOT / "scripts" / "web-server.sh"), "127.0.0.1", str(port)],
            cwd=ROOT,
            env={**env, "PYTHON": sys.executable, "DATABASE_REPLICA_URL": replica.url(DATABASE)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_for_port(port, timeout=90)
            assert seq_seen(base, auction_id, None) == 0

            replica.query("STOP SLAVE SQL_THREAD")  # lag from here on, as long as it takes
            assert bid(base, auction_id, bidder, 6000) == 1
            # the bidder reads the primary; everyone else the replica, which has not applied the bid
            assert seq_seen(base, auction_id, bidder) == 1
            assert seq_seen(base, auction_id, bidder, "/api/auctions/search?q=Bench&page_size=100") == 1
            assert seq_seen(base, auction_id, None) == 0
            assert seq_seen(base, auction_id, other) == 0

            # a write through Django (watching the auction) marks the other user too
            status, body = call(base, "POST", f"/api/favorites/auction/{auction_id}", other)
            assert status in (200, 201), body
            # decided on the primary: the next seq, whatever the replica holds
            assert bid(base, auction_id, bidder, 7000) == 2
            assert seq_seen(base, auction_id, other) == 2
            assert seq_seen(base, auction_id, bidder) == 2
            assert seq_seen(base, auction_id, None) == 0

            replica.query("START SLAVE SQL_THREAD")
            wait_caught_up(primary, replica)
            assert seq_seen(base, auction_id, None) == 2
            assert seq_seen(base, auction_id, bidder) == 2
            assert seq_seen(base, auction_id, other) == 2
            # the replica has applied both users' writes: their marks are gone, their reads are the replica's
            cache = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
            assert not list(cache.scan_iter(f"{isolation}:*replica:fence:*"))
        finally:
            web.terminate()
            web.wait(timeout=20)
            log.close()
