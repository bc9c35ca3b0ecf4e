"""Forms of the order page's fulfillment parts: each field has one strict grammar (the API uses the same)."""

from decimal import Decimal
from typing import Any

from django import forms

from core.money import MoneyError, parse_amount
from core.us_states import StateFormField
from fulfillment.models import TitleDocument


class TransportForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200)
    phone = forms.CharField(label="Phone", max_length=32, required=False)
    address = forms.CharField(label="Street address", max_length=200)
    city = forms.CharField(label="City", max_length=100)
    state = StateFormField(label="State")
    zip = forms.CharField(label="ZIP code", max_length=10)
    enclosed = forms.BooleanField(label="Enclosed trailer", required=False)
    expected_price = forms.CharField(widget=forms.HiddenInput)
    token = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def clean_expected_price(self) -> Decimal:
        try:
            return parse_amount(self.cleaned_data["expected_price"], field="price")
        except MoneyError as exc:
            raise forms.ValidationError(str(exc)) from exc


class PickupCodeForm(forms.Form):
    code = forms.CharField(label="Buyer's pickup code", max_length=12)


class TitleUploadForm(forms.Form):
    kind = forms.ChoiceField(label="Document", choices=TitleDocument.Kind.choices)
    file = forms.FileField(label="File (PDF, JPEG or PNG)")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = "application/pdf,image/jpeg,image/png"


class ClaimOpenForm(forms.Form):
    """The buyer's claim; photos come as the `photos` files of the same form (read with getlist)."""

    category = forms.ChoiceField(label="What is wrong", choices=[])
    description = forms.CharField(
        label="Describe the problem", widget=forms.Textarea(attrs={"rows": 4}), min_length=20, max_length=4000
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from fulfillment.models_claims import ClaimCategory

        super().__init__(*args, **kwargs)
        category = self.fields["category"]
        assert isinstance(category, forms.ChoiceField)
        category.choices = ClaimCategory.choices


class ClaimMessageForm(forms.Form):
    message = forms.CharField(label="Your message", widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
