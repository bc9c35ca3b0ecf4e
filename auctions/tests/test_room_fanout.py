"""The room fan-out (auctions/room_fanout.py): one subscriber per room and process writes each broadcast to the
room's sockets in one loop, with each socket's rules (seq order, its own bid, typing) as plain checks."""

import asyncio
import json
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, channel_layers

from auctions import realtime, room_fanout
from auctions.room_fanout import BACKLOG_LIMIT, CLOSE_TOO_SLOW, RoomFanout, RoomSocket
from auctions.room_order import REORDER_WAIT_SECONDS

AUCTION = 7
ROOM = realtime.room_group(AUCTION)


class Client:
    """A socket's ASGI send: records frames; `hold()` makes writes wait, as a full socket buffer does."""

    def __init__(self, name: str, user_id: int | None = None, fails: bool = False) -> None:
        self.frames: list[dict[str, Any]] = []
        self.gate: asyncio.Event | None = None
        self.fails = fails
        self.on_send: Any = None
        self.socket = RoomSocket(self.send, key=f"socket-{name}", user_id=user_id)

    async def send(self, message: dict[str, Any]) -> None:
        if self.fails:
            raise ConnectionResetError("the client went away")
        if self.gate is not None:
            await self.gate.wait()
        self.frames.append(message)
        if self.on_send is not None:
            self.on_send()

    def hold(self) -> None:
        self.gate = asyncio.Event()

    def release(self) -> None:
        assert self.gate is not None
        self.gate.set()

    @property
    def seqs(self) -> list[int]:
        return [json.loads(frame["text"])["seq"] for frame in self.frames if frame["type"] == "websocket.send"]

    @property
    def texts(self) -> list[str]:
        return [frame["text"] for frame in self.frames if frame["type"] == "websocket.send"]


def bid(seq: int, **meta: Any) -> dict[str, Any]:
    text = json.dumps({"type": "new_bid", "seq": seq}, separators=(",", ":"))
    return {"type": "room.event", "group": ROOM, "text": text, "seq": seq, **meta}


def update(user_id: int, seq: int, bid_id: int) -> dict[str, Any]:
    text = json.dumps({"type": "bid_update", "seq": seq, "bid_id": bid_id}, separators=(",", ":"))
    group = realtime.user_room_group(AUCTION, user_id)
    return {"type": "room.event", "group": group, "text": text, "seq": seq, "bid_id": bid_id}


async def room_of(*clients: Client) -> RoomFanout:
    room = RoomFanout(InMemoryChannelLayer(), AUCTION)
    await room.started
    for client in clients:
        room.add(client.socket)
        if client.socket.user_id is not None:
            await room.add_user(client.socket.user_id)
    return room


async def wait_past_reorder() -> None:
    """Until a timer set now for RoomOrder's wait has fired (the loop runs timers in deadline order)."""
    loop = asyncio.get_running_loop()
    passed = loop.create_future()
    loop.call_later(REORDER_WAIT_SECONDS + 0.01, passed.set_result, None)
    await passed


async def closed(room: RoomFanout) -> None:
    """An empty room closes once its linger (0 here) is over: the next turns of the loop."""
    while room.closing is None:
        await asyncio.sleep(0)
    await room.closing


def run(scenario):
    async_to_sync(scenario)()


def test_every_socket_gets_each_broadcast_once_in_seq_order_across_two_processes_publishes():
    # process B published 4-5 before process A's 2-3: every socket still reads 1..6, each once
    async def scenario():
        clients = [Client(name) for name in "abc"]
        room = await room_of(*clients)
        for seq in (1, 4, 5, 2, 3, 6):
            room.deliver(bid(seq))
        for client in clients:
            assert client.seqs == [1, 2, 3, 4, 5, 6]
            assert client.socket.seq == 6

    run(scenario)


def test_a_lost_broadcast_holds_the_later_ones_for_a_moment_only_then_they_go_in_order():
    async def scenario():
        client = Client("a")
        room = await room_of(client)
        client.socket.seq = 10  # its join's state
        room.deliver(bid(13))  # 11 and 12 never come (their process died after the commit)
        room.deliver(bid(12))
        assert client.seqs == []
        await wait_past_reorder()
        assert client.seqs == [12, 13]  # the gap (11) stays: the page sees it and refetches

    run(scenario)


def test_a_sockets_own_bid_is_not_echoed_to_it_but_reaches_its_users_other_tabs():
    async def scenario():
        bidder_tab, other_tab, stranger = Client("tab1", user_id=5), Client("tab2", user_id=5), Client("x", user_id=6)
        room = await room_of(bidder_tab, other_tab, stranger)
        bidder_tab.socket.placed_bid_ids.add(99)  # it was answered on its own socket
        room.deliver(bid(1))
        room.deliver(update(5, seq=1, bid_id=99))
        assert bidder_tab.seqs == [1]
        assert len(other_tab.texts) == 2
        assert '"bid_update"' in other_tab.texts[1]
        assert stranger.seqs == [1]  # another user's bid_update is not theirs to see

    run(scenario)


def test_broadcasts_wait_while_the_socket_handles_its_own_bid_and_its_echo_is_judged_after_the_answer():
    # the room's broadcast of the bid can arrive before the bidding socket has its answer (and the bid's id)
    async def scenario():
        bidder = Client("bidder", user_id=5)
        room = await room_of(bidder)
        bidder.socket.pause()
        room.deliver(bid(1))
        room.deliver(update(5, seq=1, bid_id=99))
        assert bidder.texts == []
        bidder.socket.placed_bid_ids.add(99)  # the answer went out on the socket
        bidder.socket.resume()
        assert bidder.seqs == [1]

    run(scenario)


def test_a_held_broadcast_whose_wait_runs_out_while_the_socket_handles_a_frame_follows_the_frame_at_once():
    async def scenario():
        client = Client("a", user_id=5)
        room = await room_of(client)
        room.deliver(bid(2))  # 1 never comes: held for the wait
        client.socket.pause()  # the socket handles a bid of its own meanwhile
        await wait_past_reorder()
        assert client.texts == []  # not in the middle of the socket's own frame
        client.socket.resume()
        assert client.seqs == [2]  # not held a second time
        room.deliver(bid(3))
        assert client.seqs == [2, 3]

    run(scenario)


def test_a_socket_that_leaves_the_room_gets_none_of_the_broadcasts_held_while_it_left():
    async def scenario():
        client, other = Client("a"), Client("b")
        room = await room_of(client, other)
        client.socket.pause()  # handling `leave_auction`
        room.deliver(bid(1))
        client.socket.leave()
        client.socket.resume()
        room.deliver(bid(2))
        assert client.texts == []
        assert other.seqs == [1, 2]

    run(scenario)


def test_typing_reaches_the_others_but_not_the_typist():
    async def scenario():
        typist, other = Client("typist", user_id=5), Client("other")
        room = await room_of(typist, other)
        room.deliver(
            {"type": "room.typing", "group": ROOM, "sender": "socket-typist", "text": '{"type":"user_typing"}'}
        )
        assert typist.texts == []
        assert other.texts == ['{"type":"user_typing"}']

    run(scenario)


def test_a_socket_that_leaves_or_fails_mid_broadcast_does_not_stop_the_others():
    async def scenario():
        first, leaving, broken, last = Client("1"), Client("2"), Client("3", fails=True), Client("4")
        room = await room_of(first, leaving, broken, last)
        first.on_send = leaving.socket.discard  # its disconnect is handled while the broadcast is being written
        room.deliver(bid(1))
        assert first.seqs == [1]
        assert leaving.texts == []
        assert last.seqs == [1]
        assert list(room.sockets) == [first.socket, last.socket]  # the failed socket is out of the room too
        first.on_send = None
        room.deliver(bid(2))
        assert first.seqs == [1, 2]
        assert last.seqs == [1, 2]

    run(scenario)


def test_a_slow_socket_does_not_hold_up_the_others_and_gets_its_frames_in_order_once_it_reads():
    async def scenario():
        fast, slow, later = Client("fast"), Client("slow"), Client("later")
        room = await room_of(fast, slow, later)
        slow.hold()  # its buffer is full: a write waits
        for seq in range(1, 6):
            room.deliver(bid(seq))
        assert fast.seqs == [1, 2, 3, 4, 5]
        assert later.seqs == [1, 2, 3, 4, 5]
        assert slow.seqs == []
        assert slow.socket.waiting == 4  # 1 is being written; 2-5 queue behind it
        slow.release()
        await slow.socket.drained()
        assert slow.seqs == [1, 2, 3, 4, 5]
        room.deliver(bid(6))  # written at once again
        assert slow.seqs == [1, 2, 3, 4, 5, 6]

    run(scenario)


def test_a_socket_too_far_behind_is_closed_after_its_pending_write_and_leaves_the_room():
    async def scenario():
        fast, stuck = Client("fast"), Client("stuck")
        room = await room_of(fast, stuck)
        stuck.hold()
        for seq in range(1, BACKLOG_LIMIT + 3):
            room.deliver(bid(seq))
        assert len(fast.seqs) == BACKLOG_LIMIT + 2
        assert list(room.sockets) == [fast.socket]
        stuck.release()
        await stuck.socket.drained()
        assert stuck.seqs == [1]  # the write under way, then the close: its page reconnects and catches up by seq
        assert stuck.frames[-1] == {"type": "websocket.close", "code": CLOSE_TOO_SLOW}

    run(scenario)


def test_a_message_from_the_previous_release_without_a_group_never_shows_a_bidders_update_to_the_room():
    async def scenario():
        watcher = Client("w")
        room = await room_of(watcher)
        legacy_bid = bid(1)
        del legacy_bid["group"]
        legacy_update = update(5, seq=1, bid_id=3)
        del legacy_update["group"]
        room.deliver(legacy_bid)
        room.deliver(legacy_update)
        assert watcher.seqs == [1]

    run(scenario)


@pytest.mark.django_db(transaction=True)
def test_through_redis_broadcasts_two_other_processes_published_out_of_order_reach_each_socket_in_order():
    auction_id = 10**8 + 8

    async def scenario():
        group = realtime.room_group(auction_id)
        loop = asyncio.get_running_loop()
        clients = [Client("a"), Client("b", user_id=4)]
        all_four = {client.socket.key: loop.create_future() for client in clients}
        for client in clients:
            client.on_send = lambda key=client.socket.key, c=client: (
                len(c.frames) == 4 and not all_four[key].done() and all_four[key].set_result(None)
            )
            await room_fanout.join(auction_id, client.socket)
        process_a = channel_layers.make_backend(realtime.ROOM_LAYER)
        process_b = channel_layers.make_backend(realtime.ROOM_LAYER)
        for publisher, seq in ((process_a, 1), (process_b, 3), (process_b, 4), (process_a, 2)):
            text = f'{{"type":"new_bid","seq":{seq}}}'
            await publisher.group_send(group, {"type": "room.event", "group": group, "text": text, "seq": seq})
        await asyncio.wait_for(asyncio.gather(*all_four.values()), timeout=10)
        assert [client.seqs for client in clients] == [[1, 2, 3, 4], [1, 2, 3, 4]]
        for client in clients:
            client.socket.discard()
        await process_a.flush()
        await process_b.flush()

    run(scenario)


@pytest.mark.django_db(transaction=True)
def test_a_process_subscribes_once_per_room_and_its_sockets_get_what_another_process_publishes(monkeypatch):
    """On the real rooms' layer (channels-redis pub/sub): two sockets, one room subscription; a message sent
    by another layer instance (another process) reaches both; the room closes when empty, and a new joiner
    opens it again."""
    monkeypatch.setattr(room_fanout, "LINGER_SECONDS", 0.0)
    auction_id = 10**8 + 7

    async def scenario():
        group = realtime.room_group(auction_id)
        loop = asyncio.get_running_loop()
        clients = [Client("a"), Client("b", user_id=3)]
        arrived = {client.socket.key: loop.create_future() for client in clients}
        for client in clients:
            client.on_send = lambda key=client.socket.key: arrived[key].done() or arrived[key].set_result(None)
            await room_fanout.join(auction_id, client.socket)
        room = room_fanout.rooms_here()[auction_id]
        assert list(room.sockets) == [client.socket for client in clients]
        publisher = channel_layers.make_backend(realtime.ROOM_LAYER)
        text = '{"type":"new_bid","seq":1}'
        await publisher.group_send(group, {"type": "room.event", "group": group, "text": text, "seq": 1})
        await asyncio.wait_for(asyncio.gather(*arrived.values()), timeout=10)
        assert [client.texts for client in clients] == [[text], [text]]
        for client in clients:
            client.socket.discard()
        await closed(room)
        assert auction_id not in room_fanout.rooms_here()
        again = Client("c")
        await room_fanout.join(auction_id, again.socket)
        assert room_fanout.rooms_here()[auction_id] is not room
        again.socket.discard()
        await closed(room_fanout.rooms_here()[auction_id])
        await publisher.flush()

    run(scenario)
