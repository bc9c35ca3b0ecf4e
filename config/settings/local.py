"""`make run`: SQLite, in-memory channel layer, filesystem broker, console email, local files, vendor sandboxes."""

import os

os.environ.setdefault("LOG_JSON", "false")
os.environ.setdefault("DEBUG", "true")

from .base import *  # noqa: E402,F403
from .base import BASE_DIR, STORAGES, TEMPLATES, env  # noqa: E402

DEBUG = env.bool("DEBUG", default=True)
# Links in emails and notifications point where `make run` serves (HOST and PORT; scripts/run-local.sh
# exports SITE_URL), not a fixed port: `PORT=8001 make run` must not send people to :8000.
_host = env("HOST", default="127.0.0.1")
_url_host = "127.0.0.1" if _host == "0.0.0.0" else _host  # noqa: S104 - a comparison, not a bind
SITE_URL = env("SITE_URL", default=f"http://{_url_host}:{env('PORT', default='8000')}")
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": env("SQLITE_PATH", default=str(BASE_DIR / "var" / "db.sqlite3")),
        # WAL with synchronous=NORMAL: far fewer fsyncs (the first `make run` applies ~130 migrations, each a
        # commit) and readers never wait for the worker's writes. A development database; durability after a
        # power cut is not a concern here.
        "OPTIONS": {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }
}

# Templates are read from disk on every request, so edits show without restarting the web server.
TEMPLATES = [
    {
        **TEMPLATES[0],
        "APP_DIRS": False,
        "OPTIONS": {
            **TEMPLATES[0]["OPTIONS"],  # type: ignore[dict-item]
            "loaders": ["django.template.loaders.filesystem.Loader", "django.template.loaders.app_directories.Loader"],
        },
    }
]

# Static files straight from the app folders (as in the browser tests): no collectstatic step, which spent most
# of a first `make run` compressing the API docs' bundles that nobody downloads compressed on localhost.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# The payment sandbox settles a charge after 2 minutes (Authorize.Net settles once a day), so a refund of a
# paid order can be tried in a `make run` session.
AUTHORIZE_NET_SANDBOX_SETTLE_SECONDS = env.int("AUTHORIZE_NET_SANDBOX_SETTLE_SECONDS", default=120)
