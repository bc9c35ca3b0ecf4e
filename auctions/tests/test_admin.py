"""The staff console for auctions: terms are set through the services' rules, state never by hand."""

import re
from datetime import timedelta
from decimal import Decimal as D
from typing import Any

import pytest
from django.utils import timezone

from auctions.models import Auction, AuctionEvent
from vehicles.models import Vehicle

pytestmark = pytest.mark.django_db


def admin_datetime(prefix: str, value: Any) -> dict[str, str]:
    local = timezone.localtime(value)
    return {f"{prefix}_0": local.strftime("%Y-%m-%d"), f"{prefix}_1": local.strftime("%H:%M:%S")}


def hidden_inputs(client: Any, url: str) -> dict[str, str]:
    """What the browser posts back unchanged: the page's hidden inputs (the bid history's management form)."""
    html = client.get(url).content.decode()
    tags = re.findall(r"<input[^>]*type=\"hidden\"[^>]*>", html)
    fields = (dict(re.findall(r'(name|value)="([^"]*)"', tag)) for tag in tags)
    return {f["name"]: f.get("value", "") for f in fields if "name" in f and f["name"] != "csrfmiddlewaretoken"}


def terms_post(**overrides: Any) -> dict[str, str]:
    now = timezone.now()
    data = {
        "starting_price": "5000",
        "reserve_price": "8000",
        "buy_now_price": "12000",
        "soft_close_window_seconds": "120",
        "soft_close_extension_seconds": "120",
        **admin_datetime("starts_at", now + timedelta(hours=1)),
        **admin_datetime("ends_at", now + timedelta(days=2)),
        "_save": "Save",
    }
    data.update(overrides)
    return data


def test_staff_schedule_an_auction_through_the_service(client, staff_user, vehicle_factory):
    vehicle = vehicle_factory(status=Vehicle.Status.APPROVED)
    client.force_login(staff_user)
    response = client.post("/admin/auctions/auction/add/", {"vehicle": str(vehicle.pk), **terms_post()})
    assert response.status_code == 302, response.context["errors"]
    auction = Auction.objects.get(vehicle=vehicle)
    assert (auction.status, auction.starting_price, auction.reserve_price) == ("scheduled", D("5000"), D("8000"))
    assert auction.created_by == staff_user
    assert AuctionEvent.objects.filter(auction=auction, kind=AuctionEvent.Kind.CREATED).count() == 1
    vehicle.refresh_from_db()
    assert vehicle.status == Vehicle.Status.LISTED  # listed in the same transaction, as the seller's form does


def test_terms_that_break_the_rules_are_form_errors_and_nothing_is_stored(client, staff_user, vehicle_factory):
    vehicle = vehicle_factory(status=Vehicle.Status.APPROVED)
    client.force_login(staff_user)
    response = client.post(
        "/admin/auctions/auction/add/",
        {"vehicle": str(vehicle.pk), **terms_post(reserve_price="4000", buy_now_price="")},
    )
    assert response.status_code == 200
    assert "The reserve must be at least the starting price." in response.content.decode()
    assert not Auction.objects.filter(vehicle=vehicle).exists()


def test_an_auction_without_bids_has_its_terms_changed_by_the_service(client, staff_user, live_auction):
    client.force_login(staff_user)
    url = f"/admin/auctions/auction/{live_auction.pk}/change/"
    data = {**hidden_inputs(client, url), **terms_post(starting_price="4500", reserve_price="", buy_now_price="")}
    data.update(admin_datetime("starts_at", live_auction.starts_at))
    response = client.post(url, data)
    assert response.status_code == 302, response.context["errors"]
    live_auction.refresh_from_db()
    assert (live_auction.starting_price, live_auction.reserve_price) == (D("4500"), None)
    assert AuctionEvent.objects.filter(auction=live_auction, kind=AuctionEvent.Kind.UPDATED).count() == 1


def test_a_running_auction_with_bids_cannot_be_edited_in_the_admin(
    client, staff_user, live_auction, bidder_factory, place_bid
):
    """Status, prices and times change only through services (bids, actions): a posted form changes nothing."""
    place_bid(live_auction, bidder_factory(), "6000")
    live_auction.refresh_from_db()
    before = {f.attname: getattr(live_auction, f.attname) for f in Auction._meta.fields}
    client.force_login(staff_user)
    url = f"/admin/auctions/auction/{live_auction.pk}/change/"
    page = client.get(url).content.decode()
    assert 'name="status"' not in page
    assert 'name="reserve_price"' not in page
    response = client.post(
        url, {**hidden_inputs(client, url), "status": "ended", "outcome": "sold", **terms_post(reserve_price="1")}
    )
    assert response.status_code == 302, response.context["errors"]
    live_auction.refresh_from_db()
    assert {f.attname: getattr(live_auction, f.attname) for f in Auction._meta.fields} == before
    assert not AuctionEvent.objects.filter(auction=live_auction, kind=AuctionEvent.Kind.UPDATED).exists()


def test_a_schedule_the_service_refuses_is_reported_and_not_logged_as_done(
    client, staff_user, live_auction, vehicle_factory
):
    """The form's rules passed but the service refused (the vehicle already has an auction running): nothing is
    stored, staff see why, and the admin's history does not claim an addition."""
    from django.contrib.admin.models import LogEntry

    client.force_login(staff_user)
    response = client.post(
        "/admin/auctions/auction/add/", {"vehicle": str(live_auction.vehicle_id), **terms_post()}, follow=True
    )
    assert "Not saved:" in response.content.decode()
    assert Auction.objects.filter(vehicle_id=live_auction.vehicle_id).count() == 1
    assert not LogEntry.objects.exists()
