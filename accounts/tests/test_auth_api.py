"""JWT for API clients: register -> login -> refresh -> logout, and a blacklisted refresh is refused."""

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

PASSWORD = "a-long-unusual-pass-77"


@pytest.mark.django_db
def test_register_login_refresh_logout_then_blacklisted_refresh_is_refused(api_client):
    # given a new account
    response = api_client.post(
        "/api/auth/register",
        {"email": "New.Buyer@Example.test", "password": PASSWORD, "first_name": "New", "last_name": "Buyer"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["message"].startswith("Account created")
    assert body["data"]["email"] == "new.buyer@example.test"
    assert set(body["data"]["tokens"]) == {"access", "refresh"}

    # when logging in
    response = api_client.post(
        "/api/auth/login", {"email": "new.buyer@example.test", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.content
    tokens = response.json()
    assert tokens["user"]["email"] == "new.buyer@example.test"

    # then refresh rotates the refresh token
    response = api_client.post("/api/auth/refresh", {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 200, response.content
    rotated = response.json()
    assert rotated["access"] != tokens["access"]
    assert rotated["refresh"] != tokens["refresh"]
    # ... and the rotated-away token is blacklisted
    assert api_client.post("/api/auth/refresh", {"refresh": tokens["refresh"]}, format="json").status_code == 401

    # when logging out with the current refresh token
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {rotated['access']}")
    response = api_client.post("/api/auth/logout", {"refresh": rotated["refresh"]}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["message"] == "Logged out."

    # then that refresh token no longer works
    api_client.credentials()
    response = api_client.post("/api/auth/refresh", {"refresh": rotated["refresh"]}, format="json")
    assert response.status_code == 401
    assert "blacklisted" in response.json()["error"].lower()


@pytest.mark.django_db
def test_register_sends_verification_email_and_leaves_email_unverified(api_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(
            "/api/auth/register", {"email": "v@example.test", "password": PASSWORD}, format="json"
        )
    assert response.status_code == 201
    address = EmailAddress.objects.get(email="v@example.test")
    assert address.verified is False
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["v@example.test"]
    assert "/accounts/confirm-email/" in mail.outbox[0].body


@pytest.mark.django_db
def test_register_rejects_weak_password_and_creates_nothing(api_client):
    response = api_client.post("/api/auth/register", {"email": "weak@example.test", "password": "12345"}, format="json")
    assert response.status_code == 400
    assert "password" in response.json()["details"]
    assert not EmailAddress.objects.filter(email="weak@example.test").exists()


@pytest.mark.django_db
def test_duplicate_email_differing_only_in_case_is_refused(api_client, user):
    response = api_client.post("/api/auth/register", {"email": user.email.upper(), "password": PASSWORD}, format="json")
    assert response.status_code == 409


@pytest.mark.django_db
def test_login_with_wrong_password_is_401(api_client, user):
    response = api_client.post("/api/auth/login", {"email": user.email, "password": "nope-nope-nope"}, format="json")
    assert response.status_code == 401
    assert response.json()["error"]


@pytest.mark.django_db
def test_logout_with_someone_elses_refresh_is_refused(api_client, auth_client, user_factory):
    from rest_framework_simplejwt.tokens import RefreshToken

    other = user_factory()
    response = auth_client().post("/api/auth/logout", {"refresh": str(RefreshToken.for_user(other))}, format="json")
    assert response.status_code == 400
