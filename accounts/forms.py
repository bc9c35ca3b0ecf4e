"""HTML forms of the accounts pages. They parse input only; the services decide."""

from typing import Any

from django import forms
from django.utils import timezone

from accounts.models import IdentityVerification, User
from core.us_states import StateFormField


class BootstrapMixin:
    """Give every widget Bootstrap's classes, and mark invalid fields for screen readers too."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        for field in self.fields.values():  # type: ignore[attr-defined]
            widget = field.widget
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        for name in self.errors:  # type: ignore[attr-defined]
            if name in self.fields:  # type: ignore[attr-defined]
                self.mark_invalid(name)

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)  # type: ignore[misc]
        if field and field in self.fields:  # type: ignore[attr-defined]
            self.mark_invalid(field)

    def mark_invalid(self, name: str) -> None:
        attrs = self.fields[name].widget.attrs  # type: ignore[attr-defined]
        if "is-invalid" not in attrs.get("class", ""):
            attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()
        attrs["aria-invalid"] = "true"
        attrs["aria-describedby"] = f"{name}-errors"


class ProfileForm(BootstrapMixin, forms.ModelForm):
    state = StateFormField(required=False)

    class Meta:
        model = User
        fields = ["first_name", "last_name", "phone", "address_line1", "address_line2", "city", "state", "postal_code"]
        widgets = {
            "first_name": forms.TextInput(attrs={"autocomplete": "given-name"}),
            "last_name": forms.TextInput(attrs={"autocomplete": "family-name"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
            "address_line1": forms.TextInput(attrs={"autocomplete": "address-line1"}),
            "address_line2": forms.TextInput(attrs={"autocomplete": "address-line2"}),
            "city": forms.TextInput(attrs={"autocomplete": "address-level2"}),
            "postal_code": forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric"}),
        }


class SellerApplicationForm(BootstrapMixin, forms.Form):
    business_name = forms.CharField(max_length=200)
    dealer_license_number = forms.CharField(label="Dealer licence number", max_length=60)
    tax_id = forms.CharField(label="Tax id (EIN)", max_length=20, help_text="Nine digits, like 12-3456789.")
    address_line1 = forms.CharField(label="Business street address", max_length=200)
    city = forms.CharField(max_length=100)
    state = StateFormField()
    postal_code = forms.CharField(label="ZIP code", max_length=10)
    license_document = forms.FileField(
        label="Dealer licence document (optional)",
        required=False,
        help_text="PDF, JPG or PNG, up to 10 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )


def _year_choices() -> list[tuple[int, str]]:
    this_year = timezone.localdate().year
    return [(year, str(year)) for year in range(this_year, this_year + 15)]


MONTH_CHOICES = [(month, f"{month:02d}") for month in range(1, 13)]


class CardForm(BootstrapMixin, forms.Form):
    """The local form (sandbox); with Accept.js the number and CVV never reach this form."""

    card_number = forms.CharField(
        label="Card number",
        max_length=23,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "cc-number", "inputmode": "numeric"}),
    )
    exp_month = forms.TypedChoiceField(label="Expiry month", choices=MONTH_CHOICES, coerce=int)
    exp_year = forms.TypedChoiceField(label="Expiry year", choices=[], coerce=int)
    cvv = forms.CharField(
        label="Security code (CVV)",
        max_length=4,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "cc-csc", "inputmode": "numeric"}),
    )
    data_descriptor = forms.CharField(required=False, widget=forms.HiddenInput)
    data_value = forms.CharField(required=False, widget=forms.HiddenInput)
    last4 = forms.CharField(required=False, max_length=4, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["exp_year"].choices = _year_choices()  # type: ignore[attr-defined]

    def clean_card_number(self) -> str:
        return "".join(ch for ch in self.cleaned_data.get("card_number", "") if ch.isdigit())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("data_value") and not data.get("card_number"):
            self.add_error("card_number", "Enter the card number.")
        month, year = data.get("exp_month"), data.get("exp_year")
        today = timezone.localdate()
        if month and year and (year, month) < (today.year, today.month):
            self.add_error("exp_month", "This card has expired.")
        cvv = data.get("cvv") or ""
        if cvv and (not cvv.isdigit() or len(cvv) not in (3, 4)):
            self.add_error("cvv", "The security code is 3 or 4 digits.")
        return data


class ReasonForm(forms.Form):
    """The intermediate page of admin actions that need a reason."""

    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), max_length=2000)


class IdentityOverrideForm(ReasonForm):
    status = forms.ChoiceField(
        choices=[
            (IdentityVerification.Status.APPROVED, "Approved"),
            (IdentityVerification.Status.DECLINED, "Declined"),
            (IdentityVerification.Status.NEEDS_REVIEW, "Needs review"),
            (IdentityVerification.Status.NOT_STARTED, "Not started (let the user start again)"),
        ]
    )
