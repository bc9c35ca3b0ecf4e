"""anymail's SendGrid tracking webhook: ECDSA-signed events; bounces, drops and complaints stop email."""

import pytest
from django.core import mail

from notifications.models import UndeliverableEmail
from tests.fixtures.notifications import TRACKING_URL, sendgrid_event

pytestmark = pytest.mark.django_db


def test_signed_bounce_marks_the_address_undeliverable_and_notify_stops_emailing_it(
    client, user, sendgrid_tracking, notify_committed
):
    response = sendgrid_tracking.post(client, [sendgrid_event("bounce", user.email.upper(), reason="550 no such user")])

    assert response.status_code == 200
    record = UndeliverableEmail.objects.get()
    assert (record.email, record.reason) == (user.email, "bounced")
    assert "550" in record.detail

    notify_committed(user=user, kind="outbid", context={"vehicle": "2018 Honda Accord"})
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("event", "extra", "reason"),
    [("dropped", {"reason": "Bounced Address"}, "rejected"), ("spamreport", {}, "complained")],
)
def test_drops_and_spam_complaints_mark_the_address_undeliverable(client, sendgrid_tracking, event, extra, reason):
    response = sendgrid_tracking.post(client, [sendgrid_event(event, "victim@example.test", **extra)])

    assert response.status_code == 200
    assert UndeliverableEmail.objects.get(email="victim@example.test").reason == reason


def test_delivered_and_open_events_change_nothing(client, sendgrid_tracking):
    events = [sendgrid_event("delivered", "fine@example.test"), sendgrid_event("open", "fine@example.test")]

    assert sendgrid_tracking.post(client, events).status_code == 200

    assert not UndeliverableEmail.objects.exists()


def test_tracking_webhook_rejects_a_bad_signature(client, sendgrid_tracking):
    response = sendgrid_tracking.post(client, [sendgrid_event("bounce", "victim@example.test")], tamper=True)

    assert response.status_code == 400
    assert not UndeliverableEmail.objects.exists()


def test_tracking_webhook_rejects_a_post_without_signature(client, sendgrid_tracking):
    response = client.post(TRACKING_URL, data=b"[]", content_type="application/json")

    assert response.status_code == 400


def test_tracking_webhook_rejects_a_signature_from_another_key(client, sendgrid_tracking):
    import base64
    import json

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    body = json.dumps([sendgrid_event("bounce", "victim@example.test")]).encode()
    other_key = ec.generate_private_key(ec.SECP256R1())
    signature = base64.b64encode(other_key.sign(b"1700000000" + body, ec.ECDSA(hashes.SHA256()))).decode()
    response = client.post(
        TRACKING_URL,
        data=body,
        content_type="application/json",
        HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_SIGNATURE=signature,
        HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_TIMESTAMP="1700000000",
    )

    assert response.status_code == 400
    assert not UndeliverableEmail.objects.exists()


def test_replayed_bounce_is_harmless(client, sendgrid_tracking):
    events = [sendgrid_event("bounce", "victim@example.test")]

    assert sendgrid_tracking.post(client, events).status_code == 200
    assert sendgrid_tracking.post(client, events).status_code == 200

    assert UndeliverableEmail.objects.count() == 1


def test_system_check_warns_when_sendgrid_runs_without_a_webhook_key(settings):
    from notifications.apps import check_tracking_webhook_key

    settings.EMAIL_BACKEND = "anymail.backends.sendgrid.EmailBackend"
    settings.ANYMAIL = {**settings.ANYMAIL, "SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY": None}
    assert [w.id for w in check_tracking_webhook_key()] == ["notifications.W001"]

    settings.ANYMAIL = {**settings.ANYMAIL, "SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY": "MFkw..."}
    assert check_tracking_webhook_key() == []
