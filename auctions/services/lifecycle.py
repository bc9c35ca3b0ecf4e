"""Scheduling, editing, starting and cancelling auctions."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F

from auctions.models import Auction, AuctionEvent, AuctionRules
from auctions.services import after_commit
from auctions.services.clock import db_now
from core.errors import Conflict, DomainError, NotAllowed, NotFound

MAX_DURATION = timedelta(days=30)
MAX_SOFT_CLOSE_SECONDS = 3600


def is_staff(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_staff", False))


def lock_auction(auction_id: int) -> Auction:
    """Lock one auction row (callers lock the auction before its vehicle, always)."""
    try:
        return Auction.objects.select_for_update().get(pk=auction_id)
    except Auction.DoesNotExist:
        raise NotFound("Auction not found.", code="auction_not_found") from None


def event(auction: Auction, kind: str, *, actor: Any = None, from_status: str = "", **data: Any) -> AuctionEvent:
    row = event_row(auction, kind, actor=actor, from_status=from_status, **data)
    row.save(force_insert=True)
    return row


def event_row(auction: Auction, kind: str, *, actor: Any = None, from_status: str = "", **data: Any) -> AuctionEvent:
    """The event `event` writes, unsaved (for a bulk insert)."""
    return AuctionEvent(
        auction=auction,
        kind=kind,
        actor=actor if getattr(actor, "pk", None) else None,
        from_status=from_status,
        to_status=auction.status,
        seq=auction.last_seq,
        data={k: (str(v) if isinstance(v, Decimal | datetime) else v) for k, v in data.items()},
    )


@dataclass(frozen=True)
class AuctionTermsInput:
    starting_price: Decimal
    starts_at: datetime
    ends_at: datetime
    reserve_price: Decimal | None = None
    buy_now_price: Decimal | None = None
    soft_close_window_seconds: int = 120
    soft_close_extension_seconds: int = 120


def validate_terms(terms: AuctionTermsInput, *, now: datetime) -> None:
    """End after start and in the future, reserve at least the start, buy now above the reserve and start."""
    errors: dict[str, list[str]] = {}
    if terms.starting_price is None or terms.starting_price <= 0:
        errors["starting_price"] = ["The starting price must be greater than zero."]
    if terms.ends_at <= terms.starts_at:
        errors["ends_at"] = ["The end must be after the start."]
    elif terms.ends_at <= now:
        errors["ends_at"] = ["The end must be in the future."]
    elif terms.ends_at - terms.starts_at > MAX_DURATION:
        errors["ends_at"] = ["An auction can run for at most 30 days."]
    if terms.reserve_price is not None and terms.starting_price and terms.reserve_price < terms.starting_price:
        errors["reserve_price"] = ["The reserve must be at least the starting price."]
    if terms.buy_now_price is not None:
        floor = max(terms.starting_price or Decimal(0), terms.reserve_price or Decimal(0))
        if terms.buy_now_price <= floor:
            errors["buy_now_price"] = ["The buy-now price must be above the reserve and the starting price."]
    for name in ("soft_close_window_seconds", "soft_close_extension_seconds"):
        if not 0 <= getattr(terms, name) <= MAX_SOFT_CLOSE_SECONDS:
            errors[name] = ["Must be between 0 and 3600 seconds."]
    if terms.soft_close_extension_seconds < 1:
        errors["soft_close_extension_seconds"] = ["Must be at least 1 second."]
    if errors:
        field, messages = next(iter(errors.items()))
        raise DomainError(messages[0], code="invalid_terms", details=errors)


def _check_may_manage(auction_seller_id: int, actor: Any) -> None:
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise NotAllowed("Log in to manage auctions.", code="login")
    if is_staff(actor):
        return
    if actor.pk != auction_seller_id:
        raise NotAllowed("Only the seller or staff can do that.", code="not_seller")
    if getattr(actor, "suspended_at", None) is not None:
        raise NotAllowed("Your account is suspended; contact support.", code="suspended")


def validate_min_duration(terms: AuctionTermsInput, *, now: datetime) -> None:
    """An auction runs at least the staff-set minimum (AuctionRules, default 1 hour), from its start or now."""
    minutes = AuctionRules.current_min_duration_minutes()
    if terms.ends_at - max(terms.starts_at, now) < timedelta(minutes=minutes):
        shortest = (
            f"{minutes // 60} hour{'s' if minutes // 60 != 1 else ''}" if minutes % 60 == 0 else f"{minutes} minutes"
        )
        message = f"An auction must run for at least {shortest}."
        raise DomainError(message, code="invalid_terms", details={"ends_at": [message]})


def auction_schedule(
    *, vehicle_id: int, actor: Any, terms: AuctionTermsInput, enforce_min_duration: bool = True
) -> Auction:
    """Put an approved vehicle up for auction (seller or staff). Lists the vehicle in the same transaction.
    The minimum duration applies to every caller but the demo data (`enforce_min_duration=False`), whose
    auctions end within minutes on purpose."""
    from vehicles.models import Vehicle
    from vehicles.services import vehicle_mark_listed

    seller_id = Vehicle.objects.filter(pk=vehicle_id).values_list("seller_id", flat=True).first()
    if seller_id is None:
        raise NotFound("Vehicle not found.", code="vehicle_not_found")
    _check_may_manage(seller_id, actor)
    with transaction.atomic(durable=True):
        now = db_now()
        validate_terms(terms, now=now)
        if enforce_min_duration:
            validate_min_duration(terms, now=now)
        vehicle_mark_listed(vehicle_id=vehicle_id, actor=actor)  # locks the vehicle; refuses unless approved
        if Auction.objects.active_for_vehicle(vehicle_id).exists():
            raise Conflict("This vehicle already has an auction in progress.", code="already_in_auction")
        live = terms.starts_at <= now
        auction = Auction.objects.create(
            vehicle_id=vehicle_id,
            seller_id=seller_id,
            created_by=actor,
            status=Auction.Status.LIVE if live else Auction.Status.SCHEDULED,
            starting_price=terms.starting_price,
            reserve_price=terms.reserve_price,
            buy_now_price=terms.buy_now_price,
            starts_at=min(terms.starts_at, now) if live else terms.starts_at,
            ends_at=terms.ends_at,
            scheduled_ends_at=terms.ends_at,
            soft_close_window_seconds=terms.soft_close_window_seconds,
            soft_close_extension_seconds=terms.soft_close_extension_seconds,
            version=1,
        )
        event(auction, AuctionEvent.Kind.CREATED, actor=actor)
        if live:
            event(auction, AuctionEvent.Kind.STARTED, actor=actor, from_status=Auction.Status.SCHEDULED)
        transaction.on_commit(lambda: after_commit.snapshot(auction))
    return auction


def auction_update(*, auction_id: int, actor: Any, terms: AuctionTermsInput) -> Auction:
    """Change prices or times before the first bid (seller or staff)."""
    with transaction.atomic(durable=True):
        auction = lock_auction(auction_id)
        _check_may_manage(auction.seller_id, actor)
        if not auction.is_open:
            raise Conflict("Only a scheduled or live auction can be changed.", code="auction_closed")
        if not auction.terms_editable:
            raise Conflict("The auction has bids; its terms can no longer change.", code="has_bids")
        now = db_now()
        validate_terms(terms, now=now)
        from_status = auction.status
        auction.starting_price = terms.starting_price
        auction.reserve_price = terms.reserve_price
        auction.buy_now_price = terms.buy_now_price
        auction.starts_at = terms.starts_at
        auction.ends_at = terms.ends_at
        auction.scheduled_ends_at = terms.ends_at
        auction.soft_close_window_seconds = terms.soft_close_window_seconds
        auction.soft_close_extension_seconds = terms.soft_close_extension_seconds
        auction.status = Auction.Status.LIVE if terms.starts_at <= now else Auction.Status.SCHEDULED
        auction.version += 1
        auction.save()
        event(auction, AuctionEvent.Kind.UPDATED, actor=actor, from_status=from_status)
        transaction.on_commit(lambda: after_commit.state_changed(auction, "updated"))
    return auction


def auction_cancel(*, auction_id: int, actor: Any, reason: str = "") -> Auction:
    """Staff may cancel any open auction (with a reason); the seller only before the first bid."""
    from vehicles.services import vehicle_mark_unlisted

    with transaction.atomic(durable=True):
        auction = lock_auction(auction_id)
        _check_may_manage(auction.seller_id, actor)
        if not auction.is_open:
            raise Conflict("Only a scheduled or live auction can be cancelled.", code="auction_closed")
        if not is_staff(actor) and (auction.bid_count > 0 or auction.last_seq > 0):
            raise Conflict("The auction has bids; only staff can cancel it now.", code="has_bids")
        if is_staff(actor) and auction.bid_count > 0 and not reason.strip():
            raise DomainError("Give a reason: bidders will see it.", code="reason_required")
        from_status = auction.status
        auction.status = Auction.Status.CANCELLED
        auction.cancel_reason = reason.strip()
        auction.closed_at = db_now()
        auction.version += 1
        auction.save(update_fields=["status", "cancel_reason", "closed_at", "version", "updated_at"])
        event(auction, AuctionEvent.Kind.CANCELLED, actor=actor, from_status=from_status, reason=auction.cancel_reason)
        vehicle_mark_unlisted(vehicle_id=auction.vehicle_id, actor=actor, message="Auction cancelled")
        transaction.on_commit(lambda: after_commit.state_changed(auction, "cancelled", reason=auction.cancel_reason))
    return auction


def auction_start(*, auction_id: int) -> bool:
    """Scheduled -> live once `starts_at` has passed (claimed with a conditional UPDATE)."""
    with transaction.atomic(durable=True):
        now = db_now()
        claimed = Auction.objects.filter(
            pk=auction_id, status=Auction.Status.SCHEDULED, starts_at__lte=now, ends_at__gt=now
        ).update(status=Auction.Status.LIVE, version=F("version") + 1, updated_at=now)
        if not claimed:
            return False
        auction = Auction.objects.get(pk=auction_id)
        event(auction, AuctionEvent.Kind.STARTED, from_status=Auction.Status.SCHEDULED)
        transaction.on_commit(lambda: after_commit.state_changed(auction, "started"))
    return True


def auction_start_due(*, limit: int = 500) -> int:
    now = db_now()
    ids = list(Auction.objects.due_to_start(now).order_by("starts_at").values_list("pk", flat=True)[:limit])
    return sum(1 for auction_id in ids if auction_start(auction_id=auction_id))


def auction_cancel_for_sale(*, auction_id: int, actor: Any, reason: str) -> Auction:
    """The vehicle sold another way (an accepted offer) before its scheduled auction started: cancel it.

    Runs inside the caller's transaction, which locked this auction before the vehicle (the house order);
    the caller marks the vehicle sold. Refuses (`auction_started`) once the auction is live by the database
    clock, so an acceptance racing the auction's start has one winner. Watchers hear `cancelled`.
    """
    auction = lock_auction(auction_id)
    if auction.status != Auction.Status.SCHEDULED or auction.starts_at <= db_now():
        raise Conflict("The auction has started: offers are closed while bidding runs.", code="auction_started")
    auction.status = Auction.Status.CANCELLED
    auction.cancel_reason = reason
    auction.closed_at = db_now()
    auction.version += 1
    auction.save(update_fields=["status", "cancel_reason", "closed_at", "version", "updated_at"])
    event(auction, AuctionEvent.Kind.CANCELLED, actor=actor, from_status=Auction.Status.SCHEDULED, reason=reason)
    transaction.on_commit(lambda: after_commit.state_changed(auction, "cancelled", reason=reason))
    return auction
