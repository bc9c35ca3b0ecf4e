"""What an offer change does once it has committed: notifications, live page updates, the order request.

A service collects them while it works (`Effects`) and hands them to `transaction.on_commit` once; nothing
here runs inside the transaction, and nothing here raises (the change already happened).
"""

import logging
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.urls import reverse

from offers.models import OfferThread

logger = logging.getLogger(__name__)

ORDER_TASK = "orders.tasks.create_order_for_offer"


def thread_path(thread_id: int) -> str:
    return reverse("offers:thread", args=[thread_id])


@dataclass
class Effects:
    notices: list[tuple[int, str, dict[str, Any], int]] = field(default_factory=list)
    changed: dict[int, tuple[int, int, int, int]] = field(default_factory=dict)
    orders: list[int] = field(default_factory=list)

    def notify(self, user_id: int, kind: str, thread: OfferThread, **context: Any) -> None:
        context.setdefault("vehicle", thread.vehicle.title)
        context.setdefault("url", thread_path(thread.pk))
        self.notices.append((user_id, kind, {k: str(v) for k, v in context.items() if v is not None}, thread.pk))

    def touch(self, thread: OfferThread) -> None:
        """Both sides' open pages refetch this thread."""
        self.changed[thread.pk] = (thread.buyer_id, thread.seller_id, thread.vehicle_id, thread.version)

    def order(self, thread_id: int) -> None:
        self.orders.append(thread_id)

    def on_commit(self) -> None:
        transaction.on_commit(self.run)

    def run(self) -> None:
        for thread_id in self.orders:
            request_order(thread_id)
        _send_notices(self.notices)
        for thread_id, (buyer_id, seller_id, vehicle_id, version) in self.changed.items():
            _push(buyer_id, seller_id, thread_id, vehicle_id, version)


def request_order(thread_id: int) -> None:
    """Ask the orders app (a higher layer, known here only by task name) to create the order now; if this
    fails, its beat sweep creates the order for every accepted offer without one within seconds."""
    from celery import current_app

    try:
        current_app.tasks[ORDER_TASK].delay(thread_id)
    except Exception:  # noqa: BLE001 - the beat sweep is the safety net
        logger.exception("could not request the order for offer thread %s", thread_id)


def _send_notices(notices: list[tuple[int, str, dict[str, Any], int]]) -> None:
    if not notices:
        return
    from accounts.models import User
    from notifications.services import notify

    users = {user.pk: user for user in User.objects.filter(pk__in={n[0] for n in notices})}
    for user_id, kind, context, thread_id in notices:
        try:
            notify(user=users.get(user_id), kind=kind, context=context, object_key=f"offer:{thread_id}")
        except Exception:  # noqa: BLE001 - a notification never undoes an offer change
            logger.exception("offer notification failed", extra={"kind": kind, "thread_id": thread_id})


def _push(buyer_id: int, seller_id: int, thread_id: int, vehicle_id: int, version: int) -> None:
    from notifications.live import push_event

    event = {"name": "offer_thread", "thread_id": thread_id, "vehicle_id": vehicle_id, "version": version}
    for user_id in (buyer_id, seller_id):
        push_event(user_id, event)
