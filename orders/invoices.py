"""Invoice PDFs (WeasyPrint): rendered on demand from the order's current lines, stored once per
distinct content, and served only to the buyer, the seller and staff."""

import hashlib
import json
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.http import FileResponse
from django.template.loader import render_to_string
from django.utils import timezone

from orders.models import Invoice, Order, Payment


def seller_invoice_name(seller: Any) -> str:
    """The seller as the invoice names them: their business name (an approved dealer's), else their full name."""
    profile = getattr(seller, "seller_profile", None)  # the missing row's exception is an AttributeError too
    business = getattr(profile, "business_name", "") if profile is not None else ""
    return str(business or seller.get_full_name() or seller.email)


def invoice_context(order: Order) -> dict[str, Any]:
    payments = list(
        order.payments.filter(status=Payment.Status.APPROVED)
        .order_by("created_at", "pk")
        .values("kind", "amount", "gateway_transaction_id", "card_brand", "card_last4", "created_at")
    )
    lines = [
        ("Vehicle price", order.vehicle_price),
        ("Buyer fee", order.buyer_fee),
        ("Documentation fee", order.documentation_fee),
        (f"Title fee ({order.buyer_state})" if order.buyer_state else "Title fee", order.title_fee),
        (f"Sales tax ({order.sales_tax_rate * 100:.3f}%)", order.sales_tax),
        ("Transport", order.transport_fee),
        ("Late fee", order.late_fee),
    ]
    return {
        "order": order,
        "vehicle": order.vehicle,
        "buyer": order.buyer,
        "seller": order.seller,
        "seller_name": seller_invoice_name(order.seller),
        "lines": [(label, amount) for label, amount in lines if amount or label in ("Vehicle price", "Buyer fee")],
        "payments": payments,
        "balance": order.balance,
        "site_name": settings.SITE_NAME,
        "issued_at": timezone.localtime(order.sold_at),
        "due_at": timezone.localtime(order.due_at),
        "tax_collected": order.sales_tax > 0,
    }


def _fingerprint(context: dict[str, Any]) -> str:
    order = context["order"]
    facts = {
        "lines": [(label, str(amount)) for label, amount in context["lines"]],
        "payments": [(p["kind"], str(p["amount"]), p["gateway_transaction_id"]) for p in context["payments"]],
        "status": order.status,
        "total": str(order.total),
    }
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()


def render_invoice_pdf(context: dict[str, Any]) -> bytes:
    from weasyprint import HTML

    html = render_to_string("orders/invoice.html", context)
    return bytes(HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf())


def invoice_for(*, order_id: int) -> Invoice:
    """The stored invoice showing the order as it is now, rendering a new version if anything changed."""
    order = Order.objects.select_related("vehicle", "buyer", "seller").get(pk=order_id)
    context = invoice_context(order)
    fingerprint = _fingerprint(context)
    existing = Invoice.objects.filter(order=order, fingerprint=fingerprint).first()
    if existing and existing.file.name and existing.file.storage.exists(existing.file.name):
        return existing
    pdf = render_invoice_pdf(context)
    try:
        with transaction.atomic():
            invoice = existing or Invoice(order=order, fingerprint=fingerprint)
            invoice.file.save(f"{order.number}-{fingerprint[:8]}.pdf", ContentFile(pdf), save=False)
            invoice.save()
    except IntegrityError:  # another request rendered the same version first
        return Invoice.objects.get(order=order, fingerprint=fingerprint)
    return invoice


def invoice_download(order: Order) -> FileResponse:
    """The order's invoice PDF as a download (the buyer's page and the API answer the same)."""
    invoice = invoice_for(order_id=order.pk)
    return FileResponse(
        invoice.file.open("rb"),
        content_type="application/pdf",
        as_attachment=True,
        filename=f"invoice-{order.number}.pdf",
    )
