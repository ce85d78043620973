"""Form pieces for every form that takes documents: a multiple-file field and a mixin that never loses an upload.

A browser cannot re-fill a file input, so when any field of a form has an error the files just sent would be lost.
The mixin stores them during validation (each checked by the upload pipeline) and shows them again as ticked
boxes; the next submission sends their ids instead of the files. See templates/documents/documents_field.html.
"""

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.template.defaultfilters import filesizeformat
from django.utils.datastructures import MultiValueDict

from .models import Document
from .services import ACCEPTED_EXTENSIONS, ACCEPTED_TYPES_TEXT, UploadRejected, display_name, documents_store

ACCEPT_ATTRIBUTE = ",".join((*ACCEPTED_EXTENSIONS, "application/pdf", "image/png", "image/jpeg", "image/webp"))


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Cleans to a list of uploaded files. It checks nothing else: the upload pipeline judges each file, so one bad
    file cannot make the field drop the good ones."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        files = [file for file in files if isinstance(file, UploadedFile)]
        if self.required and not files:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return files


class DocumentChoiceField(forms.ModelMultipleChoiceField):
    # Never None here: the mixin gives it a (possibly empty) queryset of the user's documents from __init__ on.
    queryset: QuerySet[Document]

    def label_from_instance(self, obj: Document) -> str:
        return obj.description


if TYPE_CHECKING:
    # What the mixin uses (fields, data, add_error ...) comes from the Form or ModelForm it is mixed into.
    _FormBase = forms.BaseForm
else:
    _FormBase = object


class DocumentsFormMixin(_FormBase):
    """Adds ``upload`` (new files) and ``documents`` (files kept from an earlier try) to a form built with ``user=``.

    After validation, ``cleaned_data["documents"]`` is the list of Documents to attach: the kept ones still ticked,
    then the new ones. Each refused file is an error on ``upload`` that names it. Configure with class attributes.
    """

    documents_label = "Documents"
    documents_help = ""
    documents_required = False
    documents_max: int | None = None

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["upload"] = MultipleFileField(
            label=self.documents_label, required=False, help_text=self._documents_help_text()
        )
        self.fields["documents"] = DocumentChoiceField(
            queryset=Document.objects.none(),
            required=False,
            widget=forms.CheckboxSelectMultiple,
            label="Already uploaded",
            help_text="Untick a file to leave it out.",
        )
        self._documents_offer(self._documents_kept_ids())

    @property
    def documents_limit(self) -> int:
        return min(settings.UPLOAD_MAX_FILES, self.documents_max or settings.UPLOAD_MAX_FILES)

    def clean(self):
        cleaned_data = super().clean()
        # Form.clean returns cleaned_data; its type allows None for overrides that return nothing.
        if cleaned_data is None:
            return cleaned_data
        uploads = cleaned_data.get("upload") or []
        field = cast(DocumentChoiceField, self.fields["documents"])
        if "documents" in cleaned_data:
            kept = list(cleaned_data["documents"])
        else:  # the field has an error (an id that is not this user's): keep the valid ones
            kept = list(field.queryset.filter(pk__in=self._documents_kept_ids()))
        if self.documents_max is not None and len(kept) + len(uploads) > self.documents_max:
            # Refuse the surplus before storing it: this form's cap, not only the pipeline's per-submission one.
            room = max(self.documents_max - len(kept), 0)
            for upload in uploads[room:]:
                self.add_error("upload", self._too_many(upload))
            uploads = uploads[:room]
        stored, rejected = documents_store(uploads=uploads, uploaded_by=self.user) if uploads else ([], [])
        for rejection in rejected:
            self.add_error("upload", rejection.message)
        documents = kept + stored
        if self.documents_required and not documents and not uploads:
            self.add_error("upload", forms.ValidationError("Attach at least one document.", code="required"))
        if "documents" in cleaned_data or stored:
            cleaned_data["documents"] = documents
        # Re-rendered after any error, the form shows every stored file as a ticked box.
        self._documents_offer([document.pk for document in documents], tick=True)
        return cleaned_data

    def _documents_kept_ids(self) -> list[int]:
        if self.is_bound:
            key = self.add_prefix("documents")
            values = self.data.getlist(key) if hasattr(self.data, "getlist") else self.data.get(key) or []
        else:
            values = self.initial.get("documents") or []
        if isinstance(values, str | int):
            values = [values]
        ids = []
        for value in values:
            value = getattr(value, "pk", value)
            try:
                ids.append(int(value))
            except (TypeError, ValueError):
                continue  # the field reports it as an invalid value
        return ids

    def _documents_offer(self, ids: list[int], *, tick: bool = False) -> None:
        """Offer exactly these documents of this user (never anyone else's, never their whole library)."""
        field = cast(DocumentChoiceField, self.fields["documents"])
        field.queryset = Document.objects.filter(uploaded_by=self.user, pk__in=ids).order_by("created_at", "id")
        if tick and self.is_bound:
            # request.POST is immutable; the copy is what the form re-renders from. A bound form's data is
            # request.POST (a QueryDict) or, for a form built in code, a dict.
            data = cast("MultiValueDict[str, Any] | dict[str, Any]", self.data).copy()
            values = [str(pk) for pk in ids]
            if isinstance(data, MultiValueDict):
                data.setlist(self.add_prefix("documents"), values)
            else:
                data[self.add_prefix("documents")] = values
            self.data = data

    def _documents_help_text(self) -> str:
        limits = f"{ACCEPTED_TYPES_TEXT}; up to {filesizeformat(settings.UPLOAD_MAX_BYTES)} each"
        count = self.documents_limit
        limits += f"; at most {count} file{'' if count == 1 else 's'}."
        return f"{self.documents_help} {limits}".strip()

    def _too_many(self, upload) -> str:
        return UploadRejected(
            filename=display_name(getattr(upload, "name", "")),
            rule="too_many_files",
            reason=f"this form takes at most {self.documents_max} document{'' if self.documents_max == 1 else 's'}. "
            "Untick one you do not need, then upload it again.",
        ).message
