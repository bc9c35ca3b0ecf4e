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


def _signed(sendgrid_tracking, events, *, age_seconds=0):
    import json
    import time

    body = json.dumps(events).encode()
    return body, sendgrid_tracking.headers(body, timestamp=str(int(time.time()) - age_seconds))


def test_a_signed_post_thirty_days_old_is_refused(client, sendgrid_tracking):
    # given a bounce SendGrid really signed, thirty days ago
    body, headers = _signed(
        sendgrid_tracking, [sendgrid_event("bounce", "victim@example.test")], age_seconds=30 * 86400
    )
    # when it is posted now
    response = client.post(TRACKING_URL, data=body, content_type="application/json", **headers)
    # then it is refused and changes nothing
    assert response.status_code == 400
    assert not UndeliverableEmail.objects.exists()


def test_a_signed_post_six_minutes_old_is_refused_but_four_minutes_is_accepted(client, sendgrid_tracking):
    stale_body, stale = _signed(sendgrid_tracking, [sendgrid_event("bounce", "old@example.test")], age_seconds=360)
    fresh_body, fresh = _signed(sendgrid_tracking, [sendgrid_event("bounce", "new@example.test")], age_seconds=240)

    assert client.post(TRACKING_URL, data=stale_body, content_type="application/json", **stale).status_code == 400
    assert client.post(TRACKING_URL, data=fresh_body, content_type="application/json", **fresh).status_code == 200
    assert list(UndeliverableEmail.objects.values_list("email", flat=True)) == ["new@example.test"]


def test_a_replayed_event_is_processed_once(client, sendgrid_tracking):
    from core.models import WebhookDelivery
    from notifications.services import email_mark_deliverable

    # given a bounce that was processed, after which the user fixed their mailbox
    event = sendgrid_event("bounce", "fixed@example.test")
    body, headers = _signed(sendgrid_tracking, [event])
    assert client.post(TRACKING_URL, data=body, content_type="application/json", **headers).status_code == 200
    email_mark_deliverable(email="fixed@example.test")
    # when the same signed post is replayed, and the same event comes again in a new post
    assert client.post(TRACKING_URL, data=body, content_type="application/json", **headers).status_code == 200
    again_body, again = _signed(sendgrid_tracking, [event, sendgrid_event("delivered", "other@example.test")])
    assert client.post(TRACKING_URL, data=again_body, content_type="application/json", **again).status_code == 200
    # then the address stays deliverable: each event id is acted on once
    assert not UndeliverableEmail.objects.exists()
    assert WebhookDelivery.objects.filter(vendor="sendgrid", event_id=event["sg_event_id"]).count() == 1
    assert WebhookDelivery.objects.filter(vendor="sendgrid").count() == 2


def test_a_malformed_signed_body_is_a_400_not_a_500(client, sendgrid_tracking):
    body = b'[{"event": "bounce"'
    response = client.post(TRACKING_URL, data=body, content_type="application/json", **sendgrid_tracking.headers(body))
    assert response.status_code == 400
