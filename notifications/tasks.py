"""Celery tasks of the notifications domain: thin, idempotent, take ids."""

from typing import Any

from celery import shared_task

from notifications.delivery import TransientEmailError, email_deliveries_sweep, email_delivery_send


@shared_task(bind=True, acks_late=True, max_retries=None)
def send_email_delivery(self: Any, delivery_id: int) -> str:
    """Send one queued email. Safe to run twice: only the run that claims the row sends.

    Retries are bounded by the row's attempt count (NOTIFY_EMAIL_MAX_RETRIES), not by Celery, so a row the
    sweep re-schedules keeps its history and backoff.
    """
    try:
        return email_delivery_send(delivery_id=delivery_id)
    except TransientEmailError as exc:
        raise self.retry(exc=exc, countdown=exc.retry_in) from exc


@shared_task
def sweep_email_deliveries() -> int:
    return email_deliveries_sweep()
