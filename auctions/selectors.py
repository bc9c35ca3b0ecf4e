"""Reads for the auctions domain: lists with filters, bid history under aliases, "my bids", profile data.

CONTRACT for accounts' pluggable profile endpoints (settings lists of dotted callables):
    user_auctions(user_id) -> list[dict]   the auctions a user sells (public fields only)
    user_bids(user_id) -> list[dict]       the auctions a user bid on, under the auction's alias (the member
                                           themselves and staff only: profile_bids checks)
    dashboard_counts(user) -> dict[str, int]   active_bids, leading, outbid, won, lost, selling_live, ...
"""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Max, Q, QuerySet
from django.db.models.functions import Coalesce

from auctions.models import Auction, AuctionComment, Bid
from auctions.services.increments import increment_table
from auctions.state import iso, money_str, public_state, viewer_state
from core.errors import NotAllowed, NotFound

OPEN = [Auction.Status.SCHEDULED, Auction.Status.LIVE]
SORTS = {
    "ending_soon": ("ends_at", "pk"),
    "newest": ("-starts_at", "-pk"),
    "price_asc": ("price_sort", "pk"),
    "price_desc": ("-price_sort", "-pk"),
    "most_bids": ("-bid_count", "ends_at"),
}


def auction_list(
    *,
    status: str | None = None,
    make: str | None = None,
    model: str | None = None,
    min_price: Decimal | None = None,
    max_price: Decimal | None = None,
    ending_before: datetime | None = None,
    q: str | None = None,
    sort: str = "ending_soon",
) -> QuerySet[Auction]:
    """Auctions for the API and the live page. Default status: open (scheduled or live); "all" for every status."""
    auctions: Any = Auction.objects.select_related("vehicle").annotate(
        price_sort=Coalesce("current_price", "starting_price")
    )
    if not status or status == "open":
        auctions = auctions.filter(status__in=OPEN)
    elif status != "all":
        auctions = auctions.filter(status__in=[s.strip() for s in status.split(",") if s.strip()])
    if make:
        auctions = auctions.filter(vehicle__make__iexact=make.strip())
    if model:
        auctions = auctions.filter(vehicle__model__iexact=model.strip())
    if min_price is not None:
        auctions = auctions.filter(price_sort__gte=min_price)
    if max_price is not None:
        auctions = auctions.filter(price_sort__lte=max_price)
    if ending_before is not None:
        auctions = auctions.filter(ends_at__lte=ending_before)
    if q:
        for word in q.split()[:6]:
            auctions = auctions.filter(
                Q(vehicle__make__icontains=word)
                | Q(vehicle__model__icontains=word)
                | Q(vehicle__trim__icontains=word)
                | Q(vehicle__vin__iexact=word)
                | Q(vehicle__description__icontains=word)
                | Q(vehicle__year__icontains=word)
            )
    return auctions.order_by(*SORTS.get(sort, SORTS["ending_soon"]))


def vehicle_summary(vehicle: Any) -> dict[str, Any]:
    thumbnail = getattr(vehicle, "cover_thumbnail", "")
    photo_url = None
    if thumbnail:
        from django.core.files.storage import default_storage

        try:
            photo_url = default_storage.url(thumbnail)
        except Exception:  # noqa: BLE001 - a missing storage backend must not break a listing
            photo_url = None
    return {
        "id": vehicle.pk,
        "title": vehicle.title,
        "year": vehicle.year,
        "make": vehicle.make,
        "model": vehicle.model,
        "trim": vehicle.trim,
        "mileage": vehicle.mileage,
        "city": vehicle.city,
        "state": vehicle.state,
        "photo_url": photo_url,
        "url": f"/vehicles/{vehicle.pk}/",
    }


def auction_card(auction: Auction, increments: Any = None) -> dict[str, Any]:
    return {
        "id": auction.pk,
        **public_state(auction, increments or increment_table()),
        "vehicle": vehicle_summary(auction.vehicle),
    }


def auction_get(auction_id: int, *, queryset: QuerySet[Auction] | None = None) -> Auction:
    """The auction, or the API's 404 (`auction_not_found`)."""
    auction = (queryset if queryset is not None else Auction.objects.all()).filter(pk=auction_id).first()
    if auction is None:
        raise NotFound("Auction not found.", code="auction_not_found")
    return auction


def auction_detail(auction_id: int, *, user: Any = None) -> dict[str, Any]:
    auction = auction_get(auction_id, queryset=Auction.objects.select_related("vehicle"))
    increments = increment_table()
    from auctions.realtime import watcher_count

    return {
        **auction_card(auction, increments),
        "viewer": viewer_state(auction, user, increments),
        "watchers": watcher_count(auction.pk),
        "soft_close_window_seconds": auction.soft_close_window_seconds,
        "soft_close_extension_seconds": auction.soft_close_extension_seconds,
        "cancel_reason": auction.cancel_reason,
    }


def current_auction_for_vehicle(vehicle_id: int) -> Auction | None:
    """The vehicle's open auction, else its latest one."""
    auctions = Auction.objects.filter(vehicle_id=vehicle_id).order_by("-pk")
    return auctions.open().first() or auctions.first()


# --- bids ---------------------------------------------------------------------------------


def can_see_names(user: Any, auction: Auction) -> bool:
    """Names behind the aliases: the seller and staff only."""
    return bool(user is not None and user.is_authenticated and (user.is_staff or user.pk == auction.seller_id))


def raised_own_max(auction: Auction) -> set[int]:
    """The seqs of bids by the bidder who already led: a leader raising their own max. Such a bid is counted
    (it is a bid) but does not move the price (BIDDING.md rule 5), so the history labels it as a raise rather
    than show it as a rival's bid at the same price. Voided bids are left out of the chain."""
    raised: set[int] = set()
    leader = None
    rows = Bid.objects.filter(auction=auction, voided_at__isnull=True).order_by("seq")
    for seq, bidder_id, leading_after in rows.values_list("seq", "bidder_id", "leading_after"):
        if bidder_id == leader:
            raised.add(seq)
        if leading_after:
            leader = bidder_id
    return raised


def bid_public(bid: Bid, *, viewer: Any, auction: Auction, raised: set[int] | None = None) -> dict[str, Any]:
    """A bid as this viewer may see it: everyone sees the alias and the price the bid produced, and whether
    it was the leader raising their own max (`raised`, from `raised_own_max`); the bidder and staff see the
    max; the seller and staff see the name."""
    own = viewer is not None and viewer.is_authenticated and viewer.pk == bid.bidder_id
    staff = viewer is not None and viewer.is_authenticated and viewer.is_staff
    data: dict[str, Any] = {
        "id": bid.pk,
        "auction_id": bid.auction_id,
        "seq": bid.seq,
        "bidder_alias": bid.alias,
        "price": money_str(bid.resulting_price),
        "placed_at": iso(bid.placed_at),
        "voided": bid.is_voided,
        "mine": own,
        "raised_own_max": raised is not None and bid.seq in raised,
    }
    if own or staff:
        data["max_amount"] = money_str(bid.max_amount)
        data["leading_after"] = bid.leading_after
    if can_see_names(viewer, auction):
        data["bidder"] = {"id": bid.bidder_id, "name": bid.bidder.get_full_name() or bid.bidder.email}
    if staff:
        data.update(ip_address=bid.ip_address, user_agent=bid.user_agent, void_reason=bid.void_reason)
    return data


def bid_history(auction: Auction) -> QuerySet[Bid]:
    return Bid.objects.filter(auction=auction).select_related("bidder").order_by("-seq")


def user_bid_list(user: Any) -> QuerySet[Bid]:
    return Bid.objects.filter(bidder=user).select_related("auction", "auction__vehicle").order_by("-placed_at", "-pk")


def bid_visible(bid_id: int) -> Bid:
    bid = Bid.objects.select_related("auction", "bidder").filter(pk=bid_id).first()
    if bid is None:
        raise NotFound("Bid not found.", code="bid_not_found")
    return bid


# --- "My bids" ----------------------------------------------------------------------------------


def my_bids(user: Any) -> dict[str, list[dict[str, Any]]]:
    """The auctions a user bid on, grouped: leading, outbid (still open), won, lost; vehicles they bought
    with buy now (no bid of theirs) are won too."""
    groups: dict[str, list[dict[str, Any]]] = {"leading": [], "outbid": [], "won": [], "lost": []}
    if user is None or not user.is_authenticated:
        return groups
    my_max = {
        row["auction_id"]: row["top"]
        for row in Bid.objects.filter(bidder=user, voided_at__isnull=True)
        .values("auction_id")
        .annotate(top=Max("max_amount"))
        .order_by()
    }
    auctions = Auction.objects.filter(Q(pk__in=my_max) | Q(winner=user)).select_related("vehicle").order_by("ends_at")
    increments = increment_table()
    for auction in auctions:
        status = viewer_status(auction, user.pk)
        if status is None:
            continue
        top = my_max.get(auction.pk)
        groups[status].append({**auction_card(auction, increments), "my_max": money_str(top) if top else None})
    return groups


def viewer_status(auction: Auction, user_id: int) -> str | None:
    """leading / outbid while open; won / lost once decided; None while the seller decides (shown as lost? no: leading)."""
    if auction.is_open:
        return "leading" if auction.leader_id == user_id else "outbid"
    if auction.status == Auction.Status.ENDED and auction.outcome == Auction.Outcome.SOLD:
        return "won" if auction.winner_id == user_id else "lost"
    if auction.awaiting_decision:
        return "leading" if auction.leader_id == user_id else "lost"
    return "lost"


def seller_auctions(user: Any) -> QuerySet[Auction]:
    return Auction.objects.filter(seller=user).select_related("vehicle", "winner").order_by("-created_at")


def visible_comments(auction_id: int) -> QuerySet[AuctionComment]:
    return AuctionComment.objects.filter(auction_id=auction_id).select_related("author").order_by("created_at", "pk")


# --- profile pluggables (accounts) -------------------------------------------------------------------


def user_auctions(user_id: int) -> list[dict[str, Any]]:
    """Public: the auctions this user sells (open first, then the latest), no reserve, no names."""
    increments = increment_table()
    auctions = (
        Auction.objects.filter(seller_id=user_id)
        .exclude(status=Auction.Status.CANCELLED)
        .select_related("vehicle")
        .order_by("-created_at")[:100]
    )
    return [auction_card(a, increments) for a in auctions]


def user_bids(user_id: int) -> list[dict[str, Any]]:
    """Public: the auctions this user bid on with their alias there and the last price they set — never their max."""
    increments = increment_table()
    rows = (
        Bid.objects.filter(bidder_id=user_id, voided_at__isnull=True)
        .values("auction_id", "bidder_number")
        .annotate(last_bid_at=Max("placed_at"))
        .order_by("-last_bid_at")[:100]
    )
    auctions = Auction.objects.select_related("vehicle").in_bulk([r["auction_id"] for r in rows])
    result = []
    for row in rows:
        auction = auctions.get(row["auction_id"])
        if auction is not None:
            result.append(
                {
                    **auction_card(auction, increments),
                    "bidder_alias": f"Bidder {row['bidder_number']}",
                    "last_bid_at": iso(row["last_bid_at"]),
                }
            )
    return result


def dashboard_counts(user: Any) -> dict[str, int]:
    """The user's own counts for `GET /api/users/dashboard`."""
    groups = my_bids(user)
    selling = Auction.objects.filter(seller=user)
    return {
        "active_bids": len(groups["leading"]) + len(groups["outbid"]),
        "leading": len(groups["leading"]),
        "outbid": len(groups["outbid"]),
        "won": len(groups["won"]),
        "lost": len(groups["lost"]),
        "selling_live": selling.open().count(),
        "awaiting_decision": selling.awaiting_seller_decision().count(),
    }


# --- what the accounts app shows on profiles (settings.USER_*_PROVIDER / USER_PUBLIC_COUNTERS) ---------


def profile_auctions(user: Any, viewer: Any) -> list[dict[str, Any]]:
    return user_auctions(user.pk)


def profile_bids(user: Any, viewer: Any) -> list[dict[str, Any]]:
    """For the member themselves and staff only: with the auctions and their aliases there, anyone could
    put a name to "Bidder 3" in a public history, and names are for the seller and staff (BIDDING.md)."""
    if not (getattr(viewer, "is_staff", False) or getattr(viewer, "pk", None) == user.pk):
        raise NotAllowed("A member's bids are private: bid histories show bidders under aliases.", code="private")
    return user_bids(user.pk)


def public_counters(user: Any) -> dict[str, int]:
    return {"auctions": Auction.objects.filter(seller=user).exclude(status=Auction.Status.CANCELLED).count()}


# --- after an auction without a sale (read by the offers app) ----------------------------------------


def awaiting_decision_for_vehicle(vehicle_id: int) -> Auction | None:
    """The vehicle's reserve-not-met auction still inside the seller's decision, if any: its `leader` is the
    high bidder, `current_price` the high bid, `reserve_price` the reserve, `decision_deadline` the end of the
    24 hours (what the seller's counter and the high bidder's best offer need)."""
    return Auction.objects.awaiting_seller_decision().filter(vehicle_id=vehicle_id).select_related("leader").first()


def runner_up(auction: Auction) -> tuple[int, Decimal] | None:
    """The bidder with the next-highest max after the winner, and that max (BIDDING.md: each bidder's latest max
    counts, and it is their highest), from the bids not voided; None without one."""
    row = (
        Bid.objects.filter(auction=auction, voided_at__isnull=True)
        .exclude(bidder_id=auction.winner_id)
        .order_by("-max_amount", "seq")  # among equal maxima, the one placed first ranks first
        .values_list("bidder_id", "max_amount")
        .first()
    )
    return (int(row[0]), row[1]) if row else None
