"""API authentication by Bearer JWT (core.auth.FastJWTAuthentication): the user read by a pre-composed query,
with simplejwt's rules kept — unknown, inactive and unparseable tokens get a 401 in our error shape."""

import time
from typing import Any

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.tokens import AccessToken

pytestmark = pytest.mark.django_db


def _client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_a_valid_token_authenticates_its_user(user_factory):
    user = user_factory()
    response = _client(str(AccessToken.for_user(user))).get("/api/users/profile")
    assert response.status_code == 200, response.content
    assert response.json()["data"]["email"] == user.email


@pytest.mark.parametrize("case", ["inactive", "deleted", "garbage"])
def test_tokens_of_unusable_users_or_garbage_are_refused(user_factory, case):
    user = user_factory()
    token = "not-a-jwt" if case == "garbage" else str(AccessToken.for_user(user))
    if case == "inactive":
        user.is_active = False
        user.save(update_fields=["is_active"])
    elif case == "deleted":
        user.delete()
    response = _client(token).get("/api/users/profile")
    assert response.status_code == 401
    assert response.json()["error"]


def test_a_validated_token_is_remembered_until_it_expires(user_factory, monkeypatch):
    from rest_framework_simplejwt.backends import TokenBackend

    from core import auth

    user = user_factory()
    token = AccessToken.for_user(user)
    token["exp"] = int(time.time()) + 1  # a short-lived token, to see it expire
    raw = str(token).encode()
    decoded = []
    decode = TokenBackend.decode
    monkeypatch.setattr(TokenBackend, "decode", lambda self, *a, **kw: decoded.append(1) or decode(self, *a, **kw))
    backend = auth.FastJWTAuthentication()

    assert backend.get_validated_token(raw)["user_id"] == str(user.pk)
    assert backend.get_validated_token(raw)["user_id"] == str(user.pk)
    assert len(decoded) == 1  # the second request did not check the signature again

    time.sleep(max(0.0, token["exp"] - time.time()) + 0.05)  # past its expiry: validated again, and refused
    with pytest.raises(InvalidToken):
        backend.get_validated_token(raw)
    assert len(decoded) == 2


def test_a_forged_token_is_never_remembered(user_factory):
    from core import auth

    user = user_factory()
    header, payload, _ = str(AccessToken.for_user(user)).split(".")
    forged = f"{header}.{payload}.{'A' * 43}".encode()
    for _ in range(2):
        with pytest.raises(InvalidToken):
            auth.FastJWTAuthentication().get_validated_token(forged)
    assert forged not in auth._validated


# --- WebSocket: the same validation, from a header or a one-time ticket, never a query-string token ------------


def _connect(path: str, protocols: list[str] | None = None) -> tuple[bool, Any, Any]:
    """Connect to the notifications socket (closes 4401 unless authenticated); its first answer."""
    from asgiref.sync import async_to_sync
    from channels.testing import WebsocketCommunicator

    from config.asgi import application

    async def run() -> tuple[bool, Any, Any]:
        socket = WebsocketCommunicator(application, path, subprotocols=protocols)
        connected, subprotocol = await socket.connect(timeout=10)
        first = await socket.receive_output(timeout=5)
        await socket.disconnect()
        return connected, subprotocol, first

    return async_to_sync(run)()


def _authenticated(first: Any) -> bool:
    return first.get("type") == "websocket.send" and "unread_count" in first.get("text", "")


@pytest.mark.django_db(transaction=True)
def test_a_socket_authenticates_by_the_bearer_protocol_with_the_api_s_rules(user_factory):
    user = user_factory()
    token = str(AccessToken.for_user(user))
    connected, subprotocol, first = _connect("/ws/notifications/", ["bearer", token])
    assert (connected, subprotocol, _authenticated(first)) == (True, "bearer", True)
    user.is_active = False  # the API's rule: an inactive user's token no longer authenticates
    user.save(update_fields=["is_active"])
    assert not _authenticated(_connect("/ws/notifications/", ["bearer", token])[2])
    assert not _authenticated(_connect(f"/ws/notifications/?token={token}")[2])  # never from the query string


@pytest.mark.django_db(transaction=True)
def test_a_ticket_authenticates_one_socket_once(user_factory):
    user = user_factory()
    client = _client(str(AccessToken.for_user(user)))
    answer = client.post("/api/ws-ticket")
    assert answer.status_code == 201, answer.content
    ticket = answer.json()["data"]["ticket"]
    assert answer.json()["data"]["expires_in"] == 30
    assert _authenticated(_connect(f"/ws/notifications/?ticket={ticket}")[2])
    assert not _authenticated(_connect(f"/ws/notifications/?ticket={ticket}")[2])  # used once
    assert APIClient().post("/api/ws-ticket").status_code == 401


@pytest.mark.django_db(transaction=True)
def test_a_password_change_revokes_earlier_tokens_on_every_door(user_factory):
    user = user_factory()
    token = str(AccessToken.for_user(user))
    assert _client(token).get("/api/users/profile").status_code == 200
    assert _authenticated(_connect("/ws/notifications/", ["bearer", token])[2])

    user.set_password("a-brand-new-password-9")
    user.save(update_fields=["password"])

    refused = _client(token).get("/api/users/profile")
    assert refused.status_code == 401
    assert refused.json()["error"]
    assert not _authenticated(_connect("/ws/notifications/", ["bearer", token])[2])
    fresh = str(AccessToken.for_user(user))  # a token issued after the change works again
    assert _client(fresh).get("/api/users/profile").status_code == 200
