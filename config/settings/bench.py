"""Benchmarks (tests/load): the test settings (own database, Redis prefixes) with production's performance settings."""

from .test import *  # noqa: F403
from .test import DATABASES

# --- performance ------------------------------------------------------------------
# As in production: keep database connections between requests (the web process's threads are long-lived).
DATABASES["default"]["CONN_MAX_AGE"] = 60
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
