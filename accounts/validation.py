"""Field rules shared by services, forms and serializers (US addresses, phone numbers, tax ids)."""

import re

from core.errors import DomainError
from core.us_states import MESSAGE as STATE_MESSAGE
from core.us_states import US_STATES, NotAState, parse_state

__all__ = ["US_STATES", "clean_state"]

ZIP_RE = re.compile(r"^\d{5}(-\d{4})?$")
EIN_RE = re.compile(r"^\d{2}-?\d{7}$")
PHONE_DIGITS_RE = re.compile(r"\D")


def clean_state(value: str, field: str = "state") -> str:
    """The state's two-letter code (core.us_states: a code or full name in any case); refuses anything else."""
    try:
        return parse_state(value)
    except NotAState:
        raise DomainError(STATE_MESSAGE, details={field: ["Unknown US state."]}) from None


def clean_zip(value: str, field: str = "postal_code") -> str:
    zip_code = (value or "").strip()
    if zip_code and not ZIP_RE.match(zip_code):
        raise DomainError("ZIP code must look like 55401 or 55401-1234.", details={field: ["Invalid ZIP code."]})
    return zip_code


def clean_phone(value: str, field: str = "phone") -> str:
    phone = (value or "").strip()
    digits = PHONE_DIGITS_RE.sub("", phone)
    if phone and not 10 <= len(digits) <= 15:
        raise DomainError("Phone number must have 10 to 15 digits.", details={field: ["Invalid phone number."]})
    return phone


def clean_ein(value: str, field: str = "tax_id") -> str:
    ein = (value or "").strip()
    if not EIN_RE.match(ein):
        raise DomainError("Tax id must be a 9-digit EIN, like 12-3456789.", details={field: ["Invalid EIN."]})
    digits = ein.replace("-", "")
    return f"{digits[:2]}-{digits[2:]}"


def require(value: str, field: str, label: str) -> str:
    text = (value or "").strip()
    if not text:
        raise DomainError(f"{label} is required.", details={field: ["This field is required."]})
    return text
