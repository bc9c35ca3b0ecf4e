"""The site's absolute URLs, built in one place.

`settings.SITE_URL` is the base every link that leaves a page carries (emails, notifications' email
buttons, vendor callbacks, the Sites framework's domain). Under `make run` it comes from HOST and PORT
(scripts/run-local.sh exports it), in production from the SITE_URL environment variable. Everything that
is stored (notification links, contexts) keeps site paths; only what is sent out is made absolute.
"""

from urllib.parse import urlsplit

from django.conf import settings


def site_url() -> str:
    """The base URL without a trailing slash, e.g. "http://127.0.0.1:8123"."""
    return str(settings.SITE_URL).rstrip("/")


def site_domain() -> str:
    """SITE_URL's host and port, e.g. "127.0.0.1:8123" (what the Sites framework and allauth's emails show)."""
    return urlsplit(site_url()).netloc


def absolute_url(url: str) -> str:
    """`url` made absolute on this site: a site path gets SITE_URL in front; an absolute URL is returned as is."""
    if not url:
        return ""
    if url.startswith(("http://", "https://")):
        return url
    return site_url() + "/" + url.lstrip("/")


def site_path(url: str) -> str:
    """A link to this site as a site path: an absolute URL on SITE_URL's host loses its scheme and host.
    Other URLs (another site's) are returned unchanged."""
    parts = urlsplit(url or "")
    if parts.scheme in ("http", "https") and parts.netloc == site_domain():
        return (
            parts.path + (f"?{parts.query}" if parts.query else "") + (f"#{parts.fragment}" if parts.fragment else "")
        )
    return url or ""
