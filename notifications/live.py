"""Live push to a user's personal socket group (`user_<id>`), served by consumers.NotificationConsumer.

Group messages (channel-layer "type" -> consumer handler):
    notification.created  {"notification": {...}, "unread_count": n}
    notification.unread   {"unread_count": n}       (after mark-read, so every open tab agrees)
    user.event            {"event": {"name": ..., ...}}   a domain change the user's open pages may refetch on
                                                          (e.g. an offer thread moved); sent whatever the user's
                                                          notification preferences, never stored
"""

import asyncio
import threading
from typing import Any

import structlog
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from notifications.models import Notification

logger = structlog.get_logger(__name__)


def user_group(user_id: int) -> str:
    return f"user_{user_id}"


def serialize_notification(notification: Notification) -> dict[str, Any]:
    return {
        "id": notification.pk,
        "kind": notification.kind,
        "title": notification.title,
        "body": notification.body,
        "url": notification.url,
        "created_at": notification.created_at.isoformat(),
        "read_at": notification.read_at.isoformat() if notification.read_at else None,
        "is_read": notification.is_read,
    }


def _group_send(user_id: int, message: dict[str, Any]) -> None:
    """Best effort: a dead channel layer must never break the action that caused the notification."""
    try:
        layer = get_channel_layer()
        if layer is None:
            return
        send = async_to_sync(layer.group_send)
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # the usual case: plain sync code, no loop in this thread
            send(user_group(user_id), message)
        else:  # called from a thread that runs an event loop: async_to_sync refuses to run here
            worker = threading.Thread(target=send, args=(user_group(user_id), message))
            worker.start()
            worker.join(timeout=10)
    except Exception:
        logger.exception("notifications.push_failed", user_id=user_id, type=message.get("type"))


def push_created(notification: Notification, *, unread_count: int) -> None:
    _group_send(
        notification.user_id,
        {
            "type": "notification.created",
            "notification": serialize_notification(notification),
            "unread_count": unread_count,
        },
    )


def push_unread_count(user_id: int, *, unread_count: int) -> None:
    _group_send(user_id, {"type": "notification.unread", "unread_count": unread_count})


def push_event(user_id: int, event: dict[str, Any]) -> None:
    """Tell the user's open pages that something they show changed (`event["name"]` says what, e.g.
    "offer_thread", with ids): pages listen for it and refetch. Best effort, like every push here."""
    _group_send(user_id, {"type": "user.event", "event": event})
