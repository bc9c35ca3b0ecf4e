"""Outbid notices from the bid path: queued in Redis, sent by one task per burst, every notice once."""

import pytest

from auctions.services import notify_queue


@pytest.fixture
def queue(monkeypatch):
    """An empty queue; task sends recorded instead of run, and notices recorded instead of sent."""
    from core.shared_redis import shared_redis

    client = shared_redis()
    assert client is not None
    client.delete(notify_queue.queue_key())
    scheduled: list[dict] = []
    sent: list[tuple] = []
    monkeypatch.setattr(
        "auctions.tasks.send_queued_notifications.apply_async", lambda **kwargs: scheduled.append(kwargs)
    )
    monkeypatch.setattr("auctions.services.after_commit.notify_now", lambda *notice: sent.append(notice))
    yield scheduled, sent
    client.delete(notify_queue.queue_key())


def test_a_burst_of_notices_asks_for_one_send_and_the_send_delivers_each_once(queue):
    scheduled, sent = queue
    assert notify_queue.push([(1, "outbid", {"your_max": "6000.00"}, 7)])
    assert notify_queue.push([(2, "outbid", {"your_max": "6500.00"}, 7), (1, "outbid", {"your_max": "7000.00"}, 7)])
    assert scheduled == [{"countdown": notify_queue.SEND_AFTER_SECONDS}]  # only the first push of the burst

    assert notify_queue.send_queued() == 3
    assert sent == [
        (1, "outbid", {"your_max": "6000.00"}, 7),
        (2, "outbid", {"your_max": "6500.00"}, 7),
        (1, "outbid", {"your_max": "7000.00"}, 7),
    ]
    assert notify_queue.send_queued() == 0  # nothing twice

    assert notify_queue.push([(3, "outbid", {}, 8)])
    assert len(scheduled) == 2  # a new burst asks again


def test_more_than_one_take_is_drained_in_order(queue, monkeypatch):
    _scheduled, sent = queue
    monkeypatch.setattr(notify_queue, "TAKE_AT_MOST", 4)
    notify_queue.push([(n, "outbid", {}, 1) for n in range(10)])
    assert notify_queue.send_queued() == 10
    assert [notice[0] for notice in sent] == list(range(10))


def test_without_redis_the_caller_is_told_to_send_directly(monkeypatch):
    monkeypatch.setattr("core.shared_redis._url", lambda: None)
    assert notify_queue.push([(1, "outbid", {}, 1)]) is False
    assert notify_queue.send_queued() == 0


def test_the_beat_schedule_covers_a_lost_send():
    from config.celery import app

    entries = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "auctions.tasks.send_queued_notifications" in entries


@pytest.mark.django_db(transaction=True)
def test_with_the_queue_down_outbid_notices_are_sent_from_another_thread(auction_factory, bidder_factory, monkeypatch):
    """Redis down: the queue refuses the notice, and Celery's broker (the same Redis) would make each send
    wait for it to fail. The bid's thread hands the notices on and goes on; another thread sends them."""
    import threading
    from decimal import Decimal

    from auctions.services import after_commit, bid_place

    sent = threading.Event()
    senders: list[tuple[str, int, str]] = []

    def notify(user_id, kind, context, auction_id):
        senders.append((threading.current_thread().name, user_id, kind))
        sent.set()

    monkeypatch.setattr(notify_queue, "push", lambda notices: False)
    monkeypatch.setattr(after_commit, "_notify", notify)
    auction, first, second = auction_factory(), bidder_factory(), bidder_factory()
    bid_place(auction_id=auction.pk, bidder=first, max_amount=Decimal("6000"))
    bid_place(auction_id=auction.pk, bidder=second, max_amount=Decimal("7000"))  # outbids the first
    assert sent.wait(5)
    assert len(senders) == 1
    thread_name, user_id, kind = senders[0]
    assert (user_id, kind) == (first.pk, "outbid")
    assert thread_name.startswith("auction-notices")
    assert thread_name != threading.current_thread().name


def test_no_task_send_waits_on_the_result_backend():
    """Tasks keep no results (but the worker ping that a test waits for): a task that kept one made each send
    subscribe to its result on Redis, and with Redis down that send retried for ~20 s inside the caller (the
    outbid e-mail's, inside a bid's after-commit work: bidding fell to 1 bid/s)."""
    from config.celery import app

    app.loader.import_default_modules()
    keeping = sorted(
        name for name, task in app.tasks.items() if not name.startswith("celery.") and not task.ignore_result
    )
    assert keeping == ["core.tasks.ping"]
