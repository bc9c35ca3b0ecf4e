"""The one US state choice: every place a state is entered (forms, API, CSV import) reads it from here.

A state is its two-letter USPS code. Input may be the code or the full name, in any case ("mn", "Minnesota",
"new york"); anything else is refused, never guessed (a free-text box once cut "Minnesota" to "MI").
"""

from typing import Any

from django import forms
from rest_framework import serializers

STATES: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California", "CO": "Colorado",
    "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia", "FL": "Florida", "GA": "Georgia",
    "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa", "KS": "Kansas",
    "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts",
    "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri", "MT": "Montana",
    "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico",
    "NY": "New York", "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma",
    "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota",
    "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington",
    "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming", "PR": "Puerto Rico",
    "VI": "U.S. Virgin Islands", "GU": "Guam", "AS": "American Samoa", "MP": "Northern Mariana Islands",
}  # fmt: skip
US_STATES = frozenset(STATES)
STATE_CHOICES: list[tuple[str, str]] = sorted(
    ((code, f"{name} ({code})") for code, name in STATES.items()), key=lambda c: c[1]
)
_BY_NAME = {" ".join(name.lower().replace(".", "").split()): code for code, name in STATES.items()}
MESSAGE = "Choose a US state (two-letter code like MN, or its name)."


class NotAState(ValueError):
    pass


def parse_state(value: Any) -> str:
    """The state's code for a code or full name in any case; "" for blank input. Raises NotAState otherwise."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise NotAState(MESSAGE)
    text = value.strip()
    if not text:
        return ""
    if text.upper() in US_STATES:
        return text.upper()
    code = _BY_NAME.get(" ".join(text.lower().replace(".", "").split()))
    if code is None:
        raise NotAState(MESSAGE)
    return code


def state_name(code: str) -> str:
    return STATES.get(code, code)


class StateFormField(forms.ChoiceField):
    """A select of the states (blank first when not required); also accepts a posted full name."""

    def __init__(self, *, required: bool = True, blank_label: str = "Choose a state", **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.Select(attrs={"class": "form-select"}))
        super().__init__(choices=[("", blank_label), *STATE_CHOICES], required=required, **kwargs)

    def to_python(self, value: Any) -> str:
        try:
            return parse_state(value)
        except NotAState:
            raise forms.ValidationError(MESSAGE, code="invalid_choice") from None


class StateSerializerField(serializers.CharField):
    """An API state: a two-letter code (or a full name, normalised to its code); anything else is a 400."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", "US state: two-letter USPS code like MN (a full name is accepted)")
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            return parse_state(data)
        except NotAState:
            raise serializers.ValidationError(MESSAGE, code="not_a_state") from None
