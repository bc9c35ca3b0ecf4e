"""Settings for the Celery worker the Redis-restart test starts: the test settings plus a task that holds a
message while Redis goes away (tests/hardening/worker_tasks.py)."""

from config.settings.test import *  # noqa: F403

CELERY_IMPORTS = ["tests.hardening.worker_tasks"]
