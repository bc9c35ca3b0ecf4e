"""The console's home page: what needs attention, counts that match the data, links that filter to it."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from backoffice.attention import attention_items
from core.webhooks import record_failure
from notifications.models import EmailDelivery
from orders.models import Order, Payment
from vehicles.models import Vehicle

pytestmark = pytest.mark.django_db


def _counts(html: str) -> dict[str, int]:
    return {
        key: int(count)
        for key, count in re.findall(
            r'data-attention="([a-z_]+)">\s*<a href="[^"]*"><span class="count[^"]*" data-count>(\d+)<', html
        )
    }


def test_home_counts_match_the_data(
    client, staff_user, seller_application_factory, vehicle_factory, order_factory, user_factory
):
    seller_application_factory.create_batch(2)
    for _ in range(3):
        vehicle_factory(status=Vehicle.Status.PENDING_REVIEW)
    vehicle_factory(status=Vehicle.Status.APPROVED)
    overdue = order_factory(sold_at=timezone.now() - timedelta(days=10))
    order_factory()  # not due yet
    Payment.objects.create(order=overdue, kind="charge", status="held", amount=1, invoice_number="X-1")
    Payment.objects.create(order=overdue, kind="charge", status="unknown", amount=1, invoice_number="X-2")
    Payment.objects.create(order=overdue, kind="charge", status="approved", amount=1, invoice_number="X-3")
    # a refund still "in flight" minutes later got no answer (its process died): unknown too; a fresh one is not
    stuck = Payment.objects.create(order=overdue, kind="refund", status="pending", amount=1, invoice_number="X-4")
    Payment.objects.filter(pk=stuck.pk).update(updated_at=timezone.now() - timedelta(minutes=5))
    Payment.objects.create(order=overdue, kind="refund", status="pending", amount=1, invoice_number="X-5")
    EmailDelivery.objects.create(user=user_factory(), kind="outbid", status=EmailDelivery.Status.FAILED)
    record_failure(vendor="persona", reason="bad signature", status_code=401)
    client.force_login(staff_user)
    counts = _counts(client.get("/admin/").content.decode())
    assert counts["seller_applications"] == 2
    assert counts["listings"] == 3
    assert counts["payments_held"] == 3
    assert counts["overdue"] == Order.objects.overdue().count() == 1
    assert counts["failed_emails"] == 1
    assert counts["failed_webhooks"] == 1
    assert counts["fraud_flags"] == 0


def test_each_count_links_to_its_filtered_list(client, staff_user, vehicle_factory):
    vehicle_factory(status=Vehicle.Status.PENDING_REVIEW)
    vehicle_factory(status=Vehicle.Status.APPROVED)
    client.force_login(staff_user)
    items = {item.key: item for item in attention_items(staff_user)}
    page = client.get(items["listings"].url)
    assert page.status_code == 200
    assert "1 vehicle" in page.content.decode()
    for item in items.values():
        assert client.get(item.url).status_code == 200, item.url


def test_a_role_sees_only_the_items_it_may_open(staff_in):
    support = {item.key for item in attention_items(staff_in("support"))}
    assert {"seller_applications", "listings"} <= support
    assert "payments_held" not in support
    assert "claim_refunds_unknown" not in support
    finance = {item.key for item in attention_items(staff_in("finance"))}
    assert {"payments_held", "overdue", "failed_webhooks", "claim_refunds_unknown"} <= finance
    assert "listings" not in finance
