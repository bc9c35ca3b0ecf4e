"""The live room over channels-redis with WebsocketCommunicator: watching, bidding, errors, timers, a burst."""

import asyncio
from datetime import timedelta
from decimal import Decimal

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.utils import timezone
from rest_framework_simplejwt.tokens import RefreshToken

from auctions import realtime, services
from auctions.models import Auction, Bid
from config.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)
ORIGIN = [(b"origin", b"http://127.0.0.1")]


def room(auction, user=None, headers=ORIGIN) -> WebsocketCommunicator:
    """A socket to the auction's room; with a user, an API client's: its access token in Sec-WebSocket-Protocol."""
    protocols = ["bearer", str(RefreshToken.for_user(user).access_token)] if user is not None else None
    return WebsocketCommunicator(application, f"/ws/auctions/{auction.pk}/", headers=headers, subprotocols=protocols)


async def open_room(auction, user=None) -> tuple[WebsocketCommunicator, dict, dict]:
    communicator = room(auction, user)
    connected, _ = await communicator.connect(timeout=10)
    assert connected
    hello = await communicator.receive_json_from(timeout=5)
    joined = await communicator.receive_json_from(timeout=5)
    return communicator, hello, joined


async def next_of(communicator: WebsocketCommunicator, kind: str, timeout: float = 5) -> dict:
    """The next message of this type (skipping watcher-count and other broadcasts)."""
    while True:
        message = await communicator.receive_json_from(timeout=timeout)
        if message["type"] == kind:
            return message


def run(scenario):
    async_to_sync(scenario)()


def test_anonymous_visitor_watches_and_sees_a_bid_with_its_sequence(live_auction, bidder_factory):
    buyer = bidder_factory()

    async def scenario():
        watcher, hello, joined = await open_room(live_auction)
        assert hello["type"] == "connection_response"
        assert hello["server_time"]
        assert hello["authenticated"] is False
        assert joined["type"] == "auction_joined"
        assert joined["state"]["seq"] == 0
        assert joined["watchers"] >= 1
        await database_sync_to_async(services.bid_place)(
            auction_id=live_auction.pk, bidder=buyer, max_amount=Decimal("6000")
        )
        message = await next_of(watcher, "new_bid")
        assert (message["seq"], message["price"], message["bid_count"]) == (1, "5000.00", 1)
        assert message["leader_alias"] == "Bidder 1"
        assert message["minimum_next_bid"] == "5100.00"
        assert message["ends_at"] == live_auction.ends_at.isoformat()
        await watcher.disconnect()

    run(scenario)


def test_bid_over_the_socket_goes_through_the_service_and_everyone_is_told(live_auction, bidder_factory):
    first, second = bidder_factory(), bidder_factory()

    async def scenario():
        watcher, _, _ = await open_room(live_auction)
        leader, _, _ = await open_room(live_auction, first)
        challenger, hello, _ = await open_room(live_auction, second)
        assert hello["authenticated"] is True
        await leader.send_json_to({"type": "bid_placed", "amount": "6000", "request_id": "r1"})
        reply = await next_of(leader, "bid_update")
        assert (reply["status"], reply["result"], reply["request_id"], reply["seq"]) == ("accepted", "leading", "r1", 1)
        await challenger.send_json_to({"type": "bid_placed", "amount": 7000})
        reply = await next_of(challenger, "bid_update")
        assert reply["status"] == "accepted"
        assert reply["result"] == "leading"
        outbid = await next_of(leader, "bid_update")
        assert outbid["status"] == "outbid"
        assert outbid["price"] == "6100.00"
        seqs = [(await next_of(watcher, "new_bid"))["seq"] for _ in range(2)]
        assert seqs == [1, 2]
        for communicator in (watcher, leader, challenger):
            await communicator.disconnect()

    run(scenario)
    assert Bid.objects.count() == 2


@pytest.mark.parametrize(
    ("amount", "code"),
    [("abc", "invalid_amount"), ("-5", "invalid_amount"), ("6000.001", "invalid_amount"), ("100", "below_minimum")],
)
def test_bad_bids_over_the_socket_are_rejected_and_nothing_is_stored(live_auction, bidder_factory, amount, code):
    buyer = bidder_factory()

    async def scenario():
        room, _, _ = await open_room(live_auction, buyer)
        await room.send_json_to({"type": "bid_placed", "amount": amount})
        reply = await next_of(room, "bid_update")
        assert reply["status"] == "rejected"
        assert reply["code"] == code
        assert reply["error"]
        await room.disconnect()

    run(scenario)
    assert not Bid.objects.exists()


def test_a_bid_the_database_could_not_take_gets_a_clear_error_and_the_socket_stays_open(
    live_auction, bidder_factory, monkeypatch
):
    """MariaDB gone mid-bid: the bidder is told to try again (not a dropped connection), and the room goes on."""
    from django.db import OperationalError

    from auctions.services import bid_batch

    def database_gone(*args, **kwargs):
        raise OperationalError(2006, "MySQL server has gone away")

    monkeypatch.setattr(bid_batch, "run_batch", database_gone)
    buyer = bidder_factory()

    async def scenario():
        room, _, _ = await open_room(live_auction, buyer)
        await room.send_json_to({"type": "bid_placed", "amount": "6000", "request_id": 7})
        reply = await next_of(room, "bid_update")
        assert (reply["status"], reply["code"], reply["request_id"]) == ("rejected", "unavailable", 7)
        assert "try again" in reply["error"]
        await room.send_json_to({"type": "ping", "sent": 1})
        assert (await next_of(room, "pong"))["type"] == "pong"
        await room.disconnect()

    run(scenario)
    assert not Bid.objects.exists()


def test_socket_refuses_own_vehicle_ended_ineligible_suspended_and_anonymous(
    auction_factory, live_auction, bidder_factory, user_factory, make_eligible
):
    ended = auction_factory(ends_at=timezone.now() - timedelta(seconds=1))
    cases = [
        (live_auction, make_eligible(live_auction.seller), "own_vehicle"),
        (ended, bidder_factory(), "auction_ended"),
        (live_auction, user_factory(), "not_eligible"),
        (live_auction, bidder_factory(suspended_at=timezone.now()), "suspended"),
        (live_auction, None, "not_authenticated"),
    ]

    async def scenario():
        for auction, user, code in cases:
            room, _, _ = await open_room(auction, user)
            await room.send_json_to({"type": "bid_placed", "amount": "9000"})
            reply = await next_of(room, "bid_update")
            assert (reply["status"], reply["code"]) == ("rejected", code), reply
            await room.disconnect()

    run(scenario)
    assert not Bid.objects.exists()


def test_missing_auction_gets_an_error_and_is_closed():
    async def scenario():
        communicator = WebsocketCommunicator(application, "/ws/auctions/999999/", headers=ORIGIN)
        connected, _ = await communicator.connect(timeout=10)
        assert connected
        message = await communicator.receive_json_from(timeout=5)
        assert message == {"type": "error", "code": "auction_not_found", "error": "Auction not found."}
        closed = await communicator.receive_output(timeout=5)
        assert closed == {"type": "websocket.close", "code": 4404}

    run(scenario)


def test_late_bid_broadcasts_timer_extended_and_the_close_broadcasts_auction_closed(auction_factory, bidder_factory):
    auction = auction_factory(ends_at=timezone.now() + timedelta(seconds=30))
    buyer = bidder_factory()

    async def scenario():
        watcher, _, _ = await open_room(auction)
        await database_sync_to_async(services.bid_place)(
            auction_id=auction.pk, bidder=buyer, max_amount=Decimal("5000")
        )
        extended = await next_of(watcher, "timer_extended")
        assert extended["seq"] == 1
        assert extended["extended_count"] == 1
        fresh = await database_sync_to_async(Auction.objects.get)(pk=auction.pk)
        assert extended["ends_at"] == fresh.ends_at.isoformat()
        await database_sync_to_async(services.auction_close)(auction_id=auction.pk, now=fresh.ends_at)
        changed = await next_of(watcher, "status_changed")
        assert changed["status"] == "ended"
        assert changed["change"] == "closed"
        closed = await next_of(watcher, "auction_closed")
        assert (closed["outcome"], closed["final_price"], closed["winner_alias"]) == ("sold", "5000.00", "Bidder 1")
        await watcher.disconnect()

    run(scenario)


def test_typing_reaches_others_but_not_the_typist_and_ping_answers_with_server_time(live_auction, bidder_factory):
    typist_user = bidder_factory(first_name="Tia", last_name="Typist")

    async def scenario():
        other, _, _ = await open_room(live_auction)
        typist, _, _ = await open_room(live_auction, typist_user)
        await typist.send_json_to({"type": "typing"})
        typing = await next_of(other, "user_typing")
        assert typing["name"] == "Tia T."
        await typist.send_json_to({"type": "ping", "sent": 123})
        seen_by_typist = []
        while (pong := await typist.receive_json_from(timeout=5))["type"] != "pong":
            seen_by_typist.append(pong["type"])
        assert "user_typing" not in seen_by_typist  # the typist's own typing is not echoed back
        assert pong["server_time"]
        assert pong["sent"] == 123
        await other.disconnect()
        await typist.disconnect()

    run(scenario)


def test_watcher_count_is_shared_through_redis_and_leave_stops_broadcasts(live_auction, bidder_factory):
    buyer = bidder_factory()

    async def scenario():
        first, _, joined_first = await open_room(live_auction)
        second, _, joined_second = await open_room(live_auction)
        assert joined_second["watchers"] == joined_first["watchers"] + 1
        await second.send_json_to({"type": "leave_auction"})
        left = await next_of(second, "auction_left")
        assert left["watchers"] == joined_first["watchers"]
        await database_sync_to_async(services.bid_place)(
            auction_id=live_auction.pk, bidder=buyer, max_amount=Decimal("6000")
        )
        assert (await next_of(first, "new_bid"))["seq"] == 1
        assert await second.receive_nothing(timeout=0.5)
        await first.disconnect()
        await second.disconnect()

    run(scenario)


def test_joins_inside_the_coalescing_window_are_announced_when_it_ends(auction_factory):
    """The first change in a window is broadcast at once; the count after the later ones follows at the
    window's end, so no page is left showing a stale count."""
    import random

    from auctions.consumers import WATCHERS_EVERY_SECONDS

    # a room no earlier test used: ids restart with each flushed test, and the room's Redis keys (its count
    # and window) outlive the test that made them by up to the window
    live_auction = auction_factory(id=random.randint(10**6, 10**9))

    async def scenario():
        first, _, joined_first = await open_room(live_auction)
        second, _, joined_second = await open_room(live_auction)
        third, _, joined_third = await open_room(live_auction)
        assert joined_third["watchers"] == joined_first["watchers"] + 2
        counts = []
        deadline = asyncio.get_running_loop().time() + WATCHERS_EVERY_SECONDS + 2
        while asyncio.get_running_loop().time() < deadline:
            if await first.receive_nothing(timeout=0.2):  # (a receive that times out would stop the app)
                continue
            message = await first.receive_json_from()
            if message["type"] == "auction_joined" and not message.get("you"):
                counts.append(message["watchers"])
        assert counts[-1:] == [joined_third["watchers"]], counts  # the last word is the count after all joins
        for room in (first, second, third):
            await room.disconnect()

    run(scenario)


def test_messages_that_are_not_bids_carry_the_latest_sequence_their_sender_knew(live_auction, bidder_factory):
    """Typing, watcher counts and comments carry `seq` without advancing it: a page that missed a bid learns
    it from them and refetches."""
    buyer, talker = bidder_factory(), bidder_factory(first_name="Tom", last_name="Talker")

    async def scenario():
        watcher, _, _ = await open_room(live_auction)
        chatty, _, _ = await open_room(live_auction, talker)
        await database_sync_to_async(services.bid_place)(
            auction_id=live_auction.pk, bidder=buyer, max_amount=Decimal("6000")
        )
        assert (await next_of(watcher, "new_bid"))["seq"] == 1
        assert (await next_of(chatty, "new_bid"))["seq"] == 1
        await chatty.send_json_to({"type": "typing"})
        assert (await next_of(watcher, "user_typing"))["seq"] == 1
        await database_sync_to_async(services.comment_post)(auction_id=live_auction.pk, author=talker, body="Rust?")
        posted = await next_of(watcher, "comment_posted")
        assert (posted["seq"], posted["comment"]["body"]) == (1, "Rust?")
        await chatty.send_json_to({"type": "leave_auction"})
        assert (await next_of(chatty, "auction_left"))["seq"] == 1
        await watcher.disconnect()
        await chatty.disconnect()

    run(scenario)


def test_a_frame_that_is_not_json_text_is_an_error_and_the_room_stays_open(live_auction):
    async def scenario():
        room, _, _ = await open_room(live_auction)
        await room.send_to(text_data="notjson")
        assert (await next_of(room, "error"))["code"] == "invalid_json"
        await room.send_to(bytes_data=b"\x00\x01")
        assert (await next_of(room, "error"))["code"] == "invalid_json"
        await room.send_to(text_data="[" * 5000 + "]" * 5000)  # nested past the one loader's bound
        assert (await next_of(room, "error"))["code"] == "invalid_json"
        await room.send_json_to({"type": "ping", "sent": 1})
        assert (await next_of(room, "pong"))["sent"] == 1
        await room.disconnect()

    run(scenario)


def test_api_clients_connect_without_an_origin_and_other_sites_pages_are_refused(live_auction, bidder_factory):
    """Browsers always send Origin on a WebSocket handshake: one from another site is refused; a client with
    no Origin (a script with its token) is not a browser page, and may connect."""
    buyer = bidder_factory()

    async def scenario():
        client = room(live_auction, buyer, headers=[])
        connected, subprotocol = await client.connect(timeout=10)
        assert (connected, subprotocol) == (True, "bearer")
        hello = await client.receive_json_from(timeout=5)
        assert (hello["type"], hello["authenticated"]) == ("connection_response", True)
        await client.disconnect()
        elsewhere = [(b"origin", b"https://evil.example")]
        page = room(live_auction, buyer, headers=elsewhere)
        connected, _ = await page.connect(timeout=10)
        assert not connected

    run(scenario)


def test_unknown_message_type_is_an_error(live_auction):
    async def scenario():
        room, _, _ = await open_room(live_auction)
        await room.send_json_to({"type": "dance"})
        assert (await next_of(room, "error"))["code"] == "unknown_type"
        await room.disconnect()

    run(scenario)


def test_a_burst_beyond_the_default_capacity_reaches_every_watcher_in_order(live_auction):
    """channels-redis drops group messages past `capacity` silently; ours is sized for a closing-minute burst."""
    burst = 1000
    assert settings.CHANNEL_LAYERS["default"]["CONFIG"]["capacity"] >= burst

    async def scenario():
        rooms = [(await open_room(live_auction))[0] for _ in range(3)]
        # published from a separate layer instance (as another process would) on the rooms' layer
        from channels.layers import channel_layers

        publisher = channel_layers.make_backend(realtime.ROOM_LAYER)
        group = f"auction_{live_auction.pk}"
        for seq in range(1, burst + 1):
            await publisher.group_send(group, {"type": "room.event", "text": f'{{"type":"new_bid","seq":{seq}}}'})
        for room in rooms:
            seen = []
            while len(seen) < burst:
                message = await room.receive_json_from(timeout=10)
                if message["type"] == "new_bid":
                    seen.append(message["seq"])
            assert seen == list(range(1, burst + 1))
        for room in rooms:
            await room.disconnect()
        await publisher.flush()

    run(scenario)


def test_socket_and_http_bids_interleave_with_gapless_sequence(live_auction, bidder_factory):
    socket_user, http_user = bidder_factory(), bidder_factory()

    async def scenario():
        room, _, _ = await open_room(live_auction, socket_user)
        amount = 5000
        for round_ in range(5):
            await room.send_json_to({"type": "bid_placed", "amount": str(amount), "request_id": round_})
            reply = await next_of(room, "bid_update")
            while reply.get("request_id") != round_:  # "outbid" notices from the HTTP bids come in between
                reply = await next_of(room, "bid_update")
            assert reply["status"] == "accepted"
            amount += 1000
            await database_sync_to_async(services.bid_place)(
                auction_id=live_auction.pk, bidder=http_user, max_amount=Decimal(amount)
            )
            amount += 1000
        await room.disconnect()

    run(scenario)
    assert list(Bid.objects.order_by("seq").values_list("seq", flat=True)) == list(range(1, 11))


def test_bids_sent_at_once_from_many_sockets_are_each_answered_and_the_state_replays(live_auction, bidder_factory):
    """Live rooms decide simultaneous bids together (the combiner → one transaction per batch): every socket still
    gets the answer to its own bid, refusals carry the minimum, and the stored bids replay to the stored state."""
    from auctions import engine
    from auctions.services.increments import increment_table

    bidders = [bidder_factory() for _ in range(8)]

    async def scenario():
        rooms = [(await open_room(live_auction, user))[0] for user in bidders]
        for index, room in enumerate(rooms):  # all sent before any answer is read
            await room.send_json_to({"type": "bid_placed", "amount": str(6000 + 250 * index), "request_id": index})
        replies = []
        for index, room in enumerate(rooms):
            reply = await next_of(room, "bid_update", timeout=10)
            while reply.get("request_id") != index:
                reply = await next_of(room, "bid_update", timeout=10)
            replies.append(reply)
        for room in rooms:
            await room.disconnect()
        return replies

    replies = async_to_sync(scenario)()
    assert all(r["status"] in ("accepted", "rejected") for r in replies)
    assert all(
        r["code"] == "below_minimum" and r["details"]["minimum_bid"] for r in replies if r["status"] == "rejected"
    )
    accepted = [r for r in replies if r["status"] == "accepted"]
    assert accepted
    assert sorted(r["seq"] for r in accepted) == list(range(1, len(accepted) + 1))
    auction = Auction.objects.get(pk=live_auction.pk)
    bids = list(Bid.objects.filter(auction=auction).order_by("seq"))
    assert len(bids) == len(accepted)
    replayed = engine.replay(
        auction.terms(increment_table()), [engine.ReplayBid(b.bidder_id, b.max_amount, b.seq) for b in bids]
    )
    assert replayed == auction.state()
    assert auction.leader_id == bidders[-1].pk  # the highest max leads, whatever the batching


def test_frames_are_admitted_by_the_one_rate_limit_and_pings_always_answered(live_auction, monkeypatch):
    """core/throttles.py's rule for every door, socket frames included: over the limit a frame gets a
    `throttled` error (a bid its `bid_update`); the keep-alive ping is never refused."""
    from core.throttles import Rates
    from tests.fixtures.core import clear_cache

    monkeypatch.setattr(Rates, "THROTTLE_RATES", {"anon": "2/min", "user": "1000/min"})
    clear_cache()  # this worker's earlier anonymous frames counted in the same window (one address)

    async def scenario():
        room, _, _ = await open_room(live_auction)
        for _ in range(2):
            await room.send_json_to({"type": "typing"})  # anonymous typing: counted, ignored
        await room.send_json_to({"type": "bid_placed", "amount": "6000", "request_id": "over"})
        refused = await next_of(room, "bid_update")
        assert (refused["status"], refused["code"], refused["request_id"]) == ("rejected", "throttled", "over")
        assert refused["error"].startswith("Request was throttled.")
        await room.send_json_to({"type": "typing"})
        assert (await next_of(room, "error"))["code"] == "throttled"
        await room.send_json_to({"type": "ping", "sent": 5})
        assert (await next_of(room, "pong"))["sent"] == 5
        await room.disconnect()

    run(scenario)
    assert not Bid.objects.exists()
