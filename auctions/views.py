"""HTML pages of the auctions domain (thin). Forms work without JavaScript: POST, message, redirect back."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from accounts.selectors import bidding_eligibility
from auctions import bid_protocol, selectors, services
from auctions.apis.common import client_ip
from auctions.models import Auction
from auctions.panels import BID_REFUSAL_TAG, bid_refusal_keep, bid_review_keep, purchase_preview
from auctions.services.increments import increment_table
from auctions.state import public_state
from core.amount_fields import StrictDecimalFormField
from core.errors import DomainError
from core.money import MoneyError, parse_amount
from core.throttles import admit, windows


def _back(request: HttpRequest, auction: Auction) -> HttpResponseRedirect:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = f"/vehicles/{auction.vehicle_id}/"
    return HttpResponseRedirect(target + ("" if "#" in target else "#auction"))


def live_auctions(request: HttpRequest) -> HttpResponse:
    """Live auctions, ending soonest first."""
    q = request.GET.get("q", "").strip()
    auctions = selectors.auction_list(status=Auction.Status.LIVE, q=q or None, sort="ending_soon")
    page = Paginator(auctions, 24).get_page(request.GET.get("page"))
    increments = increment_table()
    cards = [selectors.auction_card(a, increments) for a in page]
    return render(
        request,
        "auctions/live.html",
        {"page": page, "cards": cards, "q": q, "server_time": timezone.now().isoformat()},
    )


def auction_room(request: HttpRequest, auction_id: int) -> HttpResponse:
    """Notifications link here; the room lives on the vehicle page."""
    auction = get_object_or_404(Auction, pk=auction_id)
    return redirect(f"/vehicles/{auction.vehicle_id}/#auction")


@require_POST
def bid_submit(request: HttpRequest, auction_id: int) -> HttpResponse:
    """The site's bid door (transport only): bid_protocol reads the form, the service decides, and the outcome
    is told as a message on the way back to the vehicle page. The one UI rule of its own: a max above
    `Auction.needs_confirmation` comes back filled in, with the total at it, until the bidder ticks confirm."""
    auction = get_object_or_404(Auction, pk=auction_id)
    if not request.user.is_authenticated:
        messages.error(request, bid_protocol.LOGIN_MESSAGE)
        return redirect(f"/accounts/login/?next=/vehicles/{auction.vehicle_id}/")
    outcome: object
    admission = admit(windows(user_id=request.user.pk, address=client_ip(request), scope="bids"))
    try:
        if not admission.allowed:
            raise bid_protocol.throttled(admission.wait)
        ask = bid_protocol.read(request.POST)
        if auction.needs_confirmation(ask.amount) and not request.POST.get("confirm"):
            preview = purchase_preview(ask.amount, request.user)
            total = f" If you win at that max you pay ${preview.total:,.2f} in total." if preview else ""
            messages.warning(
                request,
                f"${ask.amount:,.2f} is more than three times the current price.{total} "
                "Tick “I confirm this max bid” and submit again.",
            )
            bid_review_keep(request, auction.pk, ask.amount)
            return _back(request, auction)
        outcome = services.bid_place(
            auction_id=auction.pk,
            bidder=request.user,
            max_amount=ask.amount,
            ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )
    except (DomainError, OperationalError, InterfaceError) as exc:
        outcome = exc
    told = bid_protocol.tell(outcome)
    if told.level == "error":
        # told in the bid form, on the field (auctions.panels.bid_refusal_take); at the top if no form shows it
        bid_refusal_keep(request, auction.pk, str(request.POST.get("amount", "")))
        messages.error(request, told.message, extra_tags=f"{BID_REFUSAL_TAG}-{auction.pk}")
    else:
        getattr(messages, told.level)(request, told.message)
    return _back(request, auction)


@login_required
@require_http_methods(["GET", "POST"])
def buy_now_submit(request: HttpRequest, auction_id: int) -> HttpResponse:
    """Buy now in two steps, without JavaScript: GET shows the total (price, fees, title, tax by the buyer's
    state, delivery when quoted) and the title warning; POST buys at the price that page showed
    (`expected_price`) once the buyer ticked "confirm". A changed price shows the page again with the new total."""
    auction = get_object_or_404(Auction.objects.select_related("vehicle"), pk=auction_id)
    error, status = "", 200
    if request.method == "POST":
        status = 400
        try:
            expected = parse_amount(request.POST.get("expected_price"), field="price")
        except MoneyError:
            expected = None
        if expected is None:
            error = "This page was out of date; review the total below and confirm again."
        elif not request.POST.get("confirm"):
            error = "Tick “I confirm this purchase” to buy."
        else:
            try:
                services.auction_buy_now(
                    auction_id=auction.pk,
                    buyer=request.user,
                    expected_price=expected,
                    ip=client_ip(request),
                    user_agent=request.META.get("HTTP_USER_AGENT", ""),
                )
            except DomainError as exc:
                if exc.code != "price_changed":
                    messages.error(request, exc.message)
                    return redirect(f"/vehicles/{auction.vehicle_id}/#auction")
                error, status = exc.message, 409
                auction.refresh_from_db()
            else:
                messages.success(request, "You bought it! Your order and invoice are ready.")
                return redirect(f"/vehicles/{auction.vehicle_id}/#auction")
    state = public_state(auction, increment_table())
    if not state["buy_now_available"] or auction.buy_now_price is None or auction.seller_id == request.user.pk:
        messages.error(request, "Buy now is no longer available on this auction.")
        return redirect(f"/vehicles/{auction.vehicle_id}/#auction")
    context = {
        "auction": auction,
        "vehicle": auction.vehicle,
        "preview": purchase_preview(auction.buy_now_price, request.user, request=request, vehicle=auction.vehicle),
        "eligibility": bidding_eligibility(request.user),
        "error": error,
    }
    return render(request, "auctions/buy_now_confirm.html", context, status=status)


@require_POST
@login_required
def comment_submit(request: HttpRequest, auction_id: int) -> HttpResponse:
    auction = get_object_or_404(Auction, pk=auction_id)
    parent = request.POST.get("parent_id") or None
    try:
        services.comment_post(
            auction_id=auction.pk,
            author=request.user,
            body=request.POST.get("body", ""),
            parent_id=int(parent) if parent else None,
        )
    except (DomainError, ValueError) as exc:
        messages.error(request, getattr(exc, "message", "That comment could not be posted."))
    else:
        messages.success(request, "Comment posted.")
    return _back(request, auction)


@require_POST
@login_required
def decision_submit(request: HttpRequest, auction_id: int) -> HttpResponse:
    auction = get_object_or_404(Auction, pk=auction_id)
    accept = request.POST.get("decision") == "accept"
    try:
        services.auction_seller_decide(auction_id=auction.pk, actor=request.user, accept=accept)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Sold to the high bidder." if accept else "You declined the high bid.")
    return redirect(request.POST.get("next") or "auctions:seller")


@require_POST
@login_required
def reserve_submit(request: HttpRequest, auction_id: int) -> HttpResponse:
    auction = get_object_or_404(Auction, pk=auction_id)
    try:
        services.auction_lower_reserve(
            auction_id=auction.pk, actor=request.user, reserve_price=request.POST.get("reserve_price", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Reserve lowered.")
    return redirect("auctions:seller")


@require_POST
@login_required
def cancel_submit(request: HttpRequest, auction_id: int) -> HttpResponse:
    auction = get_object_or_404(Auction, pk=auction_id)
    try:
        services.auction_cancel(auction_id=auction.pk, actor=request.user, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Auction cancelled.")
    return redirect("auctions:seller")


@login_required
def my_bids(request: HttpRequest) -> HttpResponse:
    groups = selectors.my_bids(request.user)
    sections = [
        ("leading", "Leading", "You are the high bidder."),
        ("outbid", "Outbid", "Someone's max is higher than yours — bid again before the end."),
        ("won", "Won", "Congratulations! Pay within three business days."),
        ("lost", "Lost", "These sold to someone else or ended without a sale."),
    ]
    return render(
        request,
        "auctions/my_bids.html",
        {
            "sections": [(key, title, hint, groups[key]) for key, title, hint in sections],
            "server_time": timezone.now().isoformat(),
        },
    )


@login_required
def seller_auctions(request: HttpRequest) -> HttpResponse:
    auctions = list(selectors.seller_auctions(request.user)[:200])
    for auction in auctions:
        auction.decision_panels = decision_panels(request, auction) if auction.awaiting_decision else []  # type: ignore[attr-defined]
    return render(request, "auctions/seller.html", {"auctions": auctions, "server_time": timezone.now().isoformat()})


def decision_panels(request: HttpRequest, auction: Auction) -> list[str]:
    """What higher apps add to a reserve-not-met decision (settings.AUCTION_DECISION_PANELS: the offers app's
    "Counter"), without this app importing them: callables (request, auction) -> HTML."""
    from django.conf import settings
    from django.utils.module_loading import import_string
    from django.utils.safestring import mark_safe

    return [
        mark_safe(html)  # noqa: S308 - trusted panels from settings
        for path in getattr(settings, "AUCTION_DECISION_PANELS", ())
        if (html := import_string(path)(request, auction))
    ]


def how_bidding_works(request: HttpRequest) -> HttpResponse:
    return render(request, "auctions/how_bidding_works.html", {"tiers": increment_table()})


class ScheduleForm(forms.Form):
    starting_price = StrictDecimalFormField(min_value=Decimal("1"), label="Starting price ($)")
    reserve_price = StrictDecimalFormField(
        required=False, allow_zero=False, label="Reserve ($, optional)", help_text="Hidden from bidders."
    )
    buy_now_price = StrictDecimalFormField(required=False, allow_zero=False, label="Buy-now price ($, optional)")
    # Entered and shown in the marketplace's time zone (TIME_ZONE, America/Chicago), whatever the browser's.
    starts_at = forms.DateTimeField(
        required=False,
        label="Starts (Central time, Chicago)",
        help_text="Leave empty to start now.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    ends_at = forms.DateTimeField(
        label="Ends (Central time, Chicago)",
        help_text="At least the marketplace's minimum auction length after the start.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


@login_required
def schedule_auction(request: HttpRequest, vehicle_id: int) -> HttpResponse:
    from vehicles.models import Vehicle

    vehicle = get_object_or_404(Vehicle, pk=vehicle_id)
    if not (request.user.is_staff or vehicle.seller_id == request.user.pk):
        messages.error(request, "Only the seller or staff can put this vehicle up for auction.")
        return redirect("/sell/")
    initial: dict[str, Any] = {
        "starting_price": vehicle.starting_price,
        "reserve_price": vehicle.reserve_price,
        "buy_now_price": vehicle.buy_now_price,
        "ends_at": timezone.localtime(timezone.now() + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"),
    }
    form = ScheduleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        terms = services.AuctionTermsInput(
            starting_price=data["starting_price"],
            reserve_price=data["reserve_price"],
            buy_now_price=data["buy_now_price"],
            starts_at=data["starts_at"] or timezone.now(),
            ends_at=data["ends_at"],
        )
        try:
            auction = services.auction_schedule(vehicle_id=vehicle.pk, actor=request.user, terms=terms)
        except DomainError as exc:
            for field, errors in (exc.details or {}).items():
                if field in form.fields:
                    for error in errors:
                        form.add_error(field, error)
            if not exc.details or not any(f in form.fields for f in exc.details):
                form.add_error(None, exc.message)
        else:
            messages.success(request, "Your auction is scheduled.")
            return redirect(f"/vehicles/{auction.vehicle_id}/")
    return render(request, "auctions/schedule.html", {"form": form, "vehicle": vehicle})
