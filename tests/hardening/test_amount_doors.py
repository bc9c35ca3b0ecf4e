"""One grammar for money coming in, at every door (issue 15, item 3; core.money.parse_amount): each door refuses
the hostile inputs with a 400 `invalid_amount` (API) or a form error, and stores nothing. The bid doors (form,
DRF, lane, socket) have their own parity test (auctions); the walks at the end keep new doors honest."""

import csv
import importlib
import pkgutil
from decimal import Decimal
from typing import Any

import pytest
from django import forms
from django.apps import apps
from django.contrib import admin
from django.db import models
from django.test import RequestFactory
from django.utils import timezone
from rest_framework import serializers
from rest_framework.test import APIClient

from auctions.models import Auction
from core.amount_fields import StrictDecimalFormField
from core.models import FeeSchedule, StateFee
from vehicles.models import Vehicle

pytestmark = pytest.mark.django_db

HOSTILE_TEXT = ["６０５００", "٦٠٥٠٠", "६०५००", "600_000", "6e5", "+600000", " 600000 "]
HOSTILE_JSON = [*HOSTILE_TEXT, [60000]]
OUR_APPS = ("core", "notifications", "accounts", "vehicles", "auctions", "offers", "orders", "fulfillment")


def api_as(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def assert_invalid_amount(response: Any) -> None:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid_amount", body
    assert "digits with at most two decimals" in body["error"]


def assert_form_error(response: Any, field: str) -> None:
    assert response.status_code == 200, response.status_code  # the form again, not a redirect
    form = (
        next((c["form"] for c in response.context if "form" in c and hasattr(c["form"], "errors")), None)
        or response.context["adminform"].form
    )
    assert field in form.errors, form.errors


# --- seller: vehicle API, vehicle pricing form, CSV import --------------------------------------------------


@pytest.mark.parametrize("raw", HOSTILE_JSON)
def test_vehicle_api_refuses_hostile_prices(vehicle_factory, seller, raw):
    car = vehicle_factory(seller=seller, status=Vehicle.Status.DRAFT, reserve_price=None)
    response = api_as(seller).patch(f"/api/vehicles/{car.pk}", {"reserve_price": raw}, format="json")
    assert_invalid_amount(response)
    car.refresh_from_db()
    assert car.reserve_price is None


@pytest.mark.parametrize("raw", HOSTILE_TEXT)
def test_vehicle_pricing_form_refuses_hostile_prices(client, vehicle_factory, seller, raw):
    car = vehicle_factory(seller=seller, status=Vehicle.Status.DRAFT, buy_now_price=None)
    client.force_login(seller)
    response = client.post(
        f"/sell/vehicles/{car.pk}/pricing/",
        {"starting_price": "5000", "buy_now_price": raw, "city": "Minneapolis", "state": "MN", "postal_code": "55401"},
    )
    assert_form_error(response, "buy_now_price")
    car.refresh_from_db()
    assert car.buy_now_price is None


@pytest.mark.parametrize("raw", HOSTILE_TEXT)
def test_csv_import_refuses_hostile_prices(seller, raw):
    from vehicles.services.imports import vehicles_import

    with open("docs/sample_vehicles.csv", newline="") as sample:
        row = next(csv.DictReader(sample))
    row["starting_price"] = raw
    report = vehicles_import(rows=[row], seller=seller, decode=False)
    assert [r.action for r in report.results] == ["error"]
    assert "digits with at most two decimals" in " ".join(report.results[0].errors)
    assert not Vehicle.objects.filter(vin=row["vin"]).exists()


# --- auctions: schedule and update (API and page), reserve (API and page) -----------------------------------


def _ends() -> str:
    return (timezone.now() + timezone.timedelta(days=3)).isoformat()


@pytest.mark.parametrize("raw", HOSTILE_JSON)
def test_auction_schedule_api_refuses_hostile_prices(vehicle_factory, seller, raw):
    car = vehicle_factory(seller=seller)
    response = api_as(seller).post(
        "/api/auctions", {"vehicle_id": car.pk, "ends_at": _ends(), "starting_price": raw}, format="json"
    )
    assert_invalid_amount(response)
    assert not Auction.objects.filter(vehicle=car).exists()


@pytest.mark.parametrize("raw", HOSTILE_JSON)
def test_auction_update_api_refuses_hostile_prices(auction_factory, raw):
    starts = timezone.now() + timezone.timedelta(days=1)
    auction = auction_factory(
        status=Auction.Status.SCHEDULED, starts_at=starts, ends_at=starts + timezone.timedelta(days=3)
    )
    response = api_as(auction.seller).put(f"/api/auctions/{auction.pk}", {"buy_now_price": raw}, format="json")
    assert_invalid_amount(response)
    auction.refresh_from_db()
    assert auction.buy_now_price is None


@pytest.mark.parametrize("raw", HOSTILE_TEXT)
def test_auction_schedule_page_refuses_hostile_prices(client, vehicle_factory, seller, raw):
    car = vehicle_factory(seller=seller)
    client.force_login(seller)
    ends = timezone.localtime(timezone.now() + timezone.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        f"/sell/vehicles/{car.pk}/auction/new/", {"starting_price": "5000", "reserve_price": raw, "ends_at": ends}
    )
    assert_form_error(response, "reserve_price")
    assert not Auction.objects.filter(vehicle=car).exists()


@pytest.mark.parametrize("raw", HOSTILE_JSON)
def test_reserve_api_refuses_hostile_amounts(auction_factory, raw):
    auction = auction_factory(reserve_price=Decimal("9000.00"))
    response = api_as(auction.seller).post(f"/api/auctions/{auction.pk}/reserve", {"reserve_price": raw}, format="json")
    assert_invalid_amount(response)
    auction.refresh_from_db()
    assert auction.reserve_price == Decimal("9000.00")


@pytest.mark.parametrize("raw", HOSTILE_TEXT)
def test_reserve_page_refuses_hostile_amounts(client, auction_factory, raw):
    auction = auction_factory(reserve_price=Decimal("9000.00"))
    client.force_login(auction.seller)
    client.post(f"/auctions/{auction.pk}/reserve/", {"reserve_price": raw})
    auction.refresh_from_db()
    assert auction.reserve_price == Decimal("9000.00")


# --- staff: auction terms, refunds, fee and tax tables ------------------------------------------------------


@pytest.mark.parametrize("raw", HOSTILE_TEXT)
def test_admin_auction_terms_refuse_hostile_prices(client, staff_user, vehicle_factory, raw):
    car = vehicle_factory()
    client.force_login(staff_user)
    now = timezone.localtime()
    response = client.post(
        "/admin/auctions/auction/add/",
        {
            "vehicle": car.pk,
            "starting_price": raw,
            "starts_at_0": now.strftime("%Y-%m-%d"),
            "starts_at_1": now.strftime("%H:%M:%S"),
            "ends_at_0": (now + timezone.timedelta(days=3)).strftime("%Y-%m-%d"),
            "ends_at_1": now.strftime("%H:%M:%S"),
            "soft_close_window_seconds": "120",
            "soft_close_extension_seconds": "120",
            "bids-TOTAL_FORMS": "0",
            "bids-INITIAL_FORMS": "0",
        },
    )
    assert_form_error(response, "starting_price")
    assert not Auction.objects.filter(vehicle=car).exists()


@pytest.mark.parametrize("raw", HOSTILE_TEXT)
def test_admin_refund_refuses_hostile_amounts(client, staff_user, order_factory, raw):
    from orders.models import Payment

    order = order_factory()
    client.force_login(staff_user)
    response = client.post(f"/admin/orders/order/{order.pk}/refund/", {"amount": raw, "reason": "test"})
    assert_form_error(response, "amount")
    assert not Payment.objects.filter(order=order, kind__in=["refund", "void"]).exists()


@pytest.mark.parametrize("raw", HOSTILE_TEXT)
def test_admin_fee_schedule_refuses_hostile_amounts_and_rates(client, staff_user, raw):
    client.force_login(staff_user)
    before = list(FeeSchedule.objects.values())
    fields = {
        "buyer_fee_rate": "0.0500",
        "buyer_fee_min": "250.00",
        "buyer_fee_max": "5000.00",
        "documentation_fee": "99.00",
        "late_fee": "50.00",
        "is_active": "on",
    }
    for name in ("buyer_fee_rate", "late_fee"):
        response = client.post("/admin/core/feeschedule/add/", {**fields, name: raw})
        assert_form_error(response, name)
    assert list(FeeSchedule.objects.values()) == before


@pytest.mark.parametrize("raw", HOSTILE_TEXT)
def test_admin_state_fees_refuse_hostile_amounts_and_rates(client, staff_user, raw):
    client.force_login(staff_user)
    for name in ("title_fee", "sales_tax_rate"):
        fields = {"state": "ZZ", "name": "Nowhere", "title_fee": "20.00", "sales_tax_rate": "0.06875", name: raw}
        response = client.post("/admin/core/statefee/add/", fields)
        assert_form_error(response, name)
    assert not StateFee.objects.filter(state="ZZ").exists()


def test_admin_fee_tables_still_take_well_formed_values(client, staff_user):
    client.force_login(staff_user)
    fields = {"state": "ZZ", "name": "Nowhere", "title_fee": "20", "sales_tax_rate": "0.06875"}
    assert client.post("/admin/core/statefee/add/", fields).status_code == 302
    assert StateFee.objects.get(state="ZZ").sales_tax_rate == Decimal("0.06875")


# --- walks: every admin, form and input serializer reads numbers with the strict grammar --------------------


def _our_modules() -> None:
    for app in OUR_APPS:
        if not apps.is_installed(app):
            continue
        package = importlib.import_module(app)
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{app}."):
            if ".tests" in info.name or ".migrations" in info.name or info.name.endswith(".demo"):
                continue
            importlib.import_module(info.name)


def _subclasses(cls: type) -> set[type]:
    found, todo = set(), [cls]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                todo.append(sub)
    return {c for c in found if c.__module__.split(".")[0] in OUR_APPS}


LOOSE_FORM_FIELDS = (forms.DecimalField, forms.FloatField)


def test_every_admin_reads_decimal_columns_with_the_strict_grammar(staff_user):
    request = RequestFactory().get("/admin/")
    request.user = staff_user
    loose = []
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in OUR_APPS:
            continue
        admins = [model_admin, *(inline(model, admin.site) for inline in model_admin.inlines)]
        for each in admins:
            read_only = set(each.get_readonly_fields(request))
            for field in each.model._meta.fields:
                if isinstance(field, models.DecimalField | models.FloatField) and field.name not in read_only:
                    form_field = each.formfield_for_dbfield(field, request)
                    if form_field is not None and not isinstance(form_field, StrictDecimalFormField):
                        loose.append(f"{type(each).__name__}.{field.name}")
            for name, form_field in getattr(each.form, "declared_fields", {}).items():
                if isinstance(form_field, LOOSE_FORM_FIELDS):
                    loose.append(f"{type(each).__name__}.form.{name}")
    assert loose == [], "use core.admin.StrictNumbersAdminMixin / core.amount_fields.StrictDecimalFormField"


def test_every_form_reads_numbers_with_the_strict_grammar():
    _our_modules()
    loose = [
        f"{form.__module__}.{form.__qualname__}.{name}"
        for form in _subclasses(forms.BaseForm)
        for name, field in getattr(form, "base_fields", {}).items()
        if isinstance(field, LOOSE_FORM_FIELDS)
    ]
    assert loose == [], "use core.amount_fields.StrictDecimalFormField"


COORDINATES = {"latitude", "longitude"}  # not money: signed degrees, DRF's DecimalField bounds them


def test_every_input_serializer_reads_amounts_with_the_strict_grammar():
    """Output serializers (named *Output, STYLE.md) only write numbers out; every other serializer's writable
    decimal field must be core.amount_fields.AmountField."""
    _our_modules()
    loose = []
    for serializer in _subclasses(serializers.BaseSerializer):
        if "Output" in serializer.__qualname__ or not issubclass(serializer, serializers.Serializer):
            continue
        try:
            fields = serializer().fields
        except Exception:  # noqa: BLE001 - needs context to build: its declared fields are enough
            fields = getattr(serializer, "_declared_fields", {})
        for name, field in fields.items():
            if field.read_only or name in COORDINATES:
                continue
            if isinstance(field, serializers.DecimalField | serializers.FloatField):
                loose.append(f"{serializer.__module__}.{serializer.__qualname__}.{name}")
    assert loose == [], "use core.amount_fields.AmountField"


def test_strict_fields_accept_the_grammar():
    field = StrictDecimalFormField(required=True, label="Price")
    assert field.clean("5250.5") == Decimal("5250.50")
    rate = StrictDecimalFormField(max_digits=6, decimal_places=5, label="Rate")
    assert rate.clean("0.06875") == Decimal("0.06875")
    with pytest.raises(forms.ValidationError):
        rate.clean("0.068751")
