"""Seller applications, staff decisions, suspension — services and the admin actions that call them."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import AccountEvent, SellerProfile, User
from accounts.selectors import bidding_eligibility, selling_eligibility, user_can_sell
from accounts.services import (
    seller_application_approve,
    seller_application_reject,
    seller_application_submit,
    user_reinstate,
    user_suspend,
)
from core.errors import Conflict, DomainError, NotAllowed

pytestmark = pytest.mark.django_db
APPLICATION = {
    "business_name": "North Loop Motors",
    "dealer_license_number": "MN-D000123",
    "tax_id": "12-3456789",
    "address_line1": "200 Washington Ave N",
    "city": "Minneapolis",
    "state": "mn",
    "postal_code": "55401",
}


def test_submit_creates_pending_application_and_event(user):
    application = seller_application_submit(user=user, **APPLICATION)
    assert application.status == SellerProfile.Status.PENDING
    assert application.state == "MN"
    event = AccountEvent.objects.get(user=user)
    assert (event.kind, event.to_status) == ("seller_applied", "pending")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("tax_id", "12-34"),
        ("state", "ZZ"),
        ("postal_code", "ABCDE"),
        ("business_name", "  "),
        ("dealer_license_number", ""),
    ],
)
def test_submit_refuses_bad_fields_with_details(user, field, value):
    with pytest.raises(DomainError) as caught:
        seller_application_submit(user=user, **{**APPLICATION, field: value})
    assert field in caught.value.details
    assert not SellerProfile.objects.exists()


def test_submit_refuses_a_document_that_is_not_a_pdf_or_image(user):
    fake_pdf = SimpleUploadedFile("licence.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    with pytest.raises(DomainError, match="not a readable PDF"):
        seller_application_submit(user=user, license_document=fake_pdf, **APPLICATION)


def test_second_submit_while_pending_is_a_conflict(user):
    seller_application_submit(user=user, **APPLICATION)
    with pytest.raises(Conflict, match="already waiting"):
        seller_application_submit(user=user, **APPLICATION)


def test_approve_makes_the_user_a_seller_records_event_and_notifies(
    user, staff_user, sent_notifications, django_capture_on_commit_callbacks
):
    application = seller_application_submit(user=user, **APPLICATION)
    assert not user_can_sell(user)
    with django_capture_on_commit_callbacks(execute=True):
        seller_application_approve(application_id=application.pk, actor=staff_user)

    user.refresh_from_db()
    assert user.role == User.Role.SELLER
    assert user_can_sell(user)
    event = AccountEvent.objects.get(user=user, kind="seller_approved")
    assert (event.actor, event.from_status, event.to_status) == (staff_user, "pending", "approved")
    assert [n["kind"] for n in sent_notifications] == ["seller_application_approved"]
    assert sent_notifications[0]["object_key"] == f"seller_application:{application.pk}"


def test_reject_needs_a_reason_and_tells_the_applicant(
    user, staff_user, sent_notifications, django_capture_on_commit_callbacks
):
    application = seller_application_submit(user=user, **APPLICATION)
    with pytest.raises(DomainError, match="reason"):
        seller_application_reject(application_id=application.pk, actor=staff_user, reason="")
    with django_capture_on_commit_callbacks(execute=True):
        seller_application_reject(
            application_id=application.pk, actor=staff_user, reason="Licence number not found in the DVS register"
        )

    application.refresh_from_db()
    assert application.status == SellerProfile.Status.REJECTED
    assert sent_notifications[0]["kind"] == "seller_application_rejected"
    assert sent_notifications[0]["context"]["reason"] == "Licence number not found in the DVS register"
    user.refresh_from_db()
    assert user.role == User.Role.BUYER


def test_a_decision_cannot_be_made_twice(user, staff_user):
    application = seller_application_submit(user=user, **APPLICATION)
    seller_application_approve(application_id=application.pk, actor=staff_user)
    with pytest.raises(Conflict):
        seller_application_reject(application_id=application.pk, actor=staff_user, reason="late")


def test_rejected_applicant_can_apply_again(user, staff_user):
    application = seller_application_submit(user=user, **APPLICATION)
    seller_application_reject(application_id=application.pk, actor=staff_user, reason="Blurry licence")
    again = seller_application_submit(user=user, **{**APPLICATION, "dealer_license_number": "MN-D000124"})
    assert again.pk == application.pk
    assert (again.status, again.rejection_reason, again.dealer_license_number) == ("pending", "", "MN-D000124")


def test_suspend_blocks_bidding_and_selling_and_reinstate_restores(
    seller, staff_user, make_eligible, sent_notifications, django_capture_on_commit_callbacks
):
    make_eligible(seller)
    assert bidding_eligibility(seller).ok
    assert user_can_sell(seller)

    with django_capture_on_commit_callbacks(execute=True):
        user_suspend(user_id=seller.pk, actor=staff_user, reason="Chargeback fraud investigation")
    seller.refresh_from_db()
    assert bidding_eligibility(seller).codes == ["suspended"]
    assert selling_eligibility(seller).codes == ["suspended"]
    assert sent_notifications[0]["kind"] == "account_suspended"
    assert sent_notifications[0]["context"]["reason"] == "Chargeback fraud investigation"
    with pytest.raises(NotAllowed):
        seller_application_submit(user=seller, **APPLICATION)

    user_reinstate(user_id=seller.pk, actor=staff_user, reason="Investigation closed")
    seller.refresh_from_db()
    assert bidding_eligibility(seller).ok
    kinds = list(AccountEvent.objects.filter(user=seller).values_list("kind", "reason"))
    assert kinds == [("suspended", "Chargeback fraud investigation"), ("reinstated", "Investigation closed")]


def test_suspend_needs_a_reason_and_not_twice(user, staff_user):
    with pytest.raises(DomainError):
        user_suspend(user_id=user.pk, actor=staff_user, reason="")
    user_suspend(user_id=user.pk, actor=staff_user, reason="spam")
    with pytest.raises(Conflict):
        user_suspend(user_id=user.pk, actor=staff_user, reason="spam again")


# --- admin actions ---------------------------------------------------------------------------------


def test_admin_approve_action_approves_selected_applications(admin_client, seller_application_factory):
    application = seller_application_factory()
    response = admin_client.post(
        "/admin/accounts/sellerprofile/",
        {"action": "approve_applications", "_selected_action": [application.pk]},
        follow=True,
    )
    assert response.status_code == 200
    application.refresh_from_db()
    assert application.status == "approved"
    assert User.objects.get(pk=application.user_id).role == User.Role.SELLER
    assert "1 application(s) approved" in response.content.decode()


def test_admin_reject_action_asks_for_a_reason_first(admin_client, seller_application_factory):
    application = seller_application_factory()
    ask = admin_client.post(
        "/admin/accounts/sellerprofile/", {"action": "reject_applications", "_selected_action": [application.pk]}
    )
    assert ask.status_code == 200
    assert "reason" in ask.content.decode().lower()
    application.refresh_from_db()
    assert application.status == "pending"

    admin_client.post(
        "/admin/accounts/sellerprofile/",
        {
            "action": "reject_applications",
            "_selected_action": [application.pk],
            "apply": "1",
            "reason": "Licence expired",
        },
    )
    application.refresh_from_db()
    assert (application.status, application.rejection_reason) == ("rejected", "Licence expired")


def test_admin_suspend_and_reinstate_actions_record_reason(admin_client, user):
    admin_client.post(
        "/admin/accounts/user/",
        {"action": "suspend_users", "_selected_action": [user.pk], "apply": "1", "reason": "Shill bidding"},
    )
    user.refresh_from_db()
    assert user.is_suspended
    assert user.suspension_reason == "Shill bidding"
    admin_client.post(
        "/admin/accounts/user/",
        {"action": "reinstate_users", "_selected_action": [user.pk], "apply": "1", "reason": "Appeal accepted"},
    )
    user.refresh_from_db()
    assert not user.is_suspended


def test_admin_identity_override_action(admin_client, user):
    from accounts.models import IdentityVerification

    verification = IdentityVerification.objects.create(user=user, status="needs_review", inquiry_id="inq_admin1")
    admin_client.post(
        "/admin/accounts/identityverification/",
        {
            "action": "override_status",
            "_selected_action": [verification.pk],
            "apply": "1",
            "status": "approved",
            "reason": "Reviewed documents",
        },
    )
    verification.refresh_from_db()
    assert verification.status == "approved"
    assert verification.override_reason == "Reviewed documents"


def test_admin_list_pages_render(admin_client, seller_application_factory, make_eligible, user):
    seller_application_factory()
    make_eligible(user)
    for path in [
        "/admin/accounts/user/",
        f"/admin/accounts/user/{user.pk}/change/",
        "/admin/accounts/sellerprofile/",
        "/admin/accounts/identityverification/",
        "/admin/accounts/cardonfile/",
        "/admin/accounts/accountevent/",
    ]:
        assert admin_client.get(path).status_code == 200, path
