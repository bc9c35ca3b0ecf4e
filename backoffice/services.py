"""Writes of the staff console: device sightings, staff notes, fraud flag reviews."""

from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from backoffice.models import DeviceSighting, FraudFlag, StaffNote
from core.errors import Conflict, DomainError, NotFound


def device_sighting_record(*, user_id: int, device_id: str, ip_address: str | None, user_agent: str = "") -> None:
    """Upsert (user, device, address) in one statement: a first sighting is a row, a later one moves
    `last_seen_at` (the unique constraint decides, so two logins at once make one row)."""
    now = timezone.now()
    target = ["user", "device_id", "ip_address"] if connection.features.supports_update_conflicts_with_target else None
    DeviceSighting.objects.bulk_create(
        [
            DeviceSighting(
                user_id=user_id, device_id=device_id, ip_address=ip_address, user_agent=(user_agent or "")[:300],
                first_seen_at=now, last_seen_at=now,
            )
        ],
        update_conflicts=True,
        unique_fields=target,
        update_fields=["last_seen_at", "user_agent"],
    )  # fmt: skip


def staff_note_add(*, user_id: int, author: Any, body: str) -> StaffNote:
    body = (body or "").strip()
    if not body:
        raise DomainError("Write the note first.", details={"body": ["This field is required."]})
    if len(body) > 4000:
        raise DomainError("A note is at most 4,000 characters.", details={"body": ["Too long."]})
    return StaffNote.objects.create(user_id=user_id, author=author, body=body)


def fraud_flag_review(*, flag_id: int, actor: Any, verdict: str, note: str) -> FraudFlag:
    """Staff close a flag: dismissed (no fraud) or confirmed (they acted: void, suspend …), with a note."""
    if verdict not in (FraudFlag.Verdict.DISMISSED, FraudFlag.Verdict.CONFIRMED):
        raise DomainError("Choose dismissed or confirmed.", details={"verdict": ["Invalid choice."]})
    note = (note or "").strip()
    if not note:
        raise DomainError("Say what you found.", details={"note": ["This field is required."]})
    with transaction.atomic():
        flag = FraudFlag.objects.select_for_update().filter(pk=flag_id).first()
        if flag is None:
            raise NotFound("No such flag.")
        if flag.reviewed_at is not None:
            raise Conflict("This flag was already reviewed.")
        flag.reviewed_at = timezone.now()
        flag.reviewed_by = actor
        flag.verdict = verdict
        flag.review_note = note
        flag.save(update_fields=["reviewed_at", "reviewed_by", "verdict", "review_note"])
    return flag
