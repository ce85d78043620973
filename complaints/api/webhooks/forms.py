from django import forms
from django.utils.translation import gettext_lazy as _

from .models import EventType


class WebhookEndpointForm(forms.Form):
    url = forms.CharField(
        label=_("Address"),
        max_length=500,
        help_text=_("An https:// address of your own server that accepts POST requests."),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=EventType.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("What it is told about."),
    )
