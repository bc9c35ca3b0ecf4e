"""The audit trail: staff actions and console table edits, with who, when, from where and before/after."""

from decimal import Decimal

import pytest
from auditlog.models import LogEntry

from accounts.models import SellerProfile
from backoffice.roles import FINANCE, SUPPORT
from core.models import FeeSchedule

pytestmark = pytest.mark.django_db


def test_approving_a_seller_from_the_detail_page_is_audited(console, seller_application_factory):
    application = seller_application_factory()
    client = console(SUPPORT)
    client.post(f"/admin/accounts/sellerprofile/{application.pk}/approve/", REMOTE_ADDR="203.0.113.9")
    entry = LogEntry.objects.get(additional_data__action="seller_application_approve")
    assert entry.actor is not None
    assert entry.actor.groups.filter(name=SUPPORT).exists()
    assert entry.remote_addr == "203.0.113.9"
    assert entry.object_pk == str(application.pk)
    assert entry.changes["status"] == [SellerProfile.Status.PENDING, SellerProfile.Status.APPROVED]


def test_a_refused_action_writes_no_entry(console, seller_application_factory):
    application = seller_application_factory(status=SellerProfile.Status.APPROVED)
    console(SUPPORT).post(f"/admin/accounts/sellerprofile/{application.pk}/approve/")
    assert not LogEntry.objects.filter(additional_data__action="seller_application_approve").exists()


def test_a_fee_table_edit_is_recorded_with_before_and_after(console):
    schedule = FeeSchedule.objects.first()
    client = console(FINANCE)
    response = client.post(
        f"/admin/core/feeschedule/{schedule.pk}/change/",
        {
            "buyer_fee_rate": "0.0600",
            "buyer_fee_min": "250.00",
            "buyer_fee_max": "5000.00",
            "documentation_fee": "99.00",
            "late_fee": "50.00",
            "seller_fee_rate": "0.0250",
            "seller_fee_min": "100.00",
            "storage_fee_per_day": "25.00",
            "storage_free_business_days": "5",
            "is_active": "on",
        },
        REMOTE_ADDR="198.51.100.4",
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = LogEntry.objects.get_for_object(schedule).latest("timestamp")
    assert entry.changes["buyer_fee_rate"] == ["0.0500", "0.0600"]
    assert entry.remote_addr == "198.51.100.4"
    assert entry.actor is not None
    assert FeeSchedule.objects.get(pk=schedule.pk).buyer_fee_rate == Decimal("0.0600")


def test_the_trail_is_searchable_and_never_edited_or_deleted(client, staff_user, seller_application_factory):
    application = seller_application_factory()
    client.force_login(staff_user)
    client.post(f"/admin/accounts/sellerprofile/{application.pk}/reject/", {"reason": "Licence expired in 2025"})
    listing = client.get("/admin/auditlog/logentry/", {"q": "Licence expired"}).content.decode()
    assert "seller_application_reject" in listing
    entry = LogEntry.objects.get(additional_data__action="seller_application_reject")
    assert client.post(f"/admin/auditlog/logentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert LogEntry.objects.filter(pk=entry.pk).exists()
    change = client.post(f"/admin/auditlog/logentry/{entry.pk}/change/", {"object_repr": "x"})
    assert change.status_code in (200, 403)
    assert LogEntry.objects.get(pk=entry.pk).object_repr != "x"


def test_giving_someone_a_role_in_the_user_admin_is_recorded(client, staff_user, user_factory):
    from django.contrib.auth.models import Group

    member = user_factory(email="new-hire@staff.test")
    client.force_login(staff_user)
    form = client.get(f"/admin/accounts/user/{member.pk}/change/").context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "password"}
    data.update(
        is_staff="on", is_active="on", groups=[Group.objects.get(name=FINANCE).pk], user_permissions=[],
        date_joined_0=member.date_joined.strftime("%Y-%m-%d"), date_joined_1=member.date_joined.strftime("%H:%M:%S"),
    )  # fmt: skip
    for prefix in ("seller_profile", "identity_verification", "card_on_file"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    response = client.post(f"/admin/accounts/user/{member.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    entry = LogEntry.objects.get(additional_data__action="user_access_change")
    assert entry.changes["is_staff"] == [False, True]
    assert entry.changes["groups"] == ["", FINANCE]
    assert entry.actor == staff_user
