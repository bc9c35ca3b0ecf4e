"""Real transactions racing on MariaDB (OFFERS.md "Acceptance": races are decided by the database)."""

import threading
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from auctions.models import Auction
from auctions.services import auction_start_due
from auctions.services.clock import db_now
from core.errors import DomainError
from offers import services
from offers.models import OfferThread
from orders.models import Order
from vehicles.models import Vehicle

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.race]
S = OfferThread.Status


def run_threads(*targets: Callable[[], Any]) -> list[Any]:
    """Run the targets at once (behind a barrier); each result or exception is returned in order."""
    barrier = threading.Barrier(len(targets))
    results: list[Any] = [None] * len(targets)

    def body(index: int) -> None:
        try:
            barrier.wait()
            results[index] = targets[index]()
        except Exception as exc:  # noqa: BLE001 - collected and asserted by the test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=body, args=(i,)) for i in range(len(targets))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def codes(results: list[Any]) -> list[str]:
    return sorted(r.code if isinstance(r, DomainError) else getattr(r, "outcome", repr(r)) for r in results)


def test_two_acceptances_of_different_threads_on_one_vehicle_make_one_order(offer_vehicle, bidder_factory, make_offer):
    threads = [make_offer(offer_vehicle, bidder_factory(), amount) for amount in ("8000", "8100", "8200")]
    seller = offer_vehicle.seller

    results = run_threads(
        lambda: services.offer_accept(thread_id=threads[0].pk, actor=seller),
        lambda: services.offer_accept(thread_id=threads[1].pk, actor=seller),
    )
    assert codes(results) == ["accepted", "sold_to_another"], results
    statuses = sorted(OfferThread.objects.values_list("status", flat=True))
    assert statuses == [S.ACCEPTED, S.SOLD_TO_ANOTHER, S.SOLD_TO_ANOTHER]
    winner = OfferThread.objects.get(status=S.ACCEPTED)
    assert list(Order.objects.values_list("source_type", "source_id")) == [("offer", winner.pk)]
    offer_vehicle.refresh_from_db()
    assert offer_vehicle.status == Vehicle.Status.SOLD


def test_a_buyer_accepting_a_counter_races_the_seller_accepting_another_offer(
    offer_vehicle, bidder_factory, make_offer
):
    first_buyer, second_buyer = bidder_factory(), bidder_factory()
    countered = make_offer(offer_vehicle, first_buyer, "8000")
    services.offer_counter(thread_id=countered.pk, actor=offer_vehicle.seller, amount="9000")
    other = make_offer(offer_vehicle, second_buyer, "8500")

    results = run_threads(
        lambda: services.offer_accept(thread_id=countered.pk, actor=first_buyer),
        lambda: services.offer_accept(thread_id=other.pk, actor=offer_vehicle.seller),
    )
    assert codes(results) == ["accepted", "sold_to_another"], results
    assert Order.objects.count() == 1
    accepted = OfferThread.objects.get(status=S.ACCEPTED)
    assert Order.objects.get().source_id == accepted.pk
    assert OfferThread.objects.filter(status=S.SOLD_TO_ANOTHER).count() == 1


def test_an_acceptance_racing_the_expiry_has_one_outcome_by_the_database_clock(
    offer_vehicle_factory, bidder_factory, make_offer
):
    outcomes = set()
    for round_ in range(6):
        vehicle = offer_vehicle_factory()
        thread = make_offer(vehicle, bidder_factory(), "8000")
        # expires within a few milliseconds of the race, either side of it
        OfferThread.objects.filter(pk=thread.pk).update(expires_at=db_now() + timedelta(milliseconds=round_ * 15))
        results = run_threads(
            lambda thread=thread, vehicle=vehicle: services.offer_accept(thread_id=thread.pk, actor=vehicle.seller),
            lambda: services.offers_settle_due(),
        )
        accepted, settled = results
        thread.refresh_from_db()
        assert not isinstance(settled, Exception), settled
        if isinstance(accepted, DomainError):
            assert accepted.code == "expired"
            assert thread.status == S.EXPIRED
            assert not Order.objects.filter(source_id=thread.pk).exists()
        else:
            assert accepted.outcome == "accepted"
            assert thread.status == S.ACCEPTED
            assert Order.objects.filter(source_type="offer", source_id=thread.pk).exists()
            assert thread.ended_at < thread.expires_at, "accepted before the expiry by the database clock"
        outcomes.add(thread.status)
        assert thread.events.filter(kind__in=["accepted", "expired"]).count() == 1
    assert outcomes <= {S.ACCEPTED, S.EXPIRED}


def test_an_acceptance_racing_the_auctions_start_has_one_winner(auction_factory, bidder_factory, make_offer):
    for round_ in range(4):
        auction = auction_factory(
            vehicle__accepts_offers=True,
            status=Auction.Status.SCHEDULED,
            starts_at=timezone.now() + timedelta(hours=1),
            ends_at=timezone.now() + timedelta(days=1),
        )
        thread = make_offer(auction.vehicle, bidder_factory(), "8000")
        Auction.objects.filter(pk=auction.pk).update(starts_at=db_now() + timedelta(milliseconds=round_ * 20))
        results = run_threads(
            lambda thread=thread, auction=auction: services.offer_accept(thread_id=thread.pk, actor=auction.seller),
            lambda: auction_start_due(),
        )
        accepted = results[0]
        assert not isinstance(results[1], Exception), results[1]
        auction_start_due()  # the next beat: an auction the database clock already calls started goes live
        services.offers_settle_due()
        auction.refresh_from_db()
        thread.refresh_from_db()
        if isinstance(accepted, DomainError):
            assert accepted.code in ("auction_started", "auction_live"), accepted.code
            assert auction.status == Auction.Status.LIVE
            assert thread.status == S.AUCTION_STARTED
            assert not Order.objects.filter(source_id=thread.pk).exists()
        else:
            assert auction.status == Auction.Status.CANCELLED
            assert thread.status == S.ACCEPTED
            assert Order.objects.filter(source_type="offer", source_id=thread.pk).exists()


def test_the_same_idempotency_key_on_an_accept_five_times_at_once_accepts_once(
    offer_vehicle, bidder_factory, make_offer
):
    thread = make_offer(offer_vehicle, bidder_factory(), "8000")
    other = make_offer(offer_vehicle, bidder_factory(), "7000")

    def accept() -> Any:
        client = APIClient()
        client.force_authenticate(offer_vehicle.seller)
        response = client.post(f"/api/offers/{thread.pk}/accept", HTTP_IDEMPOTENCY_KEY="accept-once-5f1c")
        return response

    responses = run_threads(*[accept for _ in range(5)])
    assert [r.status_code for r in responses] == [200] * 5, [getattr(r, "data", r) for r in responses]
    assert sum(1 for r in responses if r.headers.get("Idempotent-Replayed") == "true") == 4
    assert len({r.content for r in responses}) == 1, "every retry gets the first answer"
    assert Order.objects.count() == 1
    thread.refresh_from_db()
    other.refresh_from_db()
    assert (thread.status, other.status) == (S.ACCEPTED, S.SOLD_TO_ANOTHER)
    assert thread.events.filter(kind="accepted").count() == 1
    assert Decimal(responses[0].json()["data"]["accepted_amount"]) == Decimal("8000")
