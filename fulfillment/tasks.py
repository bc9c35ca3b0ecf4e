"""Beat and follow-up tasks of fulfillment: thin, idempotent, each calls one service (BEAT_SCHEDULE in
config/celery.py says when and why)."""

from celery import shared_task

from fulfillment import services


@shared_task
def start_fulfillment(order_id: int) -> int | None:
    """Sent by orders after the payment that paid an order commits (settings.ORDER_PAID_TASKS)."""
    fulfillment = services.fulfillment_start(order_id=order_id)
    return fulfillment.pk if fulfillment else None


@shared_task
def start_paid_orders() -> int:
    return services.fulfillments_start_paid()


@shared_task
def render_bill_of_sale(order_id: int) -> int:
    from fulfillment.documents import bill_of_sale_for

    return bill_of_sale_for(order_id=order_id).pk


@shared_task
def title_document_reminders() -> int:
    return services.title_documents_sweep()


@shared_task
def accrue_storage() -> int:
    return services.storage_sweep()


@shared_task
def poll_transports() -> int:
    return services.transports_poll()


@shared_task
def sync_transport(guid: str) -> str:
    """Sent by the carrier webhook: fetch the order and apply it (outside the webhook's request)."""
    return services.transport_sync(guid=guid)


@shared_task
def book_paid_transports() -> int:
    return services.transport_payments_sweep() + services.transports_dispatch_paid()


@shared_task
def poll_titles() -> int:
    return services.titles_file_approved() + services.titles_poll()


@shared_task
def complete_orders() -> int:
    return services.fulfillments_complete_due()


@shared_task
def remind_payouts() -> int:
    return services.payouts_remind_staff()


@shared_task
def claims_seller_deadlines() -> int:
    """The claims' running deadlines: the seller's answer, and a vehicle return running late."""
    return services.claims_sweep() + services.claims_returns_sweep()


@shared_task
def settle_claim_refunds() -> int:
    return services.claims_settle_stalled()
