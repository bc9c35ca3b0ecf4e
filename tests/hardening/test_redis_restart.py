"""The back end rides out a Redis restart by itself (issue 15, item 2; docs/operations.md "Redis restarts").

A Celery worker and Celery beat run against a Redis this test starts on its own port (never the shared one).
Redis is killed while a late-acknowledged task is running, then started again; an auction that comes due
afterwards is closed and its order created by the same workers (the default queue's and order creation's)
and beat, with nothing restarted. With
celery 5.7.0 the worker died here ("Unrecoverable error: AttributeError('NoneType' object has no attribute
'hostname')"): its reconnect closed a channel whose transport it had already released, while a message was
unacknowledged. requirements.txt pins the release that does not.
"""

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from kombu import Connection

from auctions.models import Auction
from tests.fixtures.live_server import ROOT, free_port, server_env, wait_for_port

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@dataclass
class RedisServer:
    """`redis-server` on a free port with no persistence; `kill()` and `start()` again on the same port."""

    log_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        log = (self.log_dir / "redis.log").open("ab")
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        wait_for_port(self.port, timeout=30)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)


def wait_for(condition: Callable[[], object], *, timeout: float, what: str, logs: list[Path]) -> None:
    """Poll until `condition()` holds; on time-out fail with the worker's and beat's logs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    tails = "\n".join(f"--- {p.name}\n" + p.read_text(errors="replace")[-4000:] for p in logs if p.exists())
    pytest.fail(f"timed out waiting for {what}\n{tails}")


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(log_dir=tmp_path)
    server.start()
    yield server
    if server.process is not None and server.process.poll() is None:
        server.kill()


@dataclass
class Backend:
    worker: subprocess.Popen[bytes]
    orders_worker: subprocess.Popen[bytes]
    beat: subprocess.Popen[bytes]
    logs: list[Path]


@pytest.fixture
def backend(redis_server: RedisServer, tmp_path: Path) -> Iterator[Backend]:
    """A prefork worker, the order-creation worker and beat (production's commands, beat on a file schedule) on
    the test's own Redis."""
    from django.conf import settings

    env = server_env(
        DJANGO_SETTINGS_MODULE="tests.hardening.worker_settings",
        REDIS_URL=redis_server.url,
        CELERY_TASK_ALWAYS_EAGER="false",
        LOG_LEVEL="INFO",
    )
    logs = [tmp_path / "worker.log", tmp_path / "beat.log", tmp_path / "orders-worker.log"]
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "INFO", "--concurrency=2"],
        cwd=ROOT,
        env=env,
        stdout=logs[0].open("wb"),
        stderr=subprocess.STDOUT,
    )
    orders_worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "INFO", "--concurrency=1"]
        + ["-Q", settings.CELERY_ORDERS_QUEUE, "-n", "orders@%h"],
        cwd=ROOT,
        env=env,
        stdout=logs[2].open("wb"),
        stderr=subprocess.STDOUT,
    )
    beat = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "beat", "-l", "INFO"]
        + ["-S", "celery.beat:PersistentScheduler", "-s", str(tmp_path / "beat-schedule")],
        cwd=ROOT,
        env=env,
        stdout=logs[1].open("wb"),
        stderr=subprocess.STDOUT,
    )
    yield Backend(worker=worker, orders_worker=orders_worker, beat=beat, logs=logs)
    for process in (worker, orders_worker, beat):
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def send_hold(redis_url: str, seconds: float, marker: Path) -> None:
    """Queue the test task that holds its message (late ack) and touches `marker` when it starts."""
    from config.celery import app

    with Connection(redis_url) as connection:
        app.send_task(
            "tests.hardening.worker_tasks.hold",
            args=[seconds, str(marker)],
            queue=app.conf.task_default_queue,
            connection=connection,
        )


def test_worker_and_beat_ride_out_a_redis_restart_and_close_the_next_due_auction(
    redis_server, backend, tmp_path, auction_factory, bidder_factory, place_bid
):
    from orders.models import Order

    # given an auction with a winning bid, still running
    auction = auction_factory(ends_at=timezone.now() + timedelta(hours=1))
    place_bid(auction, bidder_factory(), Decimal("5000"))
    # and the worker busy with a late-acknowledged task (its message unacknowledged) when Redis is killed
    marker = tmp_path / "held"
    send_hold(redis_server.url, 8, marker)
    wait_for(marker.exists, timeout=120, what="the worker to start the held task", logs=backend.logs)
    redis_server.kill()
    time.sleep(2)  # Redis stays down for a moment: the worker and beat notice and retry
    redis_server.start()

    # when the auction comes due after Redis is back
    past = timezone.now() - timedelta(seconds=1)
    Auction.objects.filter(pk=auction.pk).update(ends_at=past, scheduled_ends_at=past)

    # then beat and the same workers close it and create its order, nothing restarted
    def closed_with_order() -> bool:
        auction.refresh_from_db()
        return (
            auction.status == Auction.Status.ENDED
            and Order.objects.filter(source_type=Order.Source.AUCTION, source_id=auction.pk).exists()
        )

    wait_for(closed_with_order, timeout=120, what="the auction to close and its order", logs=backend.logs)
    assert backend.worker.poll() is None, "the worker exited"
    assert backend.orders_worker.poll() is None, "the orders worker exited"
    assert backend.beat.poll() is None, "beat exited"
    worker_log = backend.logs[0].read_text(errors="replace")
    assert "Unrecoverable error" not in worker_log
    assert "Connection to broker lost" in worker_log  # it did see Redis go away
