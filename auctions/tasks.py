"""Beat-driven auction work: thin, idempotent, safe to run on several workers at once."""

from typing import Any

from celery import shared_task

from auctions import services


@shared_task(ignore_result=True)
def close_due_auctions() -> int:
    """Close every auction whose end has passed (including any that came due while nothing ran)."""
    return services.auction_close_due()


@shared_task(ignore_result=True)
def start_due_auctions() -> int:
    """Scheduled auctions whose start has passed go live (a bid would also start one)."""
    return services.auction_start_due()


@shared_task(ignore_result=True)
def expire_seller_decisions() -> int:
    """Reserve-not-met auctions whose 24 hours to decide have passed end unsold."""
    return services.auction_expire_decisions()


@shared_task(ignore_result=True)
def notify_user(user_id: int, kind: str, context: dict[str, Any], auction_id: int) -> None:
    """Outbid / won / lost / seller notices, sent after the auction change committed."""
    from auctions.services.after_commit import notify_now

    notify_now(user_id, kind, context, auction_id)


@shared_task(ignore_result=True)
def send_queued_notifications() -> int:
    """Outbid notices queued by the bid path (services/notify_queue.py), sent together; also on beat."""
    from auctions.services.notify_queue import send_queued

    return send_queued()


@shared_task(ignore_result=True)
def refresh_snapshot(auction_id: int) -> None:
    """Copy an auction's latest visible state to its vehicle for inventory search (coalesced per auction)."""
    from auctions.services.after_commit import snapshot_refresh

    snapshot_refresh(auction_id)


@shared_task(ignore_result=True)
def record_sale_results() -> int:
    """Beat: ended auctions whose result is not yet on the vehicle (Results page) are recorded."""
    from auctions.services.sale_results import record_recent_sale_results

    return record_recent_sale_results()


@shared_task(ignore_result=True)
def send_watch_alerts() -> int:
    """Beat: watchlist alerts (started, ending within an hour, buy-now/reserve changed, relisted) and
    "you are no longer leading and 5 minutes are left" (auctions/alerts.py)."""
    from auctions.alerts import watch_alerts_scan

    return watch_alerts_scan()


@shared_task(ignore_result=True)
def void_bids_of_suspended_user(user_id: int) -> int:
    """After a suspension commits (settings.ACCOUNT_SUSPENDED_TASKS): the bidder's bids on open auctions go."""
    return services.void_bids_of_ineligible_user(user_id=user_id)


@shared_task(ignore_result=True)
def void_bids_of_ineligible_users() -> int:
    """Beat safety net for the task above (a lost message, a bid read just before the suspension committed)."""
    return services.ineligible_bids_void_sweep()
