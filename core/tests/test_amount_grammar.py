"""The one grammar for money coming in (core.money.parse_amount): ASCII digits, optionally one "." and at most
two decimals, as a string or a JSON number of that shape; everything else is refused with the accepted form."""

import json
import re
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from core.money import AMOUNT_FORM, MoneyError, parse_amount

VALID = re.compile(r"[0-9]{1,10}(\.[0-9]{1,2})?")


@pytest.mark.parametrize(
    "raw",
    [
        "６０５００",  # fullwidth digits
        "٦٠٥٠٠",  # Arabic-Indic digits
        "६०५००",  # Devanagari digits
        "600_000",
        "6e5",
        "6E5",
        "+600000",
        "-600000",
        " 600000 ",
        "600000 ",
        "\t600000",
        "$600000",
        "600,000",
        "600000.",
        ".50",
        "10.005",
        "0x10",
        "NaN",
        "Infinity",
        "1" * 11,
        [60000],
        {"amount": 60000},
        True,
        False,
        60000.0,
        -5,
    ],
)
def test_parse_amount_refuses_everything_outside_the_grammar(raw):
    with pytest.raises(MoneyError, match=re.escape(AMOUNT_FORM)):
        parse_amount(raw)


@pytest.mark.parametrize("raw", ["", None])
def test_parse_amount_says_a_missing_amount_is_required(raw):
    with pytest.raises(MoneyError, match="amount is required"):
        parse_amount(raw)


@pytest.mark.parametrize("raw", ["0", "0.00", 0])
def test_parse_amount_refuses_zero_unless_the_field_allows_it(raw):
    with pytest.raises(MoneyError, match="greater than zero"):
        parse_amount(raw)
    assert parse_amount(raw, allow_zero=True) == Decimal("0.00")


@pytest.mark.parametrize(
    ("raw", "value"),
    [("5250", "5250.00"), ("5250.5", "5250.50"), ("5250.05", "5250.05"), ("0050", "50.00"), (7, "7.00")],
)
def test_parse_amount_accepts_dollars_and_cents(raw, value):
    assert parse_amount(raw) == Decimal(value)


@pytest.mark.parametrize(
    ("body", "value"), [('{"a": 5250}', "5250.00"), ('{"a": 5250.5}', "5250.50"), ('{"a": 5250.25}', "5250.25")]
)
def test_json_numbers_of_the_same_shape_are_amounts(body, value):
    assert parse_amount(json.loads(body, parse_float=Decimal)["a"]) == Decimal(value)


@pytest.mark.parametrize("body", ['{"a": 6e5}', '{"a": 6.0E+5}', '{"a": 1.005}', '{"a": -5}', '{"a": [5]}'])
def test_json_numbers_of_another_shape_are_refused(body):
    with pytest.raises(MoneyError):
        parse_amount(json.loads(body, parse_float=Decimal)["a"])


valid_amounts = st.from_regex(VALID, fullmatch=True).filter(lambda text: Decimal(text) > 0)


# No deadline: the suite shares two cores with browsers and servers; a slow example is not a wrong one.
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_amounts)
def test_every_string_in_the_grammar_round_trips(text):
    value = parse_amount(text)
    assert value == Decimal(text)
    assert value.as_tuple().exponent == -2


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=16))
@example("٣")
@example("1 000")
@example("1.0e3")
def test_every_other_string_is_refused(text):
    if VALID.fullmatch(text) and Decimal(text) > 0:
        assert parse_amount(text) == Decimal(text)
    else:
        with pytest.raises(MoneyError):
            parse_amount(text)
