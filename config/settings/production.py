"""Production: every secret and endpoint must come from the environment; nothing has a default."""

from .base import *  # noqa: F403
from .base import DATABASES, env, mysql_options

DEBUG = False
SECRET_KEY = env("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
SITE_URL = env("SITE_URL")  # every link in emails and notifications starts with it (core/site_urls.py)
DATABASES["default"] = mysql_options(env.db("DATABASE_URL"))
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
# --- performance: a reused connection is checked once per request, so a dropped one is replaced, not an error
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if "replica" in DATABASES:  # DATABASE_REPLICA_URL (config/settings/base.py, core/replica.py)
    DATABASES["replica"].update(CONN_MAX_AGE=DATABASES["default"]["CONN_MAX_AGE"], CONN_HEALTH_CHECKS=True)
REDIS_URL = env("REDIS_URL")
if not ALLOWED_HOSTS:
    raise RuntimeError("ALLOWED_HOSTS must name at least one host in production")

EMAIL_BACKEND = env("EMAIL_BACKEND", default="anymail.backends.sendgrid.EmailBackend")
METRICS_PUBLIC = False
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# HTTPS-only cookies unless the environment says otherwise: the compose stack serves plain HTTP on localhost
# and sets both to false there (docs/operations.md "HTTPS and cookies").
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)  # one year
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
