"""The close tells each person once: a losing bidder with several bids gets one "Auction ended" (issue 16 item 6)."""

from datetime import timedelta

import pytest
from django.core import mail

from auctions.services import auction_close
from notifications.models import Notification

pytestmark = pytest.mark.django_db


def test_a_loser_with_three_bids_gets_one_auction_ended_notice(
    live_auction, bidder_factory, place_bid, django_capture_on_commit_callbacks
):
    # given a losing bidder who bid three times and a winner
    loser, winner = bidder_factory(), bidder_factory()
    place_bid(live_auction, loser, "5000")
    place_bid(live_auction, winner, "9000")
    place_bid(live_auction, loser, "6000")
    place_bid(live_auction, loser, "7000")

    # when the auction closes
    with django_capture_on_commit_callbacks(execute=True):
        auction_close(auction_id=live_auction.pk, now=live_auction.ends_at + timedelta(seconds=1))

    # then the loser has one "auction lost" entry and one email about it, the winner one "won"
    assert Notification.objects.filter(user=loser, kind="auction_lost").count() == 1
    assert Notification.objects.filter(user=winner, kind="auction_won").count() == 1
    assert Notification.objects.filter(user=live_auction.seller, kind="auction_ended_seller").count() == 1
    lost_emails = [m for m in mail.outbox if m.to == [loser.email] and m.metadata.get("kind") == "auction_lost"]
    assert len(lost_emails) == 1
