"""What this app shows on the vehicle page (see settings.VEHICLE_PAGE_PANELS): the live auction panel."""

from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone

from auctions import selectors
from auctions.models import Auction
from auctions.services.increments import increment_table
from auctions.state import public_state, viewer_state


def purchase_preview(amount: Decimal, user: Any, *, request: HttpRequest | None = None, vehicle: Any = None) -> Any:
    """The total at an amount for the no-JavaScript form (the page updates it live with JavaScript), with
    door-to-door delivery to the visitor's remembered ZIP when there is one (vehicles.transport)."""
    try:
        from core.pricing import purchase_breakdown
    except ImportError:  # pragma: no cover - core.pricing ships with the project
        return None
    from vehicles.transport import quote_for_request

    state = getattr(user, "state", "") if getattr(user, "is_authenticated", False) else ""
    delivery = quote_for_request(request, vehicle) if vehicle is not None else None
    return purchase_breakdown(price=amount, buyer_state=state or "", delivery=delivery)


def bid_review_keep(request: HttpRequest, auction_id: int, amount: Decimal) -> None:
    """A max bid that needs confirming, shown once more in the form (with the total at it) on the way back."""
    request.session[f"bid_review_{auction_id}"] = str(amount)


def bid_review_take(request: HttpRequest, auction_id: int) -> Decimal | None:
    session = getattr(request, "session", None)
    raw = session.pop(f"bid_review_{auction_id}", None) if session is not None else None
    return Decimal(raw) if raw else None


BID_REFUSAL_TAG = "bid-refusal"  # a refused no-JS bid's page message: the panel shows it in the bid form


def bid_refusal_keep(request: HttpRequest, auction_id: int, amount: str) -> None:
    """What the bidder typed in a refused no-JS bid, put back in the field on the way back (the refusal itself
    travels as the page message tagged `bid-refusal-<auction id>`)."""
    request.session[f"bid_refused_{auction_id}"] = amount[:40]


def bid_refusal_take(request: HttpRequest, auction_id: int) -> dict[str, str] | None:
    """The refusal of this auction's last no-JS bid and the amount refused, claimed from the page's messages so
    it is said once: in the bid form's alert, which the amount field points to (aria-invalid, aria-describedby),
    not also at the top of the page. Call only when the bid form is shown."""
    from django.contrib import messages

    session = getattr(request, "session", None)
    amount = session.pop(f"bid_refused_{auction_id}", "") if session is not None else ""
    tag = f"{BID_REFUSAL_TAG}-{auction_id}"
    for message in messages.get_messages(request):
        if tag in (message.extra_tags or "").split():
            message.shown_in_form = True  # type: ignore[union-attr]  # base.html leaves it out of the top
            return {"message": str(message), "amount": amount}
    return None


def threaded(comments: list[Any]) -> list[Any]:
    """Comments in order, each question followed by its replies (a reply whose question is not shown stands
    on its own)."""
    shown = {comment.pk for comment in comments}
    replies: dict[int, list[Any]] = {}
    for comment in comments:
        if comment.parent_id in shown:
            replies.setdefault(comment.parent_id, []).append(comment)
    ordered = []
    for comment in comments:
        if comment.parent_id not in shown:
            ordered += [comment, *replies.get(comment.pk, [])]
    return ordered


def panel_context(request: HttpRequest, auction: Auction) -> dict[str, Any]:
    from accounts.selectors import bidding_eligibility
    from auctions.realtime import watcher_count

    increments = increment_table()
    state = public_state(auction, increments)
    viewer = viewer_state(auction, request.user, increments)
    eligibility = bidding_eligibility(request.user)
    minimum = Decimal(state["minimum_next_bid"]) if state["minimum_next_bid"] else auction.display_price
    review = bid_review_take(request, auction.pk)
    raised = selectors.raised_own_max(auction)
    amount = review or minimum
    bid_form_shown = bool(
        auction.is_open and request.user.is_authenticated and not viewer["is_seller"] and eligibility.ok
    )
    return {
        "auction": auction,
        "state": state,
        "viewer": viewer,
        "eligibility": eligibility,
        "bid_form_shown": bid_form_shown,
        "refusal": bid_refusal_take(request, auction.pk) if bid_form_shown else None,
        "minimum": minimum,
        "amount": amount,
        "review": review is not None,
        "preview": purchase_preview(amount, request.user, request=request, vehicle=auction.vehicle),
        "buy_now_preview": purchase_preview(
            auction.buy_now_price, request.user, request=request, vehicle=auction.vehicle
        )
        if auction.buy_now_price and state["buy_now_available"]
        else None,
        "bids": [
            selectors.bid_public(b, viewer=request.user, auction=auction, raised=raised)
            for b in selectors.bid_history(auction)[:15]
        ],
        "comments": threaded(list(selectors.visible_comments(auction.pk).reverse()[:200])[::-1]),  # the newest
        "watchers": watcher_count(auction.pk),
        "server_time": timezone.now().isoformat(),
        "next_url": request.get_full_path(),
    }


def vehicle_panel(request: HttpRequest, vehicle: Any) -> str:
    auction = selectors.current_auction_for_vehicle(vehicle.pk)
    if auction is None:
        return ""
    return render_to_string("auctions/_panel.html", panel_context(request, auction), request=request)
