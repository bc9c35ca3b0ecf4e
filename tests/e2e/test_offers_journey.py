"""Make an Offer in two browsers: each side sees the other's counter appear without reloading; acceptance makes
the order with the right total and ends another buyer's offer. Then the reserve-not-met counter, and a
second-chance offer after a non-payment cancel."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect

from auctions.services import auction_close
from core.pricing import purchase_breakdown
from offers.models import OfferThread
from orders.models import Order
from orders.services import order_cancel
from orders.sources import order_create_for_auction
from tests.fixtures.browser import login_browser
from vehicles.transport import vehicle_transport_quote

pytestmark = pytest.mark.e2e
TIMEOUT = 20_000  # a loaded machine: the socket push and the refetch, generously


def logged_in(browser: Browser, live_url: str, user) -> BrowserContext:
    context = browser.new_context(timezone_id="America/Chicago", locale="en-US")
    login_browser(context, user, live_url)
    return context


def open_live(context: BrowserContext, url: str) -> Page:
    """A page whose notification socket is connected (live updates arrive over it)."""
    page = context.new_page()
    page.goto(url)
    expect(page.locator("#notification-bell")).to_have_attribute("data-live", "connected", timeout=TIMEOUT)
    page.evaluate("window.__sameDocument = true")
    return page


def still_same_document(page: Page) -> None:
    assert page.evaluate("window.__sameDocument === true"), "the page updated without a reload"


def total_text(price: str, user, vehicle) -> str:
    breakdown = purchase_breakdown(price=Decimal(price), buyer_state=user.state)
    return f"${breakdown.total:,.2f}"


def test_buyer_and_seller_negotiate_live_and_acceptance_makes_the_order(
    collected_static, browser: Browser, live_url: str, offer_vehicle_factory, bidder_factory, make_offer
):
    # given a vehicle that takes offers, and another buyer's open offer on it
    vehicle = offer_vehicle_factory(buy_now_price=Decimal("12000"), year=2019, make="Honda", model="Accord")
    bea = bidder_factory(first_name="Bea", last_name="Buyer", state="MN")
    other = make_offer(vehicle, bidder_factory(), "7000")
    buyer_context = logged_in(browser, live_url, bea)
    seller_context = logged_in(browser, live_url, vehicle.seller)

    # the buyer offers from the vehicle page: review with the total, then send
    buyer = buyer_context.new_page()
    buyer.goto(f"{live_url}/vehicles/{vehicle.pk}/")
    panel = buyer.locator("[data-offer-panel]")
    panel.get_by_label("Your offer").fill("8000")
    expect(panel.locator("[data-offer-preview]")).to_contain_text(total_text("8000", bea, vehicle), timeout=TIMEOUT)
    panel.get_by_role("button", name="Review offer").click()
    expect(buyer.get_by_test_id("offer-total")).to_have_text(total_text("8000", bea, vehicle))
    quote = vehicle_transport_quote(vehicle, destination_zip=bea.postal_code)
    delivered = purchase_breakdown(price=Decimal("8000"), buyer_state="MN", delivery=quote).total_with_delivery
    expect(buyer.get_by_test_id("offer-delivery")).to_contain_text(
        f"With delivery to {bea.postal_code}: ${delivered:,.2f}"
    )
    buyer.get_by_role("button", name="Send offer of $8,000.00").click()
    expect(buyer.get_by_test_id("offer-next-step")).to_contain_text("Waiting for the seller")
    thread = OfferThread.objects.get(buyer=bea)
    buyer.evaluate("window.__sameDocument = true")
    expect(buyer.locator("#notification-bell")).to_have_attribute("data-live", "connected", timeout=TIMEOUT)

    # the seller finds it in the inbox, sees "Buyer 2" (never the name), and counters
    seller = open_live(seller_context, f"{live_url}/sell/offers/")
    expect(seller.locator(f'tr[data-thread-id="{thread.pk}"]')).to_contain_text("Buyer 2")
    seller.locator(f'tr[data-thread-id="{thread.pk}"]').get_by_role("link", name="Answer").click()
    expect(seller.get_by_test_id("buyer-name")).to_have_text("Buyer 2")
    seller.get_by_label("Counter with").fill("9500")
    seller.get_by_role("button", name="Send counter").click()
    expect(seller.get_by_test_id("offer-next-step")).to_contain_text("Waiting for the buyer")

    # the buyer sees the counter appear without reloading, and counters back
    expect(buyer.get_by_test_id("offer-next-step")).to_contain_text("Your turn", timeout=TIMEOUT)
    expect(buyer.get_by_test_id("offer-amount").last).to_have_text("$9,500.00")
    still_same_document(buyer)
    seller.evaluate("window.__sameDocument = true")
    expect(seller.locator("#notification-bell")).to_have_attribute("data-live", "connected", timeout=TIMEOUT)
    buyer.get_by_label("Counter with").fill("9000")
    buyer.get_by_role("button", name="Review counter").click()
    expect(buyer.get_by_test_id("offer-total")).to_have_text(total_text("9000", bea, vehicle))
    buyer.get_by_role("button", name="Send counter of $9,000.00").click()
    expect(buyer.get_by_test_id("offer-next-step")).to_contain_text("Waiting for the seller")
    buyer.evaluate("window.__sameDocument = true")
    expect(buyer.locator("#notification-bell")).to_have_attribute("data-live", "connected", timeout=TIMEOUT)

    # the seller sees it live and accepts
    expect(seller.get_by_test_id("offer-next-step")).to_contain_text("Your turn", timeout=TIMEOUT)
    expect(seller.get_by_test_id("offer-amount").last).to_have_text("$9,000.00")
    still_same_document(seller)
    seller.get_by_test_id("offer-accept").click()
    expect(seller.get_by_test_id("offer-next-step")).to_contain_text("Accepted at $9,000.00")

    # the buyer sees the acceptance live; the order has the right total
    expect(buyer.get_by_test_id("offer-next-step")).to_contain_text("Accepted at $9,000.00", timeout=TIMEOUT)
    still_same_document(buyer)
    buyer.get_by_test_id("offer-order-link").click()
    order = Order.objects.get(source_type=Order.Source.OFFER, source_id=thread.pk)
    assert order.total == purchase_breakdown(price=Decimal("9000"), buyer_state="MN").total
    expect(buyer.get_by_test_id("order-status")).to_have_text("Awaiting payment")
    expect(buyer.get_by_test_id("balance")).to_have_text(f"${order.total:,}")

    # and the other buyer's open offer ended as sold to another
    other.refresh_from_db()
    assert other.status == OfferThread.Status.SOLD_TO_ANOTHER
    other_page = logged_in(browser, live_url, other.buyer).new_page()
    other_page.goto(f"{live_url}/offers/{other.pk}/")
    expect(other_page.get_by_test_id("offer-next-step")).to_contain_text("sold to another buyer")
    for context in (buyer_context, seller_context, other_page.context):
        context.close()


def test_the_seller_counters_a_high_bid_below_the_reserve_and_the_high_bidder_accepts(
    collected_static, browser: Browser, live_url: str, auction_factory, bidder_factory, place_bid
):
    # given an auction that closed with the reserve not met
    auction = auction_factory(reserve_price=Decimal("9000"), starting_price=Decimal("5000"))
    high = bidder_factory(first_name="Hal", state="MN")
    place_bid(auction, high, "7000")
    assert auction_close(auction_id=auction.pk, now=auction.ends_at + timedelta(seconds=1))
    seller_context = logged_in(browser, live_url, auction.seller)
    high_context = logged_in(browser, live_url, high)
    high_page = open_live(high_context, f"{live_url}/offers/")

    # the seller's decision offers Counter beside accept and decline
    seller = seller_context.new_page()
    seller.goto(f"{live_url}/sell/auctions/")
    row = seller.locator(f'tr[data-auction-id="{auction.pk}"]')
    expect(row.get_by_role("button", name="Accept $5,000.00")).to_be_visible()
    row.get_by_label("Or counter the high bid").fill("8500")
    row.get_by_role("button", name="Counter").click()
    expect(seller.get_by_test_id("offer-next-step")).to_contain_text("Waiting for the buyer")
    seller.evaluate("window.__sameDocument = true")
    expect(seller.locator("#notification-bell")).to_have_attribute("data-live", "connected", timeout=TIMEOUT)

    # the high bidder's list shows it live; they may only accept or decline, within 24 hours
    expect(high_page.get_by_role("link", name="Answer")).to_be_visible(timeout=TIMEOUT)
    still_same_document(high_page)
    high_page.get_by_role("link", name="Answer").click()
    expect(high_page.get_by_text("This offer cannot be countered")).to_be_visible()
    expect(high_page.get_by_test_id("offer-total")).to_have_text(total_text("8500", high, auction.vehicle))
    high_page.get_by_test_id("offer-accept").click()
    expect(high_page.get_by_test_id("offer-next-step")).to_contain_text("Accepted at $8,500.00")

    # the seller sees it live; the order is the offer's, at the countered price
    expect(seller.get_by_test_id("offer-next-step")).to_contain_text("Accepted at $8,500.00", timeout=TIMEOUT)
    still_same_document(seller)
    thread = OfferThread.objects.get(kind=OfferThread.Kind.RESERVE_COUNTER)
    order = Order.objects.get(source_type=Order.Source.OFFER, source_id=thread.pk)
    assert (order.buyer_id, order.vehicle_price) == (high.pk, Decimal("8500.00"))
    seller_context.close()
    high_context.close()


def test_a_second_chance_offer_to_the_runner_up_after_the_winner_did_not_pay(
    collected_static, browser: Browser, live_url: str, auction_factory, bidder_factory, place_bid, staff_user
):
    # given a won auction whose buyer did not pay, and the order cancelled for it
    auction = auction_factory(starting_price=Decimal("5000"))
    runner = bidder_factory(first_name="Rae", state="MN")
    place_bid(auction, runner, "6000")
    place_bid(auction, bidder_factory(), "7000")
    assert auction_close(auction_id=auction.pk, now=auction.ends_at + timedelta(seconds=1))
    order = order_create_for_auction(auction_id=auction.pk)
    assert order is not None
    Order.objects.filter(pk=order.pk).update(due_at=timezone.now() - timedelta(days=3))
    order_cancel(order_id=order.pk, actor=staff_user, reason="Not paid within 5 business days")
    runner_context = logged_in(browser, live_url, runner)
    runner_page = open_live(runner_context, f"{live_url}/offers/")
    unread = int(runner_page.locator("#notification-bell").get_attribute("data-unread") or 0)

    # the seller offers the vehicle to the runner-up from the cancelled order
    seller_context = logged_in(browser, live_url, auction.seller)
    seller = seller_context.new_page()
    seller.goto(f"{live_url}/orders/{order.pk}/")
    expect(seller.get_by_test_id("second-chance")).to_contain_text("their max bid of $6,000.00")
    seller.get_by_role("button", name="Offer it to the runner-up at $6,000.00").click()
    expect(seller.get_by_test_id("offer-next-step")).to_contain_text("Waiting for the buyer")

    # the runner-up hears of it live (bell and list), and accepts within the 48 hours
    expect(runner_page.locator("[data-unread-badge]")).to_have_text(str(unread + 1), timeout=TIMEOUT)
    expect(runner_page.get_by_role("link", name="Answer")).to_be_visible(timeout=TIMEOUT)
    still_same_document(runner_page)
    runner_page.get_by_role("link", name="Answer").click()
    expect(runner_page.get_by_role("heading", level=1)).to_contain_text("Second-chance offer")
    runner_page.get_by_test_id("offer-accept").click()
    expect(runner_page.get_by_test_id("offer-next-step")).to_contain_text("Accepted at $6,000.00")
    runner_page.get_by_test_id("offer-order-link").click()
    second = Order.objects.get(source_type=Order.Source.OFFER)
    assert (second.buyer_id, second.vehicle_price) == (runner.pk, Decimal("6000.00"))
    expect(runner_page.get_by_test_id("balance")).to_have_text(f"${second.total:,}")
    seller_context.close()
    runner_context.close()
