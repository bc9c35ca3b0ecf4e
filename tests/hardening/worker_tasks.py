"""A task for the Redis-restart test: it touches a marker file, holds its (late-acknowledged) message for a
while, then finishes."""

import time
from pathlib import Path

from celery import shared_task


@shared_task
def hold(seconds: float, marker: str) -> str:
    Path(marker).touch()
    time.sleep(seconds)
    return "held"
