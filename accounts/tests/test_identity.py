"""ID verification services against the Persona fake: start, resume, races, outages, sync, poll, override."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import AccountEvent, IdentityVerification
from accounts.services import (
    identity_verification_override,
    identity_verification_return,
    identity_verification_start,
    identity_verification_sync,
)
from accounts.tasks import poll_pending_identity_checks
from core.errors import Conflict, DomainError, NotAllowed, VendorUnavailable

pytestmark = pytest.mark.django_db
RETURN = "http://testserver/account/identity/return/"
Status = IdentityVerification.Status


def test_start_creates_one_inquiry_records_event_and_returns_hosted_link(user, fake_persona):
    started = identity_verification_start(user=user, redirect_uri=RETURN)

    verification = IdentityVerification.objects.get(user=user)
    assert verification.status == Status.PENDING
    assert verification.inquiry_id == started.inquiry_id
    assert fake_persona.inquiries[started.inquiry_id]["reference-id"] == str(user.pk)
    assert started.redirect_url.startswith(fake_persona.base_url)
    assert not started.resumed
    event = AccountEvent.objects.get(user=user)
    assert (event.kind, event.from_status, event.to_status) == ("identity_started", "not_started", "pending")


def test_second_start_while_pending_resumes_the_same_inquiry(user, fake_persona):
    first = identity_verification_start(user=user, redirect_uri=RETURN)
    second = identity_verification_start(user=user, redirect_uri=RETURN)

    assert second.inquiry_id == first.inquiry_id
    assert second.resumed
    assert fake_persona.requests["POST inquiries"] == 1
    assert AccountEvent.objects.filter(user=user, kind="identity_started").count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_starts_share_one_inquiry_through_the_idempotency_key(user, fake_persona):
    results, errors = [], []

    def start() -> None:
        try:
            results.append(identity_verification_start(user=user, redirect_uri=RETURN).inquiry_id)
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(set(results)) == 1
    assert len(fake_persona.inquiries) == 1
    assert IdentityVerification.objects.get(user=user).inquiry_id == results[0]


def test_persona_down_leaves_nothing_half_saved(user, fake_persona):
    fake_persona.fail_status = 503
    with pytest.raises(VendorUnavailable):
        identity_verification_start(user=user, redirect_uri=RETURN)
    verification = IdentityVerification.objects.get(user=user)
    assert (verification.status, verification.inquiry_id, verification.attempts) == (Status.NOT_STARTED, None, 0)
    assert not AccountEvent.objects.filter(user=user).exists()


def test_slow_persona_times_out_and_the_retry_reuses_the_idempotency_key(user, fake_persona):
    fake_persona.delay = 1.5
    with pytest.raises(VendorUnavailable):
        identity_verification_start(user=user, redirect_uri=RETURN)
    fake_persona.delay = 0
    started = identity_verification_start(user=user, redirect_uri=RETURN)
    assert len(fake_persona.inquiries) == 1  # the slow request's inquiry is the one we got back
    assert started.inquiry_id in fake_persona.inquiries


def test_approved_user_cannot_start_again_and_review_waits(user, fake_persona):
    started = identity_verification_start(user=user, redirect_uri=RETURN)
    identity_verification_sync(inquiry_id=started.inquiry_id, vendor_status="needs_review", source="test")
    with pytest.raises(Conflict, match="reviewed"):
        identity_verification_start(user=user, redirect_uri=RETURN)
    identity_verification_sync(inquiry_id=started.inquiry_id, vendor_status="approved", source="test")
    with pytest.raises(Conflict, match="already verified"):
        identity_verification_start(user=user, redirect_uri=RETURN)


def test_declined_user_can_start_a_fresh_inquiry(user, fake_persona):
    first = identity_verification_start(user=user, redirect_uri=RETURN)
    identity_verification_sync(inquiry_id=first.inquiry_id, vendor_status="declined", source="test")
    second = identity_verification_start(user=user, redirect_uri=RETURN)
    assert second.inquiry_id != first.inquiry_id
    assert IdentityVerification.objects.get(user=user).attempts == 2


def test_return_fetches_the_inquiry_and_applies_its_status(
    user, fake_persona, sent_notifications, django_capture_on_commit_callbacks
):
    started = identity_verification_start(user=user, redirect_uri=RETURN)
    fake_persona.set_status(started.inquiry_id, "approved")
    with django_capture_on_commit_callbacks(execute=True):
        verification = identity_verification_return(user=user, inquiry_id=started.inquiry_id)
    assert verification.status == Status.APPROVED
    assert fake_persona.requests["GET inquiry"] == 1
    assert sent_notifications == [
        {
            "user": user,
            "kind": "identity_verification_result",
            "context": {"status": "approved", "status_label": "Approved"},
            "object_key": f"identity:{user.pk}",
        }
    ]


def test_return_with_someone_elses_inquiry_is_refused(user, user_factory, fake_persona):
    other = user_factory()
    theirs = identity_verification_start(user=other, redirect_uri=RETURN)
    identity_verification_start(user=user, redirect_uri=RETURN)
    with pytest.raises(NotAllowed):
        identity_verification_return(user=user, inquiry_id=theirs.inquiry_id)


def test_sync_moves_forward_only(user, fake_persona):
    started = identity_verification_start(user=user, redirect_uri=RETURN)
    identity_verification_sync(inquiry_id=started.inquiry_id, vendor_status="approved", source="test")
    identity_verification_sync(inquiry_id=started.inquiry_id, vendor_status="pending", source="late webhook")
    assert IdentityVerification.objects.get(user=user).status == Status.APPROVED
    assert AccountEvent.objects.filter(user=user, kind="identity_changed").count() == 1


def test_completed_then_declined_ends_declined(user, fake_persona):
    started = identity_verification_start(user=user, redirect_uri=RETURN)
    identity_verification_sync(inquiry_id=started.inquiry_id, vendor_status="completed", source="test")
    assert IdentityVerification.objects.get(user=user).status == Status.APPROVED
    identity_verification_sync(inquiry_id=started.inquiry_id, vendor_status="declined", source="test")
    assert IdentityVerification.objects.get(user=user).status == Status.DECLINED


def test_sync_of_unknown_inquiry_is_ignored(db):
    assert identity_verification_sync(inquiry_id="inq_nobody", vendor_status="approved", source="test") is None


def test_poll_fetches_only_inquiries_pending_for_more_than_ten_minutes(user, user_factory, fake_persona):
    old = identity_verification_start(user=user, redirect_uri=RETURN)
    other = user_factory()
    fresh = identity_verification_start(user=other, redirect_uri=RETURN)
    IdentityVerification.objects.filter(user=user).update(started_at=timezone.now() - timedelta(minutes=11))
    fake_persona.set_status(old.inquiry_id, "approved")
    fake_persona.set_status(fresh.inquiry_id, "approved")

    assert poll_pending_identity_checks() == 1

    assert IdentityVerification.objects.get(user=user).status == Status.APPROVED
    assert IdentityVerification.objects.get(user=other).status == Status.PENDING


def test_poll_stops_quietly_when_persona_is_down(user, fake_persona):
    identity_verification_start(user=user, redirect_uri=RETURN)
    IdentityVerification.objects.filter(user=user).update(started_at=timezone.now() - timedelta(minutes=30))
    fake_persona.fail_status = 503
    assert poll_pending_identity_checks() == 0
    assert IdentityVerification.objects.get(user=user).status == Status.PENDING


def test_staff_override_needs_a_reason_records_event_and_stops_vendor_updates(user, staff_user, fake_persona):
    started = identity_verification_start(user=user, redirect_uri=RETURN)
    with pytest.raises(DomainError):
        identity_verification_override(user_id=user.pk, status=Status.APPROVED, actor=staff_user, reason=" ")

    identity_verification_override(
        user_id=user.pk, status=Status.APPROVED, actor=staff_user, reason="Checked passport by video call"
    )
    identity_verification_sync(inquiry_id=started.inquiry_id, vendor_status="declined", source="webhook")

    verification = IdentityVerification.objects.get(user=user)
    assert verification.status == Status.APPROVED
    assert verification.overridden_by == staff_user
    event = AccountEvent.objects.get(user=user, kind="identity_overridden")
    assert (event.actor, event.reason, event.to_status) == (staff_user, "Checked passport by video call", "approved")
