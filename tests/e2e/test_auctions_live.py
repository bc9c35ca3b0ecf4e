"""Two buyers bid against each other live in two browsers, each seeing the other's bids move the price;
a late bid extends the timer; the close says won / lost."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect

from auctions.models import Auction
from auctions.services import auction_close
from tests.fixtures.browser import login_browser

pytestmark = pytest.mark.e2e


def logged_in_context(browser: Browser, live_url: str, user) -> BrowserContext:
    """A browser context carrying a Django session for `user` (no login form)."""
    context = browser.new_context(timezone_id="America/Chicago", locale="en-US")
    login_browser(context, user, live_url)
    return context


def open_panel(context: BrowserContext, live_url: str, auction: Auction) -> Page:
    page = context.new_page()
    page.goto(f"{live_url}/vehicles/{auction.vehicle_id}/")
    room = page.locator("[data-auction-room]")
    expect(room).to_have_attribute("data-connected", "true", timeout=15000)
    return page


def place(page: Page, amount: str) -> None:
    field = page.get_by_label("Your max bid")
    field.fill(amount)
    page.get_by_role("button", name="Place bid").click()


def expect_outbid(page: Page, *, by: Page, price: str, bids: int, leader: str) -> None:
    """Without reloading, `page` shows the rival's bid: the new price, count, leader and history row, and
    that it was outbid; the rival's page says it leads."""
    expect(page.locator('[data-field="price"]')).to_have_text(price)
    expect(page.locator('[data-field="bid_count"]')).to_have_text(str(bids))
    expect(page.locator('[data-field="leader_alias"]')).to_have_text(leader)
    expect(page.locator('[data-field="history"] li').first).to_have_text(f"{leader} · {price}")
    expect(page.locator('[data-field="my_status"]')).to_have_text("Outbid — bid again")
    expect(by.locator('[data-field="my_status"]')).to_have_text("You're the high bidder")


def seconds_left(page: Page) -> int:
    text = page.locator('[data-field="countdown"]').inner_text()
    minutes = re.search(r"(\d+)m", text)
    secs = re.search(r"(\d+)s", text)
    return (int(minutes.group(1)) if minutes else 0) * 60 + (int(secs.group(1)) if secs else 0)


def test_two_buyers_bid_live_a_late_bid_extends_the_timer_and_the_close_says_won_and_lost(
    collected_static, browser: Browser, live_url: str, auction_factory, bidder_factory
):
    # given an auction with 100 seconds left, so every bid lands in the soft-close window
    auction = auction_factory(starting_price=Decimal("5000"), ends_at=timezone.now() + timedelta(seconds=100))
    anna, ben = bidder_factory(first_name="Anna"), bidder_factory(first_name="Ben")
    anna_page = open_panel(logged_in_context(browser, live_url, anna), live_url, auction)
    ben_page = open_panel(logged_in_context(browser, live_url, ben), live_url, auction)
    assert seconds_left(anna_page) <= 100

    for page in (anna_page, ben_page):
        page.evaluate("window.__sameDocument = true")  # checked at the end: nobody reloaded

    # when Anna bids, Ben sees it without reloading, and the timer is extended for both
    place(anna_page, "6000")
    expect(anna_page.locator('[data-field="my_status"]')).to_have_text("You're the high bidder")
    expect(ben_page.locator('[data-field="bid_count"]')).to_have_text("1")
    expect(ben_page.locator('[data-field="leader_alias"]')).to_have_text("Bidder 1")
    expect(ben_page.locator('[data-field="price_caption"]')).to_have_text("Current bid")
    expect(ben_page.locator('[data-field="price"]')).to_have_text("$5,000.00")  # a first bid is at the start price
    expect(ben_page.locator('[data-field="history"] li').first).to_have_text("Bidder 1 · $5,000.00")
    for page in (anna_page, ben_page):
        expect(page.locator('[data-field="extended_badge"]')).to_have_text("Extended ×1")
        assert seconds_left(page) >= 110

    # when Ben outbids her, Anna sees the new price and that she was outbid
    place(ben_page, "7000")
    expect_outbid(anna_page, by=ben_page, price="$6,100.00", bids=2, leader="Bidder 2")
    for page in (anna_page, ben_page):
        expect(page.locator('[data-field="extended_badge"]')).to_have_text("Extended ×2")

    # when Anna bids again, Ben sees her bid move the price, and that he was outbid
    place(anna_page, "8000")
    expect_outbid(ben_page, by=anna_page, price="$7,100.00", bids=3, leader="Bidder 1")

    # when Ben answers, Anna sees his bid move the price, and that she was outbid
    place(ben_page, "9000")
    expect_outbid(anna_page, by=ben_page, price="$8,100.00", bids=4, leader="Bidder 2")
    for page in (anna_page, ben_page):
        expect(page.locator('[data-field="extended_badge"]')).to_have_text("Extended ×4")

    # then the auction closes (the close service, from this process) and each sees the result
    auction.refresh_from_db()
    assert auction_close(auction_id=auction.pk, now=auction.ends_at)
    expect(ben_page.locator('[data-field="my_status"]')).to_have_text("You won", timeout=10000)
    expect(anna_page.locator('[data-field="my_status"]')).to_have_text("You lost", timeout=10000)
    expect(anna_page.locator('[data-field="status_label"]')).to_have_text("Sold for $8,100.00")
    expect(anna_page.locator('[data-field="countdown"]')).to_have_text("Ended")
    for page in (anna_page, ben_page):
        assert page.evaluate("window.__sameDocument === true"), "the page reloaded"
