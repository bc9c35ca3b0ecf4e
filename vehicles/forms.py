"""Forms of the guided listing flow. They only parse and render; the rules live in vehicles.validation,
applied by the services, whose field errors `apply_service` puts back next to the fields."""

from collections.abc import Callable
from typing import Any

from django import forms

from core.errors import DomainError
from core.us_states import StateFormField
from vehicles import condition
from vehicles.models import Vehicle
from vehicles.validation import VehicleInvalid


def _choices(choices: list[tuple[str, str]], blank: str = "— choose —") -> list[tuple[str, str]]:
    return [("", blank), *choices]


def _text(
    label: str, *, required: bool = False, help_text: str = "", strip: bool = True, **attrs: Any
) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        help_text=help_text,
        strip=strip,
        widget=forms.TextInput(attrs={"class": "form-control", **attrs}),
    )


def _amount(label: str, *, required: bool = False, help_text: str = "") -> forms.CharField:
    """A price, passed as typed to the service (core.money.parse_amount: no spaces, signs or exponents)."""
    return _text(label, required=required, help_text=help_text, strip=False, inputmode="decimal")


def _select(label: str, choices: list[tuple[str, str]], *, required: bool = False) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label, required=required, choices=_choices(choices), widget=forms.Select(attrs={"class": "form-select"})
    )


def _area(label: str, *, rows: int = 4, help_text: str = "", **attrs: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": rows, **attrs}),
    )


class ServiceForm(forms.Form):
    """A form whose fields are initialised from a vehicle and saved through a service."""

    def __init__(self, *args: Any, vehicle: Vehicle | None = None, **kwargs: Any) -> None:
        if vehicle is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_from(vehicle)
        super().__init__(*args, **kwargs)

    def initial_from(self, vehicle: Vehicle) -> dict[str, Any]:
        initial = {name: getattr(vehicle, name) for name in self.base_fields}
        for name, value in initial.items():
            if value is None:
                initial[name] = ""
        return initial

    def apply_service(self, call: Callable[[dict[str, Any]], Any]) -> Any:
        """Run the service with the cleaned data; on a rule broken, show it next to the field. None on failure."""
        if not self.is_valid():
            return None
        try:
            return call(dict(self.cleaned_data))
        except VehicleInvalid as exc:
            for name, messages in exc.errors.items():
                for message in messages:
                    self.add_error(name if name in self.fields else None, message)
        except DomainError as exc:
            for name, messages in exc.details.items():
                if name in self.fields and isinstance(messages, list):
                    for message in messages:
                        self.add_error(name, str(message))
            self.add_error(None, exc.message)
        return None


class SpecsForm(ServiceForm):
    vin = _text(
        "VIN",
        required=True,
        help_text="17 characters, on the dashboard by the windshield or on the driver's door jamb.",
        maxlength="17",
        autocomplete="off",
        spellcheck="false",
        style="text-transform: uppercase",
    )
    year = _text("Year", required=True, inputmode="numeric", maxlength="4")
    make = _text("Make", required=True)
    model = _text("Model", required=True)
    trim = _text("Trim")
    body_type = _select("Body type", Vehicle.BodyType.choices)
    engine = _text("Engine", placeholder="e.g. 2.4L 4-cylinder")
    transmission = _select("Transmission", Vehicle.Transmission.choices)
    drivetrain = _select("Drivetrain", Vehicle.Drivetrain.choices)
    fuel_type = _select("Fuel", Vehicle.FuelType.choices)
    mileage = _text("Mileage", required=True, inputmode="numeric", help_text="Odometer reading in miles.")
    exterior_color = _text("Exterior color")
    interior_color = _text("Interior color")


class ConditionForm(ServiceForm):
    condition_grade = _select("Overall condition", Vehicle.ConditionGrade.choices)
    condition_notes = _area(
        "Condition notes",
        help_text="Be specific: dents, scratches, warning lights, recent repairs, tires. Honest notes sell cars.",
    )
    title_type = forms.ChoiceField(
        label="Title", choices=Vehicle.TitleType.choices, widget=forms.Select(attrs={"class": "form-select"})
    )
    title_state = StateFormField(label="Title state", required=False, blank_label="— choose —")
    features = _area("Features", rows=4, help_text="One per line, e.g. Leather seats, Sunroof, Tow package.")
    description = _area(
        "Description", rows=10, help_text="Buyers read this first. You can ask for a draft and edit it."
    )

    starts = _select("Does it start?", condition.Starts.choices)
    drives = _select("Does it drive?", condition.YesNo.choices)
    keys_count = _text("Keys", inputmode="numeric", maxlength="2", help_text="How many keys come with it (0 if none).")
    odometer_brand = forms.ChoiceField(
        label="Odometer",
        required=False,
        choices=condition.OdometerBrand.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    airbags_deployed = _select("Airbags deployed?", condition.YesNo.choices)
    announcements = _area(
        "Announcements",
        rows=2,
        help_text="Anything a buyer must know before bidding (e.g. “True mileage unknown”, “Frame damage”).",
    )

    def __init__(self, *args: Any, vehicle: Vehicle | None = None, **kwargs: Any) -> None:
        super().__init__(*args, vehicle=vehicle, **kwargs)
        photos = [("", "No photo")]
        if vehicle is not None:
            photos += [(str(p.pk), f"Photo {n}") for n, p in enumerate(vehicle.photos.all(), start=1)]
        current = {e["panel"]: e for e in (vehicle.damage if vehicle is not None else []) or []}
        self.damage_panels = []
        for panel, label in condition.PANELS:
            names = (f"damage_{panel}_type", f"damage_{panel}_severity", f"damage_{panel}_photo")
            self.fields[names[0]] = forms.ChoiceField(
                label=f"{label}: damage", required=False, choices=_choices(condition.DAMAGE_TYPES, "None"),
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )  # fmt: skip
            self.fields[names[1]] = forms.ChoiceField(
                label=f"{label}: severity", required=False, choices=_choices(condition.SEVERITIES, "—"),
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )  # fmt: skip
            self.fields[names[2]] = forms.ChoiceField(
                label=f"{label}: photo", required=False, choices=photos,
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )  # fmt: skip
            entry = current.get(panel)
            if entry and "initial" not in kwargs:
                self.initial[names[0]] = entry["type"]
                self.initial[names[1]] = entry["severity"]
                self.initial[names[2]] = str(entry.get("photo_id") or "")
            self.damage_panels.append({"label": label, "fields": [self[name] for name in names]})

    def initial_from(self, vehicle: Vehicle) -> dict[str, Any]:
        initial = super().initial_from(vehicle)
        initial["features"] = "\n".join(vehicle.features or [])
        return initial

    def clean(self) -> dict[str, Any]:
        """The per-panel selects become the `damage` list the service validates (vehicles.validation)."""
        data = super().clean() or {}
        damage = []
        for panel, label in condition.PANELS:
            kind = data.pop(f"damage_{panel}_type", "")
            severity = data.pop(f"damage_{panel}_severity", "")
            photo = data.pop(f"damage_{panel}_photo", "")
            if kind and not severity:
                self.add_error(f"damage_{panel}_severity", f"Choose how severe the {label.lower()} damage is.")
            elif severity and not kind:
                self.add_error(f"damage_{panel}_type", f"Choose the kind of damage on the {label.lower()}.")
            elif kind:
                damage.append({"panel": panel, "type": kind, "severity": severity, "photo_id": photo or None})
        data["damage"] = damage
        return data

    def clean_features(self) -> list[str]:
        text = self.cleaned_data.get("features") or ""
        return [line.strip() for line in text.splitlines() if line.strip()]


class PricingForm(ServiceForm):
    starting_price = _amount("Starting price ($)", required=True, help_text="The lowest first bid.")
    reserve_price = _amount(
        "Reserve price ($)",
        help_text="Optional hidden minimum; bidders only see whether it is met. Leave empty for no reserve.",
    )
    buy_now_price = _amount("Buy-now price ($)", help_text="Optional; ends the auction at once.")
    accepts_offers = forms.BooleanField(
        label="Accept offers", required=False, widget=forms.CheckboxInput(attrs={"class": "form-check-input"})
    )
    city = _text("City", required=True)
    state = StateFormField(label="State")
    postal_code = _text("ZIP code", inputmode="numeric", maxlength="10")


class RejectForm(forms.Form):
    """Admin action: the reason the seller will read."""

    reason = forms.CharField(
        label="Reason (sent to the seller)",
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        min_length=5,
    )
