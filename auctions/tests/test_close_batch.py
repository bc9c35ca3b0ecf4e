"""The closer's bulk path (closing._close_batch) closes exactly as one close at a time does."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from auctions import services
from auctions.models import Auction, AuctionEvent
from notifications.models import Notification
from orders.models import Order
from vehicles.models import Vehicle, VehicleEvent

D = Decimal
pytestmark = pytest.mark.django_db(transaction=True)


def _lots(auction_factory, bidder_factory, place_bid):  # type: ignore[no-untyped-def]
    """One of each kind of close: sold (a winner and a loser), sold with the reserve met, reserve not met, no bids."""
    sold = auction_factory()
    winner, loser = bidder_factory(), bidder_factory()
    place_bid(sold, loser, "5200")
    place_bid(sold, winner, "5600")
    met = auction_factory(reserve_price=D("6000"))
    place_bid(met, winner, "6500")
    short = auction_factory(reserve_price=D("9000"))
    place_bid(short, loser, "5100")
    empty = auction_factory()
    return [sold, met, short, empty], winner, loser


def _result(auction: Auction) -> dict[str, object]:
    auction.refresh_from_db()
    event = AuctionEvent.objects.get(auction=auction, kind="closed")
    vehicle = Vehicle.objects.get(pk=auction.vehicle_id)
    return {
        "status": auction.status,
        "outcome": auction.outcome,
        "winner": auction.winner_id is not None and auction.winner_id == auction.leader_id,
        "final_price": auction.final_price,
        "sold_at": auction.sold_at == auction.closed_at if auction.sold_at else None,
        "reserve_met": auction.reserve_met,
        "deadline": (auction.decision_deadline - auction.closed_at) if auction.decision_deadline else None,
        "event": (event.from_status, event.to_status, event.seq, event.data),
        "vehicle": (vehicle.status, vehicle.auction_status, vehicle.sale_outcome, vehicle.sale_price),
        "vehicle_events": list(
            VehicleEvent.objects.filter(vehicle_id=auction.vehicle_id)
            .order_by("pk")
            .values_list("from_status", "to_status")
        ),
        "orders": Order.objects.filter(source_id=auction.pk, source_type=Order.Source.AUCTION).count(),
        "notices": sorted(
            Notification.objects.filter(object_key=f"auction:{auction.pk}").values_list("kind", flat=True)
        ),
    }


def test_a_batch_closes_each_auction_as_one_close_at_a_time_does(auction_factory, bidder_factory, place_bid):
    alone, _, _ = _lots(auction_factory, bidder_factory, place_bid)
    for auction in alone:
        assert services.auction_close(auction_id=auction.pk, now=auction.ends_at)
    expected = [_result(auction) for auction in alone]

    batched, _, _ = _lots(auction_factory, bidder_factory, place_bid)
    Auction.objects.filter(pk__in=[a.pk for a in batched]).update(ends_at=timezone.now() - timedelta(seconds=1))
    with CaptureQueriesContext(connection) as queries:
        assert services.auction_close_due(batch=10) == 4
    got = [_result(auction) for auction in batched]
    for want, have in zip(expected, got, strict=True):
        assert have == want
    assert [r["outcome"] for r in got] == ["sold", "sold", "reserve_not_met", "unsold"]
    assert got[0]["notices"] == ["auction_ended_seller", "auction_lost", "auction_won", "outbid"]
    assert got[0]["orders"] == 1
    assert got[3]["orders"] == 0
    claims = [q["sql"] for q in queries if q["sql"].startswith("UPDATE `auctions_auction`")]
    assert len(claims) == 4, "one claim per kind of close (sold, sold with the reserve met, reserve not met, unsold)"
    inserts = [q["sql"] for q in queries if q["sql"].startswith("INSERT INTO `auctions_auctionevent`")]
    assert len(inserts) == 1, "the batch's closed events in one insert"


def test_every_due_auction_closes_once_in_batches_smaller_than_the_burst(auction_factory):
    past = timezone.now() - timedelta(seconds=3)
    due = [auction_factory(ends_at=past - timedelta(seconds=i)) for i in range(7)]
    with CaptureQueriesContext(connection) as queries:
        assert services.auction_close_due(batch=3) == 7
    claims = [q["sql"] for q in queries if q["sql"].startswith("UPDATE `auctions_auction`")]
    assert len(claims) == 3, "batches of 3, 3 and 1 unsold auctions: one claim each, not one per auction"
    assert services.auction_close_due(batch=3) == 0
    for auction in due:
        assert AuctionEvent.objects.filter(auction=auction, kind="closed").count() == 1
        assert Vehicle.objects.get(pk=auction.vehicle_id).status == Vehicle.Status.APPROVED


def _close_metrics() -> dict[str, float]:
    from prometheus_client import REGISTRY

    def value(name: str, labels: dict[str, str] | None = None) -> float:
        return REGISTRY.get_sample_value(name, labels or {}) or 0.0

    return {
        "lag_count": value("auction_close_lag_seconds_count"),
        "lag_sum": value("auction_close_lag_seconds_sum"),
        "sold": value("auction_closed_total", {"outcome": "sold"}),
        "reserve_not_met": value("auction_closed_total", {"outcome": "reserve_not_met"}),
        "unsold": value("auction_closed_total", {"outcome": "unsold"}),
    }


@pytest.mark.parametrize("batch_fails", [False, True], ids=["in bulk", "batch rolled back, one at a time"])
def test_close_lag_and_closes_are_counted_once_per_committed_close(
    auction_factory, bidder_factory, place_bid, monkeypatch, batch_fails
):
    # given one auction of each kind, due a few seconds ago
    lots, _, _ = _lots(auction_factory, bidder_factory, place_bid)
    ends = timezone.now() - timedelta(seconds=4)
    Auction.objects.filter(pk__in=[a.pk for a in lots]).update(ends_at=ends, scheduled_ends_at=ends)
    if batch_fails:  # the batch fails after its claims moved every row: it rolls back, each closes alone
        import vehicles.services

        monkeypatch.setattr(
            vehicles.services, "vehicles_mark_ended", lambda **_: (_ for _ in ()).throw(RuntimeError("boom"))
        )
    before = _close_metrics()

    assert services.auction_close_due(batch=10) == 4

    after = _close_metrics()
    delta = {name: after[name] - before[name] for name in before}
    stored = list(Auction.objects.filter(pk__in=[a.pk for a in lots]).values_list("ends_at", "closed_at"))
    assert delta["lag_count"] == 4, "one lag observation per close that committed"
    assert delta["lag_sum"] == pytest.approx(sum((c - e).total_seconds() for e, c in stored), abs=1e-3)
    assert all((c - e).total_seconds() >= 4 for e, c in stored)
    assert (delta["sold"], delta["reserve_not_met"], delta["unsold"]) == (2, 1, 1)
