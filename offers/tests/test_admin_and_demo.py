"""The staff console for offers, and the demo threads `make run` shows."""

from io import StringIO

import pytest
from django.test import Client

from accounts.models import User
from offers import demo
from offers.models import OfferThread
from vehicles.models import Vehicle

pytestmark = pytest.mark.django_db


def test_staff_list_threads_with_filters_and_open_one_with_its_amounts_and_events(
    staff_user, offer_vehicle, bidder_factory, make_offer, django_assert_max_num_queries
):
    threads = [make_offer(offer_vehicle, bidder_factory(), amount) for amount in ("7000", "7500", "8000")]
    client = Client()
    client.force_login(staff_user)
    with django_assert_max_num_queries(12):  # no query per row
        listing = client.get("/admin/offers/offerthread/?status__exact=open")
    assert listing.status_code == 200
    assert all(f"/admin/offers/offerthread/{t.pk}/change/" in listing.content.decode() for t in threads)
    page = client.get(f"/admin/offers/offerthread/{threads[0].pk}/change/").content.decode()
    assert "7000.00" in page
    assert "Offer made" in page
    assert "Withdraw…" in page


def test_staff_withdraw_a_thread_with_a_reason_both_sides_read(staff_user, offer_vehicle, bidder_factory, make_offer):
    thread = make_offer(offer_vehicle, bidder_factory(), "8000")
    client = Client()
    client.force_login(staff_user)
    url = f"/admin/offers/offerthread/{thread.pk}/withdraw/"
    assert client.post(url, {"reason": "no"}).status_code == 200  # too short: the form says so
    response = client.post(url, {"reason": "The listing had the wrong VIN"})
    assert response.status_code == 302
    thread.refresh_from_db()
    assert thread.status == OfferThread.Status.WITHDRAWN
    assert thread.end_reason == "The listing had the wrong VIN"


def test_the_demo_makes_threads_in_several_states(seller, bidder_factory, offer_vehicle_factory):
    User.objects.filter(pk=seller.pk).update(email="seller@demo.test")
    bidder_factory(email="buyer@demo.test")
    bidder_factory(email="buyer2@demo.test")
    for _ in range(3):
        offer_vehicle_factory(seller=seller, accepts_offers=False, buy_now_price="15000")
    out = StringIO()
    threads = demo.seed(out)
    assert "5 demo offer threads on 3 vehicles" in out.getvalue()
    statuses = sorted((t.refresh_from_db() or t).status for t in threads)
    assert statuses == ["declined", "expired", "open", "open", "open"]
    assert OfferThread.objects.filter(status="open", turn="buyer").count() == 1, "one countered by the seller"
    assert Vehicle.objects.filter(seller=seller, accepts_offers=True).count() == 3
