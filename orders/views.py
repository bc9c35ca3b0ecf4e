"""HTML pages for orders: my purchases, my sales, an order's detail, pay, invoice."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core import idempotency
from core.errors import DomainError, NotFound
from orders.invoices import invoice_download
from orders.models import Payment
from orders.pages import TimelineEntry, order_page_sections, seller_nets
from orders.payments import card_on_file, order_pay
from orders.selectors import (
    order_payments,
    order_timeline,
    order_visible_to,
    orders_for_buyer,
    orders_for_seller,
    second_chance_for,
)
from orders.services import order_second_chance
from orders.sources import order_create_for_auction, order_create_for_offer


def _visible_or_404(order_id: int, user: object):  # type: ignore[no-untyped-def]
    try:
        return order_visible_to(order_id=order_id, user=user)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@login_required
def my_orders(request: HttpRequest) -> HttpResponse:
    page = Paginator(orders_for_buyer(request.user), 20).get_page(request.GET.get("page"))
    return render(request, "orders/my_orders.html", {"page": page, "title": "My orders", "role": "buyer"})


@login_required
def my_sales(request: HttpRequest) -> HttpResponse:
    """The seller's sales with what they receive (their net), never the buyer's invoice total."""
    page = Paginator(orders_for_seller(request.user), 20).get_page(request.GET.get("page"))
    nets = seller_nets(list(page.object_list))
    rows = [(order, nets.get(order.pk)) for order in page.object_list]
    return render(request, "orders/my_sales.html", {"page": page, "rows": rows, "title": "Sales", "role": "seller"})


@login_required
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _visible_or_404(order_id, request.user)
    is_buyer = order.buyer_id == request.user.pk
    sections = order_page_sections(request, order)
    events = [
        TimelineEntry(at=event.created_at, message=event.message or event.kind, kind=event.kind, track="order")
        for event in order_timeline(order)
    ]
    context = {
        "order": order,
        "is_buyer": is_buyer,
        "is_seller": order.seller_id == request.user.pk,
        "events": sorted([*events, *sections.timeline], key=lambda entry: entry.at),
        "sections": sections,
        "payments": order_payments(order),
        "card": card_on_file(request.user) if is_buyer else None,
        "pay_token": uuid.uuid4().hex,
        "second_chance": second_chance_for(order) if order.seller_id == request.user.pk else None,
    }
    return render(request, "orders/detail.html", context)


@login_required
@require_POST
def order_second_chance_view(request: HttpRequest, order_id: int) -> HttpResponse:
    try:
        result = order_second_chance(order_id=order_id, seller=request.user)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("orders:detail", order_id=order_id)
    messages.success(request, result.message)
    return redirect("offers:thread", thread_id=result.thread.pk)


@login_required
def order_for_offer_view(request: HttpRequest, thread_id: int) -> HttpResponse:
    """An accepted offer's order (the offer pages link here; offers cannot see orders). The order is made
    at once if the request after the acceptance has not made it yet (idempotent)."""
    from offers.models import OfferThread

    parties = OfferThread.objects.filter(pk=thread_id).values_list("buyer_id", "seller_id").first()
    order = order_create_for_offer(thread_id=thread_id) if parties and request.user.pk in parties else None
    if order is None:
        raise Http404("No order for this offer.")
    return redirect("orders:detail", order_id=order.pk)


@login_required
def order_for_auction_view(request: HttpRequest, auction_id: int) -> HttpResponse:
    """A won (or bought-now) auction's order, for its winner (the auction panel links here; auctions cannot see
    orders). The order is made at once if the task after the sale has not made it yet (idempotent)."""
    from auctions.models import Auction

    winner_id = Auction.objects.filter(pk=auction_id).values_list("winner_id", flat=True).first()
    order = order_create_for_auction(auction_id=auction_id) if winner_id and winner_id == request.user.pk else None
    if order is None:
        raise Http404("No order for this auction.")
    return redirect("orders:detail", order_id=order.pk)


@login_required
@require_POST
def order_pay_view(request: HttpRequest, order_id: int) -> HttpResponse:
    # The form carries a one-time token, used as the Idempotency-Key: a double click or a resubmitted form
    # gets the first attempt's answer.
    try:
        result = order_pay(order_id=order_id, user=request.user, idempotency_key=request.POST.get("pay_token"))
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("orders:detail", order_id=order_id)
    if isinstance(result, idempotency.Replay):
        already = result.body.get("message") or result.body.get("error") or ""
        messages.info(request, f"This payment was already submitted. {already}".strip())
        return redirect("orders:detail", order_id=order_id)
    payment = result
    if payment.status == Payment.Status.APPROVED:
        messages.success(request, f"Payment of ${payment.amount:,} approved. A receipt is on its way to your email.")
    elif payment.status in (Payment.Status.HELD, Payment.Status.UNKNOWN, Payment.Status.PENDING):
        messages.info(request, "We're confirming your payment with the card processor; this page will show the result.")
    else:
        messages.error(request, f"Your card was not charged: {payment.reason or 'the card was declined.'}")
    return redirect("orders:detail", order_id=order_id)


@login_required
def order_invoice(request: HttpRequest, order_id: int) -> FileResponse:
    order = _visible_or_404(order_id, request.user)
    return invoice_download(order)
