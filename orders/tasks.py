"""Beat tasks for orders: thin, idempotent, safe to run on several workers at once.

The order-creation tasks run on the orders queue (settings.CELERY_ORDERS_QUEUE, routed in config/celery.py),
consumed by worker processes of their own, so a burst of them never delays the closer."""

from celery import shared_task

from orders import payments, services


@shared_task
def create_orders_for_won_auctions() -> int:
    """The sweep: an order for every won auction (in bulk) and every accepted offer that has none."""
    from orders.sources import orders_create_for_accepted_offers, orders_create_for_won_auctions

    return orders_create_for_won_auctions() + orders_create_for_accepted_offers()


@shared_task
def create_order_for_auction(auction_id: int) -> int | None:
    from orders.sources import order_create_for_auction

    order = order_create_for_auction(auction_id=auction_id)
    return order.pk if order else None


@shared_task(ignore_result=True)
def create_orders_for_auctions(auction_ids: list[int]) -> int:
    """Asked for by the auction closer once per batch of closes (one message, not one per auction); the batch's
    orders are created in bulk, in one transaction (orders.services.orders_create)."""
    from orders.sources import orders_create_for_auctions

    return orders_create_for_auctions(auction_ids=auction_ids)


@shared_task
def create_order_for_offer(thread_id: int) -> int | None:
    """Asked for by the offers app (by task name) right after an acceptance commits."""
    from orders.sources import order_create_for_offer

    order = order_create_for_offer(thread_id=thread_id)
    return order.pk if order else None


@shared_task
def apply_late_fees() -> int:
    return services.orders_apply_late_fees()


@shared_task
def flag_cancellable_orders() -> int:
    return services.orders_flag_cancellable()


@shared_task
def reconcile_unknown_payments() -> int:
    return payments.payments_reconcile_unknown()
