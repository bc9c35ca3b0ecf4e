"""Beat tasks for offers: thin, idempotent, safe to run on several workers at once."""

from celery import shared_task

from offers import services


@shared_task(ignore_result=True)
def settle_due_threads() -> int:
    """End open threads that expired, whose vehicle's auction started or whose vehicle sold (claim-style)."""
    return services.offers_settle_due()


@shared_task(ignore_result=True)
def send_offer_reminders() -> int:
    """Remind the side whose turn it is 12 hours before an amount expires (once per amount)."""
    return services.offers_remind_due()
