"""Listing lifecycle: who may create and edit, submit rules, staff review, event rows, notifications."""

from decimal import Decimal

import pytest

from core.errors import Conflict, DomainError, NotAllowed
from tests.fixtures.vehicles import valid_vin
from vehicles import services
from vehicles.models import Vehicle, VehicleEvent
from vehicles.validation import VehicleInvalid

pytestmark = pytest.mark.django_db
S = Vehicle.Status


def draft_data(n: int = 1, **extra):
    return {
        "vin": valid_vin(9000 + n),
        "year": "2019",
        "make": "Toyota",
        "model": "Camry",
        "mileage": "41,200",
        **extra,
    }


def test_seller_creates_a_draft_with_an_event_row(seller_factory):
    seller = seller_factory()
    vehicle = services.vehicle_create(seller=seller, data=draft_data(starting_price="8500"))
    assert vehicle.status == S.DRAFT
    assert vehicle.mileage == 41200
    assert vehicle.starting_price == Decimal("8500.00")
    event = VehicleEvent.objects.get(vehicle=vehicle)
    assert (event.from_status, event.to_status, event.actor) == ("", S.DRAFT, seller)


def test_buyer_cannot_create_a_vehicle(user):
    with pytest.raises(NotAllowed):
        services.vehicle_create(seller=user, data=draft_data())


def test_suspended_seller_cannot_create_a_vehicle(seller_factory):
    from django.utils import timezone

    seller = seller_factory(suspended_at=timezone.now())
    with pytest.raises(NotAllowed):
        services.vehicle_create(seller=seller, data=draft_data())


def test_create_refuses_a_bad_vin_next_to_the_field(seller_factory):
    with pytest.raises(VehicleInvalid) as caught:
        services.vehicle_create(seller=seller_factory(), data=draft_data(vin="5UXWX7C5XBA000000"))
    assert "check digit" in caught.value.errors["vin"][0]


def test_create_refuses_a_duplicate_vin(seller_factory):
    services.vehicle_create(seller=seller_factory(), data=draft_data())
    with pytest.raises(Conflict, match="already"):
        services.vehicle_create(seller=seller_factory(), data=draft_data())


def test_create_fills_missing_specs_from_the_vin_decoder(seller_factory, fake_vpic):
    vehicle = services.vehicle_create(seller=seller_factory(), data={"vin": "1HGCM82633A004352", "mileage": "120000"})
    assert (vehicle.year, vehicle.make, vehicle.model, vehicle.body_type) == (2003, "Honda", "Accord", "coupe")
    assert vehicle.decoded_specs["source"] == "vpic"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("mileage", "lots", "whole number"),
        ("year", "1850", "between"),
        ("state", "Minn", "two-letter"),  # not a state ("Minnesota" is one: it becomes MN)
        ("postal_code", "5540", "ZIP"),
        ("starting_price", "-5", "no commas, signs"),
        ("starting_price", "10.005", "two decimal"),
        ("body_type", "spaceship", "one of"),
    ],
)
def test_bad_field_values_are_reported_per_field(seller_factory, field, value, message):
    with pytest.raises(VehicleInvalid) as caught:
        services.vehicle_create(seller=seller_factory(), data=draft_data(**{field: value}))
    assert message in caught.value.errors[field][0]


def test_reserve_below_starting_price_is_refused(seller_factory):
    with pytest.raises(VehicleInvalid) as caught:
        services.vehicle_create(seller=seller_factory(), data=draft_data(starting_price="9000", reserve_price="8000"))
    assert "reserve_price" in caught.value.errors


def test_buy_now_below_reserve_is_refused(vehicle_factory):
    vehicle = vehicle_factory(status=S.DRAFT, starting_price=Decimal("5000"), reserve_price=Decimal("7000"))
    with pytest.raises(VehicleInvalid) as caught:
        services.vehicle_update(vehicle_id=vehicle.pk, actor=vehicle.seller, data={"buy_now_price": "6500"})
    assert "buy_now_price" in caught.value.errors


def test_another_seller_cannot_edit_my_vehicle(vehicle_factory, seller_factory):
    vehicle = vehicle_factory(status=S.DRAFT)
    with pytest.raises(NotAllowed):
        services.vehicle_update(vehicle_id=vehicle.pk, actor=seller_factory(), data={"mileage": "1"})


def test_seller_cannot_edit_while_pending_review(vehicle_factory):
    vehicle = vehicle_factory(status=S.PENDING_REVIEW)
    with pytest.raises(Conflict, match="only while a draft"):
        services.vehicle_update(vehicle_id=vehicle.pk, actor=vehicle.seller, data={"mileage": "1"})


def test_staff_may_edit_an_approved_vehicle(vehicle_factory, staff_user):
    vehicle = vehicle_factory(status=S.APPROVED)
    services.vehicle_update(vehicle_id=vehicle.pk, actor=staff_user, data={"mileage": "70000"})
    vehicle.refresh_from_db()
    assert vehicle.mileage == 70000


def test_incomplete_draft_cannot_be_submitted(vehicle_factory):
    vehicle = vehicle_factory(status=S.DRAFT, description="")
    with pytest.raises(DomainError) as caught:
        services.vehicle_submit(vehicle_id=vehicle.pk, actor=vehicle.seller)
    assert "Add at least one photo." in caught.value.details["missing"]
    vehicle.refresh_from_db()
    assert vehicle.status == S.DRAFT


def ready_vehicle(vehicle_factory, photo_bytes):
    from vehicles.services.media import attach_photo_bytes

    vehicle = vehicle_factory(
        status=S.DRAFT, condition_grade="good", description="A well kept car with a full service history."
    )
    attach_photo_bytes(vehicle=vehicle, data=photo_bytes("front"))
    return vehicle


def test_submit_approve_notifies_the_seller_after_commit(
    vehicle_factory, photo_bytes, staff_user, django_capture_on_commit_callbacks, monkeypatch
):
    calls = []
    monkeypatch.setattr("notifications.services.notify", lambda **kwargs: calls.append(kwargs))
    vehicle = ready_vehicle(vehicle_factory, photo_bytes)
    services.vehicle_submit(vehicle_id=vehicle.pk, actor=vehicle.seller)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.vehicle_approve(vehicle_id=vehicle.pk, actor=staff_user)
    assert calls == []  # nothing leaves before commit
    for callback in callbacks:
        callback()
    vehicle.refresh_from_db()
    assert vehicle.status == S.APPROVED
    assert vehicle.approved_at is not None
    assert calls[0]["user"] == vehicle.seller
    assert calls[0]["kind"] == "vehicle_approved"
    assert calls[0]["context"]["url"].endswith(f"/vehicles/{vehicle.pk}/")
    assert list(vehicle.events.values_list("to_status", flat=True)) == [S.PENDING_REVIEW, S.APPROVED]


def test_reject_requires_a_reason_and_tells_the_seller(
    vehicle_factory, photo_bytes, staff_user, django_capture_on_commit_callbacks, monkeypatch
):
    calls = []
    monkeypatch.setattr("notifications.services.notify", lambda **kwargs: calls.append(kwargs))
    vehicle = ready_vehicle(vehicle_factory, photo_bytes)
    services.vehicle_submit(vehicle_id=vehicle.pk, actor=vehicle.seller)
    with pytest.raises(DomainError, match="why"):
        services.vehicle_reject(vehicle_id=vehicle.pk, actor=staff_user, reason="  ")
    with django_capture_on_commit_callbacks(execute=True):
        services.vehicle_reject(vehicle_id=vehicle.pk, actor=staff_user, reason="Photos are too dark.")
    vehicle.refresh_from_db()
    assert vehicle.status == S.REJECTED
    assert vehicle.rejection_reason == "Photos are too dark."
    assert calls[0]["kind"] == "vehicle_rejected"
    assert calls[0]["object_key"] == f"vehicle:{vehicle.pk}"
    assert calls[0]["context"]["reason"] == "Photos are too dark."
    assert {"vehicle", "reason", "url"} <= set(calls[0]["context"])
    # the seller may fix and resubmit
    services.vehicle_update(vehicle_id=vehicle.pk, actor=vehicle.seller, data={"mileage": "64001"})
    services.vehicle_submit(vehicle_id=vehicle.pk, actor=vehicle.seller)


def test_only_staff_approve(vehicle_factory):
    vehicle = vehicle_factory(status=S.PENDING_REVIEW)
    with pytest.raises(NotAllowed):
        services.vehicle_approve(vehicle_id=vehicle.pk, actor=vehicle.seller)


def test_seller_deletes_only_drafts(vehicle_factory):
    draft = vehicle_factory(status=S.DRAFT)
    approved = vehicle_factory(status=S.APPROVED, seller=draft.seller)
    services.vehicle_delete(vehicle_id=draft.pk, actor=draft.seller)
    assert not Vehicle.objects.filter(pk=draft.pk).exists()
    with pytest.raises(Conflict):
        services.vehicle_delete(vehicle_id=approved.pk, actor=approved.seller)


def test_listing_services_keep_their_contract(vehicle_factory):
    vehicle = vehicle_factory(status=S.APPROVED, reserve_price=None)
    from django.db import transaction

    with transaction.atomic():
        services.vehicle_mark_listed(vehicle_id=vehicle.pk)
    applied = services.vehicle_listing_snapshot_update(
        vehicle_id=vehicle.pk,
        seq=2,
        current_price=Decimal("6100"),
        auction_status="live",
        auction_ends_at=None,
        bid_count=3,
    )
    stale = services.vehicle_listing_snapshot_update(
        vehicle_id=vehicle.pk,
        seq=1,
        current_price=Decimal("5000"),
        auction_status="live",
        auction_ends_at=None,
        bid_count=1,
    )
    vehicle.refresh_from_db()
    assert applied
    assert not stale
    assert (vehicle.status, vehicle.current_price, vehicle.listing_price, vehicle.ending_rank) == (
        S.LISTED,
        Decimal("6100.00"),
        Decimal("6100.00"),
        0,
    )
    with transaction.atomic():
        services.vehicle_mark_sold(vehicle_id=vehicle.pk)
    vehicle.refresh_from_db()
    assert vehicle.status == S.SOLD
    assert not vehicle.in_inventory


def test_an_approved_vehicle_s_make_and_model_are_offered_in_the_filters_at_once(
    vehicle_factory, staff_user, django_capture_on_commit_callbacks
):
    from vehicles.selectors import inventory_makes, inventory_models

    vehicle_factory(status=Vehicle.Status.APPROVED, make="Honda", model="Civic")
    pending = vehicle_factory(status=Vehicle.Status.PENDING_REVIEW, make="Saab", model="900")
    assert "Saab" not in inventory_makes()  # cached now
    assert inventory_models("Saab") == []
    with django_capture_on_commit_callbacks(execute=True):
        services.vehicle_approve(vehicle_id=pending.pk, actor=staff_user)
    assert "Saab" in inventory_makes()
    assert inventory_models("saab") == ["900"]
