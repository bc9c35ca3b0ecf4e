"""POST /api/webhooks/persona: signed, fresh, de-duplicated on the event id, forward-only."""

import time

import pytest

from accounts.models import IdentityVerification
from core.models import WebhookDelivery
from tests.fakes.persona import WEBHOOK_SECRET, sign_webhook, webhook_body

pytestmark = pytest.mark.django_db
URL = "/api/webhooks/persona"


@pytest.fixture
def pending(user, settings):
    settings.PERSONA_WEBHOOK_SECRET = WEBHOOK_SECRET
    return IdentityVerification.objects.create(user=user, status="pending", inquiry_id="inq_hook1", started_at=None)


def _post(client, body, header):
    return client.post(URL, data=body, content_type="application/json", HTTP_PERSONA_SIGNATURE=header)


def test_valid_webhook_approves_and_is_recorded(client, pending):
    body = webhook_body(event_name="inquiry.approved", inquiry_id="inq_hook1", status="approved", event_id="evt_1")
    response = _post(client, body, sign_webhook(body))
    assert response.status_code == 200
    assert response.json()["data"]["result"] == "processed"
    pending.refresh_from_db()
    assert pending.status == "approved"
    assert WebhookDelivery.objects.filter(vendor="persona", event_id="evt_1").exists()


def test_replayed_webhook_is_acknowledged_but_not_applied_twice(client, pending):
    body = webhook_body(
        event_name="inquiry.marked-for-review", inquiry_id="inq_hook1", status="needs_review", event_id="evt_2"
    )
    assert _post(client, body, sign_webhook(body)).json()["data"]["result"] == "processed"
    replay = _post(client, body, sign_webhook(body))
    assert replay.status_code == 200
    assert replay.json()["data"]["result"] == "duplicate"
    assert pending.user.account_events.filter(kind="identity_changed").count() == 1


def test_forged_signature_is_401_and_changes_nothing(client, pending):
    body = webhook_body(event_name="inquiry.approved", inquiry_id="inq_hook1", status="approved")
    response = _post(client, body, sign_webhook(body, secret="not-the-secret"))
    assert response.status_code == 401
    assert response.json()["error"] == "bad signature"
    pending.refresh_from_db()
    assert pending.status == "pending"
    assert not WebhookDelivery.objects.exists()


def test_tampered_body_is_401(client, pending):
    body = webhook_body(event_name="inquiry.declined", inquiry_id="inq_hook1", status="declined")
    header = sign_webhook(body)
    tampered = body.replace(b"declined", b"approved")
    assert _post(client, tampered, header).status_code == 401


def test_unsigned_webhook_is_401(client, pending):
    body = webhook_body(event_name="inquiry.approved", inquiry_id="inq_hook1", status="approved")
    assert client.post(URL, data=body, content_type="application/json").status_code == 401


def test_stale_timestamp_is_400(client, pending):
    body = webhook_body(event_name="inquiry.approved", inquiry_id="inq_hook1", status="approved")
    response = _post(client, body, sign_webhook(body, timestamp=int(time.time()) - 3600))
    assert response.status_code == 400
    pending.refresh_from_db()
    assert pending.status == "pending"


def test_rotation_accepts_any_matching_pair(client, pending):
    body = webhook_body(event_name="inquiry.approved", inquiry_id="inq_hook1", status="approved")
    header = f"{sign_webhook(body, secret='old-secret')} {sign_webhook(body)}"
    assert _post(client, body, header).status_code == 200


def test_webhook_for_unknown_inquiry_is_acknowledged_and_ignored(client, pending):
    body = webhook_body(event_name="inquiry.approved", inquiry_id="inq_other", status="approved")
    response = _post(client, body, sign_webhook(body))
    assert response.status_code == 200
    assert response.json()["data"]["result"] == "ignored"


def test_signed_but_malformed_body_is_400(client, pending):
    body = b'{"data": {"type": "something"}}'
    assert _post(client, body, sign_webhook(body)).status_code == 400


def test_get_is_not_allowed(client):
    assert client.get(URL).status_code == 405
