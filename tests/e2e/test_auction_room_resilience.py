"""The live room shows what the server has even when the network does not cooperate.

A bid whose broadcast is lost, or that happens while the socket is down, still reaches the page (state and
bid history, without a reload); the countdown follows the server's clock, not the browser's; comments,
the seller's mark and staff hiding them arrive live.
"""

import json
import time
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Locator, Page, WebSocketRoute, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from auctions.models import Auction, AuctionComment
from auctions.services.comments import comment_hide, comment_post
from tests.e2e.test_auctions_live import logged_in_context, open_panel, place, seconds_left

pytestmark = pytest.mark.e2e

ROOM_SOCKET = "**/ws/auctions/**"
# Room messages that are not bids: they carry the auction's seq, so they too would give a lost bid away.
ROOM_CHATTER = {"auction_joined", "auction_left", "user_typing", "comment_posted", "comment_hidden"}


def field(page: Page, name: str) -> Locator:
    return page.locator(f'[data-field="{name}"]')


def history(page: Page) -> Locator:
    return field(page, "history").locator("li")


def remember_document(page: Page) -> None:
    """Mark the loaded document; `assert_not_reloaded` fails if the page navigated since."""
    page.evaluate("window.__sameDocument = true")


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate("window.__sameDocument === true"), "the page reloaded"


def open_routed_panel(
    context: BrowserContext, live_url: str, auction: Auction, handler: Callable[[WebSocketRoute], Any]
) -> Page:
    """The vehicle page with its room socket going through `handler` (Playwright's WebSocket routing)."""
    page = context.new_page()
    page.route_web_socket(ROOM_SOCKET, handler)
    page.goto(f"{live_url}/vehicles/{auction.vehicle_id}/")
    expect(page.locator("[data-auction-room]")).to_have_attribute("data-connected", "true", timeout=15000)
    return page


class Relay:
    """Forwards the room socket both ways; the server's messages whose type is in `drop` are lost on the way."""

    def __init__(self) -> None:
        self.drop: set[str] = set()
        self.dropped: list[dict[str, Any]] = []
        self.route: WebSocketRoute | None = None

    def __call__(self, route: WebSocketRoute) -> None:
        self.route = route
        server = route.connect_to_server()
        route.on_message(server.send)
        server.on_message(self.from_server)

    def from_server(self, message: str | bytes) -> None:
        assert self.route is not None
        data = json.loads(message) if isinstance(message, str) else {}
        if data.get("type") in self.drop:
            self.dropped.append(data)
            return
        self.route.send(message)

    def send_to_page(self, payload: dict[str, Any]) -> None:
        """A message as if from the server."""
        assert self.route is not None
        self.route.send(json.dumps(payload))

    def wait_dropped(self, page: Page, kind: str, seq: int, timeout: float = 10.0) -> None:
        """Until the server's `kind` message for `seq` went by (and was dropped); Playwright delivers routed
        messages while the page is being waited on."""
        deadline = time.monotonic() + timeout
        while not any(m["type"] == kind and m.get("seq") == seq for m in self.dropped):
            assert time.monotonic() < deadline, f"no {kind} with seq {seq} came from the server: {self.dropped}"
            page.wait_for_timeout(50)


# --- a bid the page did not hear about -------------------------------------------------------------


def test_a_bid_placed_while_the_socket_was_down_shows_after_the_reconnect_with_its_history(
    collected_static, browser: Browser, live_url: str, auction_factory, bidder_factory, place_bid
):
    # given Ben leads at the starting price on his open page
    auction = auction_factory(starting_price=Decimal("5000"))
    ben, anna = bidder_factory(first_name="Ben"), bidder_factory(first_name="Anna")
    context = logged_in_context(browser, live_url, ben)
    page = open_panel(context, live_url, auction)
    place(page, "6000")
    expect(field(page, "my_status")).to_have_text("You're the high bidder")
    expect(history(page)).to_have_text(["Bidder 1 · $5,000.00 you · your max $6,000.00"])
    remember_document(page)

    # when his connection drops and Anna outbids him meanwhile
    context.set_offline(True)  # new connections fail (an open socket would survive it), so drop the socket too
    page.evaluate("document.querySelector('[data-auction-room]').auctionRoom.ws.close()")
    expect(page.locator("[data-auction-room]")).to_have_attribute("data-connected", "false")
    place_bid(auction, anna, "7000")
    question = comment_post(auction_id=auction.pk, author=anna, body="Is there a spare key?")
    assert field(page, "bid_count").inner_text() == "1"  # the page did not hear of it

    # then, back online, the page reconnects and shows the server's price, count, leader, history and comments
    context.set_offline(False)
    expect(page.locator("[data-auction-room]")).to_have_attribute("data-connected", "true", timeout=15000)
    expect(field(page, "price")).to_have_text("$6,100.00")
    expect(field(page, "bid_count")).to_have_text("2")
    expect(field(page, "leader_alias")).to_have_text("Bidder 2")
    expect(field(page, "my_status")).to_have_text("Outbid — bid again")
    expect(history(page)).to_have_text(["Bidder 2 · $6,100.00", "Bidder 1 · $5,000.00 you · your max $6,000.00"])
    expect(comment_item(page, question)).to_have_text(f"{anna.display_name} Is there a spare key?")
    assert_not_reloaded(page)


@pytest.mark.parametrize("revealed_by", ["the next bid", "a room message carrying seq"])
def test_a_lost_bid_broadcast_is_fetched_when_a_later_message_shows_the_gap(
    revealed_by: str, collected_static, browser: Browser, live_url: str, auction_factory, bidder_factory, place_bid
):
    # given Ben's open page, whose socket loses the messages we tell it to
    auction = auction_factory(starting_price=Decimal("5000"))
    ben, anna, carl = (bidder_factory(first_name=name) for name in ("Ben", "Anna", "Carl"))
    relay = Relay()
    page = open_routed_panel(logged_in_context(browser, live_url, ben), live_url, auction, relay)
    place(page, "6000")
    expect(history(page)).to_have_text(["Bidder 1 · $5,000.00 you · your max $6,000.00"])
    remember_document(page)

    # when the broadcast of Anna's bid is lost (and, for now, whatever else could give the loss away)
    relay.drop = {"new_bid", *ROOM_CHATTER}
    place_bid(auction, anna, "7000")
    relay.wait_dropped(page, "new_bid", seq=2)
    relay.drop = set()
    expect(field(page, "price")).to_have_text("$5,000.00")  # nothing else told the page
    expect(field(page, "bid_count")).to_have_text("1")

    # then the next message gives the gap away and the page fetches the state and the history
    if revealed_by == "the next bid":
        place_bid(auction, carl, "7500")  # seq 3 after our 1: a gap
        expected = ["$7,100.00", "3", "Bidder 3", ["Bidder 3 · $7,100.00", "Bidder 2 · $6,100.00"]]
    else:
        # non-bid room messages (typing, comments, watchers) carry the auction's current seq
        relay.send_to_page({"type": "user_typing", "auction_id": auction.pk, "name": "Anna", "seq": 2})
        expected = ["$6,100.00", "2", "Bidder 2", ["Bidder 2 · $6,100.00"]]
    price, count, leader, newer_bids = expected
    expect(field(page, "price")).to_have_text(price)
    expect(field(page, "bid_count")).to_have_text(count)
    expect(field(page, "leader_alias")).to_have_text(leader)
    expect(field(page, "my_status")).to_have_text("Outbid — bid again")
    expect(history(page)).to_have_text([*newer_bids, "Bidder 1 · $5,000.00 you · your max $6,000.00"])
    assert_not_reloaded(page)


# --- the countdown keeps the server's time ---------------------------------------------------------

SKEWED_CLOCK = """
(() => {
  const skew = %d, RealDate = Date;
  class SkewedDate extends RealDate {
    constructor(...args) { if (args.length) super(...args); else super(RealDate.now() + skew); }
    static now() { return RealDate.now() + skew; }
  }
  window.Date = SkewedDate;
})();
"""

TIME_LEFT_MATCHES = """([endsAtMs, tolerance]) => {
  const text = document.querySelector('[data-field="countdown"]').textContent;
  const m = /(\\d+)m/.exec(text), s = /(\\d+)s/.exec(text);
  if (!m || !s) return false;
  const shown = Number(m[1]) * 60 + Number(s[1]);
  const left = (endsAtMs - (performance.timeOrigin + performance.now())) / 1000;  // the real clock
  return Math.abs(shown - left) <= tolerance;
}"""


def expect_time_left(page: Page, ends_at: datetime, tolerance: int = 3) -> None:
    with suppress(PlaywrightTimeoutError):  # the assertion below says what was shown
        page.wait_for_function(TIME_LEFT_MATCHES, arg=[ends_at.timestamp() * 1000, tolerance], timeout=10000)
    shown = seconds_left(page)
    left = (ends_at - timezone.now()).total_seconds()
    assert abs(shown - left) <= tolerance + 1, f"countdown shows {shown}s left, the server has {left:.0f}s"


@pytest.mark.parametrize("socket", ["with the room socket", "page only, no socket"])
@pytest.mark.parametrize("skew_minutes", [10, -10])
def test_the_countdown_follows_the_server_clock_when_the_browser_clock_is_wrong(
    skew_minutes: int, socket: str, collected_static, browser: Browser, live_url: str, auction_factory
):
    # given a browser whose clock is ten minutes off, and an auction ending in twenty minutes
    ends_at = timezone.now() + timedelta(minutes=20)
    auction = auction_factory(ends_at=ends_at)
    context = browser.new_context(timezone_id="America/Chicago", locale="en-US")
    context.add_init_script(SKEWED_CLOCK % (skew_minutes * 60 * 1000))
    if socket == "with the room socket":
        page = open_panel(context, live_url, auction)
    else:  # the socket opens but the server never speaks: only the page's own server time is known
        page = open_routed_panel(context, live_url, auction, lambda route: None)
    browser_skew = page.evaluate("Date.now()") / 1000 - time.time()
    assert abs(browser_skew - skew_minutes * 60) < 5  # the skew is in effect

    # then the time left shown is the server's, not the browser's
    expect_time_left(page, ends_at)


# --- comments --------------------------------------------------------------------------------------


def comment_item(page: Page, comment: AuctionComment) -> Locator:
    return field(page, "comments").locator(f'li[data-comment-id="{comment.pk}"]')


def test_comments_arrive_live_the_seller_is_marked_and_hidden_ones_vanish(
    collected_static, browser: Browser, live_url: str, auction_factory, bidder_factory, staff_user
):
    # given Anna and Ben on the auction's page, no comments yet
    auction = auction_factory()
    anna, ben = bidder_factory(first_name="Anna"), bidder_factory(first_name="Ben")
    anna_page = open_panel(logged_in_context(browser, live_url, anna), live_url, auction)
    ben_page = open_panel(logged_in_context(browser, live_url, ben), live_url, auction)
    expect(field(ben_page, "comments")).to_have_text("No comments yet. Ask the seller a question.")
    remember_document(ben_page)

    # when Anna writes a question, Ben sees her typing, then her question, without reloading
    anna_page.get_by_label("Add a comment or question").fill("Is the timing belt original?")
    expect(field(ben_page, "typing")).to_have_text(f"{anna.display_name} is typing…")
    with anna_page.expect_navigation():  # the comment form is a plain POST
        anna_page.get_by_role("button", name="Post").click()
    question = AuctionComment.objects.get(auction=auction, author=anna)
    expect(comment_item(ben_page, question)).to_have_text(f"{anna.display_name} Is the timing belt original?")
    expect(field(ben_page, "comments").locator("[data-empty]")).to_have_count(0)
    expect(anna_page.locator("[data-auction-room]")).to_have_attribute("data-connected", "true", timeout=15000)

    # when the seller answers, the answer is marked as the seller's (and does not show the seller's name)
    answer = comment_post(
        auction_id=auction.pk, author=auction.seller, body="Replaced at 60k miles.", parent_id=question.pk
    )
    for page in (ben_page, anna_page):
        item = comment_item(page, answer)
        expect(item).to_contain_text("Replaced at 60k miles.")
        expect(item.locator(".badge")).to_have_text("Seller")
        expect(item).not_to_contain_text(auction.seller.display_name)

    # when a later question comes in and the seller answers the first one again, the answer goes under its
    # question, not after the later one
    later = comment_post(auction_id=auction.pk, author=ben, body="Any rust underneath?")
    expect(comment_item(anna_page, later)).to_contain_text("Any rust underneath?")
    follow_up = comment_post(
        auction_id=auction.pk, author=auction.seller, body="Belt receipts are in the photos.", parent_id=question.pk
    )
    expect(comment_item(anna_page, follow_up)).to_contain_text("Belt receipts are in the photos.")
    order = anna_page.eval_on_selector_all(
        '[data-field="comments"] li[data-comment-id]', "items => items.map(item => Number(item.dataset.commentId))"
    )
    assert order == [question.pk, answer.pk, follow_up.pk, later.pk]

    # when staff hide the question, its text disappears from both open pages
    comment_hide(comment_id=question.pk, actor=staff_user, reason="off topic")
    for page in (ben_page, anna_page):
        expect(comment_item(page, question)).to_have_text("Comment hidden by staff.")
        expect(page.get_by_text("Is the timing belt original?")).to_have_count(0)
        expect(comment_item(page, answer)).to_contain_text("Replaced at 60k miles.")
    assert_not_reloaded(ben_page)
