"""Every vehicle field checks the type of its value before using it (vehicles.validation): any JSON value, of any
shape, in any field is either a clean model value or that field's error (VehicleInvalid, a 400), never a
TypeError or decimal.InvalidOperation (a 500). schemathesis found `POST /api/vehicles` with
{"state": false, "longitude": {...}, "features": true} answering 500 (seed 20261206)."""

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vehicles.models import Vehicle
from vehicles.validation import EDITABLE_FIELDS, VehicleInvalid, clean_vehicle_fields

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.decimals(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(["NaN", "-Infinity", "1e999999", "٢٠٢٠", "２０２０", "2_020", "+2020", " 44.5 "])
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=6,
)


def clean_or_field_error(data: dict[str, Any], *, current: Vehicle | None = None) -> dict[str, Any] | VehicleInvalid:
    try:
        return clean_vehicle_fields(data, current=current)
    except VehicleInvalid as exc:
        return exc


def test_the_body_schemathesis_found_is_a_field_error_per_field_not_a_500():
    result = clean_or_field_error({"state": False, "longitude": {"": {"0": {}}}, "features": True})

    assert isinstance(result, VehicleInvalid)
    assert result.details["state"] == ["must be text"]
    assert result.details["longitude"][0].startswith("must be a number of degrees")
    assert result.details["features"] == ["must be a list of features, each a piece of text"]


@pytest.mark.parametrize("name", EDITABLE_FIELDS)
@pytest.mark.parametrize("value", [True, 7, {"a": {"b": 1}}, [["x"]], [{"a": 1}], Decimal("NaN")])
def test_every_field_refuses_a_value_of_the_wrong_type(name: str, value: Any):
    if name == "accepts_offers" and isinstance(value, bool):
        return  # a bool is its right type
    if name in ("year", "mileage", "keys_count") and value == 7:
        return  # an int is the right type (7 keys is allowed; year and mileage fail on range, checked below)
    if name in ("latitude", "longitude", *("starting_price", "reserve_price", "buy_now_price")) and value == 7:
        return  # a JSON number of the grammar's shape is accepted
    result = clean_or_field_error({name: value})

    assert isinstance(result, VehicleInvalid)
    assert name in result.details, result.details


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("mileage", "120,000", 120000),
        ("mileage", " 120000 ", 120000),
        ("year", 2020, 2020),
        ("latitude", "44.977753", Decimal("44.977753")),
        ("longitude", Decimal("-93.2650"), Decimal("-93.265000")),
        ("longitude", -93, Decimal("-93.000000")),
        ("features", "Sunroof; Tow package", ["Sunroof", "Tow package"]),
        ("features", ["Sunroof", "sunroof", " Tow package "], ["Sunroof", "Tow package"]),
        ("accepts_offers", "on", True),
        ("accepts_offers", "", False),
        ("accepts_offers", "FALSE", False),
        ("trim", None, ""),
    ],
)
def test_each_grammar_still_reads_what_forms_csv_and_json_send(name: str, value: Any, expected: Any):
    result = clean_or_field_error({name: value}, current=Vehicle())  # an edit: only the given field is checked

    assert not isinstance(result, VehicleInvalid), result.details
    assert result[name] == expected


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("mileage", "１２０００"),  # fullwidth digits
        ("mileage", "1_000"),
        ("year", "2020.0"),
        ("latitude", "NaN"),
        ("latitude", "4.4e1"),
        ("latitude", "91"),
        ("longitude", "-93.2650111"),  # more than 6 decimals
        ("accepts_offers", "maybe"),
        ("accepts_offers", 1),
        ("postal_code", "５５４０１"),
    ],
)
def test_look_alikes_outside_each_grammar_are_refused(name: str, value: Any):
    result = clean_or_field_error({name: value})

    assert isinstance(result, VehicleInvalid)
    assert name in result.details


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.dictionaries(st.sampled_from(EDITABLE_FIELDS), JSON_VALUES, max_size=6))
def test_any_json_value_in_any_field_is_clean_or_a_field_error(data: dict[str, Any]):
    result = clean_or_field_error(data)  # anything but VehicleInvalid propagates and fails the test

    if isinstance(result, VehicleInvalid):
        assert set(result.details) <= {*EDITABLE_FIELDS, "non_field_errors"}
        assert all(isinstance(m, str) for messages in result.details.values() for m in messages)
