"""No 500 from bad input (issue 15, item 5): each of these was a 500 on production settings."""

import json

import pytest

pytestmark = pytest.mark.django_db


def nested(depth: int) -> bytes:
    return ("[" * depth + "]" * depth).encode()


@pytest.mark.parametrize(
    "query", ["year_min=65536", "year_max=65536", "year_min=-1", "mileage_max=-1", "mileage_max=4294967296"]
)
def test_out_of_range_inventory_filters_are_a_400_on_the_api_and_a_form_error_on_the_page(client, query):
    response = client.get(f"/api/vehicles?{query}")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid"
    assert query.split("=")[0] in body["details"]

    page = client.get(f"/vehicles/?{query}")
    assert page.status_code == 200
    assert "is-invalid" in page.content.decode() or "Ensure this value" in page.content.decode()


@pytest.mark.parametrize(
    "path", ["/api/auth/login", "/api/auth/register", "/api/auth/refresh", "/api/auctions/search", "/api/vehicles"]
)
def test_a_5000_deep_json_body_is_a_400_parse_error(client, path):
    response = client.post(path, data=nested(5000), content_type="application/json")
    assert response.status_code in (400, 401, 403, 405), response.content
    assert response["Content-Type"].startswith("application/json")
    if response.status_code == 400:
        assert response.json()["code"] == "parse_error"


def test_a_5000_deep_json_body_to_anonymous_login_is_a_400_with_the_error_body(client):
    response = client.post("/api/auth/login", data=nested(5000), content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"error", "code", "details"}
    assert body["code"] == "parse_error"
    assert "deep" in body["error"]


def test_a_100_deep_json_body_is_refused_before_any_serializer_sees_it(client):
    deep = {"email": "a@example.test", "password": json.loads(nested(100))}
    response = client.post("/api/auth/login", data=json.dumps(deep), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_options_on_auction_lists_with_a_bearer_token_is_not_a_500(client, user):
    from rest_framework_simplejwt.tokens import RefreshToken

    token = str(RefreshToken.for_user(user).access_token)
    for path in ("/api/auctions", "/api/auctions/search"):
        response = client.options(path, HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 200, (path, response.content)
        assert "GET" in response["Allow"]


def test_search_accepts_no_writes(client, user):
    from rest_framework_simplejwt.tokens import RefreshToken

    token = str(RefreshToken.for_user(user).access_token)
    response = client.post(
        "/api/auctions/search", data={}, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 405
    assert "POST" not in response["Allow"]
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert "post" not in schema["paths"]["/api/auctions/search"]


@pytest.mark.parametrize("path", ["/api/webhooks/authorize-net", "/api/webhooks/persona", "/api/auth/login"])
def test_a_30_mb_body_is_a_413(client, path):
    response = client.post(path, data=b"{" + b" " * (30 * 1024 * 1024) + b"}", content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


def test_concurrent_schema_requests_all_succeed():
    """drf-spectacular's generator is not thread-safe: two requests on daphne's thread pool at once broke one."""
    import threading

    from django.test import Client

    barrier, statuses = threading.Barrier(4), []

    def fetch() -> None:
        client = Client()
        barrier.wait()
        statuses.append(client.get("/api/schema/", HTTP_ACCEPT="application/json").status_code)

    threads = [threading.Thread(target=fetch) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 4
