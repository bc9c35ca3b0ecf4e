"""Money is Decimal with two places, rounded half up in exactly one place: here."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


class MoneyError(ValueError):
    """The value is not an amount of dollars and cents."""


def money(value: Decimal | int | str) -> Decimal:
    """Round an exact value (never a float) to cents, half up."""
    if isinstance(value, float):
        raise TypeError("money() refuses floats; pass a Decimal, int or str")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def parse_amount(raw: object, *, field: str = "amount") -> Decimal:
    """Parse user input into a positive amount with at most two decimals, or raise MoneyError.

    Unlike `money()`, this never rounds: "10.005" is an error, not $10.01.
    """
    if isinstance(raw, float):
        raise TypeError("parse_amount() refuses floats; JSON numbers are parsed as Decimal")
    if raw is None or isinstance(raw, bool) or str(raw).strip() == "":
        raise MoneyError(f"{field} is required")
    text = str(raw).strip().replace(",", "").removeprefix("$")
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise MoneyError(f"{field} must be a number, like 5250 or 5250.00") from exc
    if not value.is_finite():
        raise MoneyError(f"{field} must be a number, like 5250 or 5250.00")
    if value <= 0:
        raise MoneyError(f"{field} must be greater than zero")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise MoneyError(f"{field} can have at most two decimal places")
    if value >= Decimal("10000000000"):
        raise MoneyError(f"{field} is too large")
    return value.quantize(CENT)


def format_usd(value: Decimal) -> str:
    return f"${money(value):,.2f}"
