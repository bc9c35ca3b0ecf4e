"""One notice per person per event, for every kind: the unique (user, event key) rule (issue 16 item 6)."""

import threading

import pytest
from django.core import mail
from django.db import connection

from notifications.kinds import KINDS
from notifications.models import EmailDelivery, Notification, NotifiedEvent
from notifications.services import notify

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_the_same_event_twice_is_one_notice_for_every_kind(user, kind, django_capture_on_commit_callbacks):
    context = {"vehicle": "2018 Honda Accord", "url": "/auctions/4/"}
    with django_capture_on_commit_callbacks(execute=True):
        first = notify(user=user, kind=kind, context=context, object_key="auction:4")
        again = notify(user=user, kind=kind, context=dict(context), object_key="auction:4")
    assert again is None
    assert NotifiedEvent.objects.filter(user=user, kind=kind).count() == 1
    assert Notification.objects.filter(user=user, kind=kind).count() == (1 if first is not None else 0)
    assert EmailDelivery.objects.filter(kind=kind).count() <= 1


def test_another_event_or_another_person_is_told_again(user_factory):
    alice, bob = user_factory(), user_factory()
    notify(user=alice, kind="outbid", context={"current_price": "100"}, object_key="auction:4")
    notify(user=alice, kind="outbid", context={"current_price": "200"}, object_key="auction:4")  # a new price
    notify(user=alice, kind="outbid", context={"current_price": "100"}, object_key="auction:5")  # another auction
    notify(user=bob, kind="outbid", context={"current_price": "100"}, object_key="auction:4")  # another person
    assert Notification.objects.filter(user=alice).count() == 3
    assert Notification.objects.filter(user=bob).count() == 1


def test_an_explicit_event_lets_identical_words_repeat(user):
    for day in ("2026-12-01", "2026-12-02", "2026-12-02"):
        notify(user=user, kind="payment_overdue", context={"order_number": "NS-1"}, object_key="order:1", event=day)
    assert Notification.objects.filter(user=user).count() == 2


@pytest.mark.race
@pytest.mark.django_db(transaction=True)
def test_concurrent_senders_of_one_event_send_one_notice(user_factory, email_broker):
    # given eight workers about to tell one person about the same event at once (real MariaDB transactions)
    loser = user_factory()
    workers = 8
    start = threading.Barrier(workers)
    results: list[object] = []
    errors: list[BaseException] = []

    def send() -> None:
        try:
            start.wait()
            results.append(notify(user=loser, kind="auction_lost", context={"price": "9000"}, object_key="auction:9"))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    # then exactly one in-app notice and one email were made
    assert errors == []
    assert sum(1 for r in results if r is not None) == 1
    assert Notification.objects.filter(user=loser).count() == 1
    assert EmailDelivery.objects.filter(user_id=loser.pk).count() == 1
    assert len(mail.outbox) <= 1
