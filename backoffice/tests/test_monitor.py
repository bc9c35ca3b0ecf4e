"""The live monitor: rows with the numbers staff watch, and the socket that forwards the rooms' broadcasts."""

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import RefreshToken

from auctions import realtime, services
from backoffice.monitor import live_rows
from config.asgi import application

ORIGIN = [(b"origin", b"http://127.0.0.1")]


def monitor_socket(user, auction=None) -> WebsocketCommunicator:
    """The monitor's socket as an API client opens it: the access token in Sec-WebSocket-Protocol."""
    path = "/ws/console/monitor/" + (f"?auction={auction.pk}" if auction else "")
    protocols = ["bearer", str(RefreshToken.for_user(user).access_token)]
    return WebsocketCommunicator(application, path, headers=ORIGIN, subprotocols=protocols)


async def next_of(communicator: WebsocketCommunicator, kind: str, timeout: float = 10) -> dict:
    async with asyncio.timeout(timeout):
        while True:
            message = await communicator.receive_json_from(timeout=timeout)
            if message.get("type") == kind:
                return message


@pytest.mark.django_db
def test_rows_show_price_rate_reserve_and_extensions(auction_factory, bidder_factory, place_bid):
    auction = auction_factory(reserve_price="9000.00")
    place_bid(auction, bidder_factory(), "5000")
    place_bid(auction, bidder_factory(), "6000")
    (row,) = [r for r in live_rows() if r.auction_id == auction.pk]
    assert row.price == "5100.00"
    assert row.bid_count == 2
    assert row.bids_recent == 2
    assert row.bids_per_minute == "0.4"
    assert row.reserve_label == "Reserve not met"
    assert row.watchers == 0


@pytest.mark.django_db(transaction=True)
def test_the_monitor_hears_every_live_auctions_bids_without_counting_as_a_watcher(
    staff_user, auction_factory, bidder_factory
):
    first, second = auction_factory(), auction_factory()
    buyer = bidder_factory()

    async def scenario() -> tuple[dict, dict]:
        communicator = monitor_socket(staff_user)
        connected, _ = await communicator.connect(timeout=10)
        assert connected
        await database_sync_to_async(services.bid_place)(auction_id=second.pk, bidder=buyer, max_amount="5000")
        one = await next_of(communicator, "new_bid")
        await database_sync_to_async(services.bid_place)(auction_id=first.pk, bidder=buyer, max_amount="5000")
        two = await next_of(communicator, "new_bid")
        watchers = await realtime.watcher_count_async(first.pk)
        await communicator.disconnect()
        return one, {**two, "watchers_seen": watchers}

    one, two = asyncio.run(scenario())
    assert one["auction_id"] == second.pk
    assert two["auction_id"] == first.pk
    assert two["price"] == "5000.00"
    assert two["watchers_seen"] == 0


@pytest.mark.django_db(transaction=True)
def test_people_without_the_monitor_permission_are_refused(user_factory, staff_in):
    async def attempt(user) -> int | None:
        communicator = monitor_socket(user)
        connected, code = await communicator.connect(timeout=10)
        return None if connected else code

    assert asyncio.run(attempt(user_factory())) == 4403
    assert asyncio.run(attempt(staff_in("finance"))) == 4403
    assert asyncio.run(attempt(staff_in("auctions"))) is None


@pytest.mark.django_db
def test_the_drill_down_shows_real_names_and_addresses(client, staff_user, live_auction, bidder_factory, place_bid):
    buyer = bidder_factory(first_name="Dana", last_name="Quist")
    place_bid(live_auction, buyer, "5000", ip="198.51.100.77", user_agent="Firefox/140")
    client.force_login(staff_user)
    page = client.get(f"/admin/console/monitor/{live_auction.pk}/").content.decode()
    assert "Dana Quist" in page
    assert "198.51.100.77" in page
    bids = client.get(f"/admin/console/monitor/{live_auction.pk}/bids/").json()["bids"]
    assert bids[0]["email"] == buyer.email
    assert bids[0]["ip"] == "198.51.100.77"


@pytest.mark.django_db
def test_cancel_from_the_drill_down_needs_a_reason_and_is_audited(client, staff_user, live_auction):
    from auditlog.models import LogEntry

    client.force_login(staff_user)
    client.post(f"/admin/console/monitor/{live_auction.pk}/cancel/", {"reason": ""})
    live_auction.refresh_from_db()
    assert live_auction.status == "live"
    client.post(f"/admin/console/monitor/{live_auction.pk}/cancel/", {"reason": "Title problem found"})
    live_auction.refresh_from_db()
    assert live_auction.status == "cancelled"
    entry = LogEntry.objects.get(additional_data__action="auction_cancel")
    assert entry.changes["status"] == ["live", "cancelled"]
