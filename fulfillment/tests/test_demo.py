"""`make run`'s demo shows orders after the sale in several states, moved there by the real services."""

from io import StringIO

import pytest

from fulfillment import demo
from fulfillment.models import Fulfillment, ProceedsStatus, TitleStatus, VehicleStatus
from orders.models import Order


@pytest.mark.django_db(transaction=True)
def test_the_demo_has_paid_in_review_in_transit_and_completed_orders(settings, fulfillment_files):
    from accounts import demo as accounts_demo

    settings.AUTHORIZE_NET_LOGIN_ID = ""  # the built-in payment sandbox, as under make run
    accounts_demo.seed(StringIO())
    out = StringIO()
    demo.seed(out)
    assert "4 orders after the sale" in out.getvalue()
    states = [
        (f.order.status, f.title_status, f.vehicle_status, f.order.proceeds.status)
        for f in Fulfillment.objects.select_related("order__proceeds").order_by("order_id")
    ]
    assert states == [
        (
            Order.Status.IN_FULFILLMENT,
            TitleStatus.AWAITING_DOCUMENTS,
            VehicleStatus.AWAITING_CHOICE,
            ProceedsStatus.HELD,
        ),
        (Order.Status.IN_FULFILLMENT, TitleStatus.DOCUMENTS_REVIEW, VehicleStatus.AWAITING_PICKUP, ProceedsStatus.HELD),
        (Order.Status.IN_FULFILLMENT, TitleStatus.FILED, VehicleStatus.BOOKED, ProceedsStatus.HELD),
        (Order.Status.COMPLETED, TitleStatus.DELIVERED_TO_BUYER, VehicleStatus.PICKED_UP, ProceedsStatus.RELEASED),
    ]
