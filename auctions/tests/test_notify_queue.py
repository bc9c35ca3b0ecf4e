"""Outbid notices from the bid path: queued in Redis, sent by one task per burst, every notice once."""

import pytest

from auctions.services import notify_queue


@pytest.fixture
def queue(monkeypatch):
    """An empty queue; task sends recorded instead of run, and notices recorded instead of sent."""
    from core.api import shared_redis

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
    monkeypatch.setattr("core.api._throttle_redis", lambda: None)
    assert notify_queue.push([(1, "outbid", {}, 1)]) is False
    assert notify_queue.send_queued() == 0


def test_the_beat_schedule_covers_a_lost_send():
    from config.celery import app

    entries = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "auctions.tasks.send_queued_notifications" in entries
