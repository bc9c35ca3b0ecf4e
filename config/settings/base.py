"""Settings shared by every environment; each value comes from the environment."""

from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="insecure-local-key-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
SITE_NAME = "North Star Auto Auctions"
# The brand's first words, all the navigation bar shows between 1200 and 1400 px wide (the rest stays in its name).
SITE_SHORT_NAME = "North Star"

INSTALLED_APPS = [
    "backoffice.apps.ConsoleAdminConfig",  # django.contrib.admin with the staff console's site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",  # the built-in widget templates, for FORM_RENDERER below
    "django.contrib.sites",
    "django.contrib.humanize",
    # third party
    "channels",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our static files: /api/docs/ works offline
    "django_filters",
    "corsheaders",
    "django_celery_beat",
    "django_prometheus",
    "anymail",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    "auditlog",
    # ours, lowest layer first
    "core",
    "notifications",
    "accounts",
    "vehicles",
    "auctions",
    "offers",
    "orders",
    "fulfillment",
    "backoffice",  # the staff console: above every domain app
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "core.middleware.RequestIdMiddleware",
    "core.middleware.RefuseTraceMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "axes.middleware.AxesMiddleware",
    "backoffice.middleware.DeviceIdMiddleware",
    "backoffice.middleware.ConsoleAuditMiddleware",
    "core.middleware.ApiErrorMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"
SITE_ID = 1

# Widgets render through TEMPLATES, so templates/ can override a widget's template (Django's documented way):
# templates/admin/widgets/split_datetime.html gives the admin's date and time inputs each a label.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.site",
                "accounts.context_processors.readiness",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}


def mysql_options(database: dict) -> dict:
    """MariaDB options from STACK.md: utf8mb4, READ COMMITTED, strict mode."""
    if "mysql" in database["ENGINE"]:
        database.setdefault("OPTIONS", {}).update(
            {
                "charset": "utf8mb4",
                "isolation_level": "read committed",
                "init_command": "SET sql_mode='STRICT_TRANS_TABLES'",
            }
        )
        database["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
    return database


mysql_options(DATABASES["default"])
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "America/Chicago"  # pages show Central time; storage and logic are UTC
USE_I18N = True
# The site's words for allauth's pages (sentence case, "Log in"), ahead of allauth's own English.
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media"))

# --- Files: local by default, S3 when a bucket is configured -----------------
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", default="")
AWS_S3_REGION_NAME = env("AWS_S3_REGION_NAME", default="us-east-1")
AWS_S3_ENDPOINT_URL = env("AWS_S3_ENDPOINT_URL", default=None)
AWS_S3_ADDRESSING_STYLE = env("AWS_S3_ADDRESSING_STYLE", default="auto")
AWS_ACCESS_KEY_ID = env("AWS_ACCESS_KEY_ID", default=None)
AWS_SECRET_ACCESS_KEY = env("AWS_SECRET_ACCESS_KEY", default=None)
AWS_DEFAULT_ACL = None
AWS_QUERYSTRING_AUTH = True
STORAGES = {
    "default": {
        "BACKEND": "storages.backends.s3.S3Storage"
        if AWS_STORAGE_BUCKET_NAME
        else "django.core.files.storage.FileSystemStorage"
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Redis, channels, cache -------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
CHANNEL_LAYER_CAPACITY = env.int("CHANNEL_LAYER_CAPACITY", default=5000)
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py 8 closes idle sockets after 5 s without these (STACK.md)
                "hosts": [{"address": REDIS_URL, "max_connections": 1000, "socket_timeout": 10}],
                # group messages beyond capacity are dropped silently; sized for a closing-minute burst
                "capacity": CHANNEL_LAYER_CAPACITY,
                "expiry": 60,
                "prefix": env("CHANNEL_LAYER_PREFIX", default="asgi"),
            },
        }
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    # Without Redis (`make run`) the web process, the Celery worker and beat still share one cache: a
    # per-process memory cache kept each process's marks to itself (the listing snapshot's "refresh
    # pending" mark set by the web process was never cleared by the worker, so cards showed a 30 s old
    # price; the payment sandbox's transactions were unknown to the worker). Files in var/cache are shared.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": env("CACHE_DIR", default=str(BASE_DIR / "var" / "cache")),
        }
    }

# --- Celery -----------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://localhost//")
CELERY_RESULT_BACKEND = env(
    "CELERY_RESULT_BACKEND", default=REDIS_URL or f"file://{BASE_DIR / 'var' / 'celery' / 'results'}"
)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Order creation runs on a queue of its own, consumed by worker processes of its own (config/celery.py routes
# it; docs/SCALING.md): a burst of closes never waits behind the orders it causes. The rest: the default queue.
CELERY_ORDERS_QUEUE = env("CELERY_ORDERS_QUEUE", default="orders")
# Tasks are fire-and-forget: nobody waits for a result (`core.tasks.ping` keeps its own, for the health
# check's worker test). A stored result also made every send subscribe to it on the result backend, which,
# with Redis down, retried for ~20 s inside the sender (a bid's after-commit notification, say).
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 120
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Redis restarts (docs/operations.md): worker and beat reconnect by themselves, at start too, for as long as it
# takes (the default gives up after 100 tries, some tens of minutes, and the worker exits).
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
if CELERY_BROKER_URL.startswith("filesystem://"):
    _celery_dir = Path(env("CELERY_FILESYSTEM_DIR", default=str(BASE_DIR / "var" / "celery")))
    for _sub in ("out", "processed", "results", "control"):
        (_celery_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_celery_dir / "out"),
        "data_folder_out": str(_celery_dir / "out"),
        "data_folder_processed": str(_celery_dir / "processed"),
        "control_folder": str(_celery_dir / "control"),
        # The worker looks for new tasks 4 times a second (kombu's default is once), so a bid's listing
        # snapshot refresh (1 s countdown) reaches the cards within about 2 s under `make run`.
        "polling_interval": 0.25,
    }

# --- Email ------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="North Star Auto Auctions <no-reply@northstar.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
STAFF_ALERT_EMAIL = env("STAFF_ALERT_EMAIL", default="staff@northstar.example")
ANYMAIL = {
    "SENDGRID_API_KEY": env("SENDGRID_API_KEY", default=""),
    "SENDGRID_API_URL": env("SENDGRID_API_URL", default="https://api.sendgrid.com/v3/"),
    "SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY": env("SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY", default=None),
}
# A signed tracking post older than this is refused (notifications.email_tracking), as Persona's are.
SENDGRID_WEBHOOK_TOLERANCE_SECONDS = env.int("SENDGRID_WEBHOOK_TOLERANCE_SECONDS", default=300)
SILENCED_SYSTEM_CHECKS = ["anymail.W003", "models.W036"]

# --- allauth / axes --------------------------------------------------------
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_ADAPTER = "accounts.allauth_adapter.AccountAdapter"  # links in its emails from SITE_URL
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_CHANGE_EMAIL = True
LOGIN_REDIRECT_URL = "/"
# One path to "ready to bid" (docs/accounts.md): confirming the email in the browser that signed up signs
# in and continues where the sign-up was going (its ?next=, else the checklist); elsewhere, the login page
# continues to the checklist.
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_SIGNUP_REDIRECT_URL = "/account/ready/"
ACCOUNT_EMAIL_CONFIRMATION_ANONYMOUS_REDIRECT_URL = "/accounts/login/?next=/account/ready/"
LOGIN_URL = "/accounts/login/"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
# Failed log-ins: one policy for every door (docs/accounts.md "Failed log-ins", accounts/login_guard.py). An
# (account, address) pair locks after AXES_FAILURE_LIMIT failures; an address after LOGIN_ADDRESS_FAILURE_LIMIT
# over any accounts; an account is only slowed (never locked) for addresses it never logged in from.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=8)
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "accounts.login_guard.login_email"
AXES_HANDLER = "accounts.login_guard.LoginGuardHandler"
AXES_LOCKOUT_CALLABLE = "accounts.login_guard.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # a refused try is not a failure: the lock does not grow
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("LOGIN_ADDRESS_FAILURE_LIMIT", default=30)
LOGIN_ACCOUNT_SLOW_AFTER = env.int("LOGIN_ACCOUNT_SLOW_AFTER", default=20)
LOGIN_ACCOUNT_SLOW_SECONDS = env.int("LOGIN_ACCOUNT_SLOW_SECONDS", default=60)
LOGIN_KNOWN_ADDRESS_DAYS = env.int("LOGIN_KNOWN_ADDRESS_DAYS", default=30)
# allauth's own failed-login limit counts per email from every address (5 in 5 minutes locked an account for
# everyone) and only on its door: axes above is the one counter.
ACCOUNT_RATE_LIMITS = {"login_failed": None}

# --- API --------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.auth.FastJWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.DecimalJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.Pagination",
    "PAGE_SIZE": 24,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_METADATA_CLASS": "core.metadata.Metadata",  # OPTIONS never asks a serializer-less view for one (a 500)
    "DEFAULT_THROTTLE_CLASSES": ["core.throttles.Admit"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("THROTTLE_ANON", default="120/min"),
        "user": env("THROTTLE_USER", default="600/min"),
        "auth": env("THROTTLE_AUTH", default="20/min"),
        "bids": env("THROTTLE_BIDS", default="120/min"),
        # offers: writes (make, counter, accept, decline, withdraw) per user; a negotiation needs few
        "offers": env("THROTTLE_OFFERS", default="30/min"),
    },
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=15),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=7),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    # a password change (or reset) revokes every access token issued before it, on every door (core.auth)
    "CHECK_REVOKE_TOKEN": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "North Star Auto Auctions API",
    "DESCRIPTION": "Vehicle inventory, timed auctions, offers, orders and fulfillment. "
    'Errors are always {"error": message, "code": reason, "details": {...}}. Lists that can grow are pages '
    '{"count", "page", "pages", "next", "previous", "results"}; other successes are {"data": ..., "message"?}, '
    "with the exceptions docs/api.md lists.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "PREPROCESSING_HOOKS": ["core.schema.drop_trailing_slash_twins"],
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "OrderStatusEnum": "orders.models.Order.Status",
        "TitleDocumentKindEnum": "fulfillment.models.TitleDocument.Kind",
        "OfferKindEnum": "offers.models.OfferThread.Kind",
        "OfferStatusEnum": "offers.models.OfferThread.Status",
        "YesNoEnum": "vehicles.condition.YesNo",  # finding: drives and airbags_deployed share it
        "ClaimEventRoleEnum": "fulfillment.models_claims.ClaimEvent.Role",
        "OfferRoleEnum": ["buyer", "seller", "staff"],  # offers: the viewer's side of a thread
    },
}
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"

# --- Page composition ----------------------------------------------------------
# The vehicle page (vehicles app) shows panels that higher apps render, without importing them:
# each entry is a callable (request, vehicle) -> str of HTML, or "" when it has nothing to show.
VEHICLE_PAGE_PANELS = ["auctions.panels.vehicle_panel", "offers.panels.vehicle_panel"]
# The listing's pricing step (vehicles) and the seller's reserve-not-met decision (auctions) show what higher
# apps add there, the same way: callables (request, vehicle) / (request, auction) -> str of HTML.
VEHICLE_PRICING_PANELS = ["offers.panels.vehicle_pricing_panel"]
AUCTION_DECISION_PANELS = ["offers.panels.auction_decision_panel"]

# --- Observability ----------------------------------------------------------
METRICS_TOKEN = env("METRICS_TOKEN", default="")
METRICS_PUBLIC = env.bool("METRICS_PUBLIC", default=True)
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOG_JSON = env.bool("LOG_JSON", default=True)

from config.logging import build_logging  # noqa: E402

LOGGING = build_logging(json=LOG_JSON, level=LOG_LEVEL)

# --- Vendors (empty credentials select the built-in sandbox) ----------------
VENDOR_HTTP_TIMEOUT = env.float("VENDOR_HTTP_TIMEOUT", default=10.0)
AUTHORIZE_NET_LOGIN_ID = env("AUTHORIZE_NET_LOGIN_ID", default="")
AUTHORIZE_NET_TRANSACTION_KEY = env("AUTHORIZE_NET_TRANSACTION_KEY", default="")
AUTHORIZE_NET_CLIENT_KEY = env("AUTHORIZE_NET_CLIENT_KEY", default="")
AUTHORIZE_NET_SIGNATURE_KEY = env("AUTHORIZE_NET_SIGNATURE_KEY", default="")
AUTHORIZE_NET_API_URL = env("AUTHORIZE_NET_API_URL", default="https://apitest.authorize.net/xml/v1/request.api")
AUTHORIZE_NET_VALIDATION_MODE = env("AUTHORIZE_NET_VALIDATION_MODE", default="liveMode")
PERSONA_API_KEY = env("PERSONA_API_KEY", default="")
PERSONA_API_URL = env("PERSONA_API_URL", default="https://api.withpersona.com/api/v1")
PERSONA_TEMPLATE_ID = env("PERSONA_TEMPLATE_ID", default="")
PERSONA_WEBHOOK_SECRET = env("PERSONA_WEBHOOK_SECRET", default="")
PERSONA_HOSTED_URL = env("PERSONA_HOSTED_URL", default="https://inquiry.withpersona.com/verify")
CLEARVIN_EMAIL = env("CLEARVIN_EMAIL", default="")
CLEARVIN_PASSWORD = env("CLEARVIN_PASSWORD", default="")
CLEARVIN_API_URL = env("CLEARVIN_API_URL", default="https://www.clearvin.com/rest/vendor")
VPIC_API_URL = env("VPIC_API_URL", default="https://vpic.nhtsa.dot.gov/api/vehicles")
VPIC_ENABLED = env.bool("VPIC_ENABLED", default=True)
SUPER_DISPATCH_CLIENT_ID = env("SUPER_DISPATCH_CLIENT_ID", default="")
SUPER_DISPATCH_CLIENT_SECRET = env("SUPER_DISPATCH_CLIENT_SECRET", default="")
SUPER_DISPATCH_API_URL = env("SUPER_DISPATCH_API_URL", default="https://api.staging.shipper.superdispatch.org")
TITLE_TRANSFER_API_KEY = env("TITLE_TRANSFER_API_KEY", default="")
TITLE_TRANSFER_API_URL = env("TITLE_TRANSFER_API_URL", default="")
TITLE_TRANSFER_WEBHOOK_SECRET = env("TITLE_TRANSFER_WEBHOOK_SECRET", default="")
OPENAI_API_KEY = env("OPENAI_API_KEY", default="")
OPENAI_BASE_URL = env("OPENAI_BASE_URL", default=None)
OPENAI_MODEL = env("OPENAI_MODEL", default="gpt-4o-mini")

# --- vehicles ------------------------------------------------------------------
VEHICLE_PHOTO_MAX_BYTES = env.int("VEHICLE_PHOTO_MAX_BYTES", default=15 * 1024 * 1024)
VEHICLE_PHOTO_MIN_SIZE = (400, 300)  # width, height in pixels
VEHICLE_PHOTO_MAX_PIXELS = 60_000_000  # refuses decompression bombs before decoding
VEHICLE_MAX_PHOTOS = env.int("VEHICLE_MAX_PHOTOS", default=40)
VEHICLE_DOCUMENT_MAX_BYTES = env.int("VEHICLE_DOCUMENT_MAX_BYTES", default=20 * 1024 * 1024)
VEHICLE_UPLOAD_TTL_SECONDS = 900
# Private documents when files are local (`make run`); with S3 they live in the bucket, served by signed URL.
VEHICLE_PRIVATE_MEDIA_ROOT = env.path("VEHICLE_PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "var" / "private"))
# Extra document readers: dotted callables (user, vehicle) -> bool; orders adds "the buyer after a sale".
VEHICLE_DOCUMENT_ACCESS_CHECKS = ["orders.selectors.buyer_may_read_vehicle_documents"]
VIN_DECODE_CACHE_DAYS = env.int("VIN_DECODE_CACHE_DAYS", default=90)

# --- accounts -----------------------------------------------------------------
# Vendor calls are bounded by these (seconds); a slow vendor means "try again", never a hung page.
AUTHORIZE_NET_TIMEOUT = env.float("AUTHORIZE_NET_TIMEOUT", default=VENDOR_HTTP_TIMEOUT)
PERSONA_TIMEOUT = env.float("PERSONA_TIMEOUT", default=VENDOR_HTTP_TIMEOUT)
# Accept.js comes from Authorize.Net itself (it must); production uses https://js.authorize.net/v1/Accept.js.
AUTHORIZE_NET_ACCEPT_JS_URL = env("AUTHORIZE_NET_ACCEPT_JS_URL", default="https://jstest.authorize.net/v1/Accept.js")
PERSONA_WEBHOOK_TOLERANCE_SECONDS = env.int("PERSONA_WEBHOOK_TOLERANCE_SECONDS", default=300)
PERSONA_ENVIRONMENT_ID = env("PERSONA_ENVIRONMENT_ID", default="")
# Inquiries still pending this long are polled by the beat task accounts.tasks.poll_pending_identity_checks.
IDENTITY_POLL_AFTER_MINUTES = env.int("IDENTITY_POLL_AFTER_MINUTES", default=10)
# The user dashboard and public profile, composed without accounts importing higher apps: each entry
# is a dotted callable (user) -> dict[str, int]; later entries add to or override earlier ones.
USER_DASHBOARD_COUNTERS = [
    "accounts.dashboard.listing_counters",
    "vehicles.selectors.dashboard_counters",
    "auctions.selectors.dashboard_counts",
    "orders.selectors.dashboard_counters",
    "offers.selectors.dashboard_counters",
]
USER_PUBLIC_COUNTERS = ["accounts.dashboard.public_listing_counters", "auctions.selectors.public_counters"]
# GET /api/users/<id>/auctions and /bids: a dotted callable (user, viewer) -> list[dict], or "" for none yet.
USER_AUCTIONS_PROVIDER = "auctions.selectors.profile_auctions"
USER_BIDS_PROVIDER = "auctions.selectors.profile_bids"
# ...and the serializers that describe their items in the API schema (GET /api/users/<id>/auctions|bids)
USER_AUCTIONS_ITEM_SCHEMA = "auctions.apis.output.AuctionCardOutput"
USER_BIDS_ITEM_SCHEMA = "auctions.apis.output.ProfileBidOutput"

# --- notifications --------------------------------------------------------------
# The same kind about the same object (notify's object_key) within this window sends one email, with the
# latest state (ten outbids in a minute -> one email). 0 sends every notification at once.
NOTIFY_EMAIL_WINDOW_SECONDS = env.int("NOTIFY_EMAIL_WINDOW_SECONDS", default=60)
# A failed send is retried this many times with exponential backoff from this base (30 s, 60 s, 120 s ...).
NOTIFY_EMAIL_MAX_RETRIES = env.int("NOTIFY_EMAIL_MAX_RETRIES", default=6)
NOTIFY_EMAIL_RETRY_BACKOFF_SECONDS = env.int("NOTIFY_EMAIL_RETRY_BACKOFF_SECONDS", default=30)
ANYMAIL["REQUESTS_TIMEOUT"] = env.float("EMAIL_HTTP_TIMEOUT", default=VENDOR_HTTP_TIMEOUT)

# --- performance ------------------------------------------------------------------
# Sync work of HTTP requests runs on this many long-lived threads per web process (core.middleware.
# PooledThreadsASGIHandler), so each thread keeps its database connection for CONN_MAX_AGE seconds.
ASGI_SYNC_THREADS = env.int("ASGI_SYNC_THREADS", default=16)
# Auction rooms use channels-redis's pub/sub layer: a room broadcast is one PUBLISH that each web process
# receives once and hands to its own sockets, where the default layer writes one copy per socket into Redis
# and every process reads them back one by one (that made 1,000 watchers wait ~300 ms). Nothing is dropped at a
# `capacity`; a process that loses its Redis connection misses messages, which clients see as a `seq` gap
# and refetch. auctions.realtime.ROOM_LAYER picks this alias.
if REDIS_URL:
    CHANNEL_LAYERS["auctions"] = {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {
            "hosts": [{"address": REDIS_URL, "max_connections": 1000, "socket_timeout": 10}],
            "prefix": env("CHANNEL_LAYER_PREFIX", default="asgi") + "-rooms",
        },
    }
else:
    CHANNEL_LAYERS["auctions"] = {"BACKEND": "channels.layers.InMemoryChannelLayer"}

# --- orders and fulfillment (after the sale) -----------------------------------------------------------------
# Started by name after the payment that pays an order commits (orders knows nothing of the apps above it).
ORDER_PAID_TASKS = ["fulfillment.tasks.start_fulfillment"]
# Started by name, with the user's id, after a suspension commits (accounts knows nothing of the apps above it):
# the bidder's bids on open auctions are voided (auctions/services/voiding.py).
ACCOUNT_SUSPENDED_TASKS = ["auctions.tasks.void_bids_of_suspended_user"]
# The order page (orders app) shows sections the apps above it render: dotted callables (request, order) ->
# orders.pages.OrderPageSections. "My sales" shows each sale's net from SELLER_NET_PROVIDER: a dotted callable
# (orders) -> {order id: SaleNet}.
ORDER_PAGE_SECTIONS = ["fulfillment.panels.order_sections"]
SELLER_NET_PROVIDER = "fulfillment.selectors.seller_nets"
# What holds a seller's proceeds (fulfillment/holds.py): dotted callables (order, fulfillment, now) -> reasons.
# An open claim holds them too (fulfillment.holds.open_claims).
PROCEEDS_HOLD_CHECKS = [
    "fulfillment.holds.order_state",
    "fulfillment.holds.tracks_unfinished",
    "fulfillment.holds.claim_window",
    "fulfillment.holds.open_claims",
]
FULFILLMENT_CLAIM_WINDOW_SECONDS = env.int("FULFILLMENT_CLAIM_WINDOW_SECONDS", default=7 * 24 * 3600)
PAYOUT_DUE_BUSINESS_DAYS = env.int("PAYOUT_DUE_BUSINESS_DAYS", default=2)
SUPER_DISPATCH_TIMEOUT = env.float("SUPER_DISPATCH_TIMEOUT", default=VENDOR_HTTP_TIMEOUT)
# The sandboxes (no credentials) move an order / a transfer one step every this many seconds.
SUPER_DISPATCH_SANDBOX_STEP_SECONDS = env.float("SUPER_DISPATCH_SANDBOX_STEP_SECONDS", default=60.0)
TITLE_TRANSFER_TIMEOUT = env.float("TITLE_TRANSFER_TIMEOUT", default=VENDOR_HTTP_TIMEOUT)
TITLE_TRANSFER_SANDBOX_STEP_SECONDS = env.float("TITLE_TRANSFER_SANDBOX_STEP_SECONDS", default=60.0)
TITLE_TRANSFER_WEBHOOK_TOLERANCE_SECONDS = env.int("TITLE_TRANSFER_WEBHOOK_TOLERANCE_SECONDS", default=300)

# --- Scale-out: load balancer, read replica (docs/SCALING.md) -------------------------------------
# Peers whose X-Forwarded-For / X-Forwarded-Proto are believed: the load balancer's address or network
# (deploy/haproxy.cfg connects from one address). Empty: no peer is believed (core/proxy.py).
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
# A read replica of the primary (MariaDB/MySQL replication with GTIDs). Only reads that opt in with
# core.replica.replica_reads / @replica_reads_view go there, and never a user's read before the replica has
# applied that user's last write (core/replica.py). Unset: every read goes to the primary, at no cost.
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = mysql_options(env.db("DATABASE_REPLICA_URL"))
    DATABASES["replica"]["TEST"] = {**DATABASES["replica"].get("TEST", {}), "MIRROR": "default"}
DATABASE_ROUTERS = ["core.replica.ReplicaRouter"]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "core.replica.ReadYourWritesMiddleware",
)
# Gauges read when Prometheus scrapes (core.metrics.SettingsCollectors): dotted callables -> metric families.
METRICS_COLLECTORS = [
    "core.metrics.worker_heartbeat",
    "core.metrics.celery_queue",
    "auctions.metrics.close_backlog",
    "notifications.metrics.email_queue",
]
# Due auctions closed per transaction, in bulk, by auctions.services.closing.auction_close_due (docs/auctions.md).
AUCTION_CLOSE_BATCH = env.int("AUCTION_CLOSE_BATCH", default=100)

# --- the bid protocol (issue 17) ------------------------------------------------------------------------
# API clients' requests (under /api/, a Bearer token, no cookie; core.middleware.DjangoHttp) take MIDDLEWARE
# without what only pages use: static files, sessions, CSRF, the session's user, messages, allauth, axes
# (login pages). Security headers, request ids, CORS, metrics and API errors stay: one list, one place.
# Redis keys of the cache, throttles and tickets under a prefix (several sites or test servers on one Redis).
CACHES["default"].setdefault("KEY_PREFIX", env("CACHE_KEY_PREFIX", default=""))

# Inventory searches answered from an in-memory columnar index per web process (vehicles/inventory_index.py);
# off: every search is a MariaDB query (vehicles/paging.py).
INVENTORY_INDEX = env.bool("INVENTORY_INDEX", default=True)
# A web process loads its index on its first search when the inventory has at most this many vehicles; a larger
# one loads in the background (about 3 s per 100,000 vehicles) and the database answers until it is ready.
INVENTORY_INDEX_SYNC_LOAD_UNDER = env.int("INVENTORY_INDEX_SYNC_LOAD_UNDER", default=20_000)
SITE_ONLY_MIDDLEWARE = {
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "axes.middleware.AxesMiddleware",
}

# --- hardening: Content-Security-Policy, HTTPS, cookies (docs/operations.md) --------------------------------
# Scripts only from our own static files (and Authorize.Net's Accept.js on the card page): no inline script
# without a nonce (`<script nonce="{{ request.csp_nonce }}">`, none needed today), no eval. Styles keep
# 'unsafe-inline' for the style attributes and <style> blocks some pages and the Swagger UI still carry.
from urllib.parse import urlsplit as _urlsplit  # noqa: E402

from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE  # noqa: E402

_ACCEPT_JS = _urlsplit(AUTHORIZE_NET_ACCEPT_JS_URL)
_ACCEPT_JS_ORIGIN = f"{_ACCEPT_JS.scheme}://{_ACCEPT_JS.netloc}"
# Accept.js sends the card to Authorize.Net's API from the browser (jstest -> apitest, js -> api2)
_ACCEPT_API_ORIGIN = _ACCEPT_JS_ORIGIN.replace("://jstest.", "://apitest.").replace("://js.", "://api2.")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE, _ACCEPT_JS_ORIGIN],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:", "https:"],  # photos may come from the S3 bucket by signed URL
        "font-src": [SELF, "data:"],
        "connect-src": [SELF, _ACCEPT_API_ORIGIN],  # 'self' covers the site's own ws:/wss: sockets
        "frame-src": [_ACCEPT_JS_ORIGIN],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}
# Off by default here; production turns HTTPS-only cookies on (config/settings/production.py).
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=False)

# --- backoffice (staff console) ------------------------------------------------------
# Long-lived random device-id cookie (fraud flags compare a bidder's devices with the seller's).
DEVICE_COOKIE_NAME = "nsa_device"
DEVICE_COOKIE_AGE_SECONDS = 2 * 365 * 24 * 3600
# Edits of these tables in the console are recorded with before/after values (django-auditlog): "app.Model" or
# ("app.Model", options of auditlog.register).
AUDITLOG_DISABLE_REMOTE_ADDR = False
AUDITED_TABLES = [
    "core.FeeSchedule",
    "core.StateFee",
    "core.TransportRateCard",
    "core.TransportRateBand",
    "auctions.IncrementTier",
    ("auth.Group", {"m2m_fields": {"permissions"}}),
]  # who is staff and in which role is recorded by the user admin itself (accounts/admin.py: UserAdmin.save_related)
# Rows re-created by core.reference_data.ensure_reference_data (tests flush tables): dotted callables.
REFERENCE_DATA_EXTRA = ["backoffice.roles.ensure_roles"]
# API requests skip the console's middleware too (no browser to recognise, no console edit).
SITE_ONLY_MIDDLEWARE |= {"backoffice.middleware.DeviceIdMiddleware", "backoffice.middleware.ConsoleAuditMiddleware"}
