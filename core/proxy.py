"""The client's address and scheme behind the load balancer, believed from the balancer only.

The balancer (deploy/haproxy.cfg) overwrites `X-Forwarded-For` with the address it was connected from and
`X-Forwarded-Proto` with the scheme it was reached by. This ASGI middleware, around the whole application
(config/asgi.py), believes those two headers only when the peer of the connection is one of
`settings.TRUSTED_PROXIES` (addresses or networks): then the scope's `client` becomes the forwarded address
and `scheme` the forwarded one. From any other peer both headers are removed, so nothing below (Django's
`SECURE_PROXY_SSL_HEADER`, django-axes' address lookup, the bid lane) can be told a client's address or
scheme by the client itself. `X-Forwarded-For` is removed in both cases: `REMOTE_ADDR` (the scope's client)
is the one place the address is read from.
"""

import ipaddress
from collections.abc import Iterable
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

FORWARDED_FOR = b"x-forwarded-for"
FORWARDED_PROTO = b"x-forwarded-proto"


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """`["10.0.0.5", "172.30.0.0/24"]` → networks; a bad entry is a configuration error, raised at start-up."""
    return tuple(ipaddress.ip_network(value.strip(), strict=False) for value in values if value.strip())


def _address(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def _trusted(peer: str | None, networks: tuple[Network, ...]) -> bool:
    if not peer or not networks:
        return False
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(address in network for network in networks)


def forwarded_scope(scope: dict[str, Any], networks: tuple[Network, ...]) -> dict[str, Any]:
    """The scope as the application should see it (a copy when anything changes)."""
    headers = scope.get("headers") or []
    if not any(name in (FORWARDED_FOR, FORWARDED_PROTO) for name, _ in headers):
        return scope
    client = scope.get("client") or (None, None)
    kept = [(name, value) for name, value in headers if name != FORWARDED_FOR]
    if not _trusted(client[0], networks):
        return {**scope, "headers": [(n, v) for n, v in kept if n != FORWARDED_PROTO]}
    scope = {**scope, "headers": kept}
    forwarded_for = [v for n, v in headers if n == FORWARDED_FOR]
    if forwarded_for:
        # the balancer overwrote the header: one entry; the last is the one it would have appended
        address = _address(forwarded_for[-1].decode("latin-1").split(",")[-1])
        if address:
            scope["client"] = (address, 0)
    forwarded_proto = [v for n, v in headers if n == FORWARDED_PROTO]
    if forwarded_proto:
        proto = forwarded_proto[-1].decode("latin-1").strip().lower()
        if proto in ("http", "https"):
            secure = proto == "https"
            if scope["type"] == "websocket":
                scope["scheme"] = "wss" if secure else "ws"
            else:
                scope["scheme"] = proto
    return scope


class TrustedProxyHeaders:
    """ASGI middleware: see the module docstring."""

    def __init__(self, app: Any, trusted: Iterable[str] | None = None) -> None:
        if trusted is None:
            from django.conf import settings

            trusted = getattr(settings, "TRUSTED_PROXIES", [])
        self.app = app
        self.networks = parse_networks(trusted)

    def __getattr__(self, name: str) -> Any:
        """The wrapped application's attributes (`application_mapping` of the protocol router, say)."""
        if name == "app":
            raise AttributeError(name)
        return getattr(self.app, name)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] in ("http", "websocket"):
            scope = forwarded_scope(scope, self.networks)
        return await self.app(scope, receive, send)
