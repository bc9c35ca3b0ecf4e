"""The staff console as staff use it: home counts, approving from detail pages, the live monitor while two
buyers bid, a flagged shill bid's evidence, reports against hand-computed figures, a role refused a refund."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import Browser, BrowserContext, Page, expect

from accounts.models import SellerProfile
from auctions.services import bid_place
from backoffice.fraud import fraud_scan
from backoffice.services import device_sighting_record
from orders.models import Order
from tests.fixtures.browser import login_browser
from vehicles.models import Vehicle

pytestmark = pytest.mark.e2e


def console(browser: Browser, live_url: str, user) -> Page:
    context: BrowserContext = browser.new_context(timezone_id="America/Chicago", locale="en-US")
    login_browser(context, user, live_url)
    return context.new_page()


def member(user_factory, role: str):
    person = user_factory(is_staff=True, email=f"{role}@console.test")
    person.groups.add(Group.objects.get(name=role))
    return person


def count_of(page: Page, key: str) -> str:
    return page.locator(f'[data-attention="{key}"] [data-count]').inner_text()


def test_home_counts_match_and_staff_approve_a_seller_and_a_listing_from_their_pages(
    collected_static, browser: Browser, live_url: str, staff_user, seller_application_factory, vehicle_factory
):
    applications = seller_application_factory.create_batch(2)
    for _ in range(3):
        vehicle_factory(status=Vehicle.Status.PENDING_REVIEW, condition_notes="Small dent on the rear bumper")
    page = console(browser, live_url, staff_user)
    page.goto(f"{live_url}/admin/")
    expect(page.locator('[data-attention="seller_applications"] [data-count]')).to_have_text("2")
    expect(page.locator('[data-attention="listings"] [data-count]')).to_have_text("3")

    # the seller application: what to check, then Approve on the detail page
    page.locator('[data-attention="seller_applications"] a').click()
    page.get_by_role("link", name=applications[0].business_name).click()
    expect(page.locator("[data-identity-status]")).to_have_text("Not started")
    page.get_by_role("button", name="Approve application").click()
    expect(page.locator(".messagelist")).to_contain_text("Application approved")
    assert SellerProfile.objects.get(pk=applications[0].pk).status == SellerProfile.Status.APPROVED

    # the listing: photos and condition report on the page, then Approve
    page.goto(f"{live_url}/admin/")
    page.locator('[data-attention="listings"] a').click()
    page.locator("#result_list tbody tr").first.locator("th a, td a").first.click()
    expect(page.locator("[data-condition-report]")).to_contain_text("Small dent on the rear bumper")
    page.get_by_role("button", name="Approve listing").click()
    expect(page.locator(".messagelist")).to_contain_text("Approved; the seller was told")

    page.goto(f"{live_url}/admin/")
    expect(page.locator('[data-attention="seller_applications"] [data-count]')).to_have_text("1")
    expect(page.locator('[data-attention="listings"] [data-count]')).to_have_text("2")
    assert Vehicle.objects.filter(status=Vehicle.Status.PENDING_REVIEW).count() == 2


def buyer_page(browser: Browser, live_url: str, user, auction) -> Page:
    """A buyer on the vehicle page with the live room connected (they count as a watcher)."""
    page = console(browser, live_url, user)
    page.goto(f"{live_url}/vehicles/{auction.vehicle_id}/")
    expect(page.locator("[data-auction-room]")).to_have_attribute("data-connected", "true", timeout=15000)
    return page


def bid_in_browser(page: Page, amount: str) -> None:
    page.get_by_label("Your max bid").fill(amount)
    page.get_by_role("button", name="Place bid").click()


def test_staff_watch_a_live_auction_in_the_monitor_while_two_buyers_bid(
    collected_static, browser: Browser, live_url: str, user_factory, auction_factory, bidder_factory
):
    auction = auction_factory(starting_price=Decimal("5000"), reserve_price=Decimal("5500"))
    anna, ben = bidder_factory(first_name="Anna", last_name="Able"), bidder_factory(first_name="Ben", last_name="Bold")
    page = console(browser, live_url, member(user_factory, "auctions"))
    page.goto(f"{live_url}/admin/console/monitor/")
    row = page.locator(f'tr[data-auction="{auction.pk}"]')
    expect(row.locator('[data-field="reserve_label"]')).to_have_text("Reserve not met")
    expect(page.locator("#monitor-status")).to_have_attribute("data-live", "1", timeout=15000)
    page.evaluate("window.__sameDocument = true")

    # two buyers open the auction: the monitor counts them (staff watching are not counted)
    anna_page = buyer_page(browser, live_url, anna, auction)
    ben_page = buyer_page(browser, live_url, ben, auction)
    expect(row.locator('[data-field="watchers"]')).to_have_text("2", timeout=15000)

    bid_in_browser(anna_page, "5200")
    expect(row.locator('[data-field="price"]')).to_have_text("$5,000.00")
    expect(row.locator('[data-field="bid_count"]')).to_have_text("1")
    bid_in_browser(ben_page, "6000")
    expect(row.locator('[data-field="price"]')).to_have_text("$5,500.00")  # reserve jump
    expect(row.locator('[data-field="bid_count"]')).to_have_text("2")
    expect(row.locator('[data-field="reserve_label"]')).to_have_text("Reserve met")
    expect(row.locator('[data-field="bids_per_minute"]')).to_have_text("0.4")
    assert page.evaluate("window.__sameDocument") is True

    # the drill-down: real names and addresses, live
    row.get_by_role("link").click()
    expect(page.locator("#feed-status")).to_have_attribute("data-live", "1", timeout=15000)
    feed = page.locator("#bid-feed tbody")
    expect(feed).to_contain_text("Ben Bold")
    expect(feed).to_contain_text("127.0.0.1")
    bid_in_browser(anna_page, "7000")
    expect(feed.locator("tr").first).to_contain_text("Anna Able")
    expect(page.locator('[data-field="price"]')).to_have_text("$6,100.00")


def test_a_flagged_shill_bid_shows_its_evidence(
    collected_static, browser: Browser, live_url: str, staff_user, auction_factory, bidder_factory
):
    auction = auction_factory()
    shill = bidder_factory(first_name="Sid", last_name="Shill")
    device_sighting_record(user_id=auction.seller_id, device_id="x" * 24, ip_address="203.0.113.50")
    bid_place(auction_id=auction.pk, bidder=shill, max_amount=Decimal("5000"), ip="203.0.113.50")
    fraud_scan(lag=timedelta(0))
    page = console(browser, live_url, staff_user)
    page.goto(f"{live_url}/admin/console/monitor/")
    expect(page.locator(f'tr[data-auction="{auction.pk}"] [data-field="open_flags"]')).to_have_text("1")
    page.locator(f'tr[data-auction="{auction.pk}"]').get_by_role("link").click()
    flags = page.locator('section[aria-labelledby="flags-title"]')
    expect(flags).to_contain_text("Shares an IP address with the seller")
    expect(flags).to_contain_text("IP 203.0.113.50")
    expect(page.locator("#bid-feed tbody tr").first).to_contain_text("Shares an IP address with the seller")
    flags.get_by_role("link", name="Review").click()
    page.get_by_label("Verdict").select_option("confirmed")
    page.get_by_label("What you found").fill("Seller's own office connection")
    page.get_by_role("button", name="Record review").click()
    expect(page.locator(".messagelist")).to_contain_text("Flag reviewed")


def test_reports_match_hand_computed_figures(
    collected_static, browser: Browser, live_url: str, staff_user, order_factory
):
    at = lambda *a: datetime(*a, tzinfo=UTC)  # noqa: E731
    order_factory(price=Decimal("10000.00"), sold_at=at(2026, 3, 2, 18))
    order_factory(price=Decimal("20000.00"), sold_at=at(2026, 3, 8, 5, 30))
    cancelled = order_factory(price=Decimal("50000.00"), sold_at=at(2026, 3, 3, 15))
    Order.objects.filter(pk=cancelled.pk).update(status=Order.Status.CANCELLED)
    page = console(browser, live_url, staff_user)
    page.goto(f"{live_url}/admin/console/reports/sales/?group=month&first=2026-03-01&last=2026-03-31")
    row = page.locator('[data-report-table="1"] tbody tr').first
    expect(row.locator('[data-col="gmv"]')).to_have_text("$30,000.00")
    expect(row.locator('[data-col="sales"]')).to_have_text("2")
    expect(row.locator('[data-col="average_price"]')).to_have_text("$15,000.00")
    expect(page.locator("svg[data-chart] rect")).to_have_count(1)
    page.goto(f"{live_url}/admin/console/reports/fees/?group=month&first=2026-03-01&last=2026-03-31")
    fees = page.locator('[data-report-table="1"] tbody tr').first
    expect(fees.locator('[data-col="buyer_fee"]')).to_have_text("$1,500.00")  # 500 + 1,000
    expect(fees.locator('[data-col="documentation_fee"]')).to_have_text("$198.00")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    assert re.search(r"fees-2026-03-01-2026-03-31\.csv", download.value.suggested_filename)


def test_a_support_member_is_refused_a_refund(
    collected_static, browser: Browser, live_url: str, user_factory, order_factory
):
    order = order_factory()
    Order.objects.filter(pk=order.pk).update(amount_paid=order.total, status=Order.Status.PAID)
    page = console(browser, live_url, member(user_factory, "support"))
    page.goto(f"{live_url}/admin/orders/order/{order.pk}/change/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    response = page.goto(f"{live_url}/admin/orders/order/{order.pk}/refund/")
    assert response is not None
    assert response.status == 403
    assert Order.objects.get(pk=order.pk).amount_refunded == 0
