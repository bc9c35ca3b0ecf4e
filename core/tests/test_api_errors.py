"""The API's error contract: {"error": message, "details": {...}} with the right status, everywhere under /api/."""

import pytest
from django.test import override_settings
from django.urls import path
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny


@api_view(["GET"])
@permission_classes([AllowAny])
def _boom(request):
    raise RuntimeError("kaboom")


def _django_boom(request):
    raise RuntimeError("kaboom outside DRF")


urlpatterns = [
    path("api/boom", _boom),
    path("api/django-boom", _django_boom),
]


def assert_error_shape(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["error"], str)
    assert body["error"]
    assert isinstance(body["details"], dict)
    assert isinstance(body["code"], str)
    assert body["code"]  # a machine-readable reason beside the message
    return body


@pytest.mark.django_db
def test_validation_error_is_400_with_field_details(api_client):
    body = assert_error_shape(api_client.post("/api/auth/register", {"email": "not-an-email"}, format="json"), 400)
    assert "email" in body["details"]
    assert "password" in body["details"]


@pytest.mark.django_db
def test_malformed_json_is_400(api_client):
    response = api_client.post("/api/auth/register", data="{not json", content_type="application/json")
    body = assert_error_shape(response, 400)
    assert "JSON" in body["error"]


@pytest.mark.django_db
def test_unauthenticated_is_401(api_client):
    body = assert_error_shape(api_client.post("/api/auth/logout", {"refresh": "x"}, format="json"), 401)
    assert "credentials" in body["error"].lower()


@pytest.mark.django_db
def test_bad_bearer_token_is_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-jwt")
    assert_error_shape(api_client.post("/api/auth/logout", {"refresh": "x"}, format="json"), 401)


@pytest.mark.django_db
def test_unknown_api_path_is_json_404(client):
    body = assert_error_shape(client.get("/api/does-not-exist"), 404)
    assert body["error"] == "Not found."


@pytest.mark.django_db
def test_unknown_page_is_html_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"find that page" in response.content


@pytest.mark.django_db
def test_wrong_method_is_405(api_client):
    body = assert_error_shape(api_client.get("/api/auth/register"), 405)
    assert "GET" in body["error"]


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__)
def test_unhandled_exception_in_drf_view_is_json_500(client):
    client.raise_request_exception = False
    body = assert_error_shape(client.get("/api/boom"), 500)
    assert "kaboom" not in body["error"]


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__)
def test_unhandled_exception_in_plain_django_view_under_api_is_json_500(client):
    client.raise_request_exception = False
    assert_error_shape(client.get("/api/django-boom"), 500)


@pytest.mark.django_db
def test_duplicate_registration_is_409(api_client):
    payload = {"email": "dup@example.test", "password": "a-long-unusual-pass-77"}
    assert api_client.post("/api/auth/register", payload, format="json").status_code == 201
    body = assert_error_shape(api_client.post("/api/auth/register", payload, format="json"), 409)
    assert "already exists" in body["error"]


@pytest.mark.django_db
def test_throttled_is_429_with_retry_after(api_client, monkeypatch):
    from rest_framework.settings import api_settings

    from core.throttles import Rates
    from tests.fixtures.core import clear_cache

    monkeypatch.setattr(Rates, "THROTTLE_RATES", {**api_settings.DEFAULT_THROTTLE_RATES, "auth": "2/min"})
    clear_cache()
    try:
        payload = {"email": "t@example.test", "password": "wrong"}
        statuses = [api_client.post("/api/auth/login", payload, format="json").status_code for _ in range(2)]
        assert statuses == [401, 401]
        response = api_client.post("/api/auth/login", payload, format="json")
        body = assert_error_shape(response, 429)
        assert body["details"]["retry_after_seconds"] > 0
        assert "Retry-After" in response
    finally:
        clear_cache()
