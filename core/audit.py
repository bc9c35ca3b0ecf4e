"""The audit trail of staff actions: who, when, from where, what changed (before → after), and why.

Entries are django-auditlog `LogEntry` rows, the same table that records table edits in the console (fee
and rate tables, roles: registered in backoffice.apps), so one search finds both. Nobody edits or deletes
an entry: the console shows them read-only and no code path updates them.

Use `staff_action` around the service call an entry point makes for a staff member:

    with staff_action(request, "vehicle_approve", Vehicle, vehicle_id, fields=("status",), reason=reason):
        services.vehicle_approve(vehicle_id=vehicle_id, actor=request.user)

The fields are read before and after; the entry is written only when the service returned (a refusal
changed nothing). The domain's own event rows (AccountEvent, VehicleEvent, OrderEvent …) still record the
status change in the service's transaction; this entry adds the door, the address and the before/after.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import models
from django.http import HttpRequest


def client_address(request: HttpRequest | None) -> str | None:
    """The address that made the request, as the server saw it (daphne's proxy-headers option puts the
    load balancer's X-Forwarded-For there; a header a client sets is never read here)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return f"{value:.2f}" if value == value.quantize(Decimal("0.01")) else str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(value.pk)
    return str(value)


def _read(model: type[models.Model], pk: Any, fields: Sequence[str]) -> dict[str, Any]:
    row = model._default_manager.filter(pk=pk).values(*fields).first() or {}
    return {name: _plain(row.get(name)) for name in fields}


@dataclass
class AuditNote:
    """What the caller may add while the action runs (e.g. the refund's outcome)."""

    extra: dict[str, Any] = field(default_factory=dict)
    entry: Any = None


def staff_action_record(
    *,
    request: HttpRequest | None,
    action: str,
    instance: models.Model,
    changes: dict[str, list[Any]],
    reason: str = "",
    extra: dict[str, Any] | None = None,
    actor: Any = None,
) -> Any:
    """Append one entry for a staff action on `instance` (changes: {field: [before, after]})."""
    from auditlog.models import LogEntry

    actor = actor if actor is not None else getattr(request, "user", None)
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return LogEntry.objects.log_create(
        instance,
        force_log=True,
        action=LogEntry.Action.UPDATE,
        changes=changes,
        actor=actor,
        actor_email=getattr(actor, "email", None),
        remote_addr=client_address(request),
        additional_data={"action": action, "reason": reason, **(extra or {})},
    )


@contextmanager
def staff_action(
    request: HttpRequest | None,
    action: str,
    model: type[models.Model],
    pk: Any,
    *,
    fields: Sequence[str],
    reason: str = "",
    actor: Any = None,
) -> Iterator[AuditNote]:
    """Read `fields` of the row, run the block, read them again and record what changed (see module doc)."""
    before = _read(model, pk, fields)
    note = AuditNote()
    yield note
    after = _read(model, pk, fields)
    instance = model._default_manager.filter(pk=pk).first()
    if instance is None:  # deleted by the action: record the last state seen
        instance = model(pk=pk)
    changes = {name: [before.get(name), after.get(name)] for name in fields if before.get(name) != after.get(name)}
    note.entry = staff_action_record(
        request=request, action=action, instance=instance, changes=changes, reason=reason, extra=note.extra, actor=actor
    )
