"""Digest-safe sending under concurrency: many workers notifying about one object collect into ONE email."""

import threading

import pytest
from django.db import connection

from notifications.models import EmailDelivery
from notifications.services import notify

WORKERS = 8


@pytest.mark.race
@pytest.mark.django_db(transaction=True)
def test_concurrent_notifications_for_one_object_merge_into_one_queued_email(user_factory, email_broker, settings):
    settings.NOTIFY_EMAIL_WINDOW_SECONDS = 60
    bidder = user_factory()
    start = threading.Barrier(WORKERS)
    errors: list[BaseException] = []

    def outbid_from_another_process(price: int) -> None:
        try:
            start.wait()
            notify(user=bidder, kind="outbid", context={"current_price": str(price)}, object_key="auction:9")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=outbid_from_another_process, args=(1000 + n,)) for n in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    delivery = EmailDelivery.objects.get()  # exactly one email row for the burst
    assert delivery.merged_count == WORKERS
    assert len(email_broker) == 1  # and one scheduled send


@pytest.mark.race
@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_of_one_email_task_send_it_once(user_factory, email_broker, sendgrid_email):
    from notifications.delivery import email_delivery_send

    notify(user=user_factory(), kind="outbid", context={"current_price": "100"})
    delivery_id = email_broker[0].delivery_id
    start = threading.Barrier(4)
    outcomes: list[str] = []

    def worker() -> None:
        try:
            start.wait()
            outcomes.append(email_delivery_send(delivery_id=delivery_id))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["not_queued", "not_queued", "not_queued", "sent"]
    assert len(sendgrid_email.state.mail_sends()) == 1
