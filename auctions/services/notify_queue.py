"""Notifications from the bid path, queued in Redis and sent by one task per burst.

In a bidding war every accepted bid can outbid someone, and a Celery task message per notice cost more
CPU than the bid itself. Here each notice is one RPUSH onto a Redis list; the push that finds the list
empty also queues `auctions.tasks.send_queued_notifications` a moment later, which takes the whole list at
once (LRANGE + LTRIM in one MULTI) and sends each notice as before (`after_commit.notify_now`: an in-app
entry, email coalesced by the notifications app). Every notice is still sent, once. A beat entry runs the
same task every 30 s, so a lost task message (a worker killed in between) only delays the queued notices.
Without Redis (`make run`) the caller falls back to one task per notice.
"""

import json
import logging
from typing import Any

from core.shared_redis import redis_key, shared_redis

logger = logging.getLogger(__name__)

QUEUE = "auctions:notify-queue"
SEND_AFTER_SECONDS = 1
TAKE_AT_MOST = 1000


def queue_key() -> str:
    return redis_key(QUEUE)


def push(notices: list[tuple[int, str, dict[str, Any], int]]) -> bool:
    """Queue (user_id, kind, context, auction_id) notices; False when there is no Redis (send them directly)."""
    client = shared_redis()
    if client is None or not notices:
        return client is not None
    try:
        length = client.rpush(queue_key(), *(json.dumps(notice) for notice in notices))
    except Exception:  # noqa: BLE001 - Redis down: the caller sends directly
        logger.warning("notification queue unavailable; sending directly", exc_info=True)
        return False
    if length == len(notices):  # the list was empty: nobody has asked for a send yet
        from auctions.tasks import send_queued_notifications

        try:
            send_queued_notifications.apply_async(countdown=SEND_AFTER_SECONDS)
        except Exception:  # noqa: BLE001 - the beat entry sends them within 30 s
            logger.exception("could not queue the notification sender")
    return True


def send_queued() -> int:
    """Send every queued notice (the task); returns how many."""
    from auctions.services.after_commit import notify_now

    client = shared_redis()
    if client is None:
        return 0
    sent = 0
    while True:
        pipe = client.pipeline(transaction=True)
        pipe.lrange(queue_key(), 0, TAKE_AT_MOST - 1)
        pipe.ltrim(queue_key(), TAKE_AT_MOST, -1)
        taken, _ = pipe.execute()
        for raw in taken:
            user_id, kind, context, auction_id = json.loads(raw)
            notify_now(user_id, kind, context, auction_id)
        sent += len(taken)
        if len(taken) < TAKE_AT_MOST:
            return sent
