"""Suspension takes effect on live auctions: the bidder's bids are voided with the reason (engine recomputes,
the room and the bidder are told), whichever door suspended them; the close never awards a suspended or
deactivated leader (issue 16 item 3)."""

from datetime import timedelta
from decimal import Decimal

import pytest

from accounts.models import User
from accounts.services import user_reinstate, user_suspend
from accounts.services.strikes import user_strike_add
from auctions import services
from auctions.models import Auction, AuctionEvent, Bid
from auctions.services.voiding import SUSPENDED_REASON
from notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def contest(live_auction, bidder_factory, place_bid):
    """A live auction that `leader` (two bids, max $9,000) leads over `runner` (max $6,000)."""
    leader, runner = bidder_factory(), bidder_factory()
    place_bid(live_auction, leader, "5000")
    place_bid(live_auction, runner, "6000")
    place_bid(live_auction, leader, "9000")
    live_auction.refresh_from_db()
    assert (live_auction.leader_id, live_auction.current_price) == (leader.pk, Decimal("6100.00"))
    return live_auction, leader, runner


def assert_voided_for_suspension(auction: Auction, leader: User, runner: User) -> None:
    auction.refresh_from_db()
    assert auction.status == Auction.Status.LIVE
    assert (auction.leader_id, auction.current_price) == (runner.pk, Decimal("5000.00"))
    assert not Bid.objects.filter(auction=auction, bidder=leader, voided_at__isnull=True).exists()
    assert set(Bid.objects.filter(auction=auction, bidder=leader).values_list("void_reason", flat=True)) == {
        SUSPENDED_REASON
    }
    assert AuctionEvent.objects.filter(auction=auction, kind=AuctionEvent.Kind.BID_VOIDED).count() == 2
    # the suspended bidder is told once per auction, not once per bid
    assert Notification.objects.filter(user=leader, kind="bid_voided").count() == 1


def test_staff_suspension_voids_the_bidders_bids_on_live_auctions(
    contest, staff_user, django_capture_on_commit_callbacks
):
    auction, leader, runner = contest
    with django_capture_on_commit_callbacks(execute=True):
        user_suspend(user_id=leader.pk, actor=staff_user, reason="Fraudulent bidding")
    assert_voided_for_suspension(auction, leader, runner)


def test_two_non_payment_strikes_suspend_and_void_the_bids(contest, staff_user, django_capture_on_commit_callbacks):
    auction, leader, runner = contest
    with django_capture_on_commit_callbacks(execute=True):
        user_strike_add(user_id=leader.pk, source="order:1", reason="Did not pay NS-1", actor=staff_user)
    auction.refresh_from_db()
    assert auction.leader_id == leader.pk  # one strike is not a suspension
    with django_capture_on_commit_callbacks(execute=True):
        user_strike_add(user_id=leader.pk, source="order:2", reason="Did not pay NS-2", actor=staff_user)
    leader.refresh_from_db()
    assert leader.suspended_at is not None
    assert_voided_for_suspension(auction, leader, runner)


def test_the_backoffice_person_page_suspends_through_the_same_service(
    contest, staff_user, client, django_capture_on_commit_callbacks
):
    auction, leader, runner = contest
    client.force_login(staff_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/console/people/{leader.pk}/suspend/", {"reason": "Chargebacks"})
    assert response.status_code == 302
    assert_voided_for_suspension(auction, leader, runner)


def test_a_bidder_reinstated_before_the_task_runs_keeps_their_bids(contest, staff_user):
    auction, leader, _ = contest
    user_suspend(user_id=leader.pk, actor=staff_user, reason="Mistake")  # no commit callbacks: task not run
    user_reinstate(user_id=leader.pk, actor=staff_user, reason="Sorry")
    assert services.void_bids_of_ineligible_user(user_id=leader.pk) == 0
    auction.refresh_from_db()
    assert auction.leader_id == leader.pk


def test_the_sweep_voids_what_the_task_missed(contest, django_capture_on_commit_callbacks):
    auction, leader, runner = contest
    User.objects.filter(pk=leader.pk).update(is_active=False)  # deactivated by staff, no task started
    with django_capture_on_commit_callbacks(execute=True):
        assert services.ineligible_bids_void_sweep() == 1
    assert services.ineligible_bids_void_sweep() == 0  # idempotent
    assert_voided_for_suspension(auction, leader, runner)


def test_the_close_never_awards_a_suspended_leader(contest, django_capture_on_commit_callbacks):
    # given a leader suspended without the void having run (a lost task message)
    auction, leader, runner = contest
    User.objects.filter(pk=leader.pk).update(suspended_at=auction.starts_at)
    # when the auction closes
    with django_capture_on_commit_callbacks(execute=True):
        assert services.auction_close(auction_id=auction.pk, now=auction.ends_at + timedelta(seconds=1))
    # then the runner-up wins at the price recomputed without the suspended bidder
    auction.refresh_from_db()
    assert (auction.status, auction.outcome) == (Auction.Status.ENDED, Auction.Outcome.SOLD)
    assert (auction.winner_id, auction.final_price) == (runner.pk, Decimal("5000.00"))
    assert not Notification.objects.filter(user=leader, kind="auction_won").exists()
    assert Notification.objects.filter(user=runner, kind="auction_won").count() == 1


def test_the_close_ends_unsold_when_only_a_suspended_bidder_bid(live_auction, bidder_factory, place_bid):
    only = bidder_factory()
    place_bid(live_auction, only, "7000")
    User.objects.filter(pk=only.pk).update(suspended_at=live_auction.starts_at)
    services.auction_close(auction_id=live_auction.pk, now=live_auction.ends_at + timedelta(seconds=1))
    live_auction.refresh_from_db()
    assert live_auction.outcome == Auction.Outcome.UNSOLD
    assert live_auction.winner_id is None
