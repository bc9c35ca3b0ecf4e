"""HTML forms of the accounts pages. They parse input only; the services decide."""

from typing import Any

from django import forms
from django.utils import timezone

from accounts.authorize_net import BillTo
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
    dealer_license_number = forms.CharField(label="Dealer license number", max_length=60)
    tax_id = forms.CharField(label="Tax id (EIN)", max_length=20, help_text="Nine digits, like 12-3456789.")
    address_line1 = forms.CharField(label="Business street address", max_length=200)
    city = forms.CharField(max_length=100)
    state = StateFormField()
    postal_code = forms.CharField(label="ZIP code", max_length=10)
    license_document = forms.FileField(
        label="Dealer license document",
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
    exp_month = forms.TypedChoiceField(
        label="Expiry month",
        choices=MONTH_CHOICES,
        coerce=int,
        widget=forms.Select(attrs={"autocomplete": "cc-exp-month"}),
    )
    exp_year = forms.TypedChoiceField(
        label="Expiry year", choices=[], coerce=int, widget=forms.Select(attrs={"autocomplete": "cc-exp-year"})
    )
    cvv = forms.CharField(
        label="Security code (CVV)",
        max_length=4,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "cc-csc", "inputmode": "numeric"}),
    )
    # The billing address: the page always sends it (prefilled from the profile); a client that sends none
    # of the four uses the profile's address, and a profile without one makes them required.
    billing_address_line1 = forms.CharField(
        label="Billing street address",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-line1"}),
    )
    billing_city = forms.CharField(
        label="City", max_length=100, required=False, widget=forms.TextInput(attrs={"autocomplete": "address-level2"})
    )
    billing_state = StateFormField(label="State", required=False)
    billing_postal_code = forms.CharField(
        label="ZIP code",
        max_length=10,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric"}),
    )
    BILLING_FIELDS = {
        "billing_address_line1": "Enter the billing street address.",
        "billing_city": "Enter the city.",
        "billing_state": "Choose the state.",
        "billing_postal_code": "Enter the ZIP code.",
    }
    data_descriptor = forms.CharField(required=False, widget=forms.HiddenInput)
    data_value = forms.CharField(required=False, widget=forms.HiddenInput)
    last4 = forms.CharField(required=False, max_length=4, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        """Unbound, the billing address comes from `user`'s profile and the expiration is a valid one
        (next year, this month): the first save never fails on a default."""
        self.user = user
        today = timezone.localdate()
        initial = {"exp_month": today.month, "exp_year": today.year + 1, **kwargs.pop("initial", {})}
        if user is not None:
            initial.setdefault("billing_address_line1", user.address_line1)
            initial.setdefault("billing_city", user.city)
            initial.setdefault("billing_state", user.state)
            initial.setdefault("billing_postal_code", user.postal_code)
        super().__init__(*args, initial=initial, **kwargs)
        self.fields["exp_year"].choices = _year_choices()  # type: ignore[attr-defined]

    def clean_billing_postal_code(self) -> str:
        value = str(self.cleaned_data.get("billing_postal_code") or "").strip()
        digits = value.replace("-", "")
        if value and (not digits.isdigit() or len(digits) not in (5, 9)):
            raise forms.ValidationError("Enter a 5-digit ZIP code (or ZIP+4).")
        return value

    def _clean_billing(self, data: dict[str, Any]) -> None:
        given = {name for name in self.BILLING_FIELDS if str(data.get(name) or "").strip()}
        profile_has_address = self.user is not None and bool(self.user.address_line1 and self.user.postal_code)
        if not given and profile_has_address:
            return
        for name, message in self.BILLING_FIELDS.items():
            if name not in given and name not in self.errors:
                self.add_error(name, message)

    def billing(self) -> BillTo | None:
        """The billing address entered with the card, or None: use the profile's."""
        data = self.cleaned_data
        if not any(str(data.get(name) or "").strip() for name in self.BILLING_FIELDS):
            return None
        return BillTo(
            address=data["billing_address_line1"].strip(),
            city=data["billing_city"].strip(),
            state=data["billing_state"],
            zip=data["billing_postal_code"],
        )

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
        self._clean_billing(data)
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
