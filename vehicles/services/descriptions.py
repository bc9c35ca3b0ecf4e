"""Draft a listing description for the seller to edit (nothing is saved here)."""

from typing import Any

from vehicles import condition
from vehicles.descriptions import DescriptionDraft, DescriptionWriter, description_writer
from vehicles.models import Vehicle
from vehicles.services.lifecycle import check_can_edit
from vehicles.services.media import _vehicle_for
from vehicles.validation import CONDITION_FIELDS, VehicleInvalid, clean_vehicle_fields

FACT_FIELDS = (
    "year", "make", "model", "trim", "body_type", "engine", "transmission", "drivetrain", "fuel_type", "mileage",
    "exterior_color", "interior_color", "condition_grade", "condition_notes", "title_type", "title_state", "features",
    "city", "state", *CONDITION_FIELDS,
)  # fmt: skip
CHOICE_LABELS = ("body_type", "transmission", "drivetrain", "fuel_type", "condition_grade")
# The structured condition report, said in words by `condition_report_facts` (in the prompt's order).
REPORT_FIELDS = ("title_type", "title_state", *CONDITION_FIELDS)


def _choice_label(name: str, value: Any) -> str:
    choices = dict(getattr(Vehicle._meta.get_field(name), "choices", None) or [])
    return str(choices.get(value, value or ""))


def condition_report_facts(values: dict[str, Any]) -> dict[str, str]:
    """The structured condition report in words (vehicles.condition's vocabulary): runs and drives, keys,
    title brand, odometer brand, airbags and damage by panel; a fact the seller did not report is left out."""
    starts, drives = values.get("starts") or "", values.get("drives") or ""
    facts: dict[str, str] = {}
    if condition.runs_and_drives(starts, drives):
        facts["runs_and_drives"] = "yes"
    elif starts or drives:
        said = [
            f"{name}: {_choice_label(name, value) or 'not reported'}"
            for name, value in (("starts", starts), ("drives", drives))
        ]
        facts["runs_and_drives"] = f"no ({'; '.join(said)})"
    keys = values.get("keys_count")
    if keys is not None:
        facts["keys"] = "none" if keys == 0 else str(keys)
    title = _choice_label("title_type", values.get("title_type") or condition.CLEAN_TITLE)
    if condition.is_branded(values.get("title_type") or ""):
        where = f", {values['title_state']}" if values.get("title_state") else ""
        title = f"{title} (branded title{where})"
    facts["title_brand"] = title
    if values.get("odometer_brand"):
        facts["odometer_brand"] = _choice_label("odometer_brand", values["odometer_brand"])
    if values.get("airbags_deployed"):
        facts["airbags_deployed"] = _choice_label("airbags_deployed", values["airbags_deployed"])
    rows = condition.damage_rows(values.get("damage") or [], {})
    facts["damage_by_panel"] = (
        "; ".join(f"{row['panel_label']}: {row['type_label'].lower()}, {row['severity_label'].lower()}" for row in rows)
        or "none reported"
    )
    if values.get("announcements"):
        facts["announcements"] = str(values["announcements"])
    return facts


def _valid_overrides(vehicle: Vehicle, overrides: dict[str, Any]) -> dict[str, Any]:
    """The form's unsaved values, through the same validation as a save; a value that would not save is left
    out (the draft uses the saved one) rather than refusing the draft."""
    given = {name: value for name, value in overrides.items() if name in FACT_FIELDS and value is not None}
    given = {name: value for name, value in given.items() if value != "" or name in CONDITION_FIELDS}
    try:
        return clean_vehicle_fields(given, current=vehicle)
    except VehicleInvalid as invalid:
        valid = {name: value for name, value in given.items() if name not in invalid.errors}
        try:
            return clean_vehicle_fields(valid, current=vehicle)
        except VehicleInvalid:
            return {}


def vehicle_facts(vehicle: Vehicle, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The facts a description may use: the saved vehicle, overlaid with the form's unsaved values, with the
    structured condition report in words."""
    values: dict[str, Any] = {name: getattr(vehicle, name) for name in FACT_FIELDS}
    values.update(_valid_overrides(vehicle, overrides or {}))
    facts = {name: values[name] for name in FACT_FIELDS if name not in REPORT_FIELDS}
    for name in CHOICE_LABELS:
        facts[name] = _choice_label(name, facts[name])
    if isinstance(facts.get("features"), str):
        facts["features"] = [item.strip() for item in facts["features"].replace(";", "\n").splitlines() if item.strip()]
    location = {name: facts.pop(name) for name in ("city", "state")}
    return {**facts, **condition_report_facts(values), **location}


def vehicle_draft_description(
    *, actor: Any, vehicle_id: int, overrides: dict[str, Any] | None = None, writer: DescriptionWriter | None = None
) -> DescriptionDraft:
    """Ask the description writer (OpenAI, or the sandbox) for a draft; VendorUnavailable on failure."""
    vehicle = _vehicle_for(actor, vehicle_id)
    check_can_edit(actor=actor, vehicle=vehicle)
    return (writer or description_writer()).draft(vehicle_facts(vehicle, overrides))
