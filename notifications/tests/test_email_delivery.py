"""Email through the REAL anymail SendGrid backend, over HTTP, to the local fake; retries and bursts."""

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction

from notifications.delivery import email_deliveries_sweep, retry_delay
from notifications.models import EmailDelivery, Notification
from notifications.services import notify

pytestmark = pytest.mark.django_db
Status = EmailDelivery.Status


def outbid(price: str) -> dict:
    return {"vehicle": "2018 Honda Accord", "current_price": price, "your_max": "9000", "auction_url": "/auctions/4/"}


def test_anymail_sendgrid_backend_posts_mail_send_to_the_fake(user, sendgrid_email, notify_committed):
    notify_committed(user=user, kind="outbid", context=outbid("12500"))

    [request] = sendgrid_email.state.mail_sends()
    assert request.status == 202
    assert request.headers["Authorization"] == "Bearer SG.fake-test-key"
    payload = request.body
    assert payload["personalizations"][0]["to"] == [{"email": user.email}]
    assert payload["subject"] == "You've been outbid on 2018 Honda Accord"
    types = {part["type"]: part["value"] for part in payload["content"]}
    assert "$12,500.00" in types["text/plain"]
    assert "$12,500.00" in types["text/html"]
    assert payload["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert payload["categories"] == ["outbid"]
    delivery = EmailDelivery.objects.get()
    assert delivery.status == Status.SENT
    assert delivery.to_email == user.email
    assert delivery.esp_message_id  # anymail's generated id, which tracking events carry back


def test_email_send_failure_is_retried_with_backoff_until_it_succeeds(
    user, sendgrid_email, email_broker, run_email_task, notify_committed
):
    sendgrid_email.state.fail_next(2, status=503, message="Service unavailable")
    notify_committed(user=user, kind="outbid", context=outbid("12500"))
    [scheduled] = email_broker

    assert run_email_task(scheduled.delivery_id) == "sent"

    assert [r.status for r in sendgrid_email.state.mail_sends()] == [503, 503, 202]
    first, second = run_email_task.countdowns
    assert 30 <= first <= 45
    assert 60 <= second <= 75
    delivery = EmailDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Status.SENT, 3)
    assert "503" in delivery.last_error
    assert list(delivery.events.values_list("from_status", "to_status")) == [
        ("", "queued"), ("queued", "sending"), ("sending", "queued"), ("queued", "sending"),
        ("sending", "queued"), ("queued", "sending"), ("sending", "sent"),
    ]  # fmt: skip


def test_email_gives_up_after_max_retries_and_marks_failed(
    user, sendgrid_email, email_broker, run_email_task, settings, notify_committed
):
    settings.NOTIFY_EMAIL_MAX_RETRIES = 2
    sendgrid_email.state.fail_next(10, status=500)
    notify_committed(user=user, kind="outbid", context=outbid("12500"))

    assert run_email_task(email_broker[0].delivery_id) == "failed"

    assert len(sendgrid_email.state.mail_sends()) == 3
    assert EmailDelivery.objects.get().status == Status.FAILED


def test_email_rejected_by_the_esp_as_invalid_is_not_retried(
    user, sendgrid_email, email_broker, run_email_task, notify_committed
):
    sendgrid_email.state.fail_next(1, status=400, message="The from email does not contain a valid address.")
    notify_committed(user=user, kind="outbid", context=outbid("12500"))

    assert run_email_task(email_broker[0].delivery_id) == "failed"

    assert len(sendgrid_email.state.mail_sends()) == 1
    assert "valid address" in EmailDelivery.objects.get().last_error


def test_retry_delay_grows_exponentially_from_the_base(settings):
    settings.NOTIFY_EMAIL_RETRY_BACKOFF_SECONDS = 10
    delays = [retry_delay(n) for n in range(5)]
    for attempt, delay in enumerate(delays):
        assert 10 * 2**attempt <= delay <= 10 * 2**attempt + 5
    assert retry_delay(30) <= 3600 + 5


@pytest.mark.django_db(transaction=True)
def test_email_failure_never_rolls_back_or_breaks_the_caller(sendgrid_email, run_email_task):
    # given an ESP that fails the first send
    sendgrid_email.state.fail_next(1, status=500)
    # when a caller commits its work and notifies after commit (the task runs at once: tests are eager)
    with transaction.atomic():
        buyer = get_user_model().objects.create_user(email="caller@example.test", password="x-long-password-1")
        transaction.on_commit(lambda: notify(user=buyer, kind="outbid", context=outbid("12500")))
    # then nothing was raised, the caller's row and the in-app notification stay
    assert get_user_model().objects.filter(email="caller@example.test").exists()
    assert Notification.objects.filter(user=buyer).count() == 1
    # and the email waits for its retry, which a worker then sends
    delivery = EmailDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Status.QUEUED, 1)
    assert "500" in delivery.last_error
    assert run_email_task(delivery.pk) == "sent"
    assert [r.status for r in sendgrid_email.state.mail_sends()] == [500, 202]


def test_burst_of_notifications_about_one_object_sends_one_email_with_the_latest_state(
    user, sendgrid_email, email_broker, run_email_task, settings, notify_committed
):
    settings.NOTIFY_EMAIL_WINDOW_SECONDS = 60
    # ten outbids on one auction within the window
    for price in range(10000, 11000, 100):
        notify_committed(user=user, kind="outbid", context=outbid(str(price)), object_key="auction:4")

    # one email is scheduled, after the window
    assert [(s.countdown) for s in email_broker] == [60]
    delivery = EmailDelivery.objects.get()
    assert (delivery.status, delivery.merged_count) == (Status.QUEUED, 10)
    # ten in-app notifications keep the history
    assert Notification.objects.filter(user=user).count() == 10

    # when the worker runs the task after the countdown
    assert run_email_task(email_broker[0].delivery_id) == "sent"

    [request] = sendgrid_email.state.mail_sends()
    text = next(part["value"] for part in request.body["content"] if part["type"] == "text/plain")
    assert "$10,900.00" in text
    assert "$10,000.00" not in text


def test_notification_after_the_burst_was_sent_starts_a_new_email(user, email_broker, run_email_task, notify_committed):
    notify_committed(user=user, kind="outbid", context=outbid("100"), object_key="auction:4")
    run_email_task(email_broker[0].delivery_id)

    notify_committed(user=user, kind="outbid", context=outbid("200"), object_key="auction:4")

    assert len(email_broker) == 2
    assert EmailDelivery.objects.filter(status=Status.QUEUED).count() == 1


def test_bursts_are_per_user_kind_and_object(user_factory, email_broker, notify_committed):
    first, second = user_factory(), user_factory()
    notify_committed(user=first, kind="outbid", context=outbid("100"), object_key="auction:4")
    notify_committed(user=first, kind="outbid", context=outbid("100"), object_key="auction:5")
    notify_committed(user=first, kind="auction_ending_soon", context={}, object_key="auction:4")
    notify_committed(user=second, kind="outbid", context=outbid("100"), object_key="auction:4")

    assert EmailDelivery.objects.count() == 4


def test_without_object_key_every_notification_is_its_own_email(user, email_broker, notify_committed):
    notify_committed(user=user, kind="outbid", context=outbid("100"))
    notify_committed(user=user, kind="outbid", context=outbid("200"))

    assert [s.countdown for s in email_broker] == [None, None]


def test_second_run_of_the_same_task_sends_nothing(
    user, sendgrid_email, email_broker, run_email_task, notify_committed
):
    notify_committed(user=user, kind="outbid", context=outbid("100"))

    assert run_email_task(email_broker[0].delivery_id) == "sent"
    assert run_email_task(email_broker[0].delivery_id) == "not_queued"

    assert len(sendgrid_email.state.mail_sends()) == 1


def test_sweep_reschedules_lost_tasks_and_releases_stale_claims(user, email_broker, notify_committed):
    from datetime import timedelta

    from django.utils import timezone

    notify_committed(user=user, kind="outbid", context=outbid("100"))
    notify_committed(user=user, kind="outbid", context=outbid("200"))
    lost, stuck = EmailDelivery.objects.order_by("pk")
    old = timezone.now() - timedelta(minutes=30)
    EmailDelivery.objects.filter(pk=lost.pk).update(send_after=old)
    EmailDelivery.objects.filter(pk=stuck.pk).update(status=Status.SENDING, claimed_at=old)
    email_broker.clear()

    assert email_deliveries_sweep() == 2

    assert sorted(s.delivery_id for s in email_broker) == [lost.pk, stuck.pk]
    stuck.refresh_from_db()
    assert stuck.status == Status.QUEUED
