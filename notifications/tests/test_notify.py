"""notify(): in-app row, email, each by the user's preferences; undeliverable addresses are skipped."""

import pytest
from django.core import mail

from core.errors import NotAllowed
from notifications.kinds import UnknownKind
from notifications.models import EmailDelivery, Notification
from notifications.services import (
    email_mark_undeliverable,
    notify,
    notify_staff,
    preference_set,
)

pytestmark = pytest.mark.django_db
OUTBID = {"vehicle": "2018 Honda Accord", "current_price": "12500", "auction_url": "/auctions/4/"}


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run notify's after-commit work (push, email task) as it runs after a real commit."""

    def run(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return notify(**kwargs)

    return run


def test_notify_creates_in_app_notification_and_sends_email_by_default(user, committed):
    notification = committed(user=user, kind="outbid", context=OUTBID)

    assert notification is not None
    assert notification.title == "You've been outbid on 2018 Honda Accord"
    assert notification.url == "/auctions/4/"
    assert Notification.objects.filter(user=user).count() == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [user.email]
    assert message.subject == "You've been outbid on 2018 Honda Accord"
    assert "$12,500.00" in message.body
    html = message.alternatives[0][0]
    assert "North Star Auto Auctions" in html
    assert "$12,500.00" in html
    assert EmailDelivery.objects.get().status == EmailDelivery.Status.SENT


def test_in_app_turned_off_still_emails(user, committed):
    preference_set(user=user, kind="outbid", in_app=False)

    assert committed(user=user, kind="outbid", context=OUTBID) is None

    assert not Notification.objects.filter(user=user).exists()
    assert len(mail.outbox) == 1


def test_email_turned_off_still_shows_in_app(user, committed):
    preference_set(user=user, kind="outbid", email=False)

    committed(user=user, kind="outbid", context=OUTBID)

    assert Notification.objects.filter(user=user, kind="outbid").count() == 1
    assert mail.outbox == []
    assert not EmailDelivery.objects.exists()


def test_preferences_are_per_kind(user, committed):
    preference_set(user=user, kind="outbid", email=False)

    committed(user=user, kind="auction_lost", context={"vehicle": "2018 Honda Accord"})

    assert len(mail.outbox) == 1


def test_locked_kind_cannot_be_turned_off_and_is_always_sent(user, committed):
    with pytest.raises(NotAllowed):
        preference_set(user=user, kind="payment_failed", email=False)

    committed(user=user, kind="payment_failed", context={"order_number": "NS-1"})

    assert len(mail.outbox) == 1
    assert "Unsubscribe" not in mail.outbox[0].body
    assert "List-Unsubscribe" not in mail.outbox[0].extra_headers


def test_optional_email_carries_unsubscribe_link_and_one_click_header(user, committed):
    committed(user=user, kind="outbid", context=OUTBID)

    message = mail.outbox[0]
    assert "/notifications/unsubscribe/" in message.body
    assert "/notifications/unsubscribe/" in message.alternatives[0][0]
    assert message.extra_headers["List-Unsubscribe"].startswith("<http")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_undeliverable_address_is_skipped_but_in_app_still_created(user, committed):
    email_mark_undeliverable(email=user.email.upper(), reason="bounced")

    committed(user=user, kind="outbid", context=OUTBID)

    assert mail.outbox == []
    assert Notification.objects.filter(user=user).count() == 1


def test_undeliverable_address_is_emailed_again_after_the_user_changes_email(user, committed):
    email_mark_undeliverable(email=user.email, reason="bounced")
    user.email = "fixed-address@example.test"
    user.save()

    committed(user=user, kind="outbid", context=OUTBID)

    assert [m.to for m in mail.outbox] == [["fixed-address@example.test"]]


def test_email_already_queued_is_skipped_if_address_bounces_before_sending(user, email_broker, run_email_task):
    notify(user=user, kind="outbid", context=OUTBID, object_key="auction:4")
    delivery = EmailDelivery.objects.get()
    email_mark_undeliverable(email=user.email, reason="bounced")

    assert run_email_task(delivery.pk) == "skipped"

    assert mail.outbox == []
    delivery.refresh_from_db()
    assert delivery.status == EmailDelivery.Status.SKIPPED


def test_unknown_kind_raises_so_the_caller_finds_the_typo(user):
    with pytest.raises(UnknownKind):
        notify(user=user, kind="outbidd", context={})


def test_notify_staff_reaches_active_staff_only(user_factory, committed, django_capture_on_commit_callbacks):
    staff = user_factory(is_staff=True)
    user_factory(is_staff=True, is_active=False)
    user_factory()

    with django_capture_on_commit_callbacks(execute=True):
        count = notify_staff(kind="staff_alert", context={"subject": "Overdue", "message": "Order NS-1 is overdue"})

    assert count == 1
    assert list(Notification.objects.values_list("user_id", flat=True)) == [staff.pk]
    assert [m.to for m in mail.outbox] == [[staff.email]]
    assert mail.outbox[0].subject == "[Staff] Overdue"


def test_context_values_are_stored_as_plain_json(user, committed):
    from decimal import Decimal

    notification = committed(user=user, kind="outbid", context={"current_price": Decimal("100.50")})

    notification.refresh_from_db()
    assert notification.context == {"current_price": "100.50"}
    assert "$100.50" in notification.body
