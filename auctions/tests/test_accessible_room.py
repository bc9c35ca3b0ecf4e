"""The live room's words and markup for people who cannot see it: refusals as sentences, the close's outcome for
each viewer, the bid history's raises and own max, countdowns rendered by the server."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from auctions import selectors
from auctions.models import Auction
from auctions.services import auction_close
from auctions.services.bidding import parse_bid_amount
from auctions.services.increments import increment_table
from auctions.services.results import BidRejected
from auctions.state import viewer_state
from core.templatetags.countdown import format_remaining, time_left

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "Your max bid is required: enter an amount like 5250 or 5250.00."),
        (None, "Your max bid is required: enter an amount like 5250 or 5250.00."),
        (
            "12,000",
            "Your max bid must be digits with at most two decimals, like 5250 or 5250.00 "
            "(no commas, signs, spaces or exponents).",
        ),
        ("0.00", "Your max bid must be greater than zero."),
    ],
)
def test_an_amount_refusal_is_a_sentence_and_keeps_the_grammar_in_details(raw, message):
    with pytest.raises(BidRejected) as info:
        parse_bid_amount(raw)
    assert info.value.message == message
    assert info.value.code == "invalid_amount"
    assert info.value.details["amount"]  # the grammar's own words, for API clients


def test_the_close_tells_each_viewer_their_outcome(auction_factory, bidder_factory, place_bid):
    auction = auction_factory(starting_price=Decimal("5000"))
    anna, ben, carl = bidder_factory(), bidder_factory(), bidder_factory()
    place_bid(auction, anna, "6000")
    place_bid(auction, ben, "7000")
    increments = increment_table()
    assert viewer_state(auction, anna, increments)["outcome_message"] is None  # open: nothing to tell
    auction.refresh_from_db()
    assert auction_close(auction_id=auction.pk, now=auction.ends_at)
    auction.refresh_from_db()
    assert viewer_state(auction, ben, increments)["outcome_message"] == "You won at $6,100.00."
    assert viewer_state(auction, anna, increments)["outcome_message"] == (
        "You were outbid; the auction ended at $6,100.00."
    )
    assert viewer_state(auction, carl, increments)["outcome_message"] == "The auction has ended: Sold for $6,100.00."


def test_history_marks_a_leaders_raise_and_shows_each_bidder_their_own_max(
    client, auction_factory, bidder_factory, place_bid
):
    auction = auction_factory(starting_price=Decimal("5000"))
    anna, ben = bidder_factory(), bidder_factory()
    place_bid(auction, anna, "6000")
    place_bid(auction, anna, "9000")  # a raise while leading: counted, the price does not move
    place_bid(auction, ben, "7000")  # below Anna's max: the price becomes $7,100
    auction = Auction.objects.get(pk=auction.pk)
    assert selectors.raised_own_max(auction) == {2}
    client.force_login(ben)
    html = client.get(f"/vehicles/{auction.vehicle_id}/").content.decode()
    assert html.count("(raised max)") == 1
    assert "you · your max $7,000.00" in html  # Ben's own row: his max beside the price it produced
    assert "$9,000.00" not in html  # never another bidder's max
    body = client.get(f"/api/bids/auction/{auction.pk}").json()
    assert [row["raised_own_max"] for row in body["results"]] == [False, True, False]


def test_countdowns_are_rendered_by_the_server_in_the_scripts_format(auction_factory, client):
    assert format_remaining(0) == "Ended"
    assert format_remaining(65) == "1m 05s"
    assert format_remaining(3 * 3600 + 4 * 60 + 5) == "3h 4m 5s"
    assert format_remaining(2 * 86400 + 3 * 3600 + 4 * 60) == "2d 3h 4m"
    assert time_left((timezone.now() + timedelta(minutes=10, seconds=30)).isoformat()).startswith("10m ")
    auction_factory(ends_at=timezone.now() + timedelta(minutes=10, seconds=30))
    html = client.get("/auctions/").content.decode()
    assert "data-countdown-ends" in html
    assert ">—</div>" not in html  # no placeholder until the script's first tick


def test_the_time_region_is_heard_but_not_seen_so_the_close_is_not_shown_twice(auction_factory, bidder_factory, client):
    # given a buyer on an auction's page
    auction = auction_factory()
    client.force_login(bidder_factory())
    html = client.get(f"/vehicles/{auction.vehicle_id}/").content.decode()
    # then the time region (thresholds, extensions, the close's outcome) is a status region for screen readers,
    # visually hidden: the outcome line, the extension badge and the end time show the same things on screen
    region = re.search(r'<div[^>]*data-field="time_notice"[^>]*>', html)
    assert region is not None
    assert 'role="status"' in region[0]
    assert "visually-hidden" in re.search(r'class="([^"]*)"', region[0])[1].split()  # type: ignore[index]
    # and the bid notices stay visible (they are the only place a bid's result is written)
    notices = re.search(r'<div[^>]*data-field="notice"[^>]*>', html)
    assert notices is not None
    assert "visually-hidden" not in notices[0]


def test_the_server_words_the_price_caption_for_each_viewer_and_the_extension_badge(
    auction_factory, bidder_factory, place_bid, client
):
    from auctions.state import public_state

    # given an open auction with a bid, then closed with Ben the winner
    auction = auction_factory(starting_price=Decimal("5000"))
    anna, ben = bidder_factory(), bidder_factory()
    increments = increment_table()
    assert public_state(auction, increments)["price_caption"] == "Starting bid"
    assert public_state(auction, increments)["extended_label"] is None
    place_bid(auction, anna, "6000")
    place_bid(auction, ben, "7000")
    auction.refresh_from_db()
    assert viewer_state(auction, anna, increments)["price_caption"] == "Current bid"
    auction.extended_count = 2
    assert public_state(auction, increments)["extended_label"] == "Extended ×2"
    auction.extended_count = 0
    assert auction_close(auction_id=auction.pk, now=auction.ends_at)
    auction.refresh_from_db()
    # then everyone reads "Sold for", the winner "Winning bid": the state (page, API, room) carries the words
    assert public_state(auction, increments)["price_caption"] == "Sold for"
    assert viewer_state(auction, ben, increments)["price_caption"] == "Winning bid"
    assert viewer_state(auction, anna, increments)["price_caption"] == "Sold for"
    assert viewer_state(auction, None, increments)["price_caption"] == "Sold for"
    # and the API and the page say the same
    client.force_login(ben)
    detail = client.get(f"/api/auctions/{auction.pk}").json()["data"]
    assert (detail["price_caption"], detail["viewer"]["price_caption"]) == ("Sold for", "Winning bid")
    page = client.get(f"/vehicles/{auction.vehicle_id}/").content.decode()
    assert re.search(r'data-field="price_caption">\s*Winning bid\s*<', page)


def test_the_room_script_has_no_caption_or_badge_words_of_its_own():
    from pathlib import Path

    script = (Path(__file__).resolve().parents[2] / "static" / "js" / "auction_room.js").read_text()
    for words in (
        *("Winning bid", "Sold for", "Current bid", "Starting bid", "Extended ×"),  # the state's (auctions.state)
        *("your max ", "raised max", "Comment hidden by staff", '"Seller"', '"you"'),  # the panel's (data-label-*)
    ):
        assert words not in script, f"auction_room.js words the {words!r} rule itself; the server's state says it"
