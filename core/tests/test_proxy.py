"""X-Forwarded-For and -Proto are believed from the load balancer only (core/proxy.py)."""

import pytest
from asgiref.sync import async_to_sync

from core.proxy import TrustedProxyHeaders, forwarded_scope, parse_networks

BALANCER = parse_networks(["127.0.0.2", "172.30.0.0/24"])


def scope(peer: str, *headers: tuple[bytes, bytes], kind: str = "http") -> dict:
    return {
        "type": kind,
        "client": (peer, 5555),
        "scheme": "ws" if kind == "websocket" else "http",
        "headers": [(b"host", b"x"), *headers],
    }


def test_the_balancers_forwarded_for_becomes_the_client():
    seen = forwarded_scope(scope("127.0.0.2", (b"x-forwarded-for", b"203.0.113.9")), BALANCER)
    assert seen["client"] == ("203.0.113.9", 0)
    assert b"x-forwarded-for" not in dict(seen["headers"])  # REMOTE_ADDR is the one place to read it


def test_a_client_cannot_name_its_own_address_or_scheme():
    original = scope("198.51.100.7", (b"x-forwarded-for", b"6.6.6.6"), (b"x-forwarded-proto", b"https"))
    seen = forwarded_scope(original, BALANCER)
    assert seen["client"] == ("198.51.100.7", 5555)
    assert seen["scheme"] == "http"
    assert dict(seen["headers"]) == {b"host": b"x"}


def test_no_trusted_proxies_means_no_forwarded_header_is_believed():
    seen = forwarded_scope(scope("127.0.0.2", (b"x-forwarded-for", b"6.6.6.6")), ())
    assert seen["client"] == ("127.0.0.2", 5555)


def test_the_balancers_scheme_is_believed_for_http_and_websockets():
    https = forwarded_scope(scope("172.30.0.10", (b"x-forwarded-proto", b"https")), BALANCER)
    assert https["scheme"] == "https"
    assert dict(https["headers"])[b"x-forwarded-proto"] == b"https"  # SECURE_PROXY_SSL_HEADER reads it
    wss = forwarded_scope(scope("172.30.0.10", (b"x-forwarded-proto", b"https"), kind="websocket"), BALANCER)
    assert wss["scheme"] == "wss"


@pytest.mark.parametrize("value", [b"not-an-address", b"", b"1.2.3.4, garbage"])
def test_a_malformed_forwarded_for_leaves_the_peer(value):
    seen = forwarded_scope(scope("127.0.0.2", (b"x-forwarded-for", value)), BALANCER)
    assert seen["client"] == ("127.0.0.2", 5555)


def test_the_middleware_hands_the_rewritten_scope_on():
    received = []

    async def app(scope, receive, send):
        received.append(scope)

    middleware = TrustedProxyHeaders(app, trusted=["127.0.0.2"])
    async_to_sync(middleware)(scope("127.0.0.2", (b"x-forwarded-for", b"203.0.113.9")), None, None)
    assert received[0]["client"] == ("203.0.113.9", 0)


def test_a_bad_trusted_proxies_entry_fails_at_start_up():
    with pytest.raises(ValueError, match="does not appear to be an IPv4 or IPv6"):
        parse_networks(["balancer.internal"])
