"""Roles: each staff role can do its own work and is refused the rest (403, nothing changes)."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from accounts.models import SellerProfile, User
from auctions.models import Bid
from backoffice.roles import ADMIN, AUCTIONS, FINANCE, PLUMBING_APPS, SUPPORT
from orders.models import Order, Payment
from orders.payments import order_pay
from vehicles.models import Vehicle

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_order(order_factory, user_factory, card_for, fake_authorize_net):
    buyer = user_factory(state="MN")
    card_for(buyer)
    order = order_factory(buyer=buyer)
    charge = order_pay(order_id=order.pk, user=buyer)
    fake_authorize_net.settle(charge.gateway_transaction_id)
    order.refresh_from_db()
    return order


def test_the_four_roles_exist_with_their_permissions():
    names = set(Group.objects.values_list("name", flat=True))
    assert {SUPPORT, FINANCE, AUCTIONS, ADMIN} <= names
    support = set(Group.objects.get(name=SUPPORT).permissions.values_list("codename", flat=True))
    assert {"review_sellerprofile", "review_vehicle", "suspend_user"} <= support
    assert "refund_order" not in support
    finance = set(Group.objects.get(name=FINANCE).permissions.values_list("codename", flat=True))
    assert {"refund_order", "change_feeschedule", "view_reports"} <= finance
    assert "void_bid" not in finance
    auctions = set(Group.objects.get(name=AUCTIONS).permissions.values_list("codename", flat=True))
    assert {"monitor_auction", "void_bid", "cancel_auction"} <= auctions
    assert "refund_order" not in auctions


def test_no_role_holds_a_plumbing_permission():
    for group in Group.objects.all():
        labels = set(group.permissions.values_list("content_type__app_label", flat=True))
        assert not labels & set(PLUMBING_APPS), group.name


def test_support_is_refused_a_refund(console, paid_order):
    client = console(SUPPORT)
    assert client.get(f"/admin/orders/order/{paid_order.pk}/refund/").status_code == 403
    response = client.post(f"/admin/orders/order/{paid_order.pk}/refund/", {"amount": "100.00", "reason": "x"})
    assert response.status_code == 403
    paid_order.refresh_from_db()
    assert paid_order.amount_refunded == 0
    assert not paid_order.payments.filter(kind=Payment.Kind.REFUND).exists()


def test_support_approves_a_seller_and_a_listing_but_may_not_monitor_or_report(
    console, seller_application_factory, vehicle_factory
):
    client = console(SUPPORT)
    application = seller_application_factory()
    response = client.post(f"/admin/accounts/sellerprofile/{application.pk}/approve/")
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == SellerProfile.Status.APPROVED
    car = vehicle_factory(status=Vehicle.Status.PENDING_REVIEW)
    assert client.post(f"/admin/vehicles/vehicle/{car.pk}/approve/").status_code == 302
    car.refresh_from_db()
    assert car.status == Vehicle.Status.APPROVED
    assert client.get("/admin/console/monitor/").status_code == 403
    assert client.get("/admin/console/reports/sales/").status_code == 403


def test_finance_refunds_but_may_not_review_listings_or_void_bids(
    console, paid_order, vehicle_factory, live_auction, bidder_factory, place_bid
):
    client = console(FINANCE)
    response = client.post(
        f"/admin/orders/order/{paid_order.pk}/refund/", {"amount": "250.00", "reason": "Goodwill"}, follow=True
    )
    assert "Refund of $250.00 approved" in response.content.decode()
    paid_order.refresh_from_db()
    assert paid_order.amount_refunded == Decimal("250.00")
    car = vehicle_factory(status=Vehicle.Status.PENDING_REVIEW)
    assert client.post(f"/admin/vehicles/vehicle/{car.pk}/approve/").status_code == 403
    car.refresh_from_db()
    assert car.status == Vehicle.Status.PENDING_REVIEW
    bid = place_bid(live_auction, bidder_factory(), "5000").bid
    response = client.post(f"/admin/console/monitor/{live_auction.pk}/void/", {"bid_id": bid.pk, "reason": "x"})
    assert response.status_code == 403
    assert Bid.objects.get(pk=bid.pk).voided_at is None
    assert client.get("/admin/console/reports/fees/").status_code == 200


def test_auctions_role_voids_a_bid_but_may_not_refund_or_suspend(
    console, paid_order, live_auction, bidder_factory, place_bid, user_factory
):
    client = console(AUCTIONS)
    assert client.get("/admin/console/monitor/").status_code == 200
    bid = place_bid(live_auction, bidder_factory(), "5000").bid
    response = client.post(f"/admin/console/monitor/{live_auction.pk}/void/", {"bid_id": bid.pk, "reason": "Shill bid"})
    assert response.status_code == 302
    assert Bid.objects.get(pk=bid.pk).void_reason == "Shill bid"
    assert client.get(f"/admin/orders/order/{paid_order.pk}/refund/").status_code == 403
    member = user_factory()
    assert client.post(f"/admin/console/people/{member.pk}/suspend/", {"reason": "x"}).status_code == 403
    assert User.objects.get(pk=member.pk).suspended_at is None


def test_admin_role_does_everything_but_plumbing(console, paid_order, user_factory):
    client = console(ADMIN)
    for url in (
        "/admin/console/monitor/",
        "/admin/console/reports/sales/",
        f"/admin/orders/order/{paid_order.pk}/refund/",
        "/admin/auditlog/logentry/",
    ):
        assert client.get(url).status_code == 200, url
    member = user_factory()
    assert client.post(f"/admin/console/people/{member.pk}/suspend/", {"reason": "Chargebacks"}).status_code == 302
    assert User.objects.get(pk=member.pk).suspension_reason == "Chargebacks"
    assert client.get("/admin/axes/accessattempt/").status_code == 403
    assert client.get("/admin/django_celery_beat/periodictask/").status_code == 403
    index = client.get("/admin/").content.decode()
    assert "Periodic tasks" not in index
    assert "Access attempts" not in index
    assert "Sites" not in index


def test_plumbing_is_hidden_even_from_staff_granted_its_permissions(user_factory, client):
    from django.contrib.auth.models import Permission

    member = user_factory(is_staff=True)
    member.user_permissions.add(*Permission.objects.filter(content_type__app_label="axes"))
    client.force_login(member)
    assert client.get("/admin/axes/accessattempt/").status_code == 403
    assert "Access attempts" not in client.get("/admin/").content.decode()


def test_superusers_see_the_plumbing(client, staff_user):
    client.force_login(staff_user)
    assert client.get("/admin/axes/accessattempt/").status_code == 200
    index = client.get("/admin/").content.decode()
    assert "Periodic tasks" in index
    assert "Access attempts" in index


def test_roles_come_back_after_a_flush_and_resync_idempotently():
    from backoffice.roles import ensure_roles

    before = {g.name: set(g.permissions.values_list("pk", flat=True)) for g in Group.objects.all()}
    ensure_roles()
    after = {g.name: set(g.permissions.values_list("pk", flat=True)) for g in Group.objects.all()}
    assert before == after


def test_cancel_order_needs_its_permission(console, order_factory):
    order = order_factory()
    response = console(SUPPORT).post(f"/admin/orders/order/{order.pk}/cancel/", {"reason": "x"})
    assert response.status_code == 403
    assert Order.objects.get(pk=order.pk).status == Order.Status.PENDING_PAYMENT
