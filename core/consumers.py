"""Site-wide socket: server time for countdown sync, and site announcements (group `site`)."""

from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils import timezone

SITE_GROUP = "site"


class SiteConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        await self.channel_layer.group_add(SITE_GROUP, self.channel_name)
        await self.accept()
        await self.send_json({"type": "connection_response", "server_time": timezone.now().isoformat()})

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(SITE_GROUP, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong", "server_time": timezone.now().isoformat()})
        else:
            await self.send_json({"type": "error", "error": "Unknown message type"})

    async def site_announcement(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "announcement", "message": event["message"]})
