from decimal import Decimal
from typing import cast

from django import forms

from .models import Seller, Site

CURRENCIES = [
    ("USD", "USD — US dollar"),
    ("EUR", "EUR — euro"),
    ("CNY", "CNY — Chinese yuan"),
    ("GBP", "GBP — pound sterling"),
    ("JPY", "JPY — Japanese yen"),
]


class StoreChoiceField(forms.ModelChoiceField):
    """One of the seller's stores, named with its marketplace."""

    def label_from_instance(self, obj: Seller) -> str:
        return f"{obj.store_name} — {obj.site.name}"


class StoreForm(forms.Form):
    site = forms.ModelChoiceField(queryset=Site.objects.order_by("name"), empty_label=None, label="Marketplace")
    store_name = forms.CharField(label="Store name", max_length=200)


class ListingForm(forms.Form):
    seller = StoreChoiceField(queryset=Seller.objects.none(), empty_label=None, label="Store")
    title = forms.CharField(label="Title", max_length=300)
    description = forms.CharField(label="Description", widget=forms.Textarea(attrs={"rows": 6}), required=False)
    price = forms.DecimalField(
        label="Price", max_digits=12, decimal_places=2, min_value=Decimal("0.01"), required=False
    )
    currency = forms.ChoiceField(label="Currency", choices=CURRENCIES, initial="USD")

    def __init__(self, *args, user, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        cast(StoreChoiceField, self.fields["seller"]).queryset = Seller.objects.filter(user=user).select_related("site")
        if editing:
            del self.fields["seller"]
