"""The Celery app. Every periodic task is declared here, in BEAT_SCHEDULE, and nowhere else."""

import os
from typing import Any

from celery import Celery
from celery.signals import before_task_publish, task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("auction")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Each entry: what it does and why that cadence. The DatabaseScheduler copies these into
# django-celery-beat's tables on start, so staff can see (and pause) them in the admin.
BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    # Proves beat and a worker are alive; /api/health reads its last run.
    "core-heartbeat": {"task": "core.tasks.heartbeat", "schedule": 30.0},
}
app.conf.beat_schedule = BEAT_SCHEDULE


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
