"""The structured condition report's vocabulary and its pure rules (no database).

A vehicle records whether it starts and drives, its keys, odometer and title brands, airbags, and damage by
panel (a fixed list of panels; per entry a type, a severity and optionally one of the vehicle's photos).
`damage_mask` turns the damage list into one indexed integer (a bit per damage type) so the inventory can
filter "no damage" and "hail damage" without reading JSON. Badges and the branded-title warning are derived
here, once, for the cards, the vehicle page, the bid, offer and buy-now forms, the API and the Results page.
"""

from dataclasses import dataclass
from typing import Any

from django.db import models


class Starts(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"
    WITH_ASSISTANCE = "with_assistance", "With assistance (jump, boost)"


class YesNo(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"


class OdometerBrand(models.TextChoices):
    ACTUAL = "actual", "Actual mileage"
    EXCEEDS = "exceeds_mechanical_limits", "Exceeds mechanical limits"
    NOT_ACTUAL = "not_actual", "Not actual mileage (odometer discrepancy)"
    EXEMPT = "exempt", "Exempt"


PANELS: list[tuple[str, str]] = [
    ("front_bumper", "Front bumper"),
    ("hood", "Hood"),
    ("windshield", "Windshield"),
    ("roof", "Roof"),
    ("left_front_fender", "Left front fender"),
    ("left_front_door", "Left front door"),
    ("left_rear_door", "Left rear door"),
    ("left_quarter_panel", "Left rear quarter panel"),
    ("right_front_fender", "Right front fender"),
    ("right_front_door", "Right front door"),
    ("right_rear_door", "Right rear door"),
    ("right_quarter_panel", "Right rear quarter panel"),
    ("trunk", "Trunk / tailgate"),
    ("rear_glass", "Rear glass"),
    ("rear_bumper", "Rear bumper"),
    ("wheels", "Wheels and tires"),
    ("undercarriage", "Undercarriage"),
    ("interior", "Interior"),
]
PANEL_LABELS = dict(PANELS)

DAMAGE_TYPES: list[tuple[str, str]] = [
    ("dent", "Dent"),
    ("scratch", "Scratch"),
    ("rust", "Rust"),
    ("hail", "Hail"),
    ("crack", "Crack"),
    ("missing", "Missing part"),
]
DAMAGE_TYPE_LABELS = dict(DAMAGE_TYPES)
#: One bit per damage type in `Vehicle.damage_mask` (order is stored data: append, never reorder).
DAMAGE_BITS = {name: 1 << index for index, (name, _) in enumerate(DAMAGE_TYPES)}

SEVERITIES: list[tuple[str, str]] = [("minor", "Minor"), ("moderate", "Moderate"), ("severe", "Severe")]
SEVERITY_LABELS = dict(SEVERITIES)

#: Title types that are not clean: shown as a warning on cards and before a buyer commits.
CLEAN_TITLE = "clean"


def damage_mask(damage: list[dict[str, Any]]) -> int:
    """The bits of the damage types present in a (validated) damage list."""
    mask = 0
    for entry in damage or []:
        mask |= DAMAGE_BITS.get(str(entry.get("type", "")), 0)
    return mask


def runs_and_drives(starts: str, drives: str) -> bool:
    return starts == Starts.YES and drives == YesNo.YES


def is_branded(title_type: str) -> bool:
    return bool(title_type) and title_type != CLEAN_TITLE


@dataclass(frozen=True)
class Badge:
    label: str
    tone: str  # "good" | "warning" | "info"
    description: str = ""


def title_warning_text(*, title_type: str, title_label: str, title_state: str) -> str:
    """What a buyer must read before bidding, offering or buying a vehicle with a branded title ('' when clean)."""
    if not is_branded(title_type):
        return ""
    where = f", issued in {title_state}" if title_state else ""
    return (
        f"Branded title: {title_label}{where}. A branded title can limit registration, insurance, financing "
        "and resale value. Check what it means in your state before you commit."
    )


def badges(vehicle: Any) -> list[Badge]:
    """At-a-glance badges for a card: runs and drives, keys, and warnings (branded title, odometer, airbags)."""
    found: list[Badge] = []
    if runs_and_drives(vehicle.starts, vehicle.drives):
        found.append(Badge("Runs and drives", "good", "Starts and drives under its own power (seller's report)."))
    elif vehicle.starts == Starts.WITH_ASSISTANCE:
        found.append(Badge("Starts with assistance", "info"))
    elif vehicle.starts == Starts.NO:
        found.append(Badge("Does not start", "warning"))
    if vehicle.keys_count:
        found.append(Badge("Keys", "good", f"{vehicle.keys_count} key{'s' if vehicle.keys_count != 1 else ''}"))
    elif vehicle.keys_count == 0:
        found.append(Badge("No keys", "warning"))
    if is_branded(vehicle.title_type):
        found.append(Badge("Branded title", "warning", vehicle.get_title_type_display()))
    if vehicle.odometer_brand and vehicle.odometer_brand != OdometerBrand.ACTUAL:
        found.append(Badge("Odometer brand", "warning", vehicle.get_odometer_brand_display()))
    if vehicle.airbags_deployed == YesNo.YES:
        found.append(Badge("Airbags deployed", "warning"))
    return found


def condition_summary(vehicle: Any) -> str:
    """One line for lists (Results): 'Runs and drives · 2 keys · Salvage title · 3 damage areas'."""
    parts: list[str] = []
    if runs_and_drives(vehicle.starts, vehicle.drives):
        parts.append("Runs and drives")
    elif vehicle.starts:
        parts.append(f"Starts: {vehicle.get_starts_display().lower()}")
    if vehicle.keys_count is not None:
        parts.append(f"{vehicle.keys_count} key{'s' if vehicle.keys_count != 1 else ''}")
    parts.append(f"{vehicle.get_title_type_display()} title")
    count = len(vehicle.damage or [])
    parts.append(f"{count} damage area{'s' if count != 1 else ''}" if count else "No damage reported")
    return " · ".join(parts)


def damage_rows(damage: list[dict[str, Any]], photos_by_id: dict[int, Any]) -> list[dict[str, Any]]:
    """The damage list in panel order with labels and the photo (if it is still the vehicle's), for display."""
    order = {name: index for index, (name, _) in enumerate(PANELS)}
    rows = []
    for entry in sorted(damage or [], key=lambda e: (order.get(e.get("panel", ""), 99), e.get("type", ""))):
        rows.append(
            {
                "panel": entry.get("panel", ""),
                "panel_label": PANEL_LABELS.get(entry.get("panel", ""), entry.get("panel", "")),
                "type": entry.get("type", ""),
                "type_label": DAMAGE_TYPE_LABELS.get(entry.get("type", ""), entry.get("type", "")),
                "severity": entry.get("severity", ""),
                "severity_label": SEVERITY_LABELS.get(entry.get("severity", ""), ""),
                "photo": photos_by_id.get(entry.get("photo_id") or 0),
            }
        )
    return rows


def panel_map(damage: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every panel in diagram order with its damage (for the vehicle page's panel diagram)."""
    rows = damage_rows(damage, {})
    return [
        {
            "name": name,
            "label": label,
            "rows": [row for row in rows if row["panel"] == name],
            "severe": any(row["severity"] == "severe" for row in rows if row["panel"] == name),
        }
        for name, label in PANELS
    ]
