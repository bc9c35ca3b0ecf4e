"""`ws/orders/<id>/`: live updates of one order's page for its buyer, its seller and staff.

Server -> client: `{"type": "order_changed", "order_id": id}` whenever something on the page changed
(orders.live.broadcast_order_changed); the page then fetches itself again. Anyone else is closed with 4404
(the same answer for an order that does not exist), anonymous sockets with 4401.
"""

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from orders.live import order_group
from orders.models import Order

UNAUTHENTICATED = 4401
NOT_FOUND = 4404


def _may_watch(user: Any, order_id: int) -> bool:
    return Order.objects.visible_to(user).filter(pk=order_id).exists()


class OrderConsumer(AsyncJsonWebsocketConsumer):
    group_name: str | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        order_id = int(self.scope["url_route"]["kwargs"]["order_id"])
        await self.accept()
        if user is None or not user.is_authenticated:
            await self.close(code=UNAUTHENTICATED)
            return
        if not await database_sync_to_async(_may_watch)(user, order_id):
            await self.close(code=NOT_FOUND)
            return
        self.group_name = order_group(order_id)
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.send_json({"type": "subscribed", "order_id": order_id})

    async def disconnect(self, code: int) -> None:
        if self.group_name:
            await self.channel_layer.group_discard(self.group_name, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def order_changed(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "order_changed", "order_id": event["order_id"]})
