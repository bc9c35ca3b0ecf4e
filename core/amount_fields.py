"""Form, admin and API fields that read numbers through core.money's strict grammar, so that every door where
money (or a rate) comes in refuses the same inputs with the same message: fullwidth or other non-ASCII digits,
`600_000`, `6e5`, `+600000`, ` 600000 `, lists. Django's and DRF's DecimalField accept most of those (they
strip, and `Decimal()` reads any Unicode digit, underscores and exponents).

- `AmountField` (DRF): a request body's amount; errors carry the code `invalid_amount`, which the API's error
  body surfaces (core.api.exception_handler).
- `StrictDecimalFormField` (forms): an amount (two decimals) or a rate (more), by its `decimal_places`;
  model DecimalFields map to it in the admin through `StrictNumbersAdminMixin` (core/admin.py).
tests/hardening/test_amount_doors.py walks every admin, form and input serializer to keep it that way.
"""

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.money import AMOUNT_FORM, AMOUNT_GRAMMAR, MoneyError, parse_amount, parse_rate

INVALID_AMOUNT = "invalid_amount"
AMOUNT_SCHEMA = {
    "type": "string",
    "pattern": f"^{AMOUNT_GRAMMAR.pattern}$",
    "example": "5250.00",
    "description": f"US dollars: {AMOUNT_FORM}. A JSON number of the same shape is accepted too.",
}


@extend_schema_field(AMOUNT_SCHEMA)
class AmountField(serializers.Field):
    """An amount of dollars and cents in a request body (core.money.parse_amount)."""

    default_error_messages = {INVALID_AMOUNT: "{message}"}

    def __init__(self, *, allow_zero: bool = False, **kwargs: Any) -> None:
        self.allow_zero = allow_zero
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Decimal:
        try:
            return parse_amount(data, field=self.field_name or "amount", allow_zero=self.allow_zero)
        except MoneyError as exc:
            self.fail(INVALID_AMOUNT, message=str(exc))
            raise  # unreachable: fail() raises

    def to_representation(self, value: Any) -> str:
        return str(value)


class StrictDecimalFormField(forms.Field):
    """A form's amount (`decimal_places=2`, the default: core.money.parse_amount) or rate (other places:
    parse_rate). Accepts the keyword arguments Django's DecimalField takes, so it can stand in for it."""

    widget = forms.TextInput

    def __init__(
        self,
        *,
        max_digits: int | None = 12,
        decimal_places: int | None = 2,
        min_value: Decimal | int | None = None,
        max_value: Decimal | int | None = None,
        allow_zero: bool = True,
        signed: bool = False,
        **kwargs: Any,
    ) -> None:
        self.max_digits = max_digits or 12
        self.decimal_places = 2 if decimal_places is None else decimal_places
        self.min_value, self.max_value, self.allow_zero, self.signed = min_value, max_value, allow_zero, signed
        kwargs.pop("step_size", None)
        super().__init__(**kwargs)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        return {**super().widget_attrs(widget), "inputmode": "decimal"}

    def to_python(self, value: Any) -> Decimal | None:
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal):  # an initial value from the model, not typed input
            value = str(value)
        name = str(self.label or "This value")
        try:
            if self.decimal_places == 2 and self.max_digits == 12 and not self.signed:
                number = parse_amount(value, field=name, allow_zero=self.allow_zero)
            else:
                number = parse_rate(
                    value, field=name, places=self.decimal_places, max_digits=self.max_digits, signed=self.signed
                )
        except MoneyError as exc:
            raise ValidationError(str(exc), code=INVALID_AMOUNT) from None
        if self.min_value is not None and number < self.min_value:
            raise ValidationError(f"{name} must be at least {self.min_value}.", code="min_value")
        if self.max_value is not None and number > self.max_value:
            raise ValidationError(f"{name} must be at most {self.max_value}.", code="max_value")
        return number


# Decimal columns whose values may be negative (degrees); every other decimal column is an amount or a rate.
SIGNED_DECIMAL_COLUMNS = frozenset({"latitude", "longitude"})


def strict_formfield(db_field: models.Field, **kwargs: Any) -> forms.Field | None:  # type: ignore[type-arg]
    """A ModelForm's `Meta.formfield_callback` (and the admin's, core.admin.StrictNumbersAdminMixin): model
    DecimalFields become StrictDecimalFormField; every other column keeps its own form field."""
    if isinstance(db_field, models.DecimalField):
        kwargs.setdefault("signed", db_field.name in SIGNED_DECIMAL_COLUMNS)
        return db_field.formfield(form_class=StrictDecimalFormField, **kwargs)  # type: ignore[no-any-return]
    return db_field.formfield(**kwargs)  # type: ignore[no-any-return]
