"""The order page's fulfillment forms (each posts, calls one service, redirects back: POST-redirect-GET), the
documents, and the seller's statement (page and CSV)."""

from __future__ import annotations

import csv
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from core.errors import DomainError, NotFound
from fulfillment import selectors, services
from fulfillment.documents import bill_of_sale_download
from fulfillment.forms import PickupCodeForm, TitleUploadForm, TransportForm
from fulfillment.models import Fulfillment, TransportBooking
from orders.selectors import order_visible_to
from vehicles.storage import document_storage


def _back(order_id: int, anchor: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{reverse('orders:detail', args=[order_id])}#{anchor}")


def _errors(form: Any) -> str:
    return " ".join(
        f"{form.fields[name].label if name in form.fields else ''}: {' '.join(errs)}".strip(": ")
        for name, errs in form.errors.items()
    )


@login_required
@require_POST
def delivery(request: HttpRequest, order_id: int) -> HttpResponse:
    method = request.POST.get("method")
    try:
        if method == "pickup":
            services.delivery_choose_pickup(order_id=order_id, actor=request.user)
            messages.success(request, "Pickup it is: bring your pickup code when you collect the vehicle.")
        elif method == "transport":
            form = TransportForm(request.POST)
            if not form.is_valid():
                messages.error(request, f"Transport was not booked. {_errors(form)}")
                return _back(order_id, "vehicle")
            data = form.cleaned_data
            booking = services.transport_book(
                order_id=order_id,
                actor=request.user,
                address=services.DeliveryAddress(
                    name=data["name"],
                    phone=data["phone"],
                    address=data["address"],
                    city=data["city"],
                    state=data["state"],
                    zip=data["zip"],
                ),
                enclosed=data["enclosed"],
                expected_price=data["expected_price"],
                idempotency_key=data["token"],
            )
            _transport_message(request, booking)
        else:
            messages.error(request, "Choose pickup or transport.")
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    return _back(order_id, "vehicle")


def _transport_message(request: HttpRequest, booking: TransportBooking) -> None:
    if booking.status == TransportBooking.Status.BOOKED:
        messages.success(
            request, f"Transport booked and ${booking.price:,} charged. A carrier will be assigned shortly."
        )
    elif booking.status == TransportBooking.Status.PAID:
        messages.success(request, f"Transport paid (${booking.price:,}); we're booking the carrier and will tell you.")
    elif booking.status == TransportBooking.Status.PAYMENT_FAILED:
        messages.error(request, f"Your card was not charged: {booking.booking_error or 'the card was declined.'}")
    else:
        messages.info(
            request, "We're confirming the transport payment with the card processor; this page will show the result."
        )


@login_required
@require_POST
def release(request: HttpRequest, order_id: int) -> HttpResponse:
    try:
        services.vehicle_release(order_id=order_id, actor=request.user)
        messages.success(request, "Vehicle released: the buyer (or their carrier) may collect it.")
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    return _back(order_id, "vehicle")


@login_required
@require_POST
def pickup(request: HttpRequest, order_id: int) -> HttpResponse:
    form = PickupCodeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter the buyer's 6-digit pickup code.")
        return _back(order_id, "vehicle")
    try:
        services.pickup_confirm(order_id=order_id, actor=request.user, code=form.cleaned_data["code"])
        messages.success(request, "Pickup confirmed: the buyer has the vehicle.")
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    return _back(order_id, "vehicle")


@login_required
@require_POST
def title_upload(request: HttpRequest, order_id: int) -> HttpResponse:
    form = TitleUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, f"Nothing was uploaded. {_errors(form)}")
        return _back(order_id, "title")
    try:
        document = services.title_document_upload(
            order_id=order_id, actor=request.user, kind=form.cleaned_data["kind"], upload=form.cleaned_data["file"]
        )
        messages.success(request, f"{document.get_kind_display()} uploaded.")
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    return _back(order_id, "title")


@login_required
@require_POST
def title_received(request: HttpRequest, order_id: int) -> HttpResponse:
    try:
        services.title_mark_delivered(order_id=order_id, actor=request.user)
        messages.success(request, "Thank you: the title transfer is complete.")
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    return _back(order_id, "title")


@login_required
def title_document(request: HttpRequest, order_id: int, document_id: int) -> FileResponse:
    """A private title document, for the order's buyer, its seller and staff only."""
    try:
        document = selectors.title_document_visible_to(order_id=order_id, document_id=document_id, user=request.user)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    response = FileResponse(document_storage().open(document.storage_name, "rb"), content_type=document.content_type)
    response["Content-Disposition"] = content_disposition_header(False, document.original_name) or "inline"
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def bill_of_sale(request: HttpRequest, order_id: int) -> FileResponse:
    try:
        order = order_visible_to(order_id=order_id, user=request.user)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if not Fulfillment.objects.filter(order_id=order.pk).exists():
        raise Http404("The bill of sale is issued when the order is paid.")
    return bill_of_sale_download(order)


def _year(request: HttpRequest) -> int | None:
    raw = request.GET.get("year", "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) == 4 else None


@login_required
def statement(request: HttpRequest) -> HttpResponse:
    """The seller's statement: every sale, fee, charge, hold and payout."""
    data = selectors.seller_statement(request.user, year=_year(request))
    return render(request, "fulfillment/statement.html", {**data, "year": _year(request), "title": "Seller statement"})


@login_required
def statement_csv(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    data = selectors.seller_statement(request.user, year=year)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"seller-statement-{year or 'all'}-{timezone.localdate():%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    writer.writerow(
        [
            "order",
            "vehicle",
            "vin",
            "sold",
            "sale price",
            "seller fee",
            "charges",
            "net",
            "status",
            "released",
            "paid out",
            "payout reference",
        ]
    )
    for row in data["rows"]:
        proceeds = row.proceeds
        writer.writerow(
            [
                row.order.number,
                _safe_cell(str(row.order.vehicle)),
                row.order.vehicle.vin,
                timezone.localtime(row.order.sold_at).date().isoformat(),
                row.gross,
                row.fee,
                row.charges,
                row.net,
                proceeds.get_status_display() if proceeds else row.order.get_status_display(),
                timezone.localtime(proceeds.released_at).isoformat() if proceeds and proceeds.released_at else "",
                timezone.localtime(proceeds.paid_out_at).isoformat() if proceeds and proceeds.paid_out_at else "",
                _safe_cell(proceeds.payout_reference) if proceeds else "",
            ]
        )
    return response


def _safe_cell(text: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
