"""Money is Decimal with two places, rounded half up in exactly one place: here."""

import re
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


class MoneyError(ValueError):
    """The value is not an amount of dollars and cents."""


def money(value: Decimal | int | str) -> Decimal:
    """Round an exact value (never a float) to cents, half up."""
    if isinstance(value, float):
        raise TypeError("money() refuses floats; pass a Decimal, int or str")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


AMOUNT_GRAMMAR = re.compile(r"[0-9]{1,10}(?:\.[0-9]{1,2})?", re.ASCII)
AMOUNT_FORM = "digits with at most two decimals, like 5250 or 5250.00 (no commas, signs, spaces or exponents)"


def _strict_number(raw: object, *, field: str, grammar: re.Pattern[str], form: str) -> Decimal:
    """The shared shape of every number that comes in: a string or JSON number (int, or Decimal from
    core.parsers) whose text matches `grammar` exactly; never a bool, float, list or anything else."""
    if raw is None or (isinstance(raw, str) and raw == ""):
        raise MoneyError(f"{field} is required")
    if isinstance(raw, bool) or not isinstance(raw, str | int | Decimal):
        raise MoneyError(f"{field} must be {form}")
    text = str(raw)
    if not grammar.fullmatch(text):
        raise MoneyError(f"{field} must be {form}")
    return Decimal(text)


def parse_amount(raw: object, *, field: str = "amount", allow_zero: bool = False) -> Decimal:
    """The one grammar for money coming in, at every door: ASCII digits, optionally one `.` and one or two
    decimals, as a string or a JSON number of the same shape (a JSON number arrives as `int` or, from
    `core.parsers`, as `Decimal` with its digits as sent). Nothing else: no sign, spaces, commas, `$`,
    underscores, exponents, non-ASCII digits, lists or booleans. Raises MoneyError with a message that says the
    accepted form. Never rounds: "10.005" is an error, not $10.01. Zero is refused unless `allow_zero`."""
    value = _strict_number(raw, field=field, grammar=AMOUNT_GRAMMAR, form=AMOUNT_FORM)
    if value == 0 and not allow_zero:
        raise MoneyError(f"{field} must be greater than zero")
    return value.quantize(CENT)


def parse_rate(raw: object, *, field: str = "rate", places: int, max_digits: int, signed: bool = False) -> Decimal:
    """The amount grammar for rates and other non-dollar decimals (a sales tax rate 0.06875, a fee rate 0.0500;
    with `signed`, a coordinate -93.265): ASCII digits, optionally one `.` and 1..`places` decimals, at most
    `max_digits` digits in all, and a leading `-` only when `signed`."""
    whole = max(1, max_digits - places)
    sign = "-?" if signed else ""
    grammar = re.compile(rf"{sign}[0-9]{{1,{whole}}}(?:\.[0-9]{{1,{places}}})?", re.ASCII)
    form = f"digits with at most {places} decimals, like 0.05 (no commas, {'plus ' if signed else ''}signs, spaces, % or exponents)"
    return _strict_number(raw, field=field, grammar=grammar, form=form)


def format_usd(value: Decimal) -> str:
    return f"${money(value):,.2f}"
