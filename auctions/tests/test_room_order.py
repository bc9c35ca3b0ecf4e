"""A live room hands broadcasts to its socket in seq order, whichever process published them first."""

import asyncio

from asgiref.sync import async_to_sync

from auctions.room_order import RoomOrder


class Socket:
    def __init__(self) -> None:
        self.seq = 0
        self.sent: list[int | None] = []

    def forward(self, event: dict) -> None:
        seq = event.get("seq")
        if isinstance(seq, int) and seq > self.seq:
            self.seq = seq
        self.sent.append(seq)


def run(events: list[dict], wait: float = 5.0, then: float = 0.0) -> tuple[Socket, RoomOrder]:
    socket = Socket()
    order = RoomOrder(socket.forward, lambda: socket.seq, wait=wait)

    async def scenario() -> None:
        for event in events:
            order.admit(event)
        if then:
            await asyncio.sleep(then)
        order.discard()

    async_to_sync(scenario)()
    return socket, order


def test_broadcasts_of_two_processes_arrive_in_seq_order():
    # process B's batch (9, 10) was published before process A's (7, 8)
    socket, _ = run([{"seq": s} for s in (1, 2, 3, 4, 5, 6, 9, 10, 7, 8, 11)])
    assert socket.sent == list(range(1, 12))


def test_messages_of_one_bid_and_non_bid_messages_go_out_at_once():
    # new_bid 1, timer_extended 1 (same seq), a watcher count (seq the sender knew), a comment without seq
    socket, order = run([{"seq": 1}, {"seq": 1}, {"seq": 1}, {"text": "comment"}, {"seq": 2}])
    assert socket.sent == [1, 1, 1, None, 2]
    assert order.holding == 0


def test_a_lost_broadcast_holds_the_later_ones_for_a_moment_only():
    # seq 2 never comes (its process died after the commit): 3 and 4 go out after the wait, in order,
    # and the client sees the gap and fetches the state
    socket, _ = run([{"seq": 1}, {"seq": 4}, {"seq": 3}], wait=0.05, then=0.2)
    assert socket.sent == [1, 3, 4]
