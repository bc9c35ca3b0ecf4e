"""The account pages: hub, checklist, profile, seller application, ID check (sandbox) and card (sandbox)."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import AccountEvent, CardOnFile, IdentityVerification, SellerProfile, User

pytestmark = pytest.mark.django_db
NEXT_YEAR = date.today().year + 1


@pytest.fixture(autouse=True)
def _sandboxes(settings):
    """Vendor sandboxes unless a test asks for a fake (the fake fixtures then set credentials)."""
    settings.PERSONA_API_KEY = ""
    settings.AUTHORIZE_NET_LOGIN_ID = ""
    settings.AUTHORIZE_NET_TRANSACTION_KEY = ""


def test_account_pages_require_login(client):
    for path in [
        "/account/",
        "/account/ready/",
        "/account/profile/",
        "/account/seller/",
        "/account/identity/",
        "/account/card/",
    ]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/login/")


def test_hub_shows_every_section_and_the_checklist(logged_in):
    page = logged_in.get("/account/").content.decode()
    for text in [
        "My account",
        "Ready to bid",
        "Profile",
        "Security",
        "ID check",
        "Card on file",
        "Selling",
        "Set up two-factor",
    ]:
        assert text in page
    assert 'href="/account/identity/"' in page
    assert 'href="/account/card/"' in page
    assert "Not ready to bid yet" in page


def test_checklist_says_ready_when_every_step_is_done(logged_in, user, make_eligible):
    make_eligible(user)
    page = logged_in.get("/account/ready/").content.decode()
    assert "You&#x27;re ready to bid." in page or "You're ready to bid." in page
    assert page.count('data-done="true"') == 3


def test_profile_edit_saves_and_shows_field_errors_next_to_fields(logged_in, user):
    response = logged_in.post(
        "/account/profile/",
        {
            "first_name": "Bea",
            "last_name": "Buyer",
            "phone": "612 555 0199",
            "address_line1": "1 Main St",
            "city": "Duluth",
            "state": "MN",
            "postal_code": "55802",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.city, user.postal_code, user.phone) == ("Duluth", "55802", "612 555 0199")

    bad = logged_in.post("/account/profile/", {"first_name": "Bea", "postal_code": "5580", "state": "MN"})
    assert bad.status_code == 200
    page = bad.content.decode()
    assert 'id="postal_code-errors"' in page
    assert "ZIP code must look like" in page


def test_seller_application_submits_with_document_and_shows_status(logged_in, user):
    document = SimpleUploadedFile("licence.pdf", b"%PDF-1.4 test licence", content_type="application/pdf")
    response = logged_in.post(
        "/account/seller/",
        {
            "business_name": "North Loop Motors",
            "dealer_license_number": "MN-D000123",
            "tax_id": "123456789",
            "address_line1": "200 Washington Ave N",
            "city": "Minneapolis",
            "state": "MN",
            "postal_code": "55401",
            "license_document": document,
        },
    )
    assert response.status_code == 302
    application = SellerProfile.objects.get(user=user)
    assert application.status == SellerProfile.Status.PENDING
    assert application.tax_id == "12-3456789"
    assert application.license_document.name.endswith(".pdf")
    page = logged_in.get("/account/seller/").content.decode()
    assert "Waiting for review" in page
    assert "Submit application" not in page


def test_seller_application_with_bad_tax_id_shows_error_at_the_field(logged_in, user):
    response = logged_in.post(
        "/account/seller/",
        {
            "business_name": "X",
            "dealer_license_number": "1",
            "tax_id": "12",
            "address_line1": "a",
            "city": "b",
            "state": "MN",
            "postal_code": "55401",
        },
    )
    assert response.status_code == 200
    assert 'id="tax_id-errors"' in response.content.decode()
    assert not SellerProfile.objects.filter(user=user).exists()


def test_approved_seller_sees_the_seller_dashboard_link(logged_in, user):
    User.objects.filter(pk=user.pk).update(role=User.Role.SELLER)
    page = logged_in.get("/account/").content.decode()
    assert 'href="/sell/"' in page
    assert "Seller dashboard" in page


def test_identity_sandbox_round_trip_goes_through_the_same_return_fetch(
    logged_in, user, sent_notifications, django_capture_on_commit_callbacks
):
    started = logged_in.post("/account/identity/start/")
    assert started.status_code == 302
    verification = IdentityVerification.objects.get(user=user)
    assert verification.status == IdentityVerification.Status.PENDING
    assert started["Location"].startswith(f"/account/identity/sandbox/{verification.inquiry_id}/")

    sandbox_page = logged_in.get(started["Location"])
    assert "Approve" in sandbox_page.content.decode()
    back = logged_in.post(started["Location"], {"decision": "approved"})
    assert back.status_code == 302
    assert back["Location"].startswith("/account/identity/return/")

    with django_capture_on_commit_callbacks(execute=True):
        done = logged_in.get(back["Location"])
    assert done.status_code == 302
    assert done["Location"] == "/account/card/"  # approved: straight on to the next step
    verification.refresh_from_db()
    assert verification.status == IdentityVerification.Status.APPROVED
    assert [n["kind"] for n in sent_notifications] == ["identity_verification_result"]


def test_identity_return_ignores_a_forged_status_in_the_query_string(logged_in, user):
    logged_in.post("/account/identity/start/")
    verification = IdentityVerification.objects.get(user=user)
    logged_in.get(f"/account/identity/return/?inquiry-id={verification.inquiry_id}&status=approved")
    verification.refresh_from_db()
    assert verification.status == IdentityVerification.Status.PENDING


def test_identity_sandbox_page_of_someone_elses_inquiry_is_not_found(logged_in, user_factory):
    other = user_factory()
    IdentityVerification.objects.create(user=other, status="pending", inquiry_id="inq_sandboxother")
    assert logged_in.get("/account/identity/sandbox/inq_sandboxother/").status_code == 404
    assert logged_in.post("/account/identity/sandbox/inq_sandboxother/", {"decision": "approved"}).status_code == 404


def test_card_page_saves_a_sandbox_test_card(logged_in, user, sent_notifications, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in.post(
            "/account/card/",
            {"card_number": "4111 1111 1111 1111", "exp_month": 12, "exp_year": NEXT_YEAR, "cvv": "123"},
        )
    assert response.status_code == 302
    card = CardOnFile.objects.get(user=user)
    assert (card.brand, card.last4, card.exp_month, card.exp_year) == ("Visa", "1111", 12, NEXT_YEAR)
    page = logged_in.get("/account/card/").content.decode()
    assert "Visa ending 1111" in page
    assert "4111111111111111" not in page
    assert sent_notifications[0]["context"]["card"] == "Visa ending 1111"


def test_card_page_declined_card_shows_processor_reason_in_plain_words(logged_in, user):
    response = logged_in.post(
        "/account/card/", {"card_number": "4000000000000002", "exp_month": 1, "exp_year": NEXT_YEAR}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Your bank declined this card." in page
    assert "This transaction has been declined." in page
    assert not CardOnFile.objects.filter(user=user).exists()


def test_card_page_declines_zip_46282_per_sandbox_rules(logged_in, user):
    User.objects.filter(pk=user.pk).update(postal_code="46282")
    response = logged_in.post(
        "/account/card/", {"card_number": "4111111111111111", "exp_month": 1, "exp_year": NEXT_YEAR}
    )
    assert response.status_code == 400
    assert "declined" in response.content.decode()


def test_card_page_replace_then_remove(logged_in, user):
    logged_in.post("/account/card/", {"card_number": "4111111111111111", "exp_month": 12, "exp_year": NEXT_YEAR})
    logged_in.post("/account/card/", {"card_number": "5424000000000015", "exp_month": 6, "exp_year": NEXT_YEAR})
    card = CardOnFile.objects.get(user=user)
    assert card.label == "MasterCard ending 0015"
    assert logged_in.post("/account/card/remove/").status_code == 302
    assert not CardOnFile.objects.filter(user=user).exists()
    kinds = list(AccountEvent.objects.filter(user=user).values_list("kind", flat=True))
    assert kinds == ["card_added", "card_replaced", "card_removed"]


def test_card_form_refuses_missing_number_and_past_expiry_before_any_vendor_call(logged_in, user):
    response = logged_in.post("/account/card/", {"card_number": "", "exp_month": 1, "exp_year": date.today().year})
    assert response.status_code == 400
    assert 'id="card_number-errors"' in response.content.decode()


def test_card_page_when_processor_is_down_says_try_again_and_saves_nothing(logged_in, user, fake_authorize_net):
    fake_authorize_net.fail_status = 503
    response = logged_in.post(
        "/account/card/", {"card_number": "4111111111111111", "exp_month": 12, "exp_year": NEXT_YEAR}
    )
    assert response.status_code == 400
    assert "please try again in a minute" in response.content.decode()
    assert not CardOnFile.objects.filter(user=user).exists()


def test_identity_start_when_persona_is_down_says_try_again(logged_in, user, fake_persona):
    fake_persona.fail_status = 500
    response = logged_in.post("/account/identity/start/", follow=True)
    assert "Please try again in a minute." in response.content.decode()
    assert IdentityVerification.objects.get(user=user).status == IdentityVerification.Status.NOT_STARTED


def test_identity_return_when_persona_is_down_promises_a_later_check(logged_in, user, fake_persona):
    logged_in.post("/account/identity/start/")
    inquiry_id = IdentityVerification.objects.get(user=user).inquiry_id
    fake_persona.delay = 2.0
    response = logged_in.get(f"/account/identity/return/?inquiry-id={inquiry_id}", follow=True)
    assert "We will check again in a few minutes." in response.content.decode()


def counts_for_hub_test(user):
    """A dashboard counter for the test below (settings.USER_DASHBOARD_COUNTERS names dotted callables)."""
    return {"active_bids": 4, "leading": 1, "outbid": 3, "open_orders": 2, "watchlist": 5}


def test_hub_shows_the_users_open_orders_and_outbid_counts(logged_in, settings):
    # given the apps above accounts report counts for this user
    settings.USER_DASHBOARD_COUNTERS = ["accounts.tests.test_pages.counts_for_hub_test"]
    # when the user opens the hub
    page = logged_in.get("/account/").content.decode()
    # then the buying links say what needs attention
    assert "1 leading · 3 outbid" in page
    assert "2 open" in page
    assert "5 vehicles saved" in page
    for href in ['href="/auctions/mine/"', 'href="/watchlist/"', 'href="/orders/"', 'href="/notifications/"']:
        assert href in page


# --- issue 16, item 8: one path to "ready to bid" --------------------------------------------------------------


def test_card_form_preselects_a_valid_expiry_and_prefills_the_billing_address(logged_in, user):
    page = logged_in.get("/account/card/").content.decode()
    today = date.today()
    assert f'<option value="{today.month}" selected>' in page
    assert f'<option value="{today.year + 1}" selected>' in page
    assert f'name="billing_postal_code" value="{user.postal_code}"' in page
    assert "profile</a> first" not in page  # no detour through the profile


def test_card_form_takes_the_billing_address_when_the_profile_has_none(logged_in, user, fake_authorize_net):
    User.objects.filter(pk=user.pk).update(address_line1="", postal_code="", city="", state="")
    refused = logged_in.post(
        "/account/card/", {"card_number": "4111111111111111", "exp_month": 12, "exp_year": NEXT_YEAR}
    )
    assert refused.status_code == 400
    assert "Enter the billing street address." in refused.content.decode()
    response = logged_in.post(
        "/account/card/",
        {
            "card_number": "4111111111111111",
            "exp_month": 12,
            "exp_year": NEXT_YEAR,
            "billing_address_line1": "100 Nicollet Mall",
            "billing_city": "Minneapolis",
            "billing_state": "MN",
            "billing_postal_code": "55401",
        },
    )
    assert response.status_code == 302
    assert "<zip>55401</zip>" in fake_authorize_net.raw_requests[-1].decode()
    user.refresh_from_db()
    assert (user.address_line1, user.city, user.state, user.postal_code) == (
        "100 Nicollet Mall",
        "Minneapolis",
        "MN",
        "55401",
    )


def test_every_page_shows_the_steps_bar_until_ready(logged_in, user, make_eligible):
    page = logged_in.get("/vehicles/").content.decode()
    assert 'data-testid="readiness-bar"' in page
    assert "steps done</strong>" in page
    assert 'data-testid="readiness-bar"' not in logged_in.get("/account/ready/").content.decode()
    make_eligible(user)
    assert 'data-testid="readiness-bar"' not in logged_in.get("/vehicles/").content.decode()


def test_card_form_fields_name_their_purpose_for_autofill(logged_in):
    """WCAG 1.3.5: every card field carries its autocomplete token, the expiry selects included."""
    html = logged_in.get("/account/card/").content.decode()
    for token in ("cc-number", "cc-exp-month", "cc-exp-year", "cc-csc"):
        assert f'autocomplete="{token}"' in html, token


@pytest.mark.parametrize(
    ("next_url", "lands_on"),
    [("/orders/7/", "/orders/7/"), ("https://evil.example/orders/7/", None), ("//evil.example/", None)],
)
def test_a_saved_card_returns_to_the_page_it_came_from_on_this_site_only(logged_in, user, next_url, lands_on):
    response = logged_in.post(
        f"/account/card/?next={next_url}",
        {"card_number": "4111 1111 1111 1111", "exp_month": 12, "exp_year": NEXT_YEAR, "cvv": "123"},
    )
    assert response.status_code == 302
    if lands_on:
        assert response["Location"] == lands_on
    else:
        assert "evil.example" not in response["Location"]
