"""`ws/notifications/`: the logged-in user's personal socket (group `user_<id>`) for live notifications.

Server -> client messages:
    {"type": "unread_count", "unread_count": n}                      on connect and after mark-read
    {"type": "notification", "notification": {...}, "unread_count": n} when a notification is created
    {"type": "pong", "server_time": iso}                              answer to {"type": "ping"}
    {"type": "event", "event": {"name": ..., ...}}                    a change the user's open pages refetch on
Anonymous sockets are accepted and closed at once with code 4401.
"""

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils import timezone

from notifications.live import user_group
from notifications.selectors import unread_count

UNAUTHENTICATED = 4401


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    group_name: str | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            # accept first so the client sees 4401 (not a bare handshake failure) and stops reconnecting
            await self.accept()
            await self.close(code=UNAUTHENTICATED)
            return
        self.group_name = user_group(user.pk)
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.accept()
        count = await database_sync_to_async(unread_count)(user=user)
        await self.send_json({"type": "unread_count", "unread_count": count})

    async def disconnect(self, code: int) -> None:
        if self.group_name:
            await self.channel_layer.group_discard(self.group_name, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong", "server_time": timezone.now().isoformat()})
        else:
            await self.send_json({"type": "error", "error": "Unknown message type"})

    async def dispatch(self, message: dict[str, Any]) -> None:
        # The user group is personal; a message type this consumer does not know must not kill the socket.
        handler = getattr(self, str(message.get("type", "")).replace(".", "_"), None)
        if handler is None and not str(message.get("type", "")).startswith("websocket."):
            return
        await super().dispatch(message)

    async def notification_created(self, event: dict[str, Any]) -> None:
        await self.send_json(
            {"type": "notification", "notification": event["notification"], "unread_count": event["unread_count"]}
        )

    async def notification_unread(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "unread_count", "unread_count": event["unread_count"]})

    async def user_event(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "event", "event": event["event"]})
