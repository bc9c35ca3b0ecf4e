"""Saved searches: create, rename, pause, delete; match a newly published vehicle against all of them; alert.

Matching never runs a search's query. The active searches are indexed in memory
(vehicles/saved_search_index.py) under the values of their most selective exact criterion; a vehicle is
offered to the searches filed under one of its own values, and each candidate is decided in Python by
`vehicles.search.matcher`, the same meaning the inventory query has. A (search, vehicle) pair is recorded once (unique constraint): concurrent matchers
both insert with INSERT IGNORE and each alerts only the rows carrying its own claim, so no alert is sent
twice. Instant searches are notified after commit; daily ones wait for the digest.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, OperationalError, connection, transaction
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from core.errors import Conflict, DomainError, NotFound
from vehicles import search
from vehicles.filters import VehicleFilter, criteria_querystring
from vehicles.models import SavedSearch, SavedSearchMatch, Vehicle
from vehicles.saved_search_index import INDEX

MAX_SAVED_SEARCHES = 50
NAME_MAX = 80
DIGEST_EVERY = timedelta(hours=24)
DIGEST_LIST = 10


class SavedSearchInvalid(DomainError):
    pass


# --- parsing (one grammar: the inventory's) --------------------------------------------------------------


def criteria_from_params(params: Any, *, user: Any = None) -> dict[str, Any]:
    """Inventory query parameters (a QueryDict, a query string or a dict of values/lists) -> canonical
    criteria, through the inventory's own parser; bad values raise SavedSearchInvalid with field details."""
    data = QueryDict(mutable=True)
    if isinstance(params, str | QueryDict):
        source = QueryDict(params.lstrip("?")) if isinstance(params, str) else params
        for name, values in source.lists():
            data.setlist(name, values)
    else:
        for name, value in (params or {}).items():
            if name not in VehicleFilter.base_filters:
                raise SavedSearchInvalid(f"“{name}” is not an inventory filter.", details={name: ["unknown filter"]})
            if isinstance(value, list | tuple):
                data.setlist(name, [_param(v) for v in value])
            elif value is not None:
                data[name] = _param(value)
    for name in ("page", "page_size", "mine"):
        data.pop(name, None)
    filterset = VehicleFilter(data, queryset=Vehicle.objects.none(), default_zip=getattr(user, "postal_code", "") or "")
    if not filterset.form.is_valid():
        errors = {name: [str(e) for e in messages] for name, messages in filterset.form.errors.items()}
        raise SavedSearchInvalid("Some filters are not valid.", details=errors)
    return filterset.criteria


def _param(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def _clean_name(name: Any) -> str:
    text = " ".join(str(name or "").split())
    if not text:
        raise SavedSearchInvalid("Give the search a name.", details={"name": ["is required"]})
    if len(text) > NAME_MAX:
        raise SavedSearchInvalid(
            f"The name can be at most {NAME_MAX} characters.", details={"name": [f"at most {NAME_MAX} characters"]}
        )
    return text


def _clean_frequency(frequency: Any) -> str:
    value = str(frequency or SavedSearch.Frequency.INSTANT)
    if value not in SavedSearch.Frequency.values:
        raise SavedSearchInvalid(
            "Frequency must be instant or daily.", details={"frequency": ["must be instant or daily"]}
        )
    return value


def _name_taken() -> Conflict:
    return Conflict("You already have a saved search with this name.", details={"name": ["already used"]})


# --- the user's writes --------------------------------------------------------------------------------


def saved_search_create(*, user: Any, name: Any, criteria: dict[str, Any], frequency: Any = None) -> SavedSearch:
    """Save a search (criteria from `criteria_from_params`). At most MAX_SAVED_SEARCHES per user."""
    clean_name, clean_frequency = _clean_name(name), _clean_frequency(frequency)
    now = timezone.now()
    try:
        with transaction.atomic():
            if SavedSearch.objects.filter(user=user).count() >= MAX_SAVED_SEARCHES:
                raise Conflict(
                    f"You can keep up to {MAX_SAVED_SEARCHES} saved searches; delete one first.", code="too_many"
                )
            saved = SavedSearch.objects.create(
                user=user,
                name=clean_name,
                criteria=criteria,
                frequency=clean_frequency,
                digest_due_at=now + DIGEST_EVERY,
            )
    except IntegrityError as exc:
        raise _name_taken() from exc
    return saved


def _own(user: Any, search_id: int) -> SavedSearch:
    """Precondition: inside a transaction. Locks the user's search (others' ids are not found)."""
    saved = SavedSearch.objects.select_for_update().filter(pk=search_id, user=user).first()
    if saved is None:
        raise NotFound("No such saved search.", code="saved_search_not_found")
    return saved


def saved_search_update(
    *,
    user: Any,
    search_id: int,
    name: Any = None,
    frequency: Any = None,
    paused: bool | None = None,
    criteria: dict[str, Any] | None = None,
) -> SavedSearch:
    """Rename, change frequency, pause/resume, or replace the criteria (given values only)."""
    try:
        with transaction.atomic():
            saved = _own(user, search_id)
            if name is not None:
                saved.name = _clean_name(name)
            if frequency is not None:
                new = _clean_frequency(frequency)
                if new != saved.frequency and new == SavedSearch.Frequency.DAILY:
                    saved.digest_due_at = timezone.now() + DIGEST_EVERY
                saved.frequency = new
            if paused is not None:
                saved.paused_at = (saved.paused_at or timezone.now()) if paused else None
            if criteria is not None:
                saved.criteria = criteria
            saved.save()
    except IntegrityError as exc:
        raise _name_taken() from exc
    return saved


def saved_search_delete(*, user: Any, search_id: int) -> None:
    with transaction.atomic():
        _own(user, search_id).delete()


# --- matching -------------------------------------------------------------------------------------------


def candidates_for(vehicle: Vehicle) -> list[int]:
    """Ids of the active searches filed under one of the vehicle's values (vehicles/saved_search_index.py),
    not yet decided."""
    INDEX.refresh()
    return sorted(entry.pk for entry in INDEX.candidates(vehicle) if entry.user_id != vehicle.seller_id)


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A saved search a vehicle met (what the alert needs; no model instance per candidate)."""

    pk: int
    user_id: int
    name: str
    frequency: str


def matching_searches(vehicle: Vehicle, *, now: datetime | None = None) -> list[SearchHit]:
    """The active saved searches this vehicle meets: candidates from the in-memory index, decided in Python
    (vehicles.search.matcher), then confirmed by one query by primary key (still there, still active; the
    current name and frequency). Searches found deleted leave the index."""
    INDEX.refresh()
    ctx = search.SearchContext(now=now or timezone.now())
    found = {entry.pk for entry in INDEX.matching(vehicle, ctx)}
    if not found:
        return []
    rows = _confirm(found)
    INDEX.forget(found - {row[0] for row in rows})
    return [SearchHit(pk, user_id, name, frequency) for pk, user_id, name, frequency, paused in rows if paused is None]


def _confirm(pks: set[int]) -> list[tuple[int, int, str, str, Any]]:
    """The searches among `pks` that still exist: (pk, user_id, name, frequency, paused_at), in one query by
    primary key. The ids are the index's own integers, written into the statement as literals: a popular
    vehicle meets thousands of searches, and preparing an `IN` list parameter by parameter cost more than the
    query (30 of 50 ms per vehicle against 100,000 searches, docs/BENCHMARKS.md)."""
    ids = ",".join(str(int(pk)) for pk in sorted(pks))
    table = connection.ops.quote_name(SavedSearch._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, user_id, name, frequency, paused_at FROM {table} WHERE id IN ({ids}) ORDER BY id")  # noqa: S608 - integers only
        return list(cursor.fetchall())


def mark_for_matching(vehicle: Vehicle, *, reason: str) -> None:
    """Precondition: inside the transaction that published or listed the vehicle. The matcher runs after
    commit; the flag lets the beat sweep finish the work if that task is lost."""
    Vehicle.objects.filter(pk=vehicle.pk).update(alert_match_pending=True)
    vehicle_id = vehicle.pk
    transaction.on_commit(lambda: _queue_match(vehicle_id, reason))


def _queue_match(vehicle_id: int, reason: str) -> None:
    import logging

    from vehicles.tasks import match_saved_searches

    try:
        match_saved_searches.delay(vehicle_id, reason)
    except Exception:  # noqa: BLE001 - the sweep (every 30 s) matches vehicles still flagged
        logging.getLogger(__name__).exception("could not queue saved-search matching for vehicle %s", vehicle_id)


def saved_search_match_vehicle(*, vehicle_id: int, reason: str = "published") -> int:
    """Record the matches of a newly published (or newly auctioned) vehicle and alert instant searches.
    Safe to run twice or concurrently: each (search, vehicle) is recorded and alerted once. Returns how many
    new matches this call recorded."""
    vehicle = Vehicle.objects.filter(pk=vehicle_id).first()
    if vehicle is None:
        return 0
    now = timezone.now()
    found = sorted(matching_searches(vehicle, now=now), key=lambda s: s.pk) if vehicle.in_inventory else []
    for attempt in range(DEADLOCK_RETRIES):
        try:
            return _record_matches(vehicle, found, reason=reason, now=now)
        except OperationalError as exc:
            if exc.args[0] != MYSQL_DEADLOCK or attempt == DEADLOCK_RETRIES - 1:
                raise
    return 0


DEADLOCK_RETRIES = 3
MYSQL_DEADLOCK = 1213


def _record_matches(vehicle: Vehicle, found: list[SearchHit], *, reason: str, now: datetime) -> int:
    """One transaction. Locks, in this order: the vehicle row (matchers of one vehicle take turns), the new
    match rows, then the instant searches' rows in primary-key order."""
    claim = uuid.uuid4().hex
    with transaction.atomic():
        Vehicle.objects.select_for_update().filter(pk=vehicle.pk).values_list("pk", flat=True).first()
        ours: set[int] = set()
        if found:
            SavedSearchMatch.objects.bulk_create(
                [
                    SavedSearchMatch(search_id=s.pk, vehicle_id=vehicle.pk, reason=reason, claim=claim, matched_at=now)
                    for s in found
                ],
                ignore_conflicts=True,
            )
            ours = set(
                SavedSearchMatch.objects.filter(vehicle_id=vehicle.pk, claim=claim).values_list("search_id", flat=True)
            )
            instant = [s for s in found if s.pk in ours and s.frequency == SavedSearch.Frequency.INSTANT]
            if instant:
                SavedSearchMatch.objects.filter(
                    vehicle_id=vehicle.pk, claim=claim, search_id__in=[s.pk for s in instant]
                ).update(notified_at=now)
                SavedSearch.objects.filter(pk__in=[s.pk for s in instant]).update(last_alert_at=now)
                transaction.on_commit(lambda: _alert_instant(instant, vehicle, reason))
        Vehicle.objects.filter(pk=vehicle.pk, alert_match_pending=True).update(alert_match_pending=False)
    return len(ours)


def _vehicle_context(vehicle: Vehicle) -> dict[str, Any]:
    return {
        "vehicle": vehicle.title,
        "price": str(vehicle.price) if vehicle.price is not None else "",
        "mileage": f"{vehicle.mileage:,}",
        "location": vehicle.location,
        "url": reverse("vehicles:detail", args=[vehicle.pk]),
    }


def _alert_instant(searches: list[SearchHit], vehicle: Vehicle, reason: str) -> None:
    from accounts.models import User
    from notifications.services import notify

    users = User.objects.in_bulk({s.user_id for s in searches})
    for saved in searches:
        user = users.get(saved.user_id)
        if user is None:
            continue
        notify(
            user=user,
            kind="saved_search_match",
            context={**_vehicle_context(vehicle), "search": saved.name, "reason": reason},
            object_key=f"saved_search:{saved.pk}:vehicle:{vehicle.pk}",
        )


def saved_search_match_pending(*, limit: int = 200) -> int:
    """Beat sweep: match vehicles still flagged (their task was lost or failed). Returns vehicles matched."""
    ids = list(Vehicle.objects.filter(alert_match_pending=True).order_by("pk").values_list("pk", flat=True)[:limit])
    for vehicle_id in ids:
        saved_search_match_vehicle(vehicle_id=vehicle_id)
    return len(ids)


# --- digests --------------------------------------------------------------------------------------------


def saved_search_send_digest(*, search_id: int, now: datetime | None = None) -> int:
    """One daily digest: every match since the last digest, in one notification. The search is claimed
    with a conditional UPDATE of `digest_due_at`, so two workers never send the same digest. Returns the
    number of vehicles in it (0: nothing due or nothing new)."""
    now = now or timezone.now()
    with transaction.atomic():
        saved = SavedSearch.objects.filter(pk=search_id).select_related("user").first()
        if saved is None or saved.frequency != SavedSearch.Frequency.DAILY or saved.is_paused:
            return 0
        due = saved.digest_due_at
        if due is not None and due > now:
            return 0
        claimed = SavedSearch.objects.filter(pk=saved.pk, digest_due_at=due).update(digest_due_at=now + DIGEST_EVERY)
        if not claimed:
            return 0
        pending = list(
            SavedSearchMatch.objects.filter(search=saved, notified_at__isnull=True, matched_at__lte=now)
            .select_related("vehicle")
            .order_by("matched_at", "pk")
        )
        if not pending:
            return 0
        SavedSearchMatch.objects.filter(pk__in=[m.pk for m in pending]).update(notified_at=now)
        SavedSearch.objects.filter(pk=saved.pk).update(last_alert_at=now)
        vehicles = [m.vehicle for m in pending if m.vehicle.is_public]
        if vehicles:
            transaction.on_commit(lambda: _alert_digest(saved, vehicles))
    return len(vehicles)


def _alert_digest(saved: SavedSearch, vehicles: list[Vehicle]) -> None:
    from notifications.services import notify

    lines = [f"{v.title} — ${v.price:,.2f}" if v.price is not None else v.title for v in vehicles[:DIGEST_LIST]]
    more = len(vehicles) - len(lines)
    notify(
        user=saved.user,
        kind="saved_search_digest",
        context={
            "search": saved.name,
            "count": len(vehicles),
            "vehicles": "; ".join(lines) + (f"; and {more} more" if more > 0 else ""),
            "url": reverse("vehicles:inventory") + "?" + criteria_querystring(saved.criteria),
        },
        object_key=f"saved_search:{saved.pk}:digest",
    )


def saved_search_send_due_digests(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Beat: every daily search whose digest is due and that has something new."""
    now = now or timezone.now()
    ids = list(
        SavedSearch.objects.active()
        .filter(frequency=SavedSearch.Frequency.DAILY, digest_due_at__lte=now, matches__notified_at__isnull=True)
        .values_list("pk", flat=True)
        .distinct()[:limit]
    )
    return sum(1 for search_id in ids if saved_search_send_digest(search_id=search_id, now=now))
