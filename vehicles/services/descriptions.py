"""Draft a listing description for the seller to edit (nothing is saved here)."""

from typing import Any

from vehicles.descriptions import DescriptionDraft, DescriptionWriter, description_writer
from vehicles.models import Vehicle
from vehicles.services.lifecycle import check_can_edit
from vehicles.services.media import _vehicle_for

FACT_FIELDS = (
    "year", "make", "model", "trim", "body_type", "engine", "transmission", "drivetrain", "fuel_type", "mileage",
    "exterior_color", "interior_color", "condition_grade", "condition_notes", "title_type", "title_state", "features",
    "city", "state",
)  # fmt: skip
CHOICE_LABELS = ("body_type", "transmission", "drivetrain", "fuel_type", "condition_grade", "title_type")


def vehicle_facts(vehicle: Vehicle, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The facts a description may use: the saved vehicle, overlaid with the form's unsaved values."""
    facts: dict[str, Any] = {name: getattr(vehicle, name) for name in FACT_FIELDS}
    for name, value in (overrides or {}).items():
        if name in FACT_FIELDS and value not in (None, ""):
            facts[name] = value
    for name in CHOICE_LABELS:
        choices = dict(getattr(Vehicle._meta.get_field(name), "choices", None) or [])
        facts[name] = str(choices.get(facts[name], facts[name] or ""))
    if isinstance(facts.get("features"), str):
        facts["features"] = [item.strip() for item in facts["features"].replace(";", "\n").splitlines() if item.strip()]
    return facts


def vehicle_draft_description(
    *, actor: Any, vehicle_id: int, overrides: dict[str, Any] | None = None, writer: DescriptionWriter | None = None
) -> DescriptionDraft:
    """Ask the description writer (OpenAI, or the sandbox) for a draft; VendorUnavailable on failure."""
    vehicle = _vehicle_for(actor, vehicle_id)
    check_can_edit(actor=actor, vehicle=vehicle)
    return (writer or description_writer()).draft(vehicle_facts(vehicle, overrides))
