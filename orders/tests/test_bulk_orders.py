"""Orders for a batch of won auctions, in bulk (orders.services.orders_create): the same orders one at a time
would make, in a fixed number of statements, exactly once under retries and racing workers; on their own queue."""

import threading
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from auctions.models import Auction
from auctions.services import auction_close
from core.pricing import purchase_breakdown
from notifications.models import Notification
from orders import services
from orders.deadlines import payment_due_at
from orders.models import Order, OrderEvent
from orders.sources import orders_create_for_auctions, sale_kwargs, sale_of_auction

PRICED = (
    "buyer_state",
    "vehicle_price",
    "buyer_fee",
    "documentation_fee",
    "title_fee",
    "sales_tax_rate",
    "sales_tax",
    "total",
    "status",
    "due_at",
    "sold_at",
    "buyer_id",
    "seller_id",
    "vehicle_id",
)


def _won(auction_factory: Any, bidder_factory: Any, place_bid: Any, states: list[str]) -> list[Auction]:
    """One closed, sold auction per state (a buyer registered there; "" for none), at different prices."""
    won = []
    for index, state in enumerate(states):
        auction = auction_factory()
        place_bid(auction, bidder_factory(state=state), str(5000 + 1234 * index))
        assert auction_close(auction_id=auction.pk, now=auction.ends_at + timedelta(seconds=1))
        won.append(Auction.objects.select_related("winner", "seller").get(pk=auction.pk))
    return won


@pytest.mark.django_db
def test_orders_made_in_bulk_equal_the_orders_made_one_at_a_time(auction_factory, bidder_factory, place_bid):
    won = _won(auction_factory, bidder_factory, place_bid, ["MN", "WI", "", "CA"])

    assert orders_create_for_auctions(auction_ids=[a.pk for a in won]) == len(won)

    for auction in won:
        bulk = Order.objects.get(source_type=Order.Source.AUCTION, source_id=auction.pk)
        # the same sale through the one-at-a-time path, under another source id
        sale = sale_of_auction(auction)
        assert sale is not None
        alone = services.order_create(**{**sale_kwargs(sale), "source_id": auction.pk + 10**9})
        assert {f: getattr(bulk, f) for f in PRICED} == {f: getattr(alone, f) for f in PRICED}
        rule = purchase_breakdown(price=auction.final_price, buyer_state=auction.winner.state)
        assert (bulk.vehicle_price, bulk.buyer_fee, bulk.sales_tax, bulk.total) == (
            rule.vehicle_price,
            rule.buyer_fee,
            rule.sales_tax,
            rule.total,
        )
        assert bulk.due_at == payment_due_at(auction.sold_at)
        assert bulk.number == services.order_number(bulk) == f"NS-{auction.sold_at:%Y}-{bulk.pk:06d}"
        assert list(bulk.events.values_list("kind", "to_status", "message")) == list(
            alone.events.values_list("kind", "to_status", "message")
        )
    assert {o.sales_tax > 0 for o in Order.objects.all()} == {True, False}, "some states collect tax, some not"


@pytest.mark.django_db
def test_a_batch_of_orders_takes_the_same_statements_whatever_its_size(auction_factory, bidder_factory, place_bid):
    small = _won(auction_factory, bidder_factory, place_bid, ["MN", ""])
    large = _won(auction_factory, bidder_factory, place_bid, ["MN", "", "WI", "CA", "MN", "TX", ""])

    with CaptureQueriesContext(connection) as few:
        assert orders_create_for_auctions(auction_ids=[a.pk for a in small]) == 2
    with CaptureQueriesContext(connection) as many:
        assert orders_create_for_auctions(auction_ids=[a.pk for a in large]) == 7

    assert len(many) == len(few), [q["sql"][:80] for q in many.captured_queries]
    inserts = [q["sql"] for q in many.captured_queries if q["sql"].startswith("INSERT INTO `orders_order`")]
    assert len(inserts) == 1, "the batch's orders in one insert"
    assert OrderEvent.objects.filter(kind="created").count() == 9


@pytest.mark.django_db
def test_bulk_creation_skips_sources_that_have_an_order_and_a_second_run_makes_none(
    auction_factory, bidder_factory, place_bid
):
    won = _won(auction_factory, bidder_factory, place_bid, ["MN", "", "WI"])
    not_won = auction_factory()
    first = services.order_create(**sale_kwargs(sale_of_auction(won[0])))  # type: ignore[arg-type]

    ids = [a.pk for a in won] + [not_won.pk]
    assert orders_create_for_auctions(auction_ids=ids) == 2
    assert orders_create_for_auctions(auction_ids=ids) == 0

    per_source = Counter(Order.objects.values_list("source_id", flat=True))
    assert per_source == {a.pk: 1 for a in won}
    assert Order.objects.get(source_id=won[0].pk).pk == first.pk


@pytest.mark.django_db(transaction=True)
def test_two_workers_creating_overlapping_batches_make_exactly_one_order_per_sale(
    auction_factory, bidder_factory, place_bid, monkeypatch
):
    from auctions.services import after_commit

    # given two batch tasks whose won auctions overlap (a retried task and the sweep, say); the closes commit
    # here, and their own order requests are left out so the two tasks find no order yet
    monkeypatch.setattr(after_commit, "_request_order", lambda auction_id: None)
    won = _won(auction_factory, bidder_factory, place_bid, ["MN", "", "WI", "CA", "MN", "", "TX", "WI"])
    first, second = [a.pk for a in won[:6]], [a.pk for a in won[2:]]
    # both read "no order yet" before either inserts: each waits for the other between its read and its insert
    # (the first time only), so the unique constraint, not the read, decides
    barrier = threading.Barrier(2, timeout=30)
    reads: list[str] = []
    waited = threading.local()
    state_fees = services.state_fees

    def read_then_wait(states: set[str]) -> Any:
        reads.append(threading.current_thread().name)
        if not getattr(waited, "done", False):
            waited.done = True
            barrier.wait()
        return state_fees(states)

    monkeypatch.setattr(services, "state_fees", read_then_wait)
    results: dict[str, Any] = {}

    def worker(ids: list[int]) -> None:
        try:
            results[threading.current_thread().name] = orders_create_for_auctions(auction_ids=ids)
        except BaseException as exc:  # noqa: BLE001 - asserted below
            results[threading.current_thread().name] = exc
        finally:
            connection.close()

    # when they run at once, in real transactions on MariaDB
    threads = [threading.Thread(target=worker, args=(ids,), name=f"w{i}") for i, ids in enumerate((first, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # then every sold auction has exactly one order, each made by one of them, and the loser retried once
    assert all(isinstance(made, int) for made in results.values()), results
    assert sum(results.values()) == len(won)
    per_source = Counter(Order.objects.values_list("source_id", flat=True))
    assert per_source == {a.pk: 1 for a in won}
    assert len(reads) == 3, f"the batch that lost the race rolled back and tried again once: {reads}"
    orders = list(Order.objects.all())
    assert all(o.number == services.order_number(o) for o in orders)
    assert Counter(OrderEvent.objects.filter(kind="created").values_list("order_id", flat=True)) == {
        o.pk: 1 for o in orders
    }
    # and each buyer was sent one invoice per order, after the commit that made it
    invoices = Counter(Notification.objects.filter(kind="invoice_issued").values_list("object_key", flat=True))
    assert invoices == {f"order:{o.pk}": 1 for o in orders}


@pytest.mark.django_db
def test_a_bulk_insert_that_keeps_failing_falls_back_to_one_order_at_a_time(
    auction_factory, bidder_factory, place_bid, monkeypatch
):
    from django.db import IntegrityError

    won = _won(auction_factory, bidder_factory, place_bid, ["MN", "", "WI"])
    bulk_create = Order.objects.bulk_create
    calls: list[int] = []

    def conflicting(objs: list[Order], *args: Any, **kwargs: Any) -> Any:
        calls.append(len(objs))
        if len(objs) > 1:
            raise IntegrityError(1062, "Duplicate entry")
        return bulk_create(objs, *args, **kwargs)

    monkeypatch.setattr(Order.objects, "bulk_create", conflicting)
    assert orders_create_for_auctions(auction_ids=[a.pk for a in won]) == 3
    assert calls == [3] * services.BULK_CREATE_ATTEMPTS + [1, 1, 1]
    assert Counter(Order.objects.values_list("source_id", flat=True)) == {a.pk: 1 for a in won}


def test_order_creation_runs_on_its_own_queue_and_the_closer_on_the_default_one(settings):
    from auctions.services import after_commit
    from config.celery import ORDER_CREATION_TASKS, app
    from offers.services import effects

    app.loader.import_default_modules()
    router = app.amqp.router
    for name in ORDER_CREATION_TASKS:
        assert name in app.tasks, f"{name} is routed but no such task exists"
        assert router.route({}, name, (), {})["queue"].name == settings.CELERY_ORDERS_QUEUE
    # what the closer and the offers app ask for by name is order creation
    assert {after_commit.ORDER_TASK, after_commit.ORDERS_TASK, effects.ORDER_TASK} <= ORDER_CREATION_TASKS
    for name in ("auctions.tasks.close_due_auctions", "auctions.tasks.send_queued_notifications"):
        assert router.route({}, name, (), {})["queue"].name == settings.CELERY_TASK_DEFAULT_QUEUE
    assert settings.CELERY_ORDERS_QUEUE != settings.CELERY_TASK_DEFAULT_QUEUE


@pytest.mark.django_db
def test_the_sweep_creates_the_missing_orders_in_bulk(auction_factory, bidder_factory, place_bid):
    from orders.sources import orders_create_for_won_auctions

    won = _won(auction_factory, bidder_factory, place_bid, ["MN", "", "WI", "CA"])
    with CaptureQueriesContext(connection) as queries:
        assert orders_create_for_won_auctions() == 4
    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("INSERT INTO `orders_order`")]
    assert len(inserts) == 1
    assert orders_create_for_won_auctions() == 0
    assert Order.objects.filter(source_id__in=[a.pk for a in won]).count() == 4
    assert all(o.total > Decimal("5000") for o in Order.objects.all())


@pytest.mark.django_db
def test_orders_are_numbered_when_the_database_returns_no_ids_from_a_bulk_insert(
    auction_factory, bidder_factory, place_bid, monkeypatch
):
    # MySQL 8 (compose) returns no ids from a multi-row INSERT; MariaDB does
    monkeypatch.setattr(type(connection.features), "can_return_rows_from_bulk_insert", False)
    won = _won(auction_factory, bidder_factory, place_bid, ["MN", "", "WI"])
    assert orders_create_for_auctions(auction_ids=[a.pk for a in won]) == 3
    for order in Order.objects.all():
        assert order.number == f"NS-{order.sold_at:%Y}-{order.pk:06d}"
        assert list(order.events.values_list("kind", flat=True)) == ["created"]
