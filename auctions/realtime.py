"""Live delivery to auction rooms: group names, one JSON encoding per broadcast, and the watcher count.

Services call `room_send` only from `transaction.on_commit`. The payload is encoded once here and
each socket forwards the text as is, so a bid costs one `json.dumps`, not one per watcher.
"""

import asyncio
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

from core.group_send import group_send_many
from core.shared_redis import shared_redis, shared_redis_async

logger = logging.getLogger(__name__)

WATCHER_STALE_SECONDS = 120
# The channel layer of auction rooms (settings: channels-redis's pub/sub layer, one PUBLISH per broadcast
# fanned out by each process to its own sockets); the default layer where a project has no such alias.
ROOM_LAYER = "auctions" if "auctions" in getattr(settings, "CHANNEL_LAYERS", {}) else "default"
WATCHER_REFRESH_SECONDS = 45


def room_group(auction_id: int) -> str:
    return f"auction_{auction_id}"


def user_room_group(auction_id: int, user_id: int) -> str:
    """The sockets of one user in one room: `bid_update` goes only there."""
    return f"auction_{auction_id}_user_{user_id}"


def encode(payload: dict[str, Any]) -> str:
    return json.dumps(payload, cls=DjangoJSONEncoder, separators=(",", ":"))


def room_send(group: str, payload: dict[str, Any], **meta: Any) -> None:
    """Send one event to a group (see `room_send_many`)."""
    room_send_many([(group, payload, meta)])


def room_send_many(messages: list[tuple[str, dict[str, Any], dict[str, Any]]]) -> None:
    """Send events in this order, without waiting: the change is committed, and a client that misses a
    message sees the gap in `seq` and refetches. `meta` rides along outside the text (e.g. `bid_id`, so
    the socket that placed a bid can skip its copy); `group` tells each process' room fan-out which of its
    sockets the message is for (auctions/room_fanout.py). Never raises."""
    layer = get_channel_layer(ROOM_LAYER)
    if layer is None or not messages:
        return
    encoded = [
        (group, {"type": "room.event", "group": group, "text": encode(payload), "seq": payload.get("seq"), **meta})
        for group, payload, meta in messages
    ]

    async def send_all() -> None:
        await group_send_many(layer, encoded)

    try:
        if isinstance(layer, InMemoryChannelLayer):  # `make run`: its queues belong to the server's own loop
            _send_in_this_thread(send_all)
            return
        future = asyncio.run_coroutine_threadsafe(send_all(), _sender_loop())
        _pending.add(future)
        future.add_done_callback(_finished)
    except Exception:  # noqa: BLE001 - a failed broadcast must not fail the committed action
        logger.exception("auction broadcast failed")


def _send_in_this_thread(send_all: Any) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        async_to_sync(send_all)()
        return
    with ThreadPoolExecutor(max_workers=1) as pool:  # a loop runs in this thread (a sync caller under one)
        pool.submit(async_to_sync(send_all)).result(timeout=10)


_loop: asyncio.AbstractEventLoop | None = None
_loop_lock = threading.Lock()


def _sender_loop() -> asyncio.AbstractEventLoop:
    """One event loop per process, in a daemon thread, owning this process's Redis connections for broadcasts:
    callers in request threads, Celery tasks or test code never wait for Redis and never need a loop of their own."""
    global _loop
    with _loop_lock:
        if _loop is None or _loop.is_closed():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="auction-broadcasts", daemon=True).start()
            _loop = loop
        return _loop


_pending: set[Any] = set()


def _finished(future: Any) -> None:
    _pending.discard(future)
    if not future.cancelled() and future.exception() is not None:
        logger.error("auction broadcast failed: %r", future.exception())


def flush(timeout: float = 5.0) -> None:
    """Wait until the broadcasts queued so far reached the channel layer (benchmarks, process exit)."""
    for future in list(_pending):
        future.result(timeout)


# --- watchers ------------------------------------------------------------------------
# A sorted set per room, member = socket channel name, score = last seen; shared by every daphne process.
# Without Redis (`make run`), a per-process dict does the same job.

_local_watchers: dict[int, dict[str, float]] = {}


def _key(auction_id: int) -> str:
    config: Any = dict(settings.CHANNEL_LAYERS["default"]).get("CONFIG", {})
    prefix = config.get("prefix", "asgi")
    return f"{prefix}:auction-watchers:{auction_id}"


async def watcher_touch(auction_id: int, channel_name: str) -> int:
    """Count this socket as watching (join or heartbeat); returns the room's watcher count (0 if Redis failed:
    a watcher count never costs anyone their socket)."""
    try:
        return await _watcher_touch(auction_id, channel_name)
    except Exception:  # noqa: BLE001
        logger.warning("watcher count unavailable", exc_info=True)
        return 0


async def _watcher_touch(auction_id: int, channel_name: str) -> int:
    now = time.time()
    client = shared_redis_async()
    if client is None:
        room = _local_watchers.setdefault(auction_id, {})
        room[channel_name] = now
        return _local_count(auction_id, now)
    key = _key(auction_id)
    async with client.pipeline(transaction=False) as pipe:
        pipe.zadd(key, {channel_name: now})
        pipe.zremrangebyscore(key, 0, now - WATCHER_STALE_SECONDS)
        pipe.expire(key, WATCHER_STALE_SECONDS * 2)
        pipe.zcard(key)
        results = await pipe.execute()
    return int(results[-1])


async def watcher_leave(auction_id: int, channel_name: str) -> int:
    try:
        return await _watcher_leave(auction_id, channel_name)
    except Exception:  # noqa: BLE001
        logger.warning("watcher count unavailable", exc_info=True)
        return 0


async def _watcher_leave(auction_id: int, channel_name: str) -> int:
    client = shared_redis_async()
    if client is None:
        _local_watchers.get(auction_id, {}).pop(channel_name, None)
        return _local_count(auction_id, time.time())
    key = _key(auction_id)
    async with client.pipeline(transaction=False) as pipe:
        pipe.zrem(key, channel_name)
        pipe.zcard(key)
        results = await pipe.execute()
    return int(results[-1])


async def watcher_announcement(auction_id: int, seconds: float = 2.0) -> str | None:
    """When to announce a change of the room's watcher count, coalesced per room and window of `seconds`:
    "now" for the first change in a window, "later" for one caller among the rest (it sends the count at the
    window's end, so later joins and leaves are not left unannounced), None for the others."""
    client = shared_redis_async()
    if client is None:
        return "now"  # one process, no Redis: every change is announced
    try:
        for when, suffix in (("now", ":tick"), ("later", ":trail")):
            if await client.set(_key(auction_id) + suffix, "1", nx=True, px=int(seconds * 1000)):
                return when
    except Exception:  # noqa: BLE001
        return None
    return None


async def watcher_count_async(auction_id: int) -> int:
    """`watcher_count` from the event loop (0 if Redis failed)."""
    now = time.time()
    client = shared_redis_async()
    if client is None:
        return _local_count(auction_id, now)
    try:
        return int(await client.zcount(_key(auction_id), now - WATCHER_STALE_SECONDS, "+inf"))
    except Exception:  # noqa: BLE001
        return 0


def _local_count(auction_id: int, now: float) -> int:
    room = _local_watchers.get(auction_id, {})
    for name, seen in list(room.items()):
        if seen < now - WATCHER_STALE_SECONDS:
            room.pop(name, None)
    return len(room)


def watcher_count(auction_id: int) -> int:
    """The room's watcher count, for pages and the API (sync)."""
    now = time.time()
    client = shared_redis()
    if client is None:
        return _local_count(auction_id, now)
    import redis

    try:
        return int(client.zcount(_key(auction_id), now - WATCHER_STALE_SECONDS, "+inf"))
    except redis.RedisError:
        return 0
