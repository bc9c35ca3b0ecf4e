"""HTML pages of the offers domain (thin). Every form works without JavaScript (POST, then a page or a redirect);
with JavaScript the pages refetch a thread or a list when the user's socket says it changed (static/js/offers.js).

A buyer commits to a price in two steps without JavaScript: the amount, then a review that shows the total they
would pay (price, fees, tax by their state) and a "Send" button. Errors re-render the form with the message next
to the field (status 4xx), and nothing is stored.
"""

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from auctions.services import check_eligible, parse_bid_amount
from core import idempotency
from core.errors import DomainError, NotAllowed, NotFound
from offers import panels, rules, selectors, services
from offers.models import OfferThread, Side
from offers.services.locking import peek
from offers.services.threads import AUTO_DECLINED
from vehicles.models import Vehicle

FIELD_CODES = {"invalid_amount", "use_buy_now", "counter_out_of_range"}


def _form_key(request: HttpRequest) -> str | None:
    """A one-time token the form carries: a double click or a resubmitted form replays the first answer."""
    return idempotency.parse_key(request.POST.get("form_token"))


def _done(request: HttpRequest, result: services.OfferResult | idempotency.Replay) -> HttpResponse:
    """Message and redirect to the thread, for a write or its replay."""
    if isinstance(result, idempotency.Replay):
        message, thread_id = result.body["message"], result.body["data"]["id"]
    else:
        message, thread_id = result.message, result.thread.pk
    (messages.warning if message == AUTO_DECLINED else messages.success)(request, message)
    return redirect("offers:thread", thread_id=thread_id)


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    return target if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}) else default


def how_offers_work(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "offers/how_offers_work.html",
        {
            "window_hours": int(rules.OFFER_WINDOW.total_seconds() // 3600),
            "counter_hours": int(rules.RESERVE_COUNTER_WINDOW.total_seconds() // 3600),
            "reminder_hours": int(rules.REMINDER_BEFORE.total_seconds() // 3600),
            "max_counters": rules.MAX_COUNTERS,
        },
    )


# --- lists -----------------------------------------------------------------------------------------------


def _tab(request: HttpRequest, tabs: dict[str, str], counts: dict[str, int]) -> str:
    tab = request.GET.get("tab", "")
    if tab in tabs:
        return tab
    return next((key for key in tabs if counts.get(key)), "waiting")


@login_required
def my_offers(request: HttpRequest) -> HttpResponse:
    """The buyer's offers: waiting for me, waiting for the seller, ended."""
    counts = selectors.tab_counts(request.user, role="buyer")
    tab = _tab(request, selectors.BUYER_TABS, counts)
    page = Paginator(selectors.threads_for(request.user, role="buyer", status=tab), 20).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "offers/my_offers.html",
        {
            "tabs": [(key, label, counts[key]) for key, label in selectors.BUYER_TABS.items()],
            "tab": tab,
            "page": page,
            "rows": [selectors.thread_view(thread, request.user, request=request) for thread in page],
        },
    )


@login_required
def seller_inbox(request: HttpRequest, vehicle_id: int | None = None) -> HttpResponse:
    """The seller's offers across vehicles, or for one vehicle (with its auto rules)."""
    vehicle = None
    if vehicle_id is not None:
        vehicle = get_object_or_404(Vehicle, pk=vehicle_id)
        if vehicle.seller_id != request.user.pk and not request.user.is_staff:
            raise Http404("No such vehicle")
    counts = selectors.tab_counts(request.user, role="seller", vehicle_id=vehicle_id)
    tab = _tab(request, selectors.SELLER_TABS, counts)
    threads = selectors.threads_for(request.user, role="seller", status=tab, vehicle_id=vehicle_id)
    page = Paginator(threads, 20).get_page(request.GET.get("page"))
    return render(
        request,
        "offers/inbox.html",
        {
            "vehicle": vehicle,
            "tabs": [(key, label, counts[key]) for key, label in selectors.SELLER_TABS.items()],
            "tab": tab,
            "page": page,
            "rows": [selectors.thread_view(thread, request.user, request=request) for thread in page],
            "vehicles": selectors.seller_vehicles_with_offers(request.user) if vehicle is None else [],
            "rules": selectors.offer_rules_for(vehicle.pk) if vehicle else None,
            "takes_offers": vehicle.accepts_offers if vehicle else None,
        },
    )


# --- a thread ------------------------------------------------------------------------------------------------


def _thread_or_404(request: HttpRequest, thread_id: int) -> OfferThread:
    try:
        return selectors.thread_visible_to(thread_id=thread_id, user=request.user)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _thread_context(request: HttpRequest, thread: OfferThread, **extra: Any) -> dict[str, Any]:
    view = selectors.thread_view(thread, request.user, request=request)
    return {
        "view": view,
        "thread": thread,
        "vehicle": thread.vehicle,
        "fragment_url": f"/offers/{thread.pk}/live/",
        **extra,
    }


@login_required
def thread_page(request: HttpRequest, thread_id: int) -> HttpResponse:
    """Amounts in order, who is to act and by when, and the actions open to the viewer. Opening it records that
    the other side's latest amount was shown (OFFERS.md: binding once seen)."""
    thread = _thread_or_404(request, thread_id)
    if services.offer_mark_shown(thread_id=thread.pk, viewer=request.user):
        thread.refresh_from_db()
    return render(request, "offers/thread.html", _thread_context(request, thread))


@login_required
def thread_fragment(request: HttpRequest, thread_id: int) -> HttpResponse:
    """The thread's body alone, for the page's live refresh (it is shown, so it counts as seen)."""
    thread = _thread_or_404(request, thread_id)
    if services.offer_mark_shown(thread_id=thread.pk, viewer=request.user):
        thread.refresh_from_db()
    return render(request, "offers/_thread.html", _thread_context(request, thread))


def _thread_error(request: HttpRequest, thread: OfferThread, exc: DomainError, amount: str = "") -> HttpResponse:
    """Re-render the thread page with the refusal: next to the amount when it is about the amount."""
    thread.refresh_from_db()
    field_error = exc.message if exc.code in FIELD_CODES else ""
    context = _thread_context(
        request, thread, error=exc.message if not field_error else "", field_error=field_error, amount=amount
    )
    return render(request, "offers/thread.html", context, status=exc.status_code)


@require_POST
@login_required
def thread_action(request: HttpRequest, thread_id: int, action: str) -> HttpResponse:
    thread = _thread_or_404(request, thread_id)
    raw = request.POST.get("amount", "")
    try:
        key = _form_key(request)
        result: services.OfferResult | idempotency.Replay
        if action == "accept":
            result = services.offer_accept(thread_id=thread.pk, actor=request.user, idempotency_key=key)
        elif action == "decline":
            result = services.offer_decline(thread_id=thread.pk, actor=request.user, idempotency_key=key)
        elif action == "withdraw":
            result = services.offer_withdraw(thread_id=thread.pk, actor=request.user, idempotency_key=key)
        elif action == "counter":
            if thread.side_of(request.user) == Side.BUYER and not request.POST.get("confirm"):
                return _review_counter(request, thread, raw)
            result = services.offer_counter(thread_id=thread.pk, actor=request.user, amount=raw, idempotency_key=key)
        else:
            raise Http404("No such action")
    except DomainError as exc:
        return _thread_error(request, thread, exc, amount=raw)
    return _done(request, result)


def _review_counter(request: HttpRequest, thread: OfferThread, raw: str) -> HttpResponse:
    """The buyer's counter, before it is sent: the total they would pay at it."""
    view = selectors.thread_view(thread, request.user, request=request)
    amount = parse_bid_amount(raw)
    if view.counter_range is not None and not view.counter_range.contains(amount):
        raise rules.CounterOutOfRange(f"Your counter must be {view.counter_range.describe()}.")
    return render(
        request,
        "offers/review.html",
        {
            "vehicle": thread.vehicle,
            "amount": amount,
            "total": selectors.total_at(amount, request.user, request=request, vehicle=thread.vehicle),
            "action": reverse("offers:action", args=[thread.pk, "counter"]),
            "back": reverse("offers:thread", args=[thread.pk]),
            "what": "counter",
        },
    )


# --- making an offer -----------------------------------------------------------------------------------------


def _offer_page(
    request: HttpRequest,
    vehicle: Vehicle,
    *,
    amount: str = "",
    error: str = "",
    field_error: str = "",
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "offers/make.html",
        {
            "vehicle": vehicle,
            "state": peek(vehicle),
            "amount": amount,
            "error": error,
            "field_error": field_error,
        },
        status=status,
    )


def _precheck(vehicle: Vehicle, user: Any, amount: Decimal) -> None:
    """The service's checks that need no lock, so the review step can refuse early (the service decides)."""
    if vehicle.seller_id == user.pk:
        raise NotAllowed("You cannot make an offer on your own vehicle.", code="own_vehicle")
    check_eligible(user)
    state = peek(vehicle)
    refusal = state.new_offer_refusal()
    if refusal is not None:
        raise refusal
    rules.check_opening_amount(amount, buy_now=state.buy_now_price)


@login_required
def offer_page(request: HttpRequest, vehicle_id: int) -> HttpResponse:
    """Make an offer: amount → review with the total → send. GET shows the form."""
    vehicle = get_object_or_404(Vehicle.objects.published(), pk=vehicle_id)
    if request.method != "POST":
        return _offer_page(request, vehicle, amount=request.GET.get("amount", ""))
    raw = request.POST.get("amount", "")
    try:
        if not request.POST.get("confirm"):
            amount = parse_bid_amount(raw)
            _precheck(vehicle, request.user, amount)
            return render(
                request,
                "offers/review.html",
                {
                    "vehicle": vehicle,
                    "amount": amount,
                    "total": selectors.total_at(amount, request.user, request=request, vehicle=vehicle),
                    "action": reverse("offers:make", args=[vehicle.pk]),
                    "back": reverse("offers:make", args=[vehicle.pk]) + f"?amount={amount}",
                    "what": "offer",
                },
            )
        result = services.offer_make(
            vehicle_id=vehicle.pk, buyer=request.user, amount=raw, idempotency_key=_form_key(request)
        )
    except DomainError as exc:
        field = exc.message if exc.code in FIELD_CODES else ""
        return _offer_page(
            request, vehicle, amount=raw, error="" if field else exc.message, field_error=field, status=exc.status_code
        )
    return _done(request, result)


# --- the seller's rules and the reserve-not-met decision ------------------------------------------------------


@require_POST
@login_required
def rules_submit(request: HttpRequest, vehicle_id: int) -> HttpResponse:
    back = _safe_next(request, reverse("offers:vehicle-inbox", args=[vehicle_id]))
    try:
        services.offer_rules_update(
            vehicle_id=vehicle_id,
            actor=request.user,
            auto_decline_below=request.POST.get("auto_decline_below", ""),
            auto_accept_at=request.POST.get("auto_accept_at", ""),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Offer rules saved. Buyers never see them.")
    return HttpResponseRedirect(back)


@require_POST
@login_required
def reserve_counter_submit(request: HttpRequest, auction_id: int) -> HttpResponse:
    back = _safe_next(request, reverse("auctions:seller"))
    try:
        result = services.offer_counter_high_bid(
            auction_id=auction_id,
            seller=request.user,
            amount=request.POST.get("amount", ""),
            idempotency_key=_form_key(request),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return HttpResponseRedirect(back)
    return _done(request, result)


@require_POST
@login_required
def best_offer_submit(request: HttpRequest, auction_id: int) -> HttpResponse:
    """The high bidder's one best offer: reviewed with its total first, like any offer."""
    from auctions.models import Auction

    auction = get_object_or_404(Auction.objects.select_related("vehicle"), pk=auction_id)
    back = _safe_next(request, f"/vehicles/{auction.vehicle_id}/")
    raw = request.POST.get("amount", "")
    try:
        if not request.POST.get("confirm"):
            amount = parse_bid_amount(raw)
            if auction.current_price is not None:
                rules.check_best_offer(amount, high_bid=auction.current_price)
            return render(
                request,
                "offers/review.html",
                {
                    "vehicle": auction.vehicle,
                    "amount": amount,
                    "total": selectors.total_at(amount, request.user, request=request, vehicle=auction.vehicle),
                    "action": reverse("offers:best-offer", args=[auction.pk]),
                    "back": back,
                    "what": "best offer",
                },
            )
        result = services.offer_best_offer(
            auction_id=auction.pk, buyer=request.user, amount=raw, idempotency_key=_form_key(request)
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return HttpResponseRedirect(back)
    return _done(request, result)


def panel_fragment(request: HttpRequest, vehicle_id: int) -> HttpResponse:
    """The vehicle page's offer panel alone, for its live refresh."""
    vehicle = get_object_or_404(Vehicle.objects.published(), pk=vehicle_id)
    return HttpResponse(panels.vehicle_panel(request, vehicle))
