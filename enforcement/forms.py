from django import forms

from ipp_portal.documents.forms import DocumentsFormMixin


class AppealForm(DocumentsFormMixin, forms.Form):
    documents_label = "Supporting documents"
    documents_help = "Invoices, authorisations from the right holder, your own registrations, correspondence."

    statement = forms.CharField(
        label="Why should this action be overturned?",
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=10_000,
        help_text="A member of staff who was not involved reads it and decides.",
    )
