"""structlog configuration: JSON lines (or console in development) with a request id."""

from typing import Any

import structlog

from core.tracing import add_trace_ids

SHARED_PROCESSORS: list[Any] = [
    structlog.contextvars.merge_contextvars,
    add_trace_ids,  # trace_id / span_id when OpenTelemetry tracing is on (core/tracing.py)
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.processors.StackInfoRenderer(),
]


def build_logging(*, json: bool, level: str) -> dict[str, Any]:
    """Return Django's LOGGING dict and configure structlog to feed the same handlers."""
    structlog.configure(
        processors=[*SHARED_PROCESSORS, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    renderer = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {
                "()": structlog.stdlib.ProcessorFormatter,
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info,
                    renderer,
                ],
                "foreign_pre_chain": SHARED_PROCESSORS,
            }
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            "uvicorn.access": {"level": "INFO"},
            # a 4xx is the client's answer (a refused bid, a bad amount), not a warning about the site; 5xx stay
            "django.request": {"level": "ERROR"},  # on or off by WEB_ACCESS_LOG (config/server.py), not LOG_LEVEL
            "axes": {"level": "WARNING"},
            "celery": {"level": level},
        },
    }
