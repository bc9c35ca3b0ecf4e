"""Tests: MariaDB through mysqlclient and Redis, as in production (STACK.md)."""

import os
import uuid

os.environ.setdefault("DATABASE_URL", "mysql://root:@127.0.0.1:3306/auction")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ.setdefault("LOG_JSON", "false")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# Several pytest-xdist workers (and developers) share one Redis: keep their groups, keys and queues apart, and
# each run's from the last one's (`make test` runs the browser journeys after the rest on the same worker
# names; a cached page fragment left by the first run must not answer the second). Child processes (the web server,
# Celery workers) are handed the parent's values as TEST_ISOLATION and CHANNEL_LAYER_PREFIX. A process
# without TEST_ISOLATION makes its own, layer prefix included: xdist workers inherit the controller's
# environment, and a layer's flush() (tests) deletes every key under its prefix, the rooms' watcher counts too.
_ISOLATION = os.environ.get("TEST_ISOLATION") or "{}-{}-{}".format(
    os.environ["DATABASE_URL"].rsplit("/", 1)[-1], os.environ.get("PYTEST_XDIST_WORKER", "main"), uuid.uuid4().hex[:8]
)
if "TEST_ISOLATION" in os.environ:
    os.environ.setdefault("CHANNEL_LAYER_PREFIX", f"asgi-{_ISOLATION}")
else:
    os.environ["CHANNEL_LAYER_PREFIX"] = f"asgi-{_ISOLATION}"

from .base import *  # noqa: E402,F403
from .base import CACHES, REST_FRAMEWORK  # noqa: E402

SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tests exercise throttling explicitly; defaults must not trip over suites that log in often.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {
        "anon": "10000/min",
        "user": "10000/min",
        "auth": "10000/min",
        "bids": "10000/min",
        "offers": "10000/min",
    },
}
AXES_ENABLED = os.environ.get("AXES_ENABLED", "false") == "true"
CACHES["default"]["KEY_PREFIX"] = _ISOLATION
CELERY_TASK_DEFAULT_QUEUE = f"celery-{_ISOLATION}"
CELERY_ORDERS_QUEUE = f"orders-{_ISOLATION}"
CELERY_TASK_ALWAYS_EAGER = os.environ.get("CELERY_TASK_ALWAYS_EAGER", "true") == "true"
# The web-server child of browser tests serves /static/ from the app folders without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
