from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _

from ipp_portal.documents.forms import DocumentsFormMixin
from listings.models import Site

from .errors import RuleBroken
from .jurisdictions import JURISDICTIONS
from .models import Authorization, ClaimItem, Complainant, CounterNotice, IPRight, RightDocument
from .rules import (
    REQUIRED_BY_KIND,
    RIGHT_FIELD_LABELS,
    authorised_seller_dates_check,
    authorization_dates_check,
    reason_check,
    right_fields_problems,
)

DATE_WIDGET = forms.DateInput(attrs={"type": "date"})


def required_when(field: forms.Field, condition: str) -> None:
    """Mark an optional field as required in some case (e.g. "required to reject"): the form shows that instead of
    calling it optional. The attribute is this project's own, read by templates/includes/field.html."""
    field.required_when = condition  # type: ignore[attr-defined]


class RightChoiceField(forms.ModelChoiceField):
    """A right of the complainant's vault, with where its verification stands."""

    def label_from_instance(self, obj: IPRight) -> str:
        return f"{obj} — {obj.get_status_display().lower()}"


class DisputedItemsField(forms.ModelMultipleChoiceField):
    """The removed listings of a claim, as the seller knows them."""

    def label_from_instance(self, obj: ClaimItem) -> str:
        return f"#{obj.position} {obj.listing.title} ({obj.external_id})"


def drop_blank_radio_choices(form: forms.BaseForm) -> None:
    """A radio group offers only real answers: the model form's "---------" choice means "not chosen yet", which
    an unticked group already says (a required group left unticked is an error at the field)."""
    for field in form.fields.values():
        # CheckboxSelectMultiple is a RadioSelect too, and its querysets are set later: plain radio groups only.
        radio = isinstance(field.widget, forms.RadioSelect) and not isinstance(
            field.widget, forms.CheckboxSelectMultiple
        )
        if radio and isinstance(field, forms.ChoiceField) and not isinstance(field, forms.ModelChoiceField):
            choices: list[tuple[Any, Any]] = list(field.choices)  # type: ignore[arg-type]
            field.choices = [choice for choice in choices if choice[0] != ""]


class ComplainantForm(DocumentsFormMixin, forms.ModelForm):
    documents_label = "Proof of identity"
    documents_help = (
        "Individuals: a national ID card, passport or driving licence. Companies: the business registration "
        "certificate or an extract from the company register."
    )
    documents_required = True

    class Meta:
        model = Complainant
        fields = ["kind", "role", "legal_name", "country", "postal_address", "phone", "contact_email"]
        labels = {
            "kind": "You are",
            "role": "You file as",
            "legal_name": "Legal name",
            "postal_address": "Postal address",
            "contact_email": "Contact email for sellers",
        }
        help_texts = {
            "legal_name": "Exactly as on your identity document or company registration.",
            "contact_email": (
                "Sellers you file against receive this address, your name and phone number, so that you can settle "
                "disputes directly (the policy requires it). Use a mailbox you are happy to share."
            ),
            "phone": "With the country code, e.g. +86 21 5555 0100. Also shared with the sellers concerned.",
        }
        widgets = {
            "kind": forms.RadioSelect,
            "role": forms.RadioSelect,
            "postal_address": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, locked_identity: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        drop_blank_radio_choices(self)
        self.locked_identity = locked_identity
        if locked_identity:
            for name in ("kind", "role", "legal_name", "country"):
                self.fields[name].disabled = True
            # Verified identity documents are locked: the form neither offers nor expects them (disabled choice
            # fields would be validated against an empty offer and refuse every save of the contact details).
            self.documents_required = False
            del self.fields["upload"], self.fields["documents"]

    def clean(self):
        if self.locked_identity:
            return forms.ModelForm.clean(self)  # no documents to store: skip the documents mixin
        return super().clean()

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip()
        digits = [c for c in phone if c.isdigit()]
        if not phone.startswith("+") or not 7 <= len(digits) <= 15 or set(phone) - set("+0123456789 -()."):
            raise forms.ValidationError("Give the number with its country code, e.g. +86 21 5555 0100.")
        return phone


def fields_required_by_kind() -> dict[str, list[str]]:
    """Each field some kinds of right require → those kinds, in the order of the kinds."""
    fields: dict[str, list[str]] = {}
    for kind, names in REQUIRED_BY_KIND.items():
        for name in names:
            fields.setdefault(name, []).append(kind)
    return fields


def required_for_kinds_text(kinds: list[str]) -> str:
    """["trademark", "patent", "design"] → "required for a trademark, patent or design"."""
    labels = [str(IPRight.Kind(kind).label).lower() for kind in kinds]
    named = (
        labels[0]
        if len(labels) == 1
        else _("%(some)s or %(last)s") % {"some": ", ".join(labels[:-1]), "last": labels[-1]}
    )
    return _("required for a %(kinds)s") % {"kinds": named}


class NiceClassesField(forms.CharField):
    """ "9, 25, 35" → [9, 25, 35]; each class must be 1–45."""

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        return value

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return []
        classes = []
        for part in value.replace(";", ",").replace(" ", ",").split(","):
            if not part:
                continue
            if not part.isdigit() or not 1 <= int(part) <= 45:
                raise forms.ValidationError(f"“{part}” is not a Nice class: classes are numbers from 1 to 45.")
            classes.append(int(part))
        return sorted(set(classes))


class JurisdictionField(forms.CharField):
    def clean(self, value):
        value = (super().clean(value) or "").strip().upper()
        if value not in JURISDICTIONS:
            raise forms.ValidationError(
                f"“{value}” is not a jurisdiction we know. Use the two-letter code of the country or office that "
                "granted the right, e.g. CN, US, EM (European Union), WO (international registration)."
            )
        return value


class IPRightForm(DocumentsFormMixin, forms.ModelForm):
    documents_label = "Certificates and supporting documents"
    documents_help = (
        "The registration certificate; renewals, assignments and translations if the certificate is out of date or "
        "not in English or Chinese. For an unregistered copyright work, a signed copyright claim statement."
    )
    documents_required = True

    document_role = forms.ChoiceField(
        label="What are the documents you are uploading now?",
        choices=RightDocument.Role.choices,
        initial=RightDocument.Role.CERTIFICATE,
    )
    jurisdiction = JurisdictionField(
        label="Jurisdiction",
        max_length=2,
        help_text="Two-letter code of the country or office that granted the right: CN, US, EM (EUIPO), WO (WIPO)…",
    )
    nice_classes = NiceClassesField(
        label=RIGHT_FIELD_LABELS["nice_classes"],
        required=False,
        help_text="Trademarks only: the classes registered, e.g. 9, 25, 35.",
    )

    class Meta:
        model = IPRight
        fields = [
            "kind", "title", "mark_type", "work_type", "patent_type", "registration_number", "jurisdiction",
            "nice_classes", "owner_name", "registered_on", "expires_on",
        ]  # fmt: skip
        labels = {
            **RIGHT_FIELD_LABELS,
            "kind": "Type of right",
            "title": "Mark, work or title",
            "owner_name": "Owner as registered",
            "registered_on": "Registration date",
        }
        help_texts = {
            "registration_number": "As on the certificate. Leave empty only for an unregistered copyright work.",
            "expires_on": "Required for trademarks, patents and designs.",
        }
        widgets = {"kind": forms.RadioSelect, "registered_on": DATE_WIDGET, "expires_on": DATE_WIDGET}

    def __init__(self, *args, is_new: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        drop_blank_radio_choices(self)
        self.is_new = is_new
        # Required for some kinds of right only (the rules the service applies): said so, never "optional".
        for name, kinds in fields_required_by_kind().items():
            if name in self.fields and not self.fields[name].required:
                required_when(self.fields[name], required_for_kinds_text(kinds))

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if kind:
            # The service's own rules, shown at their fields; a field that already has an error (a value that
            # did not parse) is not told it is missing as well. With a refused upload, which documents the right
            # will have is not known yet: the statement is checked once the upload is accepted.
            refused = set(self.errors)
            roles = None if "upload" in refused else [cleaned.get("document_role") or ""]
            for problem in right_fields_problems(
                cleaned, document_roles=roles, today=timezone.localdate(), is_new=self.is_new
            ):
                if problem.field not in refused:
                    self.add_error(problem.field, problem.message)
        # Fields that do not apply to this kind are cleared, so a stale choice never reaches the record.
        for name, applies_to in (
            ("mark_type", IPRight.Kind.TRADEMARK),
            ("nice_classes", IPRight.Kind.TRADEMARK),
            ("work_type", IPRight.Kind.COPYRIGHT),
            ("patent_type", IPRight.Kind.PATENT),
        ):
            if kind and kind != applies_to and name in cleaned:
                cleaned[name] = [] if name == "nice_classes" else ""
        return cleaned


class RightDocumentsForm(DocumentsFormMixin, forms.Form):
    documents_label = "Add documents"
    documents_help = "Renewals, assignments, translations or a newer certificate. Documents are added, never replaced."
    documents_required = True

    document_role = forms.ChoiceField(
        label="What are these documents?", choices=RightDocument.Role.choices, initial=RightDocument.Role.RENEWAL
    )


class AuthorizationForm(DocumentsFormMixin, forms.ModelForm):
    documents_label = "Signed authorization letter"
    documents_help = "The letter signed by the right holder. Download the template below, have it signed, upload it."
    documents_required = True
    documents_max = 1

    rights = forms.ModelMultipleChoiceField(
        queryset=IPRight.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        label="Rights covered",
        help_text="Rights in your vault that the owner authorises you to enforce.",
    )
    sites = forms.ModelMultipleChoiceField(
        queryset=Site.objects.order_by("name"), widget=forms.CheckboxSelectMultiple, label="Marketplaces covered"
    )

    class Meta:
        model = Authorization
        fields = ["owner_name", "owner_address", "owner_contact_email", "rights", "sites", "valid_from", "valid_until"]
        labels = {
            "owner_name": "Right holder's name",
            "owner_address": "Right holder's address",
            "owner_contact_email": "Right holder's email",
            "valid_from": "Valid from",
            "valid_until": "Valid until",
        }
        widgets = {
            "owner_address": forms.Textarea(attrs={"rows": 3}),
            "valid_from": DATE_WIDGET,
            "valid_until": DATE_WIDGET,
        }

    def __init__(self, *args, agent: Complainant, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelMultipleChoiceField, self.fields["rights"]).queryset = IPRight.objects.filter(
            registered_by=agent, status__in=[IPRight.Status.PENDING, IPRight.Status.VERIFIED]
        ).order_by("title")

    def clean(self):
        cleaned = super().clean()
        valid_from, valid_until = cleaned.get("valid_from"), cleaned.get("valid_until")
        if valid_from and valid_until:
            try:
                authorization_dates_check(valid_from, valid_until, timezone.localdate())
            except RuleBroken as problem:
                self.add_error(problem.field, problem.message)
        return cleaned


class LetterTemplateForm(forms.Form):
    """The fields the letter template is filled with (all optional: blanks stay as lines to fill in by hand)."""

    owner_name = forms.CharField(required=False, max_length=200)
    owner_address = forms.CharField(required=False, max_length=1000)
    rights = forms.ModelMultipleChoiceField(queryset=IPRight.objects.none(), required=False)
    sites = forms.ModelMultipleChoiceField(queryset=Site.objects.all(), required=False)
    valid_from = forms.DateField(required=False)
    valid_until = forms.DateField(required=False)

    def __init__(self, *args, agent: Complainant, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelMultipleChoiceField, self.fields["rights"]).queryset = IPRight.objects.filter(
            registered_by=agent
        )


class DecisionForm(forms.Form):
    """Staff: the reason for a rejection or revocation (read by the complainant)."""

    reason = forms.CharField(
        label="Reason (the complainant reads this)", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class ClaimForm(DocumentsFormMixin, forms.Form):
    """The claim form. Links come in one text area (or a .txt/.csv file), never one field per link: Django refuses
    forms with more than 1,000 fields, and a 300-link claim must fit."""

    documents_label = "Evidence"
    documents_help = (
        "Side-by-side comparisons, test-buy reports, photographs of the genuine product, an infringement analysis "
        "for invention patents and utility models."
    )

    site = forms.ModelChoiceField(queryset=Site.objects.order_by("name"), label="Marketplace", empty_label=None)
    right = RightChoiceField(queryset=IPRight.objects.none(), label="The right infringed", empty_label=None)
    reason_code = forms.ChoiceField(label="Reason", choices=())
    links = forms.CharField(
        label="Listing links, one per line",
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "autocapitalize": "off"}),
        required=False,
        max_length=1_000_000,
        help_text="Paste the address of each infringing product page, as shown in the browser's address bar.",
        error_messages={
            "max_length": "This is far more text than a claim's links could take (at most %(limit_value)s characters; "
            "this has %(show_value)s). Paste only the listing links, one per line, and split very long lists "
            "over several claims."
        },
    )
    links_file = forms.FileField(
        label="…or a .txt or .csv file of links",
        required=False,
        help_text="One link per line, or per row of a spreadsheet saved as CSV.",
    )
    explanation = forms.CharField(
        label="Explanation",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="What infringes, and how your evidence shows it. The seller reads this in the notice.",
        max_length=10_000,
    )
    order_numbers = forms.CharField(
        label="Test-buy order numbers",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="If you bought the product to test it: the order numbers, one per line.",
    )
    states_good_faith = forms.BooleanField(
        label="I have a good-faith belief that the use of the material described above is not authorised by the "
        "right holder, its agent, or the law.",
        required=False,
    )
    states_accuracy = forms.BooleanField(label="The information in this claim is accurate.", required=False)
    states_authority_under_perjury = forms.BooleanField(
        label="Under penalty of perjury, I am the owner of the right named, or authorised to act on the owner's "
        "behalf.",
        required=False,
    )
    agrees_to_indemnify = forms.BooleanField(
        label="I agree to indemnify and hold the platform harmless from all claims, causes of action, damages and "
        "judgments arising out of any removal of listings under this claim.",
        required=False,
    )
    signature_name = forms.CharField(
        label="Signature: type your full name", max_length=200, required=False,
        help_text="Your typed name is your signature. We record the time and a hash of your network address.",
    )  # fmt: skip
    states_authorisation_ended = forms.BooleanField(
        label="Under penalty of perjury, the authorisation I gave to the sellers marked “authorised by you” above "
        "has ended: they are no longer authorised to sell goods under this right.",
        required=False,
    )
    authorisation_ended_on = forms.DateField(
        label="The day the authorisation ended",
        required=False,
        widget=DATE_WIDGET,
        help_text="Today if you leave it empty. Your list of authorised sellers will show the authorisation ended "
        "on this day.",
    )
    token = forms.UUIDField(widget=forms.HiddenInput)

    STATEMENTS = ("states_good_faith", "states_accuracy", "states_authority_under_perjury", "agrees_to_indemnify")

    def __init__(self, *args, complainant, **kwargs):
        super().__init__(*args, **kwargs)
        from .reasons import CHOICES

        self.complainant = complainant
        cast(RightChoiceField, self.fields["right"]).queryset = IPRight.objects.filter(
            registered_by=complainant, status__in=[IPRight.Status.VERIFIED, IPRight.Status.PENDING]
        ).order_by("title")
        cast(forms.ChoiceField, self.fields["reason_code"]).choices = CHOICES
        # Optional for a draft, required to submit: the form must not call them optional. The attribute is this
        # project's own marker, read by templates/includes/field.html; Django's Field does not declare it.
        for name in ("links", "signature_name", *self.STATEMENTS):
            self.fields[name].required_to_submit = True  # type: ignore[attr-defined]

    def clean_links_file(self):
        upload = self.cleaned_data.get("links_file")
        if not upload:
            return None
        name = upload.name.lower()
        if not name.endswith((".txt", ".csv")):
            raise forms.ValidationError(f"“{upload.name}” is not a .txt or .csv file.")
        if upload.size > 2 * 1024 * 1024:
            raise forms.ValidationError(f"“{upload.name}” is larger than 2 MB; a list of 300 links is far smaller.")
        data = upload.read()
        if b"\x00" in data:
            raise forms.ValidationError(f"“{upload.name}” is not a text file.")
        return data

    def clean(self):
        from .link_check import links_from_file

        cleaned = super().clean()
        file_links = cleaned.get("links_file")
        if file_links:
            # The file's links join the text area, so the check shows them and nothing typed is lost.
            combined = "\n".join(part for part in (cleaned.get("links", ""), links_from_file(file_links)) if part)
            cleaned["links"] = combined
            # request.POST (a QueryDict) or, for a form built in code, a dict.
            data = cast("MultiValueDict[str, Any] | dict[str, Any]", self.data).copy()
            data[self.add_prefix("links")] = combined
            self.data = data
        right, code = cleaned.get("right"), cleaned.get("reason_code")
        if right and code:
            try:
                reason_check(code, right.kind)
            except RuleBroken as problem:
                self.add_error(problem.field, problem.message)
        return cleaned

    def require_submission(self) -> bool:
        """The extra checks that only submitting needs (a draft may be incomplete). Run after validation whatever
        its outcome, so a submission shows every problem at once; a field that already has an error is not told it
        is missing as well."""
        missing = [(name, "Tick this statement to file the claim.") for name in self.STATEMENTS]
        missing += [
            ("signature_name", "Type your full name to sign the claim."),
            ("links", "Paste at least one listing link."),
        ]
        ok = True
        for name, message in missing:
            value = self.cleaned_data.get(name)
            if name in self.errors or (value.strip() if isinstance(value, str) else value):
                continue
            self.add_error(name, message)
            ok = False
        return ok and not self.errors


class ClaimInfoForm(DocumentsFormMixin, forms.Form):
    documents_label = "Additional documents"
    answer = forms.CharField(label="Your answer", widget=forms.Textarea(attrs={"rows": 5}), required=False)


class CounterNoticeForm(DocumentsFormMixin, forms.Form):
    documents_label = "Evidence"
    documents_help = "Invoices, the right holder's authorisation, your own registrations."

    items = DisputedItemsField(
        queryset=ClaimItem.objects.none(), widget=forms.CheckboxSelectMultiple, label="Listings you dispute"
    )
    reason = forms.ChoiceField(choices=CounterNotice.Reason.choices, widget=forms.RadioSelect, label="Reason")
    statement = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}), max_length=10_000, label="Why the removal was a mistake",
        help_text="The rights holder reads this, and staff if they reject it.",
    )  # fmt: skip
    # Nothing starts ticked: which listings to dispute, and whether to show one's documents, are the seller's choice.
    share_documents = forms.BooleanField(required=False, label="Let the rights holder see the documents I upload")
    states_good_faith_mistake = forms.BooleanField(
        label="Under penalty of perjury, I have a good-faith belief that the listings were removed as a result of a "
        "mistake or misidentification.",
    )
    consents_to_jurisdiction = forms.BooleanField(
        label="I consent to the jurisdiction of the courts where I am established, and accept service from the "
        "rights holder who filed the claim.",
    )
    signature_name = forms.CharField(label="Signature: type your full name", max_length=200)
    token = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, eligible, **kwargs):
        super().__init__(*args, **kwargs)
        cast(DisputedItemsField, self.fields["items"]).queryset = eligible


class NotDisputedForm(forms.Form):
    """The seller chooses not to dispute removed listings: their violations are established at once."""

    items = DisputedItemsField(
        queryset=ClaimItem.objects.none(), widget=forms.CheckboxSelectMultiple, label="Listings you will not dispute"
    )
    confirm = forms.BooleanField(
        label="I understand: these removals count as established violations of my store now, and I give up the first "
        "counter-notice window for them.",
    )

    def __init__(self, *args, eligible, **kwargs):
        super().__init__(*args, **kwargs)
        cast(DisputedItemsField, self.fields["items"]).queryset = eligible


class CounterNoticeAnswerForm(DocumentsFormMixin, forms.Form):
    documents_label = "Your evidence (when rejecting)"
    answer = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), required=False, label="Your reasons")

    def __init__(self, *args, rejecting: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.rejecting = rejecting
        required_when(self.fields["answer"], _("required to reject"))

    def clean(self):
        cleaned = super().clean()
        # The service refuses a rejection without reasons; said here too, beside any other problem of the form.
        if self.rejecting and "answer" not in self.errors and not (cleaned.get("answer") or "").strip():
            self.add_error("answer", _("Give your reasons: staff and the seller read them."))
        return cleaned


class ComplainantAppealForm(DocumentsFormMixin, forms.Form):
    """An appeal against a rejection or a sanction (DSA Art. 20): a statement and documents."""

    documents_label = "Supporting documents"
    documents_help = "Further evidence, registrations, authorisations, correspondence with the seller."

    statement = forms.CharField(
        label="Why should this decision be changed?",
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=10_000,
        help_text="A member of staff who did not make the decision reads it and decides.",
    )


class ClaimAppealForm(ComplainantAppealForm):
    items = forms.TypedMultipleChoiceField(
        label="Listings to appeal", coerce=int, widget=forms.CheckboxSelectMultiple,
        help_text="Listings of a claim rejected as a whole are appealed together.",
    )  # fmt: skip

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        field = cast(forms.TypedMultipleChoiceField, self.fields["items"])
        field.choices = [(i.pk, f"#{i.position} {i.listing.title} — {i.decision_reason}") for i in items]
        if not self.is_bound:
            self.initial["items"] = [i.pk for i in items]


class AuthorisedSellerForm(forms.Form):
    """Declare a store authorised to sell goods under one right: the store as the marketplace knows it."""

    site = forms.ModelChoiceField(queryset=Site.objects.order_by("name"), label="Marketplace", empty_label=None)
    seller = forms.CharField(
        label="The store",
        max_length=2048,
        help_text="Its member id on the marketplace, its exact store name, or a link to one of its listings.",
    )
    authorised_from = forms.DateField(label="Authorised from", widget=DATE_WIDGET)
    authorised_until = forms.DateField(
        label="Authorised until", widget=DATE_WIDGET, required=False, help_text="Leave empty if it has no end date."
    )
    note = forms.CharField(
        label="Note",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
        help_text="For example the distribution agreement's reference. Staff read it if the seller is named in a "
        "claim or a counter-notice.",
    )

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("authorised_from"):
            try:
                authorised_seller_dates_check(cleaned.get("authorised_from"), cleaned.get("authorised_until"))
            except RuleBroken as problem:
                self.add_error(problem.field, problem.message)
        return cleaned


class AuthorisedSellerEndForm(forms.Form):
    ended_on = forms.DateField(
        label="The day the authorisation ended", widget=DATE_WIDGET, required=False, help_text="Today if left empty."
    )
    reason = forms.CharField(
        label="Why (for your records and staff)", widget=forms.Textarea(attrs={"rows": 3}), required=False,
        max_length=2000,
    )  # fmt: skip
