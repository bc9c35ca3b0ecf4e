"""Several channel-layer group sends, in order, in as few Redis round trips as the layer allows.

performance: on a hot lot every accepted bid is about three broadcasts (`new_bid` to the room, `bid_update`
to the bidder, `outbid` to the previous leader). channels-redis's pub/sub layer sends each as its own
PUBLISH, a round trip through redis-py's client each; the sending thread was over a quarter of a daphne's
time when most bids were accepted. Here the PUBLISHes of consecutive messages bound for one Redis shard go
in one pipeline: the same commands, with the same serialization, on the same connection, in the same order.

This uses channels-redis's per-loop layer and shard objects (pinned in requirements.txt); where they are not
as expected, or on any other layer, it falls back to one `group_send` per message.
"""

from typing import Any


def _pubsub_layer(layer: Any) -> Any:
    """channels-redis's pub/sub layer for the running loop, or None when `layer` is not one we can pipeline."""
    try:
        from channels_redis.pubsub import RedisPubSubChannelLayer
    except ImportError:
        return None
    if not isinstance(layer, RedisPubSubChannelLayer):
        return None
    inner = layer._get_layer()
    needed = ("_get_group_channel_name", "_get_shard", "channel_layer")
    return inner if all(hasattr(inner, name) for name in needed) else None


async def group_send_many(layer: Any, messages: list[tuple[str, dict[str, Any]]]) -> None:
    """`await layer.group_send(group, message)` for each (group, message), in this order."""
    inner = _pubsub_layer(layer)
    if inner is None:
        for group, message in messages:
            await layer.group_send(group, message)
        return
    runs: list[tuple[Any, list[tuple[str, bytes]]]] = []  # consecutive messages for the same shard
    for group, message in messages:
        channel = inner._get_group_channel_name(group)
        shard = inner._get_shard(channel)
        data = inner.channel_layer.serialize(message)
        if runs and runs[-1][0] is shard:
            runs[-1][1].append((channel, data))
        else:
            runs.append((shard, [(channel, data)]))
    for shard, items in runs:
        if len(items) == 1:
            await shard.publish(*items[0])
            continue
        async with shard._lock:  # as shard.publish does
            shard._ensure_redis()
            pipe = shard._redis.pipeline(transaction=False)
            for channel, data in items:
                pipe.publish(channel, data)
            await pipe.execute()
