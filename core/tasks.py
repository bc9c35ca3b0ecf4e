from celery import shared_task
from django.core.cache import cache
from django.utils import timezone


@shared_task
def heartbeat() -> str:
    """Record that a worker ran a beat-scheduled task; health checks read it."""
    stamp = timezone.now().isoformat()
    cache.set("celery:heartbeat", stamp, timeout=600)
    return stamp


@shared_task(ignore_result=False)
def ping() -> str:
    """A worker's answer, waited for (tests/test_infrastructure.py): the one task that keeps its result."""
    return "pong"
