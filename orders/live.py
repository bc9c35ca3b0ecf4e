"""Live updates of an order's page: group `order_<id>`, served by orders.consumers.OrderConsumer.

Any change a person looking at the order should see (a payment, a title or transport step, storage, a
payout) broadcasts `{"type": "order.changed", "order_id": id}` after commit; the page then reloads its live
parts (static/js/order_live.js). The message carries no data, so nobody learns anything from the socket that
the page would not show them.
"""

import asyncio
import threading

import structlog
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = structlog.get_logger(__name__)


def order_group(order_id: int) -> str:
    return f"order_{order_id}"


def broadcast_order_changed(order_id: int) -> None:
    """Best effort, after commit: a channel layer that is down must not fail the change itself."""
    try:
        layer = get_channel_layer()
        if layer is None:
            return
        send = async_to_sync(layer.group_send)
        message = {"type": "order.changed", "order_id": order_id}
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # the usual case: plain sync code, no loop in this thread
            send(order_group(order_id), message)
        else:  # a thread that runs an event loop: async_to_sync refuses to run here
            worker = threading.Thread(target=send, args=(order_group(order_id), message))
            worker.start()
            worker.join(timeout=10)
    except Exception:  # noqa: BLE001 - the page also refreshes itself periodically
        logger.exception("order.broadcast_failed", order_id=order_id)
