"""Issue 16, item 9, as the winner and the seller see it: the winner's page says "Winning bid", offers
"Pay now" (to the order), keeps no "Bid accepted" notice and no comment box; the seller's sale shows hammer
price, seller fee and what they will receive (not the buyer's invoice); an unsold vehicle can be relisted;
the schedule form speaks Central time and refuses an auction shorter than the staff-set minimum."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from auctions.models import Auction
from auctions.services import auction_close
from core.pricing import seller_fee
from orders.models import Order
from tests.fixtures.browser import login_browser
from vehicles.models import Vehicle
from vehicles.templatetags.vehicle_tags import usd

pytestmark = pytest.mark.e2e


def page_for(browser: Browser, live_url: str, user) -> Page:
    context = browser.new_context(timezone_id="America/New_York", locale="en-US")  # not the marketplace's zone
    login_browser(context, user, live_url)
    return context.new_page()


def test_the_winner_pays_from_the_auction_page_and_the_seller_sees_their_proceeds(
    collected_static, browser: Browser, live_url: str, auction_factory, bidder_factory
):
    auction = auction_factory(starting_price=Decimal("5000"), ends_at=timezone.now() + timedelta(minutes=30))
    winner = bidder_factory(first_name="Wendy")
    page = page_for(browser, live_url, winner)
    page.goto(f"{live_url}/vehicles/{auction.vehicle_id}/")
    room = page.locator("[data-auction-room]")
    expect(room).to_have_attribute("data-connected", "true", timeout=15000)
    # the end in Central time, the buyer's own (Eastern) time beside it
    expect(page.locator('[data-field="ends_at_text"]')).to_contain_text(re.compile(r"C[SD]T"))
    expect(page.locator('[data-field="ends_at_local"]')).to_contain_text("your time")
    page.get_by_label("Your max bid").fill("6000")
    page.get_by_role("button", name="Place bid").click()
    expect(page.locator('[data-field="notice"]')).to_contain_text("Bid accepted")
    expect(page.locator("[data-comment-form]")).to_be_visible()

    # the auction closes while the page is open: the page turns into the winner's page, without a reload
    assert auction_close(auction_id=auction.pk, now=auction.ends_at)
    expect(page.locator('[data-field="my_status"]')).to_have_text("You won", timeout=10000)
    expect(page.locator('[data-field="price_caption"]')).to_have_text("Winning bid")
    expect(page.locator('[data-field="notice"]')).to_be_hidden()
    expect(page.locator("[data-comment-form]")).to_be_hidden()
    expect(page.locator('[data-field="comments_closed"]')).to_be_visible()
    pay = page.get_by_role("link", name="Pay now")
    expect(pay).to_be_visible()

    # and after a reload, the same from the server
    page.reload()
    expect(page.locator('[data-field="price_caption"]')).to_have_text("Winning bid")
    expect(page.locator("[data-comment-form]")).to_have_count(0)
    page.get_by_role("link", name="Pay now").click()
    order = Order.objects.get(source_id=auction.pk)
    expect(page).to_have_url(f"{live_url}/orders/{order.pk}/")
    expect(page.get_by_test_id("order-next-step")).to_contain_text("Next: pay")

    # the seller's view of the same sale: their numbers, not the buyer's invoice
    seller_page = page_for(browser, live_url, auction.seller)
    seller_page.goto(f"{live_url}/orders/{order.pk}/")
    price = Auction.objects.get(pk=auction.pk).final_price
    proceeds = seller_page.get_by_test_id("expected-proceeds")
    expect(proceeds).to_contain_text("Hammer price")
    expect(proceeds).to_contain_text(usd(price))
    expect(proceeds).to_contain_text(usd(seller_fee(price)))
    expect(seller_page.get_by_test_id("expected-net")).to_have_text(usd(price - seller_fee(price)))
    expect(seller_page.get_by_role("heading", name="Price")).to_have_count(0)  # the buyer's invoice lines
    expect(seller_page.locator("main")).not_to_contain_text("Buyer fee")

    # someone else's auction page says "Sold for"
    other = page_for(browser, live_url, bidder_factory())
    other.goto(f"{live_url}/vehicles/{auction.vehicle_id}/")
    expect(other.locator('[data-field="price_caption"]')).to_have_text("Sold for")
    expect(other.get_by_role("link", name="Pay now")).to_be_hidden()


def test_an_unsold_vehicle_is_relisted_in_central_time_for_at_least_the_minimum(
    collected_static, browser: Browser, live_url: str, auction_factory
):
    auction = auction_factory(reserve_price=Decimal("9000"), ends_at=timezone.now() + timedelta(minutes=5))
    assert auction_close(auction_id=auction.pk, now=auction.ends_at)  # no bids: unsold
    assert Vehicle.objects.get(pk=auction.vehicle_id).status == Vehicle.Status.APPROVED
    page = page_for(browser, live_url, auction.seller)

    page.goto(f"{live_url}/sell/auctions/")
    page.locator(f'tr[data-auction-id="{auction.pk}"]').get_by_role("link", name="Relist").click()
    expect(page).to_have_url(f"{live_url}/sell/vehicles/{auction.vehicle_id}/auction/new/")
    expect(page.get_by_test_id("schedule-time-zone")).to_contain_text("Central time (America/Chicago)")

    # six minutes is refused (the minimum is an hour); two hours is scheduled
    central = timezone.localtime(timezone.now())  # the marketplace's zone, whatever the browser's
    page.get_by_label("Ends (Central time, Chicago)").fill((central + timedelta(minutes=6)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Schedule auction").click()
    expect(page.locator(".invalid-feedback")).to_contain_text("An auction must run for at least 1 hour.")
    ends = central + timedelta(hours=2)
    page.get_by_label("Ends (Central time, Chicago)").fill(ends.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Schedule auction").click()
    expect(page).to_have_url(f"{live_url}/vehicles/{auction.vehicle_id}/")
    relisted = Auction.objects.filter(vehicle_id=auction.vehicle_id).exclude(pk=auction.pk).get()
    # entered as Central time, stored as that instant
    assert abs(relisted.ends_at - ends.replace(second=0, microsecond=0)) < timedelta(seconds=1)

    page.goto(f"{live_url}/sell/")
    expect(page.locator("[data-relist]")).to_have_count(0)  # listed again: nothing to relist
