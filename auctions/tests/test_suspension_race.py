"""Suspension racing bids on MariaDB (real transactions): whatever the interleaving, once the suspension's
task and the beat sweep have run the suspended bidder counts on no open auction, and the close never awards
them (issue 16 item 3)."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection

from accounts.services import user_suspend
from auctions import services
from auctions.models import Auction, Bid
from core.errors import DomainError

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.race]


@pytest.mark.parametrize("round_", range(3))
def test_bids_racing_a_suspension_never_leave_the_suspended_bidder_counting(
    auction_factory, bidder_factory, staff_user, round_
):
    # given two live auctions and a bidder about to bid on both while staff suspend them
    auctions = [auction_factory(starting_price=Decimal("1000")) for _ in range(2)]
    suspect, honest = bidder_factory(), bidder_factory()
    for auction in auctions:
        services.bid_place(auction_id=auction.pk, bidder=honest, max_amount=Decimal("1500"))
    barrier = threading.Barrier(3)
    outcomes: list[object] = []

    def run(work) -> None:
        try:
            barrier.wait()
            outcomes.append(work())
        except DomainError as exc:  # a bid refused because the suspension committed first
            outcomes.append(exc)
        except Exception as exc:  # noqa: BLE001 - asserted below
            outcomes.append(("crash", exc))
        finally:
            connection.close()

    def bid(auction: Auction):
        return lambda: services.bid_place(auction_id=auction.pk, bidder=suspect, max_amount=Decimal("5000"))

    def suspend():
        return user_suspend(user_id=suspect.pk, actor=staff_user, reason="Shill bidding")  # starts the void task

    threads = [threading.Thread(target=run, args=(w,)) for w in (bid(auctions[0]), bid(auctions[1]), suspend)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not [o for o in outcomes if isinstance(o, tuple)], outcomes

    # when the beat sweep has run (it catches a bid whose eligibility was read just before the suspension)
    services.ineligible_bids_void_sweep()

    # then the suspect counts nowhere; the honest bidder leads at their own starting price
    assert not Bid.objects.filter(bidder=suspect, voided_at__isnull=True, auction__in=auctions).exists()
    for auction in auctions:
        auction.refresh_from_db()
        assert (auction.leader_id, auction.current_price) == (honest.pk, Decimal("1000.00"))
        assert services.auction_close(auction_id=auction.pk, now=auction.ends_at + timedelta(seconds=1))
        auction.refresh_from_db()
        assert auction.winner_id == honest.pk


def test_a_suspension_committing_while_the_close_waits_for_the_lock_is_seen_by_the_close(
    auction_factory, bidder_factory, staff_user
):
    # given a suspect leading, and the close and the suspension started together
    auction = auction_factory(starting_price=Decimal("1000"))
    suspect, honest = bidder_factory(), bidder_factory()
    services.bid_place(auction_id=auction.pk, bidder=honest, max_amount=Decimal("1500"))
    services.bid_place(auction_id=auction.pk, bidder=suspect, max_amount=Decimal("3000"))
    suspended = threading.Event()

    def suspend() -> None:
        try:
            user_suspend(user_id=suspect.pk, actor=staff_user, reason="Shill bidding")
        finally:
            suspended.set()
            connection.close()

    thread = threading.Thread(target=suspend)
    thread.start()
    assert suspended.wait(timeout=60)
    thread.join(timeout=60)
    # when the close runs (whether or not the void task got there first)
    services.auction_close(auction_id=auction.pk, now=auction.ends_at + timedelta(seconds=1))
    # then the honest bidder wins
    auction.refresh_from_db()
    assert auction.winner_id == honest.pk
