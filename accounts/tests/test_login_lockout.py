"""Failed log-ins (docs/accounts.md "Failed log-ins"): counted per real, normalised email on every door; an
(account, address) pair locks, an address that fails across many accounts locks, an account under attack is
slowed for addresses it never logged in from, and nobody else can lock an account out."""

from typing import Any

import pytest
from allauth.account.models import EmailAddress
from axes.models import AccessAttempt
from django.db.models import Sum
from django.test import Client
from rest_framework.test import APIClient

from tests.fixtures.core import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db
WRONG = "not-the-password-at-all"
HOME, ATTACKER, LAPTOP = "198.51.100.10", "203.0.113.66", "192.0.2.44"


@pytest.fixture(autouse=True)
def _lockout_on(settings: Any) -> None:
    """Production's policy, with allauth's own limits as configured (see the override below)."""
    settings.AXES_ENABLED = True


@pytest.fixture
def _no_allauth_rate_limits() -> None:
    """Overrides the accounts conftest's autouse fixture: this module runs with allauth's limits as configured."""


def api_login(email: str, password: str, ip: str) -> Any:
    return APIClient().post("/api/auth/login", {"email": email, "password": password}, format="json", REMOTE_ADDR=ip)


def site_login(email: str, password: str, ip: str) -> tuple[Any, Client]:
    client = Client()
    return client.post("/accounts/login/", {"login": email, "password": password}, REMOTE_ADDR=ip), client


def admin_login(email: str, password: str, ip: str) -> tuple[Any, Client]:
    client = Client()
    response = client.post("/admin/login/?next=/admin/", {"username": email, "password": password}, REMOTE_ADDR=ip)
    return response, client


def verified(user: Any) -> Any:
    EmailAddress.objects.update_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
    return user


def failures(**filters: Any) -> int:
    return AccessAttempt.objects.filter(**filters).aggregate(n=Sum("failures_since_start"))["n"] or 0


def assert_refused_with_retry_after(response: Any) -> None:
    assert response.status_code == 429, response.content
    assert 0 < int(response["Retry-After"]) <= 15 * 60


def test_failures_against_made_up_emails_never_lock_a_real_account(user: Any) -> None:
    # given twenty failed log-ins for made-up emails, from the attacker's address and from the bidder's own
    verified(user)
    for n in range(10):
        assert api_login(f"nobody{n}@example.test", WRONG, ATTACKER).status_code == 401
        response, _ = site_login(f"Ghost{n}@Example.test", WRONG, HOME)
        assert response.status_code == 200  # the form again, with its error
    # then each is recorded under its own email, none under the real account's
    assert failures(username="nobody3@example.test") == 1
    assert failures(username="ghost3@example.test") == 1
    assert failures(username=user.email) == 0
    assert not AccessAttempt.objects.filter(username__isnull=True).exists()
    # and the real account logs in, by either door, from either address
    assert api_login(user.email, DEFAULT_PASSWORD, ATTACKER).status_code == 200
    response, client = site_login(user.email, DEFAULT_PASSWORD, HOME)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_many_failures_for_one_account_from_one_address_do_not_stop_it_from_another(user: Any) -> None:
    # given twenty failed log-ins for a bidder's account from one address
    verified(user)
    for _ in range(20):
        api_login(user.email, WRONG, ATTACKER)
    # then that address may not try that account any more: 429 with Retry-After, never a misleading 401
    locked = api_login(user.email, DEFAULT_PASSWORD, ATTACKER)
    assert_refused_with_retry_after(locked)
    assert locked.json()["code"] == "locked_out"
    site_locked, _ = site_login(user.email, DEFAULT_PASSWORD, ATTACKER)
    assert_refused_with_retry_after(site_locked)
    assert "Too many failed log-in attempts" in site_locked.content.decode()
    # and only the failures up to the lock were counted against the pair
    assert failures(username=user.email, ip_address=ATTACKER) == 8
    # but the bidder logs in from home, by either door
    assert api_login(user.email, DEFAULT_PASSWORD, HOME).status_code == 200
    response, client = site_login(user.email, DEFAULT_PASSWORD, HOME)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_the_counts_are_the_same_whichever_door(staff_user: Any) -> None:
    # given eight failures for one staff account from one address, spread over the three doors and
    # spelled differently (case, spaces)
    verified(staff_user)
    spellings = ["staff@example.test", " Staff@Example.TEST ", "STAFF@example.test"]
    for n in range(3):
        assert api_login(spellings[n % 3], WRONG, ATTACKER).status_code == 401
        assert site_login(spellings[(n + 1) % 3], WRONG, ATTACKER)[0].status_code == 200
    assert admin_login(spellings[0], WRONG, ATTACKER)[0].status_code == 200
    # the failure that fills the count is answered with the lock at once
    assert_refused_with_retry_after(admin_login(spellings[1], WRONG, ATTACKER)[0])
    # then every failure is counted once under the one normalised email
    assert list(AccessAttempt.objects.values_list("username", flat=True).distinct()) == ["staff@example.test"]
    assert failures(username="staff@example.test", ip_address=ATTACKER) == 8
    # and the pair is now refused at every door, even with the right password
    assert_refused_with_retry_after(api_login(staff_user.email, DEFAULT_PASSWORD, ATTACKER))
    assert_refused_with_retry_after(site_login(staff_user.email, DEFAULT_PASSWORD, ATTACKER)[0])
    admin_locked, admin_client = admin_login(staff_user.email, DEFAULT_PASSWORD, ATTACKER)
    assert_refused_with_retry_after(admin_locked)
    assert "_auth_user_id" not in admin_client.session
    # while another address logs in at every door
    assert api_login(staff_user.email, DEFAULT_PASSWORD, HOME).status_code == 200
    response, client = admin_login(staff_user.email, DEFAULT_PASSWORD, HOME)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(staff_user.pk)


def test_an_address_failing_across_many_accounts_is_locked_for_every_account(user: Any) -> None:
    # given one address spraying guesses over thirty made-up accounts
    verified(user)
    for n in range(30):
        api_login(f"spray{n}@example.test", WRONG, ATTACKER)
    # then that address is refused, whatever account it names
    assert_refused_with_retry_after(api_login(user.email, DEFAULT_PASSWORD, ATTACKER))
    # and nobody else is: the account has no failures, and logs in from its own address
    assert failures(username=user.email) == 0
    assert api_login(user.email, DEFAULT_PASSWORD, HOME).status_code == 200


def test_an_account_under_attack_is_slowed_for_new_addresses_but_never_for_its_own(user: Any) -> None:
    # given a bidder who logged in from home before
    verified(user)
    assert api_login(user.email, DEFAULT_PASSWORD, HOME).status_code == 200
    # when guesses for the account come from twenty addresses, one each
    for n in range(20):
        assert api_login(user.email, WRONG, f"203.0.113.{n + 1}").status_code == 401
    # then an address the account never logged in from gets one try per slot, then waits (Retry-After)
    assert api_login(user.email, DEFAULT_PASSWORD, LAPTOP).status_code == 200
    slowed = api_login(user.email, DEFAULT_PASSWORD, "192.0.2.45")
    assert slowed.status_code == 429
    assert slowed.json()["code"] == "login_slowed"
    assert 0 < int(slowed["Retry-After"]) <= 60
    # and a slowed attempt is not a failure: nothing was tried
    assert failures(ip_address="192.0.2.45") == 0
    # while home, where the bidder logged in before, is never slowed, by either door
    assert api_login(user.email, DEFAULT_PASSWORD, HOME).status_code == 200
    response, client = site_login(user.email, DEFAULT_PASSWORD, HOME)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_a_wrong_second_factor_on_the_api_counts_as_a_failure(user: Any) -> None:
    # given a bidder with TOTP on
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    verified(user)
    TOTP.activate(user, generate_totp_secret())
    # when the right password comes with wrong codes
    client = APIClient()
    statuses = [
        client.post(
            "/api/auth/login",
            {"email": user.email, "password": DEFAULT_PASSWORD, "code": "000000"},
            format="json",
            REMOTE_ADDR=ATTACKER,
        ).status_code
        for _ in range(8)
    ]
    assert statuses == [401] * 7 + [429]
    # then each counted for the pair, which is now locked
    assert failures(username=user.email, ip_address=ATTACKER) == 8
    assert_refused_with_retry_after(api_login(user.email, DEFAULT_PASSWORD, ATTACKER))
