"""Settings for a real Celery worker started by a test: the test settings, with email through the SendGrid fake."""

import os

from config.settings.test import *  # noqa: F403
from config.settings.test import EMAIL_BACKEND as TEST_EMAIL_BACKEND

EMAIL_BACKEND = os.environ.get("WORKER_EMAIL_BACKEND", TEST_EMAIL_BACKEND)
