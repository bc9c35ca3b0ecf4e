"""Accessible live bidding (WCAG 2.2 AA, docs/accessibility.md): what the live regions say and where focus
goes for a refused bid, an outbid, an extension and the close; bidding with the keyboard alone from page
load; threshold announcements; the phone's sticky bar; "your max" and the bid history kept current."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect

from auctions.models import Auction
from auctions.services import auction_close
from tests.fixtures.accessibility import assert_accessible
from tests.fixtures.browser import login_browser

pytestmark = pytest.mark.e2e
TIMEOUT = 15000


def context_for(browser: Browser, live_url: str, user, **options) -> BrowserContext:
    context = browser.new_context(timezone_id="America/Chicago", locale="en-US", **options)
    login_browser(context, user, live_url)
    return context


def open_room(context: BrowserContext, live_url: str, auction: Auction) -> Page:
    page = context.new_page()
    page.goto(f"{live_url}/vehicles/{auction.vehicle_id}/")  # scanned by axe (tests/fixtures/accessibility.py)
    expect(page.locator("[data-auction-room]")).to_have_attribute("data-connected", "true", timeout=TIMEOUT)
    return page


def field(page: Page, name: str):
    return page.locator(f'[data-field="{name}"]')


def focused_field(page: Page) -> str | None:
    return page.evaluate(
        "document.activeElement && (document.activeElement.dataset.field || document.activeElement.id)"
    )


def place(page: Page, amount: str) -> None:
    page.get_by_label("Your max bid").fill(amount)
    page.get_by_role("button", name="Place bid").click()


def test_keyboard_only_bidding_from_page_load_a_refusal_is_an_alert_on_the_field_and_then_a_bid_is_accepted(
    collected_static, browser: Browser, live_url: str, auction_factory, bidder_factory
):
    # given a live auction at $5,000 and an eligible buyer on its page, who uses only the keyboard
    auction = auction_factory(starting_price=Decimal("5000"), ends_at=timezone.now() + timedelta(hours=2))
    page = open_room(context_for(browser, live_url, bidder_factory()), live_url, auction)
    amount_id = f"bid-amount-{auction.pk}"
    # the regions that will speak are in the page from load, empty (not display:none)
    for name, role in (("notice", "status"), ("time_notice", "status"), ("bid_error", "alert")):
        expect(field(page, name)).to_have_attribute("role", role)
        expect(field(page, name)).to_have_text("")
    assert field(page, "price").get_attribute("aria-live") is None  # the price is not spoken bare

    # when they Tab from the top of the page to the bid field
    for _ in range(150):
        page.keyboard.press("Tab")
        if focused_field(page) == "amount":
            break
    assert focused_field(page) == "amount", "the bid field cannot be reached with Tab"

    # and type a valid max: the total is previewed; then one below the minimum: no total at the refused amount
    page.keyboard.press("Control+A")
    page.keyboard.type("6000")
    expect(field(page, "preview")).to_contain_text("If you win at $6,000.00", timeout=TIMEOUT)
    page.keyboard.press("Control+A")
    page.keyboard.type("100")
    expect(field(page, "preview")).to_have_text("", timeout=TIMEOUT)
    page.keyboard.press("Enter")

    # then the refusal is a sentence in the role=alert region, once, tied to the field, and focus stays there
    refusal = "Your max must be at least the minimum next bid, $5,000.00."
    expect(field(page, "bid_error")).to_have_text(refusal, timeout=TIMEOUT)
    amount = page.locator(f"#{amount_id}")
    expect(amount).to_have_attribute("aria-invalid", "true")
    assert f"bid-error-{auction.pk}" in (amount.get_attribute("aria-describedby") or "").split()
    expect(field(page, "notice")).to_have_text("")  # not said twice
    assert focused_field(page) == "amount"
    assert_accessible(page)

    # when they type a good max and press Enter
    page.keyboard.press("Control+A")
    page.keyboard.type("6000")
    expect(amount).not_to_have_attribute("aria-invalid", "true")
    page.keyboard.press("Enter")

    # then the outcome is announced once, the error is gone, and "your max" shows the new max
    expect(field(page, "notice")).to_have_text("Bid accepted. You are the high bidder at $5,000.00.", timeout=TIMEOUT)
    expect(field(page, "bid_error")).to_have_text("")
    expect(field(page, "my_status")).to_have_text("You're the high bidder")
    expect(field(page, "my_max")).to_have_text("(your max $6,000.00)")
    expect(field(page, "history").locator("li").first).to_have_text("Bidder 1 · $5,000.00 you · your max $6,000.00")

    # when they raise their own max while leading, the row says it is a raise and "your max" follows live
    page.keyboard.press("Control+A")
    page.keyboard.type("8000")
    page.keyboard.press("Enter")
    expect(field(page, "my_max")).to_have_text("(your max $8,000.00)", timeout=TIMEOUT)
    expect(field(page, "history").locator("li").first).to_have_text(
        "Bidder 1 · $5,000.00 (raised max) you · your max $8,000.00", timeout=TIMEOUT
    )
    assert_accessible(page)


def test_extension_outbid_and_close_are_announced_once_each_and_focus_moves_to_the_outcome(
    collected_static, browser: Browser, live_url: str, auction_factory, bidder_factory
):
    # given an auction inside its last two minutes, so every bid extends it, and two buyers on its page
    auction = auction_factory(starting_price=Decimal("5000"), ends_at=timezone.now() + timedelta(seconds=100))
    anna_page = open_room(context_for(browser, live_url, bidder_factory(first_name="Anna")), live_url, auction)
    ben_page = open_room(context_for(browser, live_url, bidder_factory(first_name="Ben")), live_url, auction)

    # when Anna bids, her own bid's extension is called hers, in the time region; Ben hears a neutral one
    place(anna_page, "6000")
    expect(field(anna_page, "notice")).to_have_text(
        "Bid accepted. You are the high bidder at $5,000.00.", timeout=TIMEOUT
    )
    expect(field(anna_page, "time_notice")).to_contain_text(
        "Your bid extended the auction by two minutes. It now ends at"
    )
    expect(field(ben_page, "time_notice")).to_contain_text(
        "A bid in the last two minutes extended the auction. It now ends at", timeout=TIMEOUT
    )
    # one line per event in each region: nothing overwrote anything
    expect(field(anna_page, "notice").locator("p")).to_have_count(1)
    expect(field(anna_page, "time_notice").locator("p")).to_have_count(1)
    expect(field(anna_page, "time_notice")).not_to_contain_text("late bid")

    # when Ben outbids her, Anna hears it once, with the price, and her bid extension line is followed by his
    place(ben_page, "7000")
    expect(field(anna_page, "notice").locator("p").last).to_have_text(
        "You were outbid. The price is now $6,100.00.", timeout=TIMEOUT
    )
    expect(field(anna_page, "time_notice").locator("p").last).to_contain_text(
        "A bid in the last two minutes extended the auction."
    )
    expect(field(anna_page, "my_status")).to_have_text("Outbid — bid again")
    expect(field(anna_page, "my_max")).to_have_text("(your max $6,000.00)")
    assert_accessible(anna_page)

    # when the auction closes while Anna's cursor is in the bid field
    anna_page.get_by_label("Your max bid").focus()
    auction.refresh_from_db()
    assert auction_close(auction_id=auction.pk, now=auction.ends_at)

    # then the form is gone, focus is on the outcome, and each hears the result for them
    lost = "You were outbid; the auction ended at $6,100.00."
    expect(field(anna_page, "outcome")).to_have_text(lost, timeout=TIMEOUT)
    expect(field(anna_page, "time_notice")).to_contain_text(lost)
    assert focused_field(anna_page) == "outcome"
    expect(field(ben_page, "outcome")).to_have_text("You won at $6,100.00.", timeout=TIMEOUT)
    expect(field(ben_page, "time_notice")).to_contain_text("You won at $6,100.00.")
    # and a sighted person reads it once: the time region is heard, not seen (visually hidden, 1 px, clipped)
    for page in (anna_page, ben_page):
        box = field(page, "time_notice").bounding_box()
        assert box is not None
        assert box["width"] <= 1, box
        assert box["height"] <= 1, box
        expect(field(page, "outcome")).to_be_visible()
    assert_accessible(anna_page)


def test_five_minutes_left_is_announced_in_the_time_region_not_by_the_timer(
    collected_static, browser: Browser, live_url: str, auction_factory, bidder_factory
):
    # given an auction a few seconds above the five-minute mark
    auction = auction_factory(ends_at=timezone.now() + timedelta(minutes=5, seconds=8))
    page = open_room(context_for(browser, live_url, bidder_factory()), live_url, auction)
    expect(field(page, "time_notice")).to_have_text("")
    # then when it crosses five minutes the time region says so, and the timer itself stays silent
    expect(field(page, "time_notice")).to_have_text("5 minutes left.", timeout=20000)
    expect(field(page, "countdown")).to_have_attribute("aria-live", "off")


def test_on_a_phone_a_sticky_bar_keeps_price_time_and_bid_in_view(
    collected_static, browser: Browser, live_url: str, auction_factory, bidder_factory
):
    # given a buyer on a 390 x 844 phone, on the page of a live auction
    auction = auction_factory(starting_price=Decimal("5000"), ends_at=timezone.now() + timedelta(hours=2))
    context = context_for(browser, live_url, bidder_factory(), viewport={"width": 390, "height": 844}, has_touch=True)
    page = open_room(context, live_url, auction)
    bar = page.locator("[data-sticky-bid]")
    # then the bar is in view at load, with the price and the server's time left (no placeholder)
    expect(bar).to_be_in_viewport()
    expect(field(page, "sticky_price")).to_have_text("$5,000.00")
    expect(field(page, "sticky_countdown")).to_have_text(re.compile(r"^1h 59m \d+s$"))
    # and its Bid button takes them to the bid field, not hidden behind the bar
    bar.get_by_role("link", name="Bid").click()
    amount = page.get_by_label("Your max bid")
    expect(amount).to_be_focused()
    expect(amount).to_be_in_viewport()
    assert_accessible(page)


def test_choosing_a_sort_order_does_not_reload_the_page_or_drop_focus(
    collected_static, page: Page, live_url: str, auction_factory
):
    auction_factory()
    page.goto(f"{live_url}/vehicles/")
    page.evaluate("window.__sameDocument = true")
    sort = page.get_by_label("Sort by")
    sort.focus()
    page.keyboard.press("ArrowDown")
    expect(sort).to_be_focused()
    assert page.evaluate("window.__sameDocument === true"), "the page reloaded on a select change"
    page.get_by_role("button", name="Sort", exact=True).click()
    page.wait_for_load_state("load")
    assert "sort=" in page.url


def test_accessibility_statement_takes_a_barrier_report_that_staff_can_read(
    collected_static, page: Page, live_url: str
):
    from core.models import BarrierReport

    # given the accessibility statement page, reached from the footer
    page.goto(f"{live_url}/how-bidding-works/")
    expect(page.get_by_role("heading", name="How to bid with a screen reader or keyboard")).to_be_visible()
    page.get_by_role("contentinfo").get_by_role("link", name="Accessibility").click()
    expect(page.get_by_role("heading", name="Accessibility statement", level=1)).to_be_visible()
    assert_accessible(page)
    # when the form is sent empty, the field in error is marked and named
    page.get_by_role("button", name="Send report").click()
    description = page.get_by_label("What stopped you?")
    expect(description).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
    # when a barrier is described, it is stored for staff
    description.fill("The photo gallery traps keyboard focus.")
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_text("Thank you. We have your report")).to_be_visible()
    report = BarrierReport.objects.get()
    assert report.description == "The photo gallery traps keyboard focus."
    assert report.page_url.endswith("/how-bidding-works/")


def test_after_a_failed_log_in_focus_is_on_the_error(collected_static, page: Page, live_url: str, user_factory):
    user_factory(email="ann@example.com")
    page.goto(f"{live_url}/accounts/login/")
    page.get_by_label("Email").fill("ann@example.com")
    page.get_by_label("Password").fill("not her password")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("load")
    errors = page.locator("[data-form-errors]")
    expect(errors).to_be_visible()
    expect(errors).to_be_focused()
    assert_accessible(page)
