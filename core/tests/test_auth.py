"""API authentication by Bearer JWT (core.auth.FastJWTAuthentication): the user read by a pre-composed query,
with simplejwt's rules kept — unknown, inactive and unparseable tokens get a 401 in our error shape."""

import pytest
from rest_framework.test import APIClient
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
