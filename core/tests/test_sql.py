"""core/sql.py: plain SQL composed once per process, storing exactly what the ORM stores."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection

from auctions.models import Auction, AuctionEvent
from core.sql import insert_rows, update_row

pytestmark = pytest.mark.django_db


def _event(auction: Auction, seq: int) -> AuctionEvent:
    return AuctionEvent(
        auction_id=auction.pk,
        kind=AuctionEvent.Kind.BID_ACCEPTED,
        seq=seq,
        data={"price": "5100.00", "leader_changed": True, "note": "ünïcode"},
        created_at=datetime(2026, 11, 22, 4, 5, 6, 789000, tzinfo=UTC),
    )


def test_insert_rows_stores_what_bulk_create_stores(auction_factory):
    auction = auction_factory()
    ours = [_event(auction, 1), _event(auction, 2)]
    theirs = AuctionEvent.objects.bulk_create([_event(auction, 3), _event(auction, 4)])

    insert_rows(ours)

    assert all(event.pk is not None for event in ours)  # RETURNING on MariaDB and SQLite
    fields = ["kind", "data", "created_at", "actor_id", "from_status", "to_status"]
    stored = {e.seq: e for e in AuctionEvent.objects.filter(auction=auction, kind=AuctionEvent.Kind.BID_ACCEPTED)}
    for mine, orm in zip(ours, theirs, strict=True):
        assert stored[mine.seq].pk == mine.pk
        assert [getattr(stored[mine.seq], f) for f in fields] == [getattr(stored[orm.seq], f) for f in fields]


def test_without_returning_one_row_gets_its_id_and_several_do_not(auction_factory, monkeypatch):
    """MySQL has no INSERT … RETURNING: one row's id comes from the insert id (as save() reads it); for
    several, the pks stay None, as bulk_create leaves them, and the caller reads them back."""
    monkeypatch.setattr(type(connection.features), "can_return_rows_from_bulk_insert", False)
    auction = auction_factory()
    one, pair = [_event(auction, 1)], [_event(auction, 2), _event(auction, 3)]

    insert_rows(one)
    insert_rows(pair)

    assert one[0].pk == AuctionEvent.objects.get(auction=auction, seq=1).pk
    assert [event.pk for event in pair] == [None, None]
    assert AuctionEvent.objects.filter(auction=auction, seq__in=[2, 3]).count() == 2


def test_update_row_writes_the_named_fields_only(auction_factory):
    auction = auction_factory()
    other = auction_factory()
    auction.current_price = Decimal("5100.00")
    auction.bid_count = 3
    new_end = (auction.ends_at + timedelta(days=1)).replace(microsecond=250000)  # microseconds survive
    auction.ends_at = new_end
    auction.reserve_met = True
    auction.extended_count = 7  # changed but not named: not written

    assert update_row(auction, ("current_price", "bid_count", "ends_at", "reserve_met")) == 1

    stored = Auction.objects.get(pk=auction.pk)
    assert (stored.current_price, stored.bid_count, stored.ends_at, stored.reserve_met) == (
        Decimal("5100.00"),
        3,
        new_end,
        True,
    )
    assert stored.extended_count == 0
    untouched = Auction.objects.get(pk=other.pk)
    assert (untouched.current_price, untouched.bid_count) == (other.current_price, other.bid_count)


@pytest.mark.parametrize("which", ["auction", "user"])
def test_row_instance_builds_what_the_orm_builds(auction_factory, which):
    from accounts.models import User
    from core.sql import row_by_sql, row_instance

    auction = auction_factory(reserve_met=True)
    model, pk = (Auction, auction.pk) if which == "auction" else (User, auction.seller_id)

    ours = row_instance(model, row_by_sql(model, vendor=connection.vendor), [pk])
    orm = model.objects.get(pk=pk)

    fields = [f.attname for f in model._meta.concrete_fields]
    assert [getattr(ours, f) for f in fields] == [getattr(orm, f) for f in fields]
    assert [type(getattr(ours, f)) for f in fields] == [type(getattr(orm, f)) for f in fields]  # bool, not 0/1
    assert (ours._state.adding, ours._state.db) == (False, orm._state.db)
    assert row_instance(model, row_by_sql(model, vendor=connection.vendor), [10**9]) is None
