"""ws/console/monitor/ — the live monitor's socket, for staff who may watch the monitor.

It listens to the auction rooms' own broadcasts (the groups `auctions.realtime` sends every bid, extension,
watcher count and close to) and to the console's group (new fraud flags), and forwards them as they are.
It never bids, never counts as a watcher, and adds nothing to the bid path. `?auction=<id>` listens to one
room (the drill-down); without it, every live auction, re-read every REFRESH_SECONDS for new ones.
"""

import asyncio
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from auctions import realtime
from backoffice.fraud import MONITOR_GROUP

REFRESH_SECONDS = 20.0


def _may_monitor(user: Any) -> bool:
    return bool(
        user is not None and user.is_authenticated and user.is_staff and user.has_perm("auctions.monitor_auction")
    )


def _live_ids() -> list[int]:
    from backoffice.monitor import live_auction_ids

    return live_auction_ids()


class MonitorConsumer(AsyncWebsocketConsumer):
    channel_layer_alias = realtime.ROOM_LAYER
    groups_joined: set[str]
    _refresher: "asyncio.Task[None] | None" = None

    async def connect(self) -> None:
        self.groups_joined = set()
        if not await database_sync_to_async(_may_monitor)(self.scope.get("user")):
            await self.close(code=4403)
            return
        query = parse_qs((self.scope.get("query_string") or b"").decode())
        auction = (query.get("auction") or [""])[0]
        if auction.isdigit():
            await self._join(realtime.room_group(int(auction)))
        else:
            await self._join(MONITOR_GROUP)
            await self._join_live()
            self._refresher = asyncio.ensure_future(self._keep_joining())
        await self.accept()  # after joining: nothing broadcast once the page is told it is live is missed

    async def _join(self, group: str) -> None:
        if group not in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.add(group)

    async def _join_live(self) -> None:
        for auction_id in await database_sync_to_async(_live_ids)():
            await self._join(realtime.room_group(auction_id))

    async def _keep_joining(self) -> None:
        while True:
            await asyncio.sleep(REFRESH_SECONDS)
            await self._join_live()

    async def disconnect(self, code: int) -> None:
        if self._refresher is not None:
            self._refresher.cancel()
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """The monitor only listens."""

    async def room_event(self, event: dict[str, Any]) -> None:
        await self.send(text_data=event["text"])

    async def room_typing(self, event: dict[str, Any]) -> None:
        """Typing indicators are not the monitor's business."""
