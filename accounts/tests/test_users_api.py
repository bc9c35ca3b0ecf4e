"""GET/PUT /api/users/profile, public profile, dashboard, pluggable lists, and 2FA on the JWT login."""

import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value

from accounts.models import SellerProfile, User
from tests.fixtures.core import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db


def test_profile_requires_authentication(api_client):
    assert api_client.get("/api/users/profile").status_code == 401


def test_profile_shows_status_and_missing_requirements(auth_client, user):
    body = auth_client().get("/api/users/profile").json()["data"]
    assert body["email"] == user.email
    assert body["identity_status"] == "not_started"
    assert body["card"] is None
    assert body["seller_application"] is None
    assert [m["code"] for m in body["bidding"]["missing"]] == ["email", "identity", "card"]
    assert body["bidding"]["ok"] is False


def test_profile_of_an_eligible_user_shows_card_and_ready(auth_client, user, make_eligible):
    make_eligible(user)
    body = auth_client().get("/api/users/profile").json()["data"]
    assert body["bidding"]["ok"] is True
    assert body["card"]["label"] == "Visa ending 1111"
    assert body["email_verified"] is True


def test_put_profile_updates_only_given_fields(auth_client, user):
    response = auth_client().put(
        "/api/users/profile", {"city": "St. Paul", "state": "mn", "postal_code": "55102"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["message"] == "Profile saved."
    user.refresh_from_db()
    assert (user.city, user.state, user.postal_code, user.first_name) == ("St. Paul", "MN", "55102", user.first_name)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"state": "XX"}, "state"),
        ({"postal_code": "123"}, "postal_code"),
        ({"phone": "12"}, "phone"),
        ({"city": "x" * 101}, "city"),
    ],
)
def test_put_profile_refuses_bad_values_with_field_details(auth_client, payload, field):
    response = auth_client().put("/api/users/profile", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["details"]


def test_put_profile_cannot_change_email_or_role(auth_client, user):
    auth_client().put("/api/users/profile", {"email": "x@evil.test", "role": "seller"}, format="json")
    user.refresh_from_db()
    assert user.email != "x@evil.test"
    assert user.role == User.Role.BUYER


def test_public_profile_never_shows_email_phone_or_address(api_client, seller):
    SellerProfile.objects.filter(user=seller).update(business_name="Dana's Motors")
    body = api_client.get(f"/api/users/{seller.pk}").json()["data"]
    assert body["display_name"] == seller.display_name
    assert body["seller_business_name"] == "Dana's Motors"
    assert body["member_since"] == seller.date_joined.date().isoformat()
    assert set(body["counts"]) >= {"listings"}
    flat = str(body)
    for private in [seller.email, seller.phone, seller.address_line1, seller.postal_code]:
        assert private not in flat


def test_public_profile_of_unknown_user_is_404(api_client):
    response = api_client.get("/api/users/999999")
    assert response.status_code == 404
    assert response.json()["error"]


def test_dashboard_counts_listings_from_vehicles_and_zero_elsewhere(auth_client, seller, vehicle_factory):
    vehicle_factory(seller=seller)
    vehicle_factory(seller=seller, status="draft")
    vehicle_factory(seller=seller, status="archived")
    counts = auth_client(seller).get("/api/users/dashboard").json()["data"]["counts"]
    expected = {"active_bids": 0, "leading": 0, "won": 0, "watchlist": 0, "open_orders": 0, "listings": 2}
    assert {key: counts[key] for key in expected} == expected
    assert all(isinstance(value, int) for value in counts.values())


def _extra_counts(user):
    return {"active_bids": 3, "watchlist": 1}


def _auctions(user, viewer):
    return [{"id": n, "title": f"Auction {n}"} for n in range(30)]


def test_higher_apps_plug_counts_and_lists_in_through_settings(auth_client, api_client, user, settings):
    settings.USER_DASHBOARD_COUNTERS = [*settings.USER_DASHBOARD_COUNTERS, f"{__name__}._extra_counts"]
    settings.USER_AUCTIONS_PROVIDER = f"{__name__}._auctions"
    counts = auth_client().get("/api/users/dashboard").json()["data"]["counts"]
    assert (counts["active_bids"], counts["watchlist"], counts["won"]) == (3, 1, 0)
    page = api_client.get(f"/api/users/{user.pk}/auctions?page_size=10").json()
    assert page["count"] == 30
    assert len(page["results"]) == 10


def test_auctions_and_bids_lists_are_empty_until_an_app_provides_them(auth_client, user):
    for kind in ("auctions", "bids"):  # as the member: their bids are shown to them and staff only
        body = auth_client(user).get(f"/api/users/{user.pk}/{kind}").json()
        assert body["count"] == 0
        assert body["results"] == []


# --- JWT login and two-factor -----------------------------------------------------------------------


def _current_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


@pytest.fixture
def totp_secret(user):
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    assert Authenticator.objects.filter(user=user, type="totp").exists()
    return secret


def test_jwt_login_without_2fa_is_unchanged(api_client, user):
    response = api_client.post("/api/auth/login", {"email": user.email, "password": DEFAULT_PASSWORD}, format="json")
    assert response.status_code == 200


def test_jwt_login_with_2fa_needs_the_code(api_client, user, totp_secret):
    missing = api_client.post("/api/auth/login", {"email": user.email, "password": DEFAULT_PASSWORD}, format="json")
    assert missing.status_code == 401
    assert "Two-factor code required" in missing.json()["error"]
    wrong = api_client.post(
        "/api/auth/login", {"email": user.email, "password": DEFAULT_PASSWORD, "code": "000000"}, format="json"
    )
    assert wrong.status_code == 401
    assert "Incorrect two-factor code" in wrong.json()["error"]
    right = api_client.post(
        "/api/auth/login",
        {"email": user.email, "password": DEFAULT_PASSWORD, "code": _current_code(totp_secret)},
        format="json",
    )
    assert right.status_code == 200, right.content
    assert "access" in right.json()


def test_dashboard_counts_come_from_every_app(
    auth_client, user, vehicle_factory, live_auction, place_bid, make_eligible, order_factory
):
    from vehicles.services import favorite_add

    make_eligible(user)
    favorite_add(user=user, vehicle_id=vehicle_factory().pk)
    place_bid(live_auction, user, "5000")
    order_factory(buyer=user)
    counts = auth_client(user).get("/api/users/dashboard").json()["data"]["counts"]
    assert (counts["watchlist"], counts["active_bids"], counts["leading"], counts["open_orders"]) == (1, 1, 1, 1)


def test_public_profile_lists_the_sellers_auctions(api_client, live_auction):
    seller = live_auction.seller
    profile = api_client.get(f"/api/users/{seller.pk}").json()["data"]
    assert profile["counts"]["auctions"] == 1
    page = api_client.get(f"/api/users/{seller.pk}/auctions").json()
    assert page["count"] == 1
