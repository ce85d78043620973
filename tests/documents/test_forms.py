"""Forms that take documents: nothing uploaded is lost when another field has an error."""

import re

import pytest
from django import forms
from django.template import Context, Template
from django.test import RequestFactory

from ipp_portal.documents.forms import DocumentsFormMixin, MultipleFileField
from ipp_portal.documents.models import Document
from ipp_portal.documents.services import document_store
from tests.factories import UserFactory

from . import corpus
from .conftest import stored_files, upload

pytestmark = pytest.mark.django_db


class EvidenceForm(DocumentsFormMixin, forms.Form):
    documents_label = "Evidence"
    documents_help = "Screenshots or test purchases that show the infringement."
    documents_required = True

    explanation = forms.CharField(label="Explanation")


class AppealForm(DocumentsFormMixin, forms.Form):
    documents_label = "Supporting documents"
    documents_max = 2

    reason = forms.CharField(required=False)


def post(data: dict, files: list | None = None):
    """A real multipart request, parsed by Django as a browser's would be."""
    payload = {**data}
    if files:
        payload["upload"] = files
    request = RequestFactory().post("/claims/new/", payload)
    return request.POST, request.FILES


def render(form) -> str:
    return Template('{% include "documents/documents_field.html" %}').render(Context({"form": form}))


def checked_box(html: str, document: Document) -> bool:
    for tag in re.findall(r"<input[^>]*>", html):
        if 'type="checkbox"' in tag and f'value="{document.pk}"' in tag and " checked" in tag:
            return True
    return False


def test_an_upload_survives_an_error_in_another_field_and_comes_back_ticked(user):
    data, files = post({"explanation": ""}, [upload("test purchase.pdf", corpus.pdf())])

    form = EvidenceForm(data, files, user=user)

    assert not form.is_valid()
    assert form.errors == {"explanation": ["This field is required."]}
    document = Document.objects.get()
    assert (document.original_name, document.uploaded_by) == ("test purchase.pdf", user)
    html = render(form)
    assert "test purchase.pdf (PDF, " in html
    assert checked_box(html, document)
    assert stored_files() == [document.file.name]

    # The next try sends the kept id instead of the file.
    data, files = post({"explanation": "They sell copies of our bag.", "documents": [str(document.pk)]})
    form = EvidenceForm(data, files, user=user)

    assert form.is_valid(), form.errors
    assert form.cleaned_data["documents"] == [document]
    assert Document.objects.count() == 1  # stored once


def test_unticking_a_kept_document_leaves_it_out(user):
    kept = document_store(upload=upload("keep.pdf", corpus.pdf()), uploaded_by=user)
    document_store(upload=upload("drop.pdf", corpus.pdf()), uploaded_by=user)

    data, files = post({"explanation": "x", "documents": [str(kept.pk)]})
    form = EvidenceForm(data, files, user=user)

    assert form.is_valid(), form.errors
    assert form.cleaned_data["documents"] == [kept]


def test_a_kept_id_of_another_users_document_is_not_a_valid_choice(user):
    theirs = document_store(upload=upload("theirs.pdf", corpus.pdf()), uploaded_by=UserFactory())

    data, files = post({"explanation": "x", "documents": [str(theirs.pk)]}, [upload("mine.pdf", corpus.pdf())])
    form = EvidenceForm(data, files, user=user)

    assert not form.is_valid()
    assert form.errors["documents"] == [f"Select a valid choice. {theirs.pk} is not one of the available choices."]
    html = render(form)
    assert "theirs.pdf" not in html
    mine = Document.objects.get(uploaded_by=user)
    assert checked_box(html, mine)


def test_the_form_offers_only_the_documents_of_this_form_not_the_users_whole_library(user):
    document_store(upload=upload("other claim.pdf", corpus.pdf()), uploaded_by=user)

    data, files = post({"explanation": ""}, [upload("this claim.pdf", corpus.pdf())])
    form = EvidenceForm(data, files, user=user)
    form.is_valid()

    html = render(form)
    assert "this claim.pdf" in html
    assert "other claim.pdf" not in html


def test_a_refused_file_is_an_error_naming_it_while_the_good_one_is_kept(user, hostile_files):
    bad = hostile_files["png_with_script_appended"]
    data, files = post({"explanation": "x"}, [upload(bad.name, bad.content), upload("receipt.jpg", corpus.jpeg())])

    form = EvidenceForm(data, files, user=user)

    assert not form.is_valid()
    assert form.errors == {
        "upload": [
            "“logo.png” is not accepted: it contains web-page or script code (“<script”), which an image must not "
            "carry. Save or export the picture again as a new file and upload that."
        ]
    }
    receipt = Document.objects.get()
    assert receipt.original_name == "receipt.jpg"
    html = render(form)
    assert checked_box(html, receipt)
    assert "“logo.png” is not accepted" in html


def test_a_required_documents_field_wants_at_least_one(user):
    data, files = post({"explanation": "x"})

    form = EvidenceForm(data, files, user=user)

    assert not form.is_valid()
    assert form.errors == {"upload": ["Attach at least one document."]}


def test_optional_documents_may_be_left_out(user):
    data, files = post({"reason": "x"})

    form = AppealForm(data, files, user=user)

    assert form.is_valid(), form.errors
    assert form.cleaned_data["documents"] == []


def test_files_past_the_forms_own_limit_are_refused_by_name_and_not_stored(user):
    kept = document_store(upload=upload("one.pdf", corpus.pdf()), uploaded_by=user)
    data, files = post(
        {"documents": [str(kept.pk)]}, [upload("two.pdf", corpus.pdf()), upload("three.pdf", corpus.pdf())]
    )

    form = AppealForm(data, files, user=user)

    assert not form.is_valid()
    assert form.errors == {
        "upload": [
            "“three.pdf” is not accepted: this form takes at most 2 documents. "
            "Untick one you do not need, then upload it again."
        ]
    }
    assert sorted(Document.objects.values_list("original_name", flat=True)) == ["one.pdf", "two.pdf"]
    html = render(form)
    assert all(checked_box(html, document) for document in Document.objects.all())


def test_the_upload_field_is_labelled_and_explains_types_size_and_count(user):
    form = EvidenceForm(user=user)

    html = render(form)

    assert '<label for="id_upload">Evidence</label>' in html
    assert re.search(r'<input type="file" name="upload"[^>]*multiple', html)
    assert 'aria-describedby="id_upload_helptext"' in html
    assert (
        '<p class="help" id="id_upload_helptext">Screenshots or test purchases that show the infringement. '
        "PDF, PNG, JPEG or WebP; up to 10.0\xa0MB each; at most 20 files.</p>"
    ) in html
    assert 'accept=".pdf,.png,.jpg,.jpeg,.webp,application/pdf,image/png,image/jpeg,image/webp"' in html
    assert "Already uploaded" not in html  # nothing kept yet


def test_an_unbound_form_shows_initial_documents_ticked(user):
    document = document_store(upload=upload("letter.pdf", corpus.pdf()), uploaded_by=user)

    form = AppealForm(user=user, initial={"documents": [document.pk]})

    html = render(form)
    assert "<legend>Already uploaded</legend>" in html
    assert checked_box(html, document)


def test_multiple_file_field_cleans_to_a_list():
    field = MultipleFileField(required=False)
    files = [upload("a.pdf", b"x"), upload("b.pdf", b"")]

    assert field.clean(files) == files
    assert field.clean(None) == []
    assert field.clean(files[0]) == [files[0]]
