"""The site's allauth flows in the site layout: sign-up, verification, login, 2FA, lockout, reset, email change."""

import re
import time
from unittest import mock

import pytest
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.core import mail

from accounts.models import User
from tests.fixtures.core import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db
STRONG = "a-long-unusual-pass-77"


def _signup(client, email, password=STRONG, password2=None):
    return client.post("/accounts/signup/", {"email": email, "password1": password, "password2": password2 or password})


def _verified(user):
    EmailAddress.objects.update_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
    return user


def test_allauth_pages_use_the_site_layout_with_bootstrap_fields(client):
    for path in ["/accounts/signup/", "/accounts/login/", "/accounts/password/reset/"]:
        page = client.get(path).content.decode()
        assert 'aria-label="Main navigation"' in page, path
        assert 'class="form-control' in page, path
        assert "bootstrap.min.css" in page, path
        assert "Menu:" not in page  # allauth's bare default layout is gone


def test_signup_sends_a_verification_email_and_the_link_verifies(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _signup(client, "New.Person@Example.test")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    user = User.objects.get(email__iexact="new.person@example.test")
    assert not EmailAddress.objects.get(user=user).verified
    link = re.search(r"http://[^/]+(/accounts/confirm-email/[^/\s]+/)", mail.outbox[-1].body).group(1)

    confirm_page = client.get(link)
    assert confirm_page.status_code == 200
    client.post(link)
    assert EmailAddress.objects.get(user=user).verified


def test_duplicate_email_creates_no_second_account(client, user):
    _verified(user)
    response = _signup(client, user.email.upper())
    assert User.objects.filter(email__iexact=user.email).count() == 1
    # allauth prevents account enumeration: the page looks like a normal sign-up, the owner gets an email.
    assert response.status_code in (200, 302)


def test_weak_password_is_refused_next_to_the_field(client):
    response = _signup(client, "weak@example.test", password="password")
    assert response.status_code == 200
    page = response.content.decode()
    assert "This password is too common." in page
    assert "is-invalid" in page
    assert not User.objects.filter(email="weak@example.test").exists()


def test_mismatched_passwords_are_refused(client):
    response = _signup(client, "mm@example.test", password=STRONG, password2=STRONG + "x")
    assert response.status_code == 200
    assert "same password" in response.content.decode()


def test_expired_verification_link_says_so(client, user):
    address = EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=False)
    key = EmailConfirmationHMAC(address).key
    four_days_later = time.time() + 4 * 24 * 3600
    with mock.patch("django.core.signing.time.time", return_value=four_days_later):
        response = client.get(f"/accounts/confirm-email/{key}/")
        client.post(f"/accounts/confirm-email/{key}/")
    assert "expired or is invalid" in response.content.decode()
    address.refresh_from_db()
    assert not address.verified


def test_login_needs_a_verified_email(client, user):
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=False)
    response = client.post("/accounts/login/", {"login": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert "_auth_user_id" not in client.session


def test_login_and_logout(client, user):
    _verified(user)
    response = client.post("/accounts/login/", {"login": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    client.post("/accounts/logout/")
    assert "_auth_user_id" not in client.session


def test_wrong_password_shows_a_form_error_not_a_500(client, user):
    _verified(user)
    response = client.post("/accounts/login/", {"login": user.email, "password": "wrong-wrong-wrong"})
    assert response.status_code == 200
    assert "not correct" in response.content.decode()


def _code(secret: str, offset: int = 0) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + offset))


def test_login_with_totp_rejects_a_wrong_code_and_accepts_the_right_one(client, user):
    _verified(user)
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    response = client.post("/accounts/login/", {"login": user.email, "password": DEFAULT_PASSWORD})
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session

    wrong = client.post("/accounts/2fa/authenticate/", {"code": _code(secret, offset=5)})
    assert wrong.status_code == 200
    assert "Incorrect code." in wrong.content.decode()
    assert "_auth_user_id" not in client.session

    right = client.post("/accounts/2fa/authenticate/", {"code": _code(secret)})
    assert right.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_totp_setup_asks_for_the_password_again_then_renders_in_site_layout(client, user):
    _verified(user)
    client.post("/accounts/login/", {"login": user.email, "password": DEFAULT_PASSWORD})
    ask = client.get("/accounts/2fa/totp/activate/")
    assert ask["Location"].startswith("/accounts/reauthenticate/")  # allauth wants the password again
    assert 'aria-label="Main navigation"' in client.get(ask["Location"]).content.decode()
    client.post(ask["Location"], {"password": DEFAULT_PASSWORD})
    page = client.get("/accounts/2fa/totp/activate/").content.decode()
    assert 'aria-label="Main navigation"' in page
    assert "Authenticator secret" in page
    assert 'class="form-control' in page


def test_too_many_failed_logins_show_the_lockout_page_not_a_500(client, user, settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    _verified(user)
    responses = [
        client.post("/accounts/login/", {"login": user.email, "password": "wrong-wrong-wrong"}, REMOTE_ADDR="10.9.8.7")
        for _ in range(4)
    ]
    last = responses[-1]
    assert last.status_code in (403, 429)
    assert "Too many failed log-in attempts" in last.content.decode()
    # even the right password is refused while locked out
    locked = client.post(
        "/accounts/login/", {"login": user.email, "password": DEFAULT_PASSWORD}, REMOTE_ADDR="10.9.8.7"
    )
    assert "Too many failed log-in attempts" in locked.content.decode()


def test_password_reset_sends_a_link_that_sets_a_new_password(client, user, django_capture_on_commit_callbacks):
    _verified(user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password/reset/", {"email": user.email})
    link = re.search(r"http://[^/]+(/accounts/password/reset/key/\S+/)", mail.outbox[-1].body).group(1)
    form_page = client.get(link, follow=True)
    action = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link
    client.post(action, {"password1": "brand-new-pass-2026", "password2": "brand-new-pass-2026"})
    user.refresh_from_db()
    assert user.check_password("brand-new-pass-2026")


def test_email_change_adds_an_unverified_address_and_sends_verification(
    client, user, django_capture_on_commit_callbacks
):
    _verified(user)
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/email/", {"action_add": "", "email": "changed@example.test"})
    assert response.status_code == 302
    assert EmailAddress.objects.filter(user=user, email="changed@example.test", verified=False).exists()
    assert mail.outbox[-1].to == ["changed@example.test"]


# Words that keep their capital inside a sentence-case label: names and initialisms.
PROPER_WORDS = {"North", "Star", "Auto", "Auctions", "ID", "TOTP", "Chicago"}


def _title_case_labels(html: str) -> list[str]:
    """Headings, buttons, labels and the title whose words after the first are capitalized ("Sign Up")."""
    found = []
    for tag in ("title", "h1", "h2", "button", "label"):
        for inner in re.findall(rf"<{tag}\b[^>]*>(.*?)</{tag}>", html, flags=re.S):
            text = re.sub(r"<[^>]+>", " ", inner).split("·")[0]
            words = re.findall(r"[A-Za-z][A-Za-z'-]*", text)
            if any(w[0].isupper() and w not in PROPER_WORDS for w in words[1:]):
                found.append(" ".join(text.split()))
    return found


def test_account_pages_use_the_sites_sentence_case_and_words(client, user):
    # given the sign-up, log-in, password and log-out pages (allauth's, in the site's layout)
    pages = {
        path: client.get(path).content.decode()
        for path in ["/accounts/signup/", "/accounts/login/", "/accounts/password/reset/"]
    }
    client.force_login(_verified(user))
    for path in ["/accounts/logout/", "/accounts/password/change/", "/accounts/email/", "/accounts/2fa/"]:
        pages[path] = client.get(path).content.decode()
    # then no heading, button, label or title is in Title Case
    assert {path: _title_case_labels(html) for path, html in pages.items() if _title_case_labels(html)} == {}
    # and they say what the rest of the site says: "Create your account", "Sign up", "Log in", "Log out"
    signup, login = pages["/accounts/signup/"], pages["/accounts/login/"]
    assert re.search(r"<h1[^>]*>\s*Create your account\s*</h1>", signup)
    assert re.search(r"<button[^>]*>\s*Sign up\s*</button>", signup)
    assert re.search(r"<button[^>]*>\s*Log in\s*</button>", login)
    assert re.search(r"<button[^>]*>\s*Log out\s*</button>", pages["/accounts/logout/"])
    assert "sign in" not in (signup + login).lower()


def test_the_compiled_site_words_match_their_source_file(settings):
    from pathlib import Path

    from django.utils import translation

    # every pair in locale/en's django.po is what the site says: the committed django.mo is compiled from it
    source = (Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po").read_text()
    pairs = re.findall(r'^msgid "(.+)"\nmsgstr "(.*)"$', source, flags=re.MULTILINE)
    assert len(pairs) > 40
    with translation.override("en-us"):
        assert [(msgid, translation.gettext(msgid)) for msgid, _ in pairs] == pairs
