"""`make run` (no Redis) runs the web process, a Celery worker and beat as separate processes: they must share
one cache, or a mark one process sets is never cleared by another (issue 16, item 4: the web process's
"snapshot refresh pending" mark outlived the worker's refresh, so cards and lists showed a price 30 s old)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# The web process's side: mark the refresh pending (as `snapshot_soon` does), let another process run the
# refresh's first step (clear the mark, as `snapshot_refresh` does), then the next bid must queue again.
WEB_PROCESS = """
import subprocess, sys, os
import django
django.setup()
from django.conf import settings
from auctions.services.after_commit import _process_cache
key = "auctions:snapshot-pending:424242"
cache = _process_cache()
cache.delete(key)
assert cache.add(key, 1, timeout=30), "first mark"
worker = subprocess.run([sys.executable, "-c", os.environ["WORKER_PROCESS"]], capture_output=True, text=True)
assert worker.returncode == 0, worker.stderr
print("backend", settings.CACHES["default"]["BACKEND"])
print("queued again", cache.add(key, 1, timeout=30))
cache.delete(key)
"""
WORKER_PROCESS = """
import django
django.setup()
from django.core.cache import cache
cache.delete("auctions:snapshot-pending:424242")
"""


def test_make_run_processes_share_one_cache(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "TEST_ISOLATION", "DATABASE_URL"}},
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "REDIS_URL": "",
        "CACHE_DIR": str(tmp_path / "cache"),
        "SQLITE_PATH": str(tmp_path / "db.sqlite3"),
        "WORKER_PROCESS": WORKER_PROCESS,
    }
    web = subprocess.run(
        [sys.executable, "-c", WEB_PROCESS], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert web.returncode == 0, web.stderr
    assert "backend django.core.cache.backends.filebased.FileBasedCache" in web.stdout
    assert "queued again True" in web.stdout, web.stdout
