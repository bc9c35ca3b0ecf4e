"""The device-id cookie and the sightings it leaves for logged-in users."""

import pytest
from django.conf import settings

from backoffice.models import DeviceSighting

pytestmark = pytest.mark.django_db


def test_a_new_browser_gets_a_long_lived_random_device_id(client):
    response = client.get("/")
    cookie = response.cookies[settings.DEVICE_COOKIE_NAME]
    assert len(cookie.value) >= 20
    assert int(cookie["max-age"]) >= 365 * 24 * 3600
    assert cookie["httponly"]
    again = client.get("/")
    assert settings.DEVICE_COOKIE_NAME not in again.cookies  # kept, not replaced


def test_a_login_records_the_device_and_address_once_per_pair(client, user):
    from allauth.account.models import EmailAddress

    from tests.fixtures.core import DEFAULT_PASSWORD

    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    for address in ("192.0.2.10", "192.0.2.10", "192.0.2.11"):
        client.cookies[settings.DEVICE_COOKIE_NAME] = "k" * 32  # logout() empties the test client's jar
        response = client.post(
            "/accounts/login/", {"login": user.email, "password": DEFAULT_PASSWORD}, REMOTE_ADDR=address
        )
        assert response.status_code == 302
        client.logout()
    rows = list(DeviceSighting.objects.filter(user=user).values_list("device_id", "ip_address"))
    assert sorted(rows) == [("k" * 32, "192.0.2.10"), ("k" * 32, "192.0.2.11")]


def test_pages_of_a_logged_in_session_add_no_query(client, user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        client.get("/")
        client.get("/account/")
    assert not [q for q in captured.captured_queries if "devicesighting" in q["sql"]]


def test_a_forged_device_cookie_is_replaced(client):
    client.cookies[settings.DEVICE_COOKIE_NAME] = "<script>"
    response = client.get("/")
    assert response.cookies[settings.DEVICE_COOKIE_NAME].value != "<script>"


def test_api_answers_carry_no_device_cookie(client):
    response = client.get("/api/health")
    assert settings.DEVICE_COOKIE_NAME not in response.cookies
