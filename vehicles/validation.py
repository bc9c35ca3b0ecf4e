"""One set of rules for a vehicle's fields, whichever door the data came in by (form, API, CSV import).

`clean_vehicle_fields` turns loosely typed input (strings from forms and CSV, JSON values from the API)
into model values, or raises `VehicleInvalid` whose `details` maps each field to its messages.

Each kind of field has one grammar, and the first thing it checks is the type of the value: text fields take a
string (or null), whole numbers an int or a string of ASCII digits, yes/no fields a bool or a yes/no word,
coordinates the strict decimal grammar (core.money.parse_rate), features a list of strings (or one string with
`;`, `|` or new lines). Any other JSON value (an object, a list, a bool where text belongs) is that field's
error, never a TypeError or a stringified `{...}` stored as text.
"""

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from core.errors import DomainError
from core.geo import zip_point
from core.money import MoneyError, parse_amount, parse_rate
from core.us_states import NotAState, parse_state
from vehicles import condition
from vehicles.models import Vehicle
from vehicles.vin import InvalidVin, validate_vin

ZIP_CODE = re.compile(r"^\d{5}(-\d{4})?$", re.ASCII)
WHOLE_NUMBER = re.compile(r"-?[0-9]{1,3}(?:,[0-9]{3})+|-?[0-9]{1,12}", re.ASCII)  # 120000 or 120,000
YES_WORDS = frozenset({"1", "true", "yes", "y", "on"})
NO_WORDS = frozenset({"0", "false", "no", "n", "off", ""})

TEXT_FIELDS = {
    "make": 60,
    "model": 80,
    "trim": 80,
    "engine": 120,
    "exterior_color": 40,
    "interior_color": 40,
    "city": 100,
    "condition_notes": 5000,
    "description": 10000,
    "announcements": 5000,
}
CHOICE_FIELDS: dict[str, type[Any]] = {
    "body_type": Vehicle.BodyType,
    "transmission": Vehicle.Transmission,
    "drivetrain": Vehicle.Drivetrain,
    "fuel_type": Vehicle.FuelType,
    "condition_grade": Vehicle.ConditionGrade,
    "title_type": Vehicle.TitleType,
    "starts": condition.Starts,
    "drives": condition.YesNo,
    "airbags_deployed": condition.YesNo,
    "odometer_brand": condition.OdometerBrand,
}
CONDITION_FIELDS = ("starts", "drives", "keys_count", "odometer_brand", "airbags_deployed", "damage", "announcements")
MAX_KEYS = 20
PRICE_FIELDS = ("starting_price", "reserve_price", "buy_now_price")
SPEC_FIELDS = ("vin", "year", "make", "model", "trim", "body_type", "engine", "transmission", "drivetrain", "fuel_type")
EDITABLE_FIELDS = (
    *SPEC_FIELDS,
    "mileage",
    "exterior_color",
    "interior_color",
    "condition_grade",
    "condition_notes",
    "title_type",
    "title_state",
    *CONDITION_FIELDS,
    "features",
    "description",
    "city",
    "state",
    "postal_code",
    "latitude",
    "longitude",
    *PRICE_FIELDS,
    "accepts_offers",
)
REQUIRED_ON_CREATE = ("vin", "year", "make", "model", "mileage")
MAX_FEATURES = 60


class VehicleInvalid(DomainError):
    def __init__(self, errors: dict[str, list[str]], *, code: str | None = None) -> None:
        field, messages = next(iter(errors.items()))
        label = field.replace("_", " ")
        message = f"{label}: {messages[0]}" if field != "non_field_errors" else messages[0]
        super().__init__(message, details=errors, code=code)
        self.errors = errors


class AmountInvalid(ValueError):
    """A price outside the one amount grammar (core.money.parse_amount): the error's code is `invalid_amount`."""


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _as_text(value: Any) -> str:
    """A text field's value: a string, stripped; null is empty. Numbers, objects, lists and bools are refused."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError("must be text")
    return value.strip()


def _as_int(value: Any, *, low: int, high: int, what: str) -> int:
    """A JSON integer, or a string of ASCII digits (commas between thousands allowed, for forms and CSV)."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and WHOLE_NUMBER.fullmatch(value.strip()):
        number = int(value.strip().replace(",", ""))
    else:
        raise ValueError(f"must be a whole number of {what}")
    if not low <= number <= high:
        raise ValueError(f"must be between {low:,} and {high:,}")
    return number


def _as_bool(value: Any) -> bool:
    """true/false, or a yes/no word from a form or CSV (`yes`, `on`, `1`, `no`, empty, ...)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = value.strip().lower()
        if word in YES_WORDS:
            return True
        if word in NO_WORDS:
            return False
    raise ValueError("must be true or false")


def _as_coordinate(value: Any, *, name: str) -> Decimal:
    """Degrees in the strict decimal grammar (at most 6 decimals, a leading `-` allowed), within range."""
    try:
        number = parse_rate(value, field=name, places=6, max_digits=9, signed=True)
    except MoneyError:
        raise ValueError("must be a number of degrees with at most 6 decimals, like -93.265011") from None
    limit = 90 if name == "latitude" else 180
    if not -limit <= number <= limit:
        raise ValueError(f"must be between -{limit} and {limit}")
    return number.quantize(Decimal("0.000001"))


def _as_features(value: Any) -> list[str]:
    """A list of strings, or one string of features separated by `;`, `|` or new lines (forms, CSV)."""
    if value is None:
        return []
    if isinstance(value, str):
        items: list[Any] = re.split(r"[;|\n]", value)
    elif isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
        items = list(value)
    else:
        raise ValueError("must be a list of features, each a piece of text")
    features: list[str] = []
    for item in items:
        text = item.strip()
        if text and text.lower() not in {f.lower() for f in features}:
            if len(text) > 80:
                raise ValueError("each feature must be at most 80 characters")
            features.append(text)
    if len(features) > MAX_FEATURES:
        raise ValueError(f"at most {MAX_FEATURES} features")
    return features


def _damage_entries(value: Any) -> list[Any]:
    """The API sends a list of objects; forms and CSV send text: `panel:type:severity` separated by `;`."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        entries: list[Any] = []
        for chunk in re.split(r"[;\n]", value):
            if chunk.strip():
                parts = [part.strip() for part in chunk.split(":")]
                if len(parts) != 3:
                    raise ValueError(f"“{chunk.strip()}” must be panel:type:severity, like hood:hail:minor")
                entries.append({"panel": parts[0], "type": parts[1], "severity": parts[2]})
        return entries
    if isinstance(value, list | tuple):
        return list(value)
    raise ValueError("must be a list of {panel, type, severity, photo_id}")


def _as_damage(value: Any) -> list[dict[str, Any]]:
    """Validated damage entries in panel order; one entry per (panel, type)."""
    cleaned: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in _damage_entries(value):
        if not isinstance(entry, dict):
            raise ValueError("each damage entry must be an object with panel, type and severity")
        unknown = set(entry) - {"panel", "type", "severity", "photo_id"}
        if unknown:
            raise ValueError(f"unknown key in a damage entry: {', '.join(sorted(unknown))}")
        panel = str(entry.get("panel") or "").strip().lower()
        kind = str(entry.get("type") or "").strip().lower()
        severity = str(entry.get("severity") or "").strip().lower()
        if panel not in condition.PANEL_LABELS:
            raise ValueError(f"panel must be one of: {', '.join(condition.PANEL_LABELS)}")
        if kind not in condition.DAMAGE_TYPE_LABELS:
            raise ValueError(f"damage type must be one of: {', '.join(condition.DAMAGE_TYPE_LABELS)}")
        if severity not in condition.SEVERITY_LABELS:
            raise ValueError(f"severity must be one of: {', '.join(condition.SEVERITY_LABELS)}")
        photo = entry.get("photo_id")
        if photo in (None, ""):
            photo_id = None
        elif isinstance(photo, bool) or not str(photo).strip().isdigit():
            raise ValueError("photo_id must be the id of one of this vehicle's photos")
        else:
            photo_id = int(str(photo).strip())
        if (panel, kind) in cleaned:
            raise ValueError(f"{condition.PANEL_LABELS[panel]}: {kind} is listed twice")
        cleaned[(panel, kind)] = {"panel": panel, "type": kind, "severity": severity, "photo_id": photo_id}
    if len(cleaned) > len(condition.PANELS) * len(condition.DAMAGE_TYPES):
        raise ValueError("too many damage entries")
    order = {name: index for index, (name, _) in enumerate(condition.PANELS)}
    return sorted(cleaned.values(), key=lambda e: (order[e["panel"]], e["type"]))


def _clean_one(name: str, value: Any) -> Any:  # noqa: C901 - one branch per kind of field
    if name == "vin":
        return validate_vin(_as_text(value))
    if name == "year":
        return _as_int(value, low=1900, high=date.today().year + 2, what="years")  # noqa: DTZ011
    if name == "mileage":
        return _as_int(value, low=0, high=2_000_000, what="miles")
    if name in TEXT_FIELDS:
        text = _as_text(value)
        if len(text) > TEXT_FIELDS[name]:
            raise ValueError(f"must be at most {TEXT_FIELDS[name]} characters")
        return text
    if name in CHOICE_FIELDS:
        text = _as_text(value).lower()
        choices = CHOICE_FIELDS[name]
        if text == "":
            if name == "title_type":
                return Vehicle.TitleType.CLEAN
            if name == "odometer_brand":
                return condition.OdometerBrand.ACTUAL
            return ""
        by_label = {str(label).lower(): key for key, label in choices.choices}
        text = by_label.get(text, text)
        if text not in choices.values:
            raise ValueError(f"must be one of: {', '.join(choices.values)}")
        return text
    if name in ("state", "title_state"):
        try:
            return parse_state(_as_text(value))
        except NotAState:
            raise ValueError("must be a US state: a two-letter code like MN, or its name") from None
    if name == "postal_code":
        text = _as_text(value)
        if text and not ZIP_CODE.match(text):
            raise ValueError("must be a ZIP code like 55401 or 55401-1234")
        return text
    if name in PRICE_FIELDS:
        if _blank(value):
            return None
        try:
            return parse_amount(value, field=name.replace("_", " "))
        except MoneyError as exc:
            raise AmountInvalid(str(exc).removeprefix(name.replace("_", " ") + " ")) from None
    if name in ("latitude", "longitude"):
        return None if _blank(value) else _as_coordinate(value, name=name)
    if name == "features":
        return _as_features(value)
    if name == "keys_count":
        if _blank(value):
            return None
        return _as_int(value, low=0, high=MAX_KEYS, what="keys")
    if name == "damage":
        return _as_damage(value)
    if name == "accepts_offers":
        return _as_bool(value)
    raise ValueError("is not a field of a vehicle")


def clean_vehicle_fields(data: Mapping[str, Any], *, current: Vehicle | None = None) -> dict[str, Any]:
    """Validate the given fields (only those present); with `current=None` the required ones must be there.

    Price rules look at the merged result (given values over the current vehicle's): reserve at least the
    starting price, buy-now above the starting price and at least the reserve.
    """
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    code = None
    for name in EDITABLE_FIELDS:
        if name not in data:
            continue
        try:
            cleaned[name] = _clean_one(name, data[name])
        except InvalidVin as exc:
            errors[name] = [exc.message]
        except ValueError as exc:
            errors[name] = [str(exc)]
            code = "invalid_amount" if isinstance(exc, AmountInvalid) else code
    _derive(cleaned, errors, current=current)
    if current is None:
        for name in REQUIRED_ON_CREATE:
            if name not in errors and _blank(cleaned.get(name, data.get(name))):
                errors[name] = ["is required"]
    else:
        for name in ("year", "make", "model", "mileage", "vin"):
            if name in cleaned and _blank(cleaned[name]) and name not in errors:
                errors[name] = ["is required"]

    def merged(name: str) -> Any:
        if name in cleaned:
            return cleaned[name]
        return getattr(current, name, None) if current is not None else None

    start, reserve, buy_now = merged("starting_price"), merged("reserve_price"), merged("buy_now_price")
    if not any(name in errors for name in PRICE_FIELDS):
        if reserve is not None and start is not None and reserve < start:
            errors["reserve_price"] = ["must be at least the starting price"]
        if buy_now is not None and start is not None and buy_now <= start:
            errors["buy_now_price"] = ["must be more than the starting price"]
        elif buy_now is not None and reserve is not None and buy_now < reserve:
            errors["buy_now_price"] = ["must be at least the reserve price"]
    if errors:
        raise VehicleInvalid(errors, code=code)
    return cleaned


def _derive(cleaned: dict[str, Any], errors: dict[str, list[str]], *, current: Vehicle | None) -> None:
    """Fields computed from others: coordinates from the ZIP (core.geo, the one ZIP table), the damage bits,
    and damage photos that must be this vehicle's."""
    if "postal_code" in cleaned and "postal_code" not in errors:
        if cleaned["postal_code"]:
            point = zip_point(cleaned["postal_code"])
            if point is None:
                errors["postal_code"] = ["is not a US ZIP code we know"]
            elif "latitude" not in cleaned and "longitude" not in cleaned:
                cleaned["latitude"] = Decimal(str(point.latitude)).quantize(Decimal("0.000001"))
                cleaned["longitude"] = Decimal(str(point.longitude)).quantize(Decimal("0.000001"))
        elif "latitude" not in cleaned and "longitude" not in cleaned:
            cleaned["latitude"] = cleaned["longitude"] = None
    if "damage" in cleaned and "damage" not in errors:
        photo_ids = {entry["photo_id"] for entry in cleaned["damage"] if entry["photo_id"] is not None}
        if photo_ids:
            own = set(current.photos.filter(pk__in=photo_ids).values_list("pk", flat=True)) if current else set()
            if photo_ids - own:
                errors["damage"] = ["photo_id must be the id of one of this vehicle's photos"]
        cleaned["damage_mask"] = condition.damage_mask(cleaned["damage"])


def listing_problems(vehicle: Vehicle, *, photo_count: int) -> list[str]:
    """What still stops a seller from submitting this vehicle for review (empty when ready)."""
    problems = []
    if photo_count < 1:
        problems.append("Add at least one photo.")
    if vehicle.starting_price is None:
        problems.append("Set a starting price.")
    if not vehicle.condition_grade:
        problems.append("Choose a condition grade.")
    if not (vehicle.starts and vehicle.drives and vehicle.keys_count is not None):
        problems.append("Say whether it starts and drives, and how many keys come with it.")
    if len(vehicle.description.strip()) < 30:
        problems.append("Write a description (at least 30 characters).")
    if not (vehicle.city and vehicle.state):
        problems.append("Tell buyers where the vehicle is (city and state).")
    return problems
