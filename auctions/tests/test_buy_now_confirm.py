"""Buy now is confirmed with the total, on the page (no JavaScript) and in the API (the echoed price); a
changed price is refused; afterwards the panel shows the sale and the order (issue 16 item 2)."""

from decimal import Decimal

import pytest

from auctions.models import Auction
from core.pricing import purchase_breakdown
from vehicles.models import Vehicle

pytestmark = pytest.mark.django_db
PRICE = Decimal("41181.00")


@pytest.fixture
def offer(auction_factory):
    """A live auction with a buy-now price, a reserve and a rebuilt title."""
    auction = auction_factory(buy_now_price=PRICE, reserve_price=Decimal("30000"))
    Vehicle.objects.filter(pk=auction.vehicle_id).update(title_type=Vehicle.TitleType.REBUILT)
    return auction


@pytest.fixture
def buyer(bidder_factory):
    return bidder_factory(state="MN")


def money(value: Decimal) -> str:
    return f"${value:,.2f}"


def test_buy_now_opens_a_confirmation_with_the_total_and_the_title_warning(client, offer, buyer):
    client.force_login(buyer)
    panel = client.get(f"/vehicles/{offer.vehicle_id}/").content.decode()
    assert f'href="/auctions/{offer.pk}/buy-now/"' in panel  # a link to the review, not a one-click form

    page = client.get(f"/auctions/{offer.pk}/buy-now/").content.decode()

    expected = purchase_breakdown(price=PRICE, buyer_state="MN")  # the one fees and total calculator
    for line in ("price", "buyer_fee", "documentation_fee", "title_fee", "sales_tax", "total"):
        amount = expected.vehicle_price if line == "price" else getattr(expected, line)
        assert f'data-line="{line}">{money(amount)}' in page, line
    assert "data-title-warning" in page
    assert 'name="confirm"' in page
    assert 'name="expected_price" value="41181.00"' in page
    offer.refresh_from_db()
    assert offer.status == Auction.Status.LIVE  # looking is not buying


def test_posting_without_the_confirmation_buys_nothing(client, offer, buyer):
    client.force_login(buyer)
    response = client.post(f"/auctions/{offer.pk}/buy-now/", {"expected_price": "41181.00"})
    assert response.status_code == 400
    assert "I confirm this purchase" in response.content.decode()
    offer.refresh_from_db()
    assert offer.status == Auction.Status.LIVE


def test_a_stale_page_cannot_buy_at_a_changed_price(client, offer, buyer):
    client.force_login(buyer)
    Auction.objects.filter(pk=offer.pk).update(buy_now_price=Decimal("45000"))  # changed after the page loaded
    response = client.post(f"/auctions/{offer.pk}/buy-now/", {"expected_price": "41181.00", "confirm": "1"})
    assert response.status_code == 409
    page = response.content.decode()
    assert "The buy-now price is now $45,000.00" in page
    assert f'data-line="total">{money(purchase_breakdown(price=Decimal("45000"), buyer_state="MN").total)}' in page
    offer.refresh_from_db()
    assert offer.status == Auction.Status.LIVE


def test_confirmed_buy_now_sells_and_the_panel_shows_the_sale_and_the_order(client, offer, buyer):
    client.force_login(buyer)
    response = client.post(f"/auctions/{offer.pk}/buy-now/", {"expected_price": "41181.00", "confirm": "1"})
    assert response.status_code == 302
    offer.refresh_from_db()
    assert (offer.outcome, offer.winner_id, offer.final_price) == (Auction.Outcome.SOLD, buyer.pk, PRICE)

    panel = client.get(f"/vehicles/{offer.vehicle_id}/").content.decode()
    assert "Sold — bought now" in panel
    assert "Starting bid" not in panel
    assert "Reserve not met" not in panel
    assert f'href="/orders/auction/{offer.pk}/"' in panel
    assert ">Ended</dt>" in panel  # when it ended (the sale), not the end it no longer has
    assert ">Ends</dt>" not in panel
    order_page = client.get(f"/orders/auction/{offer.pk}/")
    assert order_page.status_code == 302
    assert order_page["Location"].startswith("/orders/")


def test_only_the_winner_reaches_the_order_by_the_auction(client, offer, buyer, bidder_factory):
    client.force_login(bidder_factory())
    assert client.get(f"/orders/auction/{offer.pk}/").status_code == 404


def test_the_api_needs_the_echoed_price_and_refuses_a_changed_one(auth_client, offer, buyer):
    api = auth_client(buyer)
    url = f"/api/auctions/{offer.pk}/buy-now"
    missing = api.post(url, {}, format="json")
    assert missing.status_code == 400
    assert "expected_price" in missing.json()["details"]
    changed = api.post(url, {"expected_price": "40000.00"}, format="json")
    assert changed.status_code == 409
    assert changed.json()["code"] == "price_changed"
    assert changed.json()["details"]["buy_now_price"] == "41181.00"
    offer.refresh_from_db()
    assert offer.status == Auction.Status.LIVE
    bought = api.post(url, {"expected_price": "41181.00"}, format="json")
    assert bought.status_code == 200, bought.json()
    assert bought.json()["data"]["outcome"] == "sold"
    assert bought.json()["data"]["price_caption"] == "Sold — bought now"
