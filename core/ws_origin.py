"""Which WebSocket handshakes may connect: any without an Origin header, and those whose Origin is an allowed host.

Channels' AllowedHostsOriginValidator refuses a handshake without an Origin, which shuts out API clients and
scripts (Python's `websockets`, for one, sends none) that authenticate with their token (core/auth.py). The
check guards against cross-site WebSocket hijacking, a browser attack: a browser always sends Origin on a WebSocket handshake, so
a handshake without one is not a page on another site riding the visitor's cookie.
"""

from typing import Any
from urllib.parse import ParseResult

from channels.security.websocket import OriginValidator
from django.conf import settings


class OriginValidatorForBrowsers(OriginValidator):
    def valid_origin(self, parsed_origin: ParseResult | None) -> bool:
        if parsed_origin is None:
            return True
        return bool(super().valid_origin(parsed_origin))


def allowed_hosts_origin_validator(application: Any) -> OriginValidatorForBrowsers:
    """As channels' AllowedHostsOriginValidator (settings.ALLOWED_HOSTS), letting handshakes without Origin in."""
    allowed_hosts = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed_hosts:
        allowed_hosts = ["localhost", "127.0.0.1", "[::1]"]
    return OriginValidatorForBrowsers(application, allowed_hosts)
