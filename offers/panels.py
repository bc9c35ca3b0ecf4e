"""What this app shows on other apps' pages, plugged in through settings (no lower app imports offers):

- the vehicle page's offer panel (settings.VEHICLE_PAGE_PANELS): make an offer, your open offer, the seller's
  inbox summary, the reserve-not-met counter and the high bidder's best offer;
- the reserve-not-met decision's "Counter" on the seller's auctions page (settings.AUCTION_DECISION_PANELS);
- the auto rules on the listing's pricing step (settings.VEHICLE_PRICING_PANELS).
"""

from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string

from offers import selectors
from offers.models import OfferThread
from offers.services.locking import peek


def decision_context(request: HttpRequest, auction: Any) -> dict[str, Any]:
    """The seller's reserve-not-met decision (accept / decline through auctions, counter through offers) and
    any best offer the high bidder sent."""
    best = OfferThread.objects.filter(auction=auction, kind=OfferThread.Kind.BEST_OFFER).order_by("-pk").first()
    return {"auction": auction, "best_offer": best, "next_url": request.get_full_path()}


def panel_context(request: HttpRequest, vehicle: Any) -> dict[str, Any] | None:
    from accounts.selectors import bidding_eligibility
    from auctions.selectors import awaiting_decision_for_vehicle

    user = request.user
    state = peek(vehicle)
    decision = awaiting_decision_for_vehicle(vehicle.pk)
    is_seller = getattr(user, "pk", None) == vehicle.seller_id
    refusal = state.new_offer_refusal()
    context: dict[str, Any] = {
        "vehicle": vehicle,
        "is_seller": is_seller,
        "refusal": refusal,
        "decision": decision,
        "has_auction": state.auction is not None or vehicle.auction_status != "",
        "buy_now": state.buy_now_price,
        "next_url": request.get_full_path(),
        "panel_url": f"/offers/panel/{vehicle.pk}/",
    }
    if is_seller:
        if not vehicle.accepts_offers and decision is None:
            return None
        context.update(
            counts=selectors.tab_counts(user, role="seller", vehicle_id=vehicle.pk),
            **(decision_context(request, decision) if decision else {}),
        )
        return context
    thread = selectors.open_thread_for(vehicle.pk, user)
    if decision is not None and getattr(user, "pk", None) == decision.leader_id:
        best_used = OfferThread.objects.filter(
            auction=decision, kind=OfferThread.Kind.BEST_OFFER, buyer_id=decision.leader_id
        ).first()
        context.update(high_bidder=True, best_offer=best_used, best_total=None)
    if thread is None and not context.get("high_bidder"):
        # say why offers are closed only where a visitor would look for the offer button
        closed_for_now = refusal is None or refusal.code in ("auction_live", "offers_closed")
        if not vehicle.accepts_offers or not closed_for_now:
            return None
    context.update(
        thread=thread,
        thread_view=selectors.thread_view(thread, user, request=request) if thread else None,
        eligibility=bidding_eligibility(user),
    )
    return context


def vehicle_panel(request: HttpRequest, vehicle: Any) -> str:
    context = panel_context(request, vehicle)
    if context is None:
        return ""
    return render_to_string("offers/_panel.html", context, request=request)


def auction_decision_panel(request: HttpRequest, auction: Any) -> str:
    """The "Counter" next to accept / decline on the seller's auctions page."""
    return render_to_string("offers/_decision_counter.html", decision_context(request, auction), request=request)


def vehicle_pricing_panel(request: HttpRequest, vehicle: Any) -> str:
    """The seller's hidden auto rules, on the listing's pricing step (saved by their own form)."""
    return render_to_string(
        "offers/_rules_form.html",
        {"vehicle": vehicle, "rules": selectors.offer_rules_for(vehicle.pk), "next_url": request.get_full_path()},
        request=request,
    )
