"""Issue 16's journeys in a real browser: links follow the site to its port, one "Auction ended" per loser,
buy now confirmed with the total (without JavaScript), a suspended leader loses the lead live, and the listing's
state is a choice of states."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect

from auctions.models import Auction
from auctions.services import auction_close, bid_place
from tests.fixtures.browser import login_browser
from vehicles.models import Vehicle

pytestmark = pytest.mark.e2e


def context_for(browser: Browser, live_url: str, user, *, javascript: bool = True) -> BrowserContext:
    context = browser.new_context(timezone_id="America/Chicago", locale="en-US", java_script_enabled=javascript)
    login_browser(context, user, live_url)
    return context


def open_room(context: BrowserContext, live_url: str, auction: Auction) -> Page:
    page = context.new_page()
    page.goto(f"{live_url}/vehicles/{auction.vehicle_id}/")
    expect(page.locator("[data-auction-room]")).to_have_attribute("data-connected", "true", timeout=15000)
    return page


def test_a_losers_notice_is_one_entry_and_its_link_opens_on_the_sites_own_port(
    collected_static, browser: Browser, live_url: str, settings, auction_factory, bidder_factory
):
    # given the site served on a random port while the worker that sends notices was never told it (the
    # :8000 default of issue 16), and a loser who bid three times
    settings.SITE_URL = "http://127.0.0.1:8000"
    auction = auction_factory(starting_price=Decimal("5000"))
    loser, winner = bidder_factory(first_name="Lou"), bidder_factory()
    for who, amount in ((loser, "5000"), (winner, "9000"), (loser, "6000"), (loser, "7000")):
        bid_place(auction_id=auction.pk, bidder=who, max_amount=Decimal(amount))
    auction.refresh_from_db()
    assert auction_close(auction_id=auction.pk, now=auction.ends_at + timedelta(seconds=1))

    # when the loser opens their notifications
    page = context_for(browser, live_url, loser).new_page()
    page.goto(f"{live_url}/notifications/")

    # then "auction ended" is there once, and its link opens the auction on this site's port
    entries = page.get_by_role("link", name=re.compile(r"^Auction ended"))
    expect(entries).to_have_count(1)
    entries.click()
    page.wait_for_url(f"{live_url}/vehicles/{auction.vehicle_id}/**")
    expect(page.locator('[data-field="my_status"]')).to_have_text("You lost")


def test_buy_now_shows_the_total_and_needs_a_confirmation_then_the_panel_shows_the_sale_and_the_order(
    collected_static, browser: Browser, live_url: str, auction_factory, bidder_factory
):
    # given a live auction with a buy-now price and a rebuilt title, watched live by another buyer
    auction = auction_factory(buy_now_price=Decimal("41181"), reserve_price=Decimal("30000"))
    Vehicle.objects.filter(pk=auction.vehicle_id).update(title_type=Vehicle.TitleType.REBUILT)
    buyer, watcher = bidder_factory(state="MN"), bidder_factory()
    watching = open_room(context_for(browser, live_url, watcher), live_url, auction)

    # when the buyer, without JavaScript, clicks "Buy now"
    page = context_for(browser, live_url, buyer, javascript=False).new_page()
    page.goto(f"{live_url}/vehicles/{auction.vehicle_id}/")
    page.get_by_role("link", name="Buy now for $41,181.00…").click()

    # then a review shows the total with its parts and the title warning; nothing is bought yet
    expect(page.get_by_role("heading", name=f"Review and confirm: buy {auction.vehicle.title} now")).to_be_visible()
    expect(page.locator('[data-line="price"]')).to_have_text("$41,181.00")
    expect(page.locator('[data-line="buyer_fee"]')).to_have_text("$2,059.05")
    expect(page.locator('[data-line="documentation_fee"]')).to_have_text("$99.00")
    expect(page.locator('[data-line="title_fee"]')).to_have_text("$8.25")
    expect(page.locator("[data-title-warning]")).to_be_visible()
    total = page.locator('[data-line="total"]').inner_text()
    assert total.startswith("$4")
    assert total != "$41,181.00"
    auction.refresh_from_db()
    assert auction.status == Auction.Status.LIVE

    # when they confirm
    page.get_by_label(f"I confirm this purchase: I will pay {total} for {auction.vehicle.title}.").check()
    page.get_by_role("button", name="Confirm purchase").click()

    # then the panel shows the sale, not "Starting bid" / "Reserve not met", and links to the order
    expect(page.locator('[data-field="price_caption"]')).to_have_text("Sold — bought now")
    expect(page.locator('[data-field="price"]')).to_have_text("$41,181.00")
    expect(page.locator('[data-field="reserve_label"]')).to_have_text("Sold")
    page.get_by_role("link", name="View your order").click()
    page.wait_for_url(f"{live_url}/orders/*/")
    expect(page.get_by_text(total).first).to_be_visible()
    # and the other buyer's open page says so live
    expect(watching.locator('[data-field="price_caption"]')).to_have_text("Sold — bought now", timeout=10000)
    expect(watching.locator('[data-field="reserve_label"]')).to_have_text("Sold")


def test_suspending_the_leader_in_the_console_takes_the_lead_away_live(
    collected_static, browser: Browser, live_url: str, staff_user, auction_factory, bidder_factory
):
    # given buyer2 leading an auction, both buyers watching it
    auction = auction_factory(starting_price=Decimal("5000"), ends_at=timezone.now() + timedelta(hours=2))
    buyer1, buyer2 = bidder_factory(first_name="One"), bidder_factory(first_name="Two")
    bid_place(auction_id=auction.pk, bidder=buyer1, max_amount=Decimal("6000"))
    bid_place(auction_id=auction.pk, bidder=buyer2, max_amount=Decimal("8000"))
    one = open_room(context_for(browser, live_url, buyer1), live_url, auction)
    two = open_room(context_for(browser, live_url, buyer2), live_url, auction)
    expect(two.locator('[data-field="my_status"]')).to_have_text("You're the high bidder")

    # when staff suspend buyer2 from their page in the console
    console = context_for(browser, live_url, staff_user).new_page()
    console.goto(f"{live_url}/admin/console/people/{buyer2.pk}/")
    console.get_by_label("Reason (the member is told when suspended)").fill("Shill bidding with a second account")
    console.get_by_role("button", name="Suspend account").click()
    expect(console.get_by_text("Account suspended; the member was told why.")).to_be_visible()

    # then, without a reload, buyer1 leads at their own first price and buyer2 no longer does
    expect(one.locator('[data-field="my_status"]')).to_have_text("You're the high bidder", timeout=10000)
    expect(one.locator('[data-field="price"]')).to_have_text("$5,000.00")
    expect(two.locator('[data-field="my_status"]')).not_to_have_text("You're the high bidder")
    # and the console shows buyer2's bid voided with the reason
    console.reload()
    expect(console.get_by_text("Voided: The bidder's account was suspended")).to_be_visible()
    # and the close awards buyer1
    auction.refresh_from_db()
    assert auction_close(auction_id=auction.pk, now=auction.ends_at + timedelta(seconds=1))
    auction.refresh_from_db()
    assert auction.winner_id == buyer1.pk


def test_the_pricing_steps_state_is_a_choice_of_states(
    collected_static, browser: Browser, live_url: str, seller_factory, vehicle_factory
):
    seller = seller_factory()
    vehicle = vehicle_factory(seller=seller, status=Vehicle.Status.DRAFT, state="")
    page = context_for(browser, live_url, seller).new_page()
    page.goto(f"{live_url}/sell/vehicles/{vehicle.pk}/pricing/")
    state = page.get_by_role("combobox", name="State")  # a select of the states, not a free-text box
    state.select_option(label="Minnesota (MN)")
    page.get_by_label("Starting price ($)").fill("12000")
    page.get_by_label("City").fill("Duluth")
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_load_state()
    vehicle.refresh_from_db()
    assert vehicle.state == "MN"
