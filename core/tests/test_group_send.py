"""core.group_send.group_send_many: several group sends, in order, one pipeline per run of one Redis shard."""

import asyncio
import os
import uuid
from typing import Any

from channels.layers import InMemoryChannelLayer
from channels_redis.pubsub import RedisPubSubChannelLayer
from redis.asyncio.client import Pipeline, Redis

from core.group_send import group_send_many


async def _received(layer: Any, channel: str, count: int) -> list[str]:
    return [(await asyncio.wait_for(layer.receive(channel), 5))["text"] for _ in range(count)]


def _messages() -> list[tuple[str, dict[str, Any]]]:
    return [
        ("room", {"type": "room.event", "text": "new_bid 1"}),
        ("bidder", {"type": "room.event", "text": "bid_update 1"}),
        ("room", {"type": "room.event", "text": "new_bid 2"}),
        ("leader", {"type": "room.event", "text": "outbid 2"}),
    ]


async def _deliver(layer: Any) -> dict[str, list[str]]:
    sockets = {name: await layer.new_channel() for name in ("room", "bidder", "leader")}
    for group, channel in sockets.items():
        await layer.group_add(group, channel)
    await group_send_many(layer, _messages())
    return {
        "room": await _received(layer, sockets["room"], 2),
        "bidder": await _received(layer, sockets["bidder"], 1),
        "leader": await _received(layer, sockets["leader"], 1),
    }


EXPECTED = {"room": ["new_bid 1", "new_bid 2"], "bidder": ["bid_update 1"], "leader": ["outbid 2"]}


def test_redis_pubsub_sends_every_message_in_order_in_one_pipeline(monkeypatch):
    calls = {"publish": 0, "pipelines": 0, "piped": 0}
    execute_command, execute = Redis.execute_command, Pipeline.execute

    async def counted_command(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls["publish"] += args[0] == "PUBLISH"
        return await execute_command(self, *args, **kwargs)

    async def counted_execute(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls["pipelines"] += 1
        calls["piped"] += len(self.command_stack)
        return await execute(self, *args, **kwargs)

    layer = RedisPubSubChannelLayer(
        hosts=[os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")], prefix=f"test-{uuid.uuid4().hex}"
    )

    async def run() -> dict[str, list[str]]:
        try:
            await layer.group_add("warm", await layer.new_channel())  # connect before counting
            monkeypatch.setattr(Redis, "execute_command", counted_command)
            monkeypatch.setattr(Pipeline, "execute", counted_execute)
            return await _deliver(layer)
        finally:
            await layer.flush()

    assert asyncio.run(run()) == EXPECTED
    assert calls == {"publish": 0, "pipelines": 1, "piped": 4}


def test_other_layers_get_one_group_send_each():
    assert asyncio.run(_deliver(InMemoryChannelLayer())) == EXPECTED


def test_the_channels_redis_internals_group_send_many_relies_on_are_there():
    """group_send_many pipelines PUBLISHes through channels-redis's private per-loop layer and shard objects
    (no public API sends several messages in one round trip). They are pinned in requirements.txt; an upgrade
    that changes them must fail here, loudly, rather than fall back to one round trip per message unseen."""
    import inspect
    from importlib.metadata import version

    from channels_redis import pubsub

    assert version("channels-redis") == "4.3.0", "re-check core/group_send.py against this channels-redis"
    layer = RedisPubSubChannelLayer(hosts=["redis://127.0.0.1:6379/0"])

    async def inner() -> Any:
        return layer._get_layer()

    loop_layer = asyncio.run(inner())
    for name in ("_get_group_channel_name", "_get_shard", "channel_layer"):
        assert hasattr(loop_layer, name), name
    assert hasattr(loop_layer.channel_layer, "serialize")
    shard_source = inspect.getsource(pubsub.RedisSingleShardConnection)
    for name in ("self._lock", "def _ensure_redis", "self._redis", "async def publish"):
        assert name in shard_source, name
