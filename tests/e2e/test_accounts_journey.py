"""Browser journeys of the accounts issue, against a real daphne process.

1. Sign up → open the verification email → log in → set up TOTP 2FA → verify identity (sandbox) →
   add a test card → the checklist says "ready to bid" → log out and back in with a TOTP code.
2. Apply as a seller → staff approve in the admin → the seller sees the seller dashboard link (/sell/).

The daphne child uses accounts/tests/e2e_settings.py: emails are written to files we read here.
"""

import re
import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from playwright.sync_api import Browser, Page, expect

from accounts.models import SellerProfile, User
from tests.fixtures.core import DEFAULT_PASSWORD, UserFactory
from tests.fixtures.live_server import running_daphne

pytestmark = pytest.mark.e2e
PASSWORD = "journey-pass-2026!"


@pytest.fixture(scope="module")
def accounts_server(django_db_setup: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A daphne process whose emails land in files (and whose vendors are the local sandboxes)."""
    mail_dir = tmp_path_factory.mktemp("accounts-mail")
    log_path = tmp_path_factory.mktemp("accounts-daphne") / "daphne.log"
    settings_module = "accounts.tests.e2e_settings"
    with running_daphne(log_path, DJANGO_SETTINGS_MODULE=settings_module, EMAIL_FILE_PATH=str(mail_dir)) as url:
        yield url, mail_dir


@pytest.fixture
def accounts_live(accounts_server: tuple[str, Path], transactional_db: None) -> tuple[str, Path]:
    return accounts_server


def _confirmation_link(mail_dir: Path, email: str, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted(mail_dir.glob("*.log"), key=lambda p: p.stat().st_mtime, reverse=True):
            text = path.read_text()
            if f"To: {email}" in text:
                match = re.search(r"https?://\S+/accounts/confirm-email/\S+/", text)
                if match:
                    return match.group(0)
        time.sleep(0.2)
    raise AssertionError(f"no verification email for {email} in {mail_dir}")


def _totp_code(secret: str) -> str:
    """The current code; waits for a fresh 30 s window when this one is about to end."""
    if 30 - time.time() % 30 < 3:
        time.sleep(30 - time.time() % 30 + 0.2)
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def _log_in(page: Page, live: str, email: str, password: str) -> None:
    page.goto(live + "/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_sign_up_to_ready_to_bid(page: Page, accounts_live: tuple[str, Path]) -> None:
    live, mail_dir = accounts_live
    email = f"journey-{uuid.uuid4().hex[:8]}@example.test"

    # sign up
    page.goto(live + "/accounts/signup/")
    expect(page.get_by_role("navigation", name="Main navigation")).to_be_visible()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(live + "/accounts/confirm-email/")

    # open the verification email and confirm
    link = _confirmation_link(mail_dir, email)
    page.goto(link)
    page.get_by_role("button", name="Confirm").click()
    assert EmailAddress.objects.get(email=email).verified

    # confirming signed us in (LOGIN_ON_EMAIL_CONFIRMATION)
    expect(page.get_by_role("link", name="My account")).to_be_visible()

    # two-factor: allauth asks for the password again, then shows the secret
    page.goto(live + "/accounts/2fa/totp/activate/")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Activate authenticator app")).to_be_visible()
    secret = page.locator("#authenticator_secret").input_value()
    page.get_by_label("Authenticator code").fill(_totp_code(secret))
    page.get_by_role("button", name="Activate").click()
    expect(page.locator("body")).to_contain_text("Authenticator app activated")

    # profile (the card's billing address)
    page.goto(live + "/account/profile/")
    page.get_by_label("First name").fill("Jo")
    page.get_by_label("Last name").fill("Journey")
    page.get_by_label("Street address").fill("100 Nicollet Mall")
    page.get_by_label("City").fill("Minneapolis")
    page.get_by_label("State").select_option("MN")
    page.get_by_label("ZIP code").fill("55401")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("alert").filter(has_text="Your profile was saved.")).to_be_visible()

    # identity, in the sandbox that plays Persona's hosted flow
    page.goto(live + "/account/identity/")
    page.get_by_role("button", name="Verify my identity").click()
    expect(page.get_by_role("heading", name="ID check")).to_be_visible()
    page.get_by_role("button", name="Approve (ID matches)").click()
    expect(page).to_have_url(live + "/account/card/")  # straight on to the next step
    page.goto(live + "/account/ready/")
    expect(page.locator("[data-step=identity]")).to_have_attribute("data-done", "true")

    # a declined card first: the processor's reason in plain words
    page.goto(live + "/account/card/")
    page.get_by_label("Card number").fill("4000 0000 0000 0002")
    page.get_by_label("Expiry year").select_option(str(date.today().year + 2))
    page.get_by_role("button", name="Save card").click()
    expect(page.locator("#card-form")).to_contain_text("Your bank declined this card.")

    # then a test card that works
    page.get_by_label("Card number").fill("4111 1111 1111 1111")
    page.get_by_label("Expiry month").select_option("12")
    page.get_by_label("Expiry year").select_option(str(date.today().year + 2))
    page.get_by_label("Security code (CVV)").fill("123")
    page.get_by_role("button", name="Save card").click()

    # the last step done: the checklist says ready, and the card page shows the card
    expect(page).to_have_url(live + "/account/ready/")
    expect(page.get_by_test_id("ready-status")).to_contain_text("You're ready to bid.")
    page.goto(live + "/account/card/")
    expect(page.get_by_test_id("card-label")).to_have_text("Visa ending 1111")
    page.goto(live + "/account/ready/")

    # and 2FA is really on: log out, log in, the TOTP code is asked for
    page.get_by_role("button", name="Log out").click()
    _log_in(page, live, email, PASSWORD)
    expect(page).to_have_url(live + "/accounts/2fa/authenticate/")
    page.get_by_label("Code", exact=True).fill("000000" if _totp_code(secret) != "000000" else "111111")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("body")).to_contain_text("Incorrect code")
    page.get_by_label("Code", exact=True).fill(_totp_code(secret))
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="My account")).to_be_visible()


def test_one_path_from_sign_up_to_ready_to_bid(page: Page, accounts_live: tuple[str, Path]) -> None:
    """Issue 16, item 8: sign up → confirm (signed in) → checklist → identity → card (billing address asked
    there, a valid expiry preselected) → ready, with the "N of 3 steps done" bar on other pages meanwhile.
    Counts the pages a newcomer loads: 8 (it was 14, with a login, a profile detour and a failed save)."""
    live, mail_dir = accounts_live
    email = f"newcomer-{uuid.uuid4().hex[:8]}@example.test"
    screens: list[str] = []
    page.on("framenavigated", lambda frame: frame == page.main_frame and screens.append(frame.url))

    page.goto(live + "/accounts/signup/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(live + "/accounts/confirm-email/")

    # the link in the email, in the same browser: confirming signs in and continues to the checklist
    page.goto(_confirmation_link(mail_dir, email))
    page.get_by_role("button", name="Confirm").click()
    expect(page).to_have_url(live + "/account/ready/")
    expect(page.get_by_role("link", name="My account")).to_be_visible()
    expect(page.locator("[data-step=email]")).to_have_attribute("data-done", "true")
    expect(page.get_by_test_id("readiness-bar")).to_have_count(0)  # the checklist itself needs no bar

    # every other page says how far along we are and links to the next step
    walked = len(screens)
    page.goto(live + "/vehicles/")
    bar = page.get_by_role("region", name="Getting ready to bid")
    expect(bar).to_contain_text("1 of 3 steps done")
    bar.get_by_role("link", name="Continue: verify your identity").click()
    expect(page).to_have_url(live + "/account/identity/")
    del screens[walked : walked + 1]  # the inventory detour is not part of the path

    page.get_by_role("button", name="Verify my identity").click()
    page.get_by_role("button", name="Approve (ID matches)").click()
    expect(page).to_have_url(live + "/account/card/")
    expect(page.get_by_role("region", name="Getting ready to bid")).to_contain_text("2 of 3 steps done")

    # the card form asks for the billing address itself; the preselected expiry is valid
    today = date.today()
    expect(page.get_by_label("Expiry month")).to_have_value(str(today.month))
    expect(page.get_by_label("Expiry year")).to_have_value(str(today.year + 1))
    page.get_by_label("Card number").fill("4111 1111 1111 1111")
    page.get_by_label("Security code (CVV)").fill("123")
    page.get_by_label("Billing street address").fill("100 Nicollet Mall")
    page.get_by_label("City").fill("Minneapolis")
    page.get_by_label("State").select_option("MN")
    page.get_by_label("ZIP code").fill("55401")
    page.get_by_role("button", name="Save card").click()

    expect(page).to_have_url(live + "/account/ready/")
    expect(page.get_by_test_id("ready-status")).to_contain_text("You're ready to bid.")
    page.goto(live + "/vehicles/")
    expect(page.get_by_test_id("readiness-bar")).to_have_count(0)
    user = User.objects.get(email=email)
    assert (user.address_line1, user.postal_code) == ("100 Nicollet Mall", "55401")  # the profile took it
    paths = [url.removeprefix(live).split("?")[0] for url in screens[:-1]]  # without the last inventory visit
    assert paths == [
        "/accounts/signup/",
        "/accounts/confirm-email/",
        paths[2],  # the confirmation link
        "/account/ready/",
        "/account/identity/",
        paths[5],  # the identity sandbox
        "/account/card/",
        "/account/ready/",
    ], paths


def test_seller_applies_staff_approves_in_admin_seller_sees_dashboard_link(
    browser: Browser, accounts_live: tuple[str, Path]
) -> None:
    live, _ = accounts_live
    applicant = UserFactory(email=f"dealer-{uuid.uuid4().hex[:8]}@example.test")
    EmailAddress.objects.create(user=applicant, email=applicant.email, verified=True, primary=True)
    staff = UserFactory(email=f"staff-{uuid.uuid4().hex[:8]}@example.test", is_staff=True, is_superuser=True)
    EmailAddress.objects.create(user=staff, email=staff.email, verified=True, primary=True)

    seller_page = browser.new_context().new_page()
    _log_in(seller_page, live, applicant.email, DEFAULT_PASSWORD)
    seller_page.goto(live + "/account/seller/")
    seller_page.get_by_label("Business name").fill("Journey Motors")
    seller_page.get_by_label("Dealer license number").fill("MN-D777001")
    seller_page.get_by_label("Tax id (EIN)").fill("41-7654321")
    seller_page.get_by_label("Business street address").fill("500 Hennepin Ave")
    seller_page.get_by_label("City").fill("Minneapolis")
    seller_page.get_by_label("State").select_option("MN")
    seller_page.get_by_label("ZIP code").fill("55403")
    seller_page.get_by_role("button", name="Submit application").click()
    expect(seller_page.get_by_test_id("seller-status")).to_contain_text("Waiting for review")

    staff_page = browser.new_context().new_page()
    staff_page.goto(live + "/admin/login/?next=/admin/accounts/sellerprofile/")
    staff_page.get_by_label("Email").fill(staff.email)
    staff_page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    staff_page.get_by_role("button", name="Log in").click()
    row = staff_page.get_by_role("row").filter(has_text="Journey Motors")
    row.get_by_role("checkbox").check()
    staff_page.locator("select[name=action]").select_option("approve_applications")
    staff_page.get_by_role("button", name="Go").click()
    expect(staff_page.locator(".messagelist")).to_contain_text("1 application(s) approved")

    assert SellerProfile.objects.get(user=applicant).status == "approved"
    assert User.objects.get(pk=applicant.pk).role == User.Role.SELLER
    seller_page.goto(live + "/account/")
    dashboard = seller_page.get_by_role("link", name="Seller dashboard")
    expect(dashboard).to_be_visible()
    expect(dashboard).to_have_attribute("href", "/sell/")
