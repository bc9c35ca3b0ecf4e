"""The Celery app. Every periodic task is declared here, in BEAT_SCHEDULE, and nowhere else."""

import os
from typing import Any

from celery import Celery
from celery.signals import beat_init, before_task_publish, task_postrun, task_prerun, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("auction")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Order creation has a queue of its own (settings.CELERY_ORDERS_QUEUE), consumed by worker processes of its
# own: docker-compose's `orders-worker`, scripts/run-local.sh, tests/scale/stack.py, tests/load/bench_close.py.
# A burst of closes queues thousands of orders; the closer (`close_due_auctions`, default queue) must never
# wait behind them, and closes never wait for their orders (the order task is sent after the close commits).
ORDER_CREATION_TASKS = frozenset(
    {
        "orders.tasks.create_order_for_auction",
        "orders.tasks.create_orders_for_auctions",
        "orders.tasks.create_order_for_offer",
        "orders.tasks.create_orders_for_won_auctions",
    }
)


def route_task(name: str, *_: Any, **__: Any) -> dict[str, str] | None:
    """Celery's router: order creation to its queue; everything else to the default queue."""
    if name in ORDER_CREATION_TASKS:
        from django.conf import settings

        return {"queue": settings.CELERY_ORDERS_QUEUE}
    return None


app.conf.task_routes = (route_task,)

# Each entry: what it does and why that cadence. The DatabaseScheduler copies these into
# django-celery-beat's tables on start, so staff can see (and pause) them in the admin.
BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    # Proves beat and a worker are alive; /api/health reads its last run.
    "core-heartbeat": {"task": "core.tasks.heartbeat", "schedule": 30.0},
    # accounts: ID checks still pending 10 minutes after they started are fetched from Persona, in case
    # a webhook was lost; every 5 minutes keeps the delay short and Persona's rate limit far away.
    "accounts-poll-pending-identity-checks": {
        "task": "accounts.tasks.poll_pending_identity_checks",
        "schedule": 300.0,
    },
    # auctions: close due auctions. Every 2 s so a close lands within seconds of `ends_at`; each run
    # claims rows with SKIP LOCKED + a conditional UPDATE, so overlapping runs and several workers are safe.
    "auctions-close-due": {"task": "auctions.tasks.close_due_auctions", "schedule": 2.0},
    # auctions: scheduled -> live at `starts_at` (a bid also starts one); 5 s is the visible delay at most.
    "auctions-start-due": {"task": "auctions.tasks.start_due_auctions", "schedule": 5.0},
    # auctions: reserve-not-met auctions end unsold when the seller's 24 hours pass; a minute is precise enough.
    "auctions-expire-seller-decisions": {"task": "auctions.tasks.expire_seller_decisions", "schedule": 60.0},
    # auctions: a suspended or deactivated bidder's bids on open auctions are voided right after the suspension
    # (accounts starts the task); this sweep catches a lost task message or a bid that raced the suspension.
    # The close itself never awards an ineligible leader, so 30 s only bounds what the room shows.
    "auctions-void-bids-of-ineligible-users": {
        "task": "auctions.tasks.void_bids_of_ineligible_users",
        "schedule": 30.0,
    },
    # auctions: outbid notices queued in Redis by the bid path are sent by a task the first notice of a burst
    # queues; this entry only covers a lost task message.
    "auctions-send-queued-notifications": {"task": "auctions.tasks.send_queued_notifications", "schedule": 30.0},
    # offers: end open threads whose amount expired (48 h; 24 h for a counter to the high bid), whose vehicle's
    # auction started (offers close while bidding runs) or whose vehicle sold. Every 15 s so a buyer hears soon
    # after an auction starts; each thread is settled under its vehicle's lock, so overlapping runs are harmless.
    "offers-settle-due-threads": {"task": "offers.tasks.settle_due_threads", "schedule": 15.0},
    # offers: the 12-hour reminder to the side whose turn it is; claimed per amount with a conditional UPDATE,
    # and 5 minutes late at most is fine for a reminder.
    "offers-send-reminders": {"task": "offers.tasks.send_offer_reminders", "schedule": 300.0},
    # orders: a won auction or an accepted offer gets its order within seconds even if the worker that asked
    # for it died (the claim is the unique constraint per source, so overlapping runs are harmless).
    "orders-create-for-won-auctions": {"task": "orders.tasks.create_orders_for_won_auctions", "schedule": 15.0},
    # orders: late fee once past the 3-business-day due date; hourly is precise enough for a fee.
    "orders-apply-late-fees": {"task": "orders.tasks.apply_late_fees", "schedule": 3600.0},
    # orders: flag unpaid orders past 5 business days for staff to cancel.
    "orders-flag-cancellable": {"task": "orders.tasks.flag_cancellable_orders", "schedule": 3600.0},
    # orders: settle charges whose gateway outcome was unknown (timeouts) within the duplicate window.
    "orders-reconcile-unknown-payments": {"task": "orders.tasks.reconcile_unknown_payments", "schedule": 60.0},
    # fulfillment: start the title and vehicle tracks of every paid order that has none (orders also sends the
    # start task right after the payment commits; this covers a lost task message). Idempotent per order.
    "fulfillment-start-paid-orders": {"task": "fulfillment.tasks.start_paid_orders", "schedule": 30.0},
    # fulfillment: title document reminders to the seller at business days 1 and 2, then lateness (seller, buyer
    # and staff told once); every 15 minutes keeps a reminder within a quarter hour of its day.
    "fulfillment-title-document-reminders": {"task": "fulfillment.tasks.title_document_reminders", "schedule": 900.0},
    # fulfillment: decide the storage days that ended (charged, or waived for the seller's lateness / a vehicle not
    # released); storage is counted in whole days, so hourly is enough. Each day is decided once.
    "fulfillment-accrue-storage": {"task": "fulfillment.tasks.accrue_storage", "schedule": 3600.0},
    # fulfillment: ask the carrier network about open transports in case a webhook was lost; 2 minutes shows a
    # step soon without coming near the vendor's limits (the sandbox moves a step a minute).
    "fulfillment-poll-transports": {"task": "fulfillment.tasks.poll_transports", "schedule": 120.0},
    # fulfillment: transports paid but not booked (carrier network down, payment confirmed late) get booked.
    "fulfillment-book-paid-transports": {"task": "fulfillment.tasks.book_paid_transports", "schedule": 60.0},
    # fulfillment: file approved title transfers the title service did not take yet, and ask it about transfers in
    # progress in case a webhook was lost.
    "fulfillment-poll-titles": {"task": "fulfillment.tasks.poll_titles", "schedule": 120.0},
    # fulfillment: complete orders whose claim window passed and release the seller's proceeds (the hold check
    # decides); every 10 minutes is prompt for a 7-day window.
    "fulfillment-complete-orders": {"task": "fulfillment.tasks.complete_orders", "schedule": 600.0},
    # fulfillment: remind staff once a day of each released payout past its due date.
    "fulfillment-remind-payouts": {"task": "fulfillment.tasks.remind_payouts", "schedule": 3600.0},
    # fulfillment (claims): a seller who did not answer a claim within 2 business days hands it to staff; 15
    # minutes is well inside a deadline counted in days.
    "fulfillment-claims-seller-deadlines": {"task": "fulfillment.tasks.claims_seller_deadlines", "schedule": 900.0},
    # fulfillment (claims): decisions whose refunds did not finish (the process died, or the processor had not
    # answered) are resumed with the same idempotency keys and settled.
    "fulfillment-settle-claim-refunds": {"task": "fulfillment.tasks.settle_claim_refunds", "schedule": 120.0},
    # notifications: re-send emails whose task was lost (broker outage) or whose worker died mid-send;
    # each row is claimed with a conditional UPDATE, so a re-send never duplicates a sent email.
    "notifications-sweep-email-deliveries": {"task": "notifications.tasks.sweep_email_deliveries", "schedule": 60.0},
    # vehicles (finding): saved-search matching for vehicles whose after-commit task was lost; instant alerts
    # promise "within a minute", so 30 s leaves room for the match itself.
    "vehicles-match-pending-saved-searches": {"task": "vehicles.tasks.match_pending_vehicles", "schedule": 30.0},
    # vehicles (finding): daily-digest saved searches whose 24 hours have passed; each is claimed with a
    # conditional UPDATE, so 10 minutes of lateness at most and overlapping runs are harmless.
    "vehicles-saved-search-digests": {"task": "vehicles.tasks.send_saved_search_digests", "schedule": 600.0},
    # auctions (finding): watchlist alerts and "5 minutes left, not leading"; 15 s keeps the last-five-minutes
    # alert timely. Alerts are unique rows, so overlapping runs never send one twice.
    "auctions-send-watch-alerts": {"task": "auctions.tasks.send_watch_alerts", "schedule": 15.0},
    # auctions (finding): results of ended auctions whose after-commit copy to the vehicle was lost.
    "auctions-record-sale-results": {"task": "auctions.tasks.record_sale_results", "schedule": 300.0},
    # backoffice: fraud flags for newly accepted bids (shared IP, device or card with the seller; bid-up
    # pattern). Reads bids past a cursor, so every bid is checked once; 5 s keeps the monitor current
    # without touching the bid path. Flags never block anyone.
    "backoffice-scan-new-bids": {"task": "backoffice.tasks.scan_new_bids", "schedule": 5.0},
}
# A periodic task is a sweep: one that no worker started within its own period is dropped on arrival (the next
# run does the same work), so a busy or paused worker never meets a backlog of stale sweeps ahead of the
# event tasks (notices, emails, orders). django_celery_beat's DatabaseScheduler reads `expire_seconds`.
for _entry in BEAT_SCHEDULE.values():
    if isinstance(_entry["schedule"], int | float):
        _entry.setdefault("options", {}).setdefault("expire_seconds", max(2, int(_entry["schedule"])))
app.conf.beat_schedule = BEAT_SCHEDULE


@worker_process_init.connect
def _worker_process_started(**_: Any) -> None:
    """Each worker process: tracing (when OTEL_EXPORTER_OTLP_ENDPOINT is set) and, when CELERY_METRICS_PORT is set,
    its own Prometheus endpoint on that port + the process' index (0, 1, …; observability/prometheus.yml)."""
    from core import tracing

    tracing.setup_tracing("worker")
    from billiard.process import current_process

    from core.metrics import serve_on_port

    serve_on_port("CELERY_METRICS_PORT", offset=int(getattr(current_process(), "index", 0) or 0))


@beat_init.connect
def _beat_started(**_: Any) -> None:
    from core import tracing

    tracing.setup_tracing("beat")


@before_task_publish.connect
def _attach_request_id(headers: dict[str, Any] | None = None, **_: Any) -> None:
    """Carry the web request's id into the task so its log lines can be joined to it."""
    from core.request_id import current_request_id

    request_id = current_request_id()
    if headers is not None and request_id:
        headers["request_id"] = request_id


@task_prerun.connect
def _bind_request_id(task: Any = None, **_: Any) -> None:
    import structlog

    request_id = getattr(task.request, "request_id", None) if task else None
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(task=getattr(task, "name", None), request_id=request_id)


@task_postrun.connect
def _unbind_request_id(**_: Any) -> None:
    import structlog

    structlog.contextvars.clear_contextvars()
