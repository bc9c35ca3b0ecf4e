"""Turn a kind + context into words: the in-app title/body and the HTML + plain-text email."""

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

import structlog
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import Context, Engine, Template
from django.template.loader import render_to_string

from core.site_urls import absolute_url, site_path, site_url
from notifications.kinds import Kind

logger = structlog.get_logger(__name__)
# Kind templates render plain text; pages and the HTML email escape the result when they show it.
_ENGINE = Engine(builtins=["notifications.templatetags.notification_format"], autoescape=False)
TITLE_MAX = 200


@dataclass(frozen=True)
class Rendered:
    title: str
    body: str
    url: str


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


@lru_cache(maxsize=256)
def _template(source: str) -> Template:
    return _ENGINE.from_string(source)


def _render(source: str, context: dict[str, Any]) -> str:
    try:
        text = _template(source).render(Context({"site_name": settings.SITE_NAME, **context}, autoescape=False))
    except Exception:
        # a template bug must not cost the user the notification; callers fall back to the kind's label
        logger.exception("notifications.render_failed", source=source[:80])
        return ""
    return " ".join(text.split())  # templates are written over several string pieces; keep one clean line


def plain_context(context: dict[str, Any] | None) -> dict[str, Any]:
    """Context as JSON-safe plain values (Decimals and times become strings) so it can be stored and queued."""
    plain: dict[str, Any] = {}
    for key, value in (context or {}).items():
        if value is None or isinstance(value, str | int | float | bool):
            plain[str(key)] = value
        elif isinstance(value, Decimal):
            plain[str(key)] = str(value)
        elif hasattr(value, "isoformat"):
            plain[str(key)] = value.isoformat()
        else:
            plain[str(key)] = str(value)
    return plain


def link_for(context: dict[str, Any]) -> str:
    """The in-app link: "url", else the most specific URL-looking key a kind carries."""
    for key in ("url", "order_url", "auction_url"):
        value = context.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def render_in_app(kind: Kind, context: dict[str, Any]) -> Rendered:
    title = _render(kind.title, context)[:TITLE_MAX] or kind.label
    # stored as a site path, so the bell's link follows the site to whatever host and port it runs on
    return Rendered(title=title, body=_render(kind.body, context), url=site_path(link_for(context))[:500])


def render_email(
    kind: Kind,
    context: dict[str, Any],
    *,
    first_name: str,
    unsubscribe_url: str,
    preferences_url: str,
) -> RenderedEmail:
    subject = _render(kind.email_subject or kind.title, context)[:TITLE_MAX] or kind.label
    body = _render(kind.email_body or kind.body, context)
    page = {
        "site_name": settings.SITE_NAME,
        "site_url": site_url(),
        "first_name": first_name,
        "subject": subject,
        "title": _render(kind.title, context),
        "body": body,
        "action_label": kind.action,
        "action_url": absolute_url(link_for(context)),
        "unsubscribe_url": unsubscribe_url,
        "preferences_url": preferences_url,
        "optional": kind.optional,
    }
    return RenderedEmail(
        subject=subject,
        text=render_to_string("email/notification.txt", page),
        html=render_to_string("email/notification.html", page),
    )


def build_message(
    rendered: RenderedEmail, *, to: str, unsubscribe_url: str, tags: list[str], metadata: dict[str, str]
) -> EmailMultiAlternatives:
    headers: dict[str, str] = {}
    if unsubscribe_url:
        # RFC 8058 one-click: mail clients POST "List-Unsubscribe=One-Click" to this URL.
        headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers=headers,
    )
    message.attach_alternative(rendered.html, "text/html")
    # anymail ESP extras: SendGrid reports them back in tracking events; other backends ignore them.
    message.tags = tags  # type: ignore[attr-defined]
    message.metadata = metadata  # type: ignore[attr-defined]
    return message
