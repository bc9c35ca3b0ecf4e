"""The bill of sale PDF (WeasyPrint, in the invoice's style): rendered when the order is paid, stored once per
distinct content, served to the buyer, the seller and staff."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.http import FileResponse
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import SellerProfile
from fulfillment.models import BillOfSale
from orders.models import Order


def bill_of_sale_context(order: Order) -> dict[str, Any]:
    profile = SellerProfile.objects.filter(user_id=order.seller_id).first()
    seller = order.seller
    if profile:
        name, address = (
            profile.business_name,
            f"{profile.address_line1}, {profile.city}, {profile.state} {profile.postal_code}",
        )
    else:
        name = seller.get_full_name() or seller.email
        address = ", ".join(p for p in (seller.address_line1, seller.city, seller.state, seller.postal_code) if p)
    return {
        "order": order,
        "vehicle": order.vehicle,
        "buyer": order.buyer,
        "seller_name": name,
        "seller_address": address,
        "dealer_license": profile.dealer_license_number if profile else "",
        "site_name": settings.SITE_NAME,
        "sold_at": timezone.localtime(order.sold_at),
        "paid_at": timezone.localtime(order.paid_at) if order.paid_at else None,
    }


def _fingerprint(context: dict[str, Any]) -> str:
    order, vehicle, buyer = context["order"], context["vehicle"], context["buyer"]
    facts = {
        "price": str(order.vehicle_price),
        "vehicle": [vehicle.vin, vehicle.year, vehicle.make, vehicle.model, vehicle.mileage],
        "buyer": [buyer.get_full_name(), buyer.address_line1, buyer.city, buyer.state, buyer.postal_code],
        "seller": [context["seller_name"], context["seller_address"]],
        "paid": str(order.paid_at),
    }
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()


def bill_of_sale_for(*, order_id: int) -> BillOfSale:
    """The stored bill of sale showing the order as it is now (rendered again only if its facts changed)."""
    from weasyprint import HTML

    order = Order.objects.select_related("vehicle", "buyer", "seller").get(pk=order_id)
    context = bill_of_sale_context(order)
    fingerprint = _fingerprint(context)
    existing = BillOfSale.objects.filter(order=order, fingerprint=fingerprint).first()
    if existing and existing.file.name and existing.file.storage.exists(existing.file.name):
        return existing
    html = render_to_string("fulfillment/bill_of_sale.html", context)
    pdf = bytes(HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf())
    try:
        with transaction.atomic():
            document = existing or BillOfSale(order=order, fingerprint=fingerprint)
            document.file.save(f"{order.number}-bill-of-sale-{fingerprint[:8]}.pdf", ContentFile(pdf), save=False)
            document.save()
    except IntegrityError:  # rendered by another request at the same time
        return BillOfSale.objects.get(order=order, fingerprint=fingerprint)
    return document


def bill_of_sale_download(order: Order) -> FileResponse:
    document = bill_of_sale_for(order_id=order.pk)
    return FileResponse(
        document.file.open("rb"),
        content_type="application/pdf",
        as_attachment=True,
        filename=f"bill-of-sale-{order.number}.pdf",
    )
