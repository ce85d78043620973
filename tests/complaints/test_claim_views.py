import re
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from complaints.models import Claim, ClaimItem
from listings.models import Site
from tests.documents import corpus
from tests.factories import ListingFactory, UserFactory, make_complainant, make_right

pytestmark = pytest.mark.django_db


@pytest.fixture
def holder():
    return make_complainant()


def form_data(complainant, links, **overrides):
    data = {
        "site": Site.objects.get(code="alibaba").pk,
        "right": make_right(complainant).pk,
        "reason_code": "tm_counterfeit",
        "links": "\n".join(links),
        "explanation": "Counterfeit ACME earbuds.",
        "states_good_faith": "on",
        "states_accuracy": "on",
        "states_authority_under_perjury": "on",
        "agrees_to_indemnify": "on",
        "signature_name": "Ada Lovelace",
        "token": str(uuid.uuid4()),
        "action": "submit",
    }
    data.update(overrides)
    return data


def test_file_a_claim_and_see_the_receipt(client, holder):
    client.force_login(holder.user)
    listings = ListingFactory.create_batch(2)

    response = client.post("/rights/claims/new/", form_data(holder, [listing.url for listing in listings]))

    claim = Claim.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/rights/claims/{claim.pk}/receipt/"
    receipt = client.get(response["Location"]).content.decode()
    assert claim.reference in receipt
    assert "in the review queue" in receipt


def test_replayed_post_creates_one_claim(client, holder):
    client.force_login(holder.user)
    data = form_data(holder, [ListingFactory().url])

    first = client.post("/rights/claims/new/", data)
    second = client.post("/rights/claims/new/", data)

    assert first["Location"] == second["Location"]
    assert Claim.objects.count() == 1


def test_check_shows_every_line_and_drop_removes_the_bad_ones(client, holder):
    client.force_login(holder.user)
    good = ListingFactory(title="Fake earbuds")
    lines = [good.url, "https://evil.example/x", good.url, "https://www.aliexpress.com/item/1005001234567890.html"]

    checked = client.post("/rights/claims/new/", form_data(holder, lines, action="check")).content.decode()
    dropped = client.post("/rights/claims/new/", form_data(holder, lines, action="drop_bad")).content.decode()

    assert "Fake earbuds" in checked
    assert "Not a listing link" in checked
    assert "Duplicate" in checked
    assert "Wrong marketplace" in checked
    assert "Drop the 3 lines that cannot be filed" in checked
    assert "Dropped 3 lines" in dropped
    assert "evil.example" not in dropped.split("<textarea")[1].split("</textarea>")[0]
    assert not Claim.objects.exists()


def test_submit_with_bad_lines_keeps_everything_typed(client, holder):
    client.force_login(holder.user)
    lines = [ListingFactory().url, "not a link"]

    html = client.post("/rights/claims/new/", form_data(holder, lines, explanation="Keep me")).content.decode()

    assert "1 of the 2 lines cannot be filed" in html
    assert "Keep me" in html
    assert "not a link" in html
    assert 'name="signature_name" value="Ada Lovelace"' in html
    assert not Claim.objects.exists()


def test_missing_statements_and_signature_are_errors_next_to_the_fields(client, holder):
    client.force_login(holder.user)
    data = form_data(holder, [ListingFactory().url], signature_name="")
    del data["agrees_to_indemnify"]

    html = client.post("/rights/claims/new/", data).content.decode()

    assert "Tick this statement to file the claim." in html
    assert "Type your full name to sign the claim." in html
    assert not Claim.objects.exists()


def test_reason_must_fit_the_type_of_right(client, holder):
    client.force_login(holder.user)

    html = client.post(
        "/rights/claims/new/", form_data(holder, [ListingFactory().url], reason_code="pt_embodies_patent")
    ).content.decode()

    assert "is not a reason for a trademark" in html
    assert not Claim.objects.exists()


def test_links_from_an_uploaded_csv_join_the_text_area(client, holder):
    client.force_login(holder.user)
    a, b = ListingFactory(), ListingFactory()
    csv_file = SimpleUploadedFile("links.csv", f'\ufeffurl\r\n"{b.url}"\r\n'.encode())

    response = client.post("/rights/claims/new/", {**form_data(holder, [a.url]), "links_file": csv_file})

    assert response.status_code == 302
    assert sorted(ClaimItem.objects.values_list("listing_id", flat=True)) == sorted([a.pk, b.pk])


def test_too_many_links_is_a_clear_error(client, holder, settings):
    settings.CLAIM_MAX_LINKS = 2
    client.force_login(holder.user)

    html = client.post("/rights/claims/new/", form_data(holder, [x.url for x in ListingFactory.create_batch(3)]))

    assert "at most 2 links; this one has 3" in html.content.decode()


def test_save_draft_and_resume(client, holder):
    client.force_login(holder.user)
    data = form_data(holder, ["half", "a list"], action="save", explanation="")

    response = client.post("/rights/claims/new/", data)

    draft = Claim.objects.get()
    assert response["Location"] == f"/rights/claims/{draft.pk}/edit/"
    page = client.get(response["Location"]).content.decode()
    assert "half\na list" in page


@pytest.mark.parametrize(
    ("bad_name", "bad_content"),
    [
        ("passport.pdf", corpus.HTML),  # an HTML page named .pdf
        ("logo.png", corpus.png() + b"<script>alert(1)</script>"),  # an image carrying a script
    ],
)
def test_save_draft_keeps_the_good_file_and_says_which_was_refused(client, holder, bad_name, bad_content):
    client.force_login(holder.user)
    data = form_data(holder, ["half a list"], action="save", explanation="Typed before saving.")
    data["upload"] = [
        SimpleUploadedFile("invoice.pdf", corpus.pdf(), content_type="application/pdf"),
        SimpleUploadedFile(bad_name, bad_content, content_type="application/octet-stream"),
    ]

    response = client.post("/rights/claims/new/", data)

    draft = Claim.objects.get()
    assert draft.status == Claim.Status.DRAFT
    assert [document.original_name for document in draft.evidence.all()] == ["invoice.pdf"]
    assert response.status_code == 200  # shown again, not redirected past the refusal
    page = response.content.decode()
    assert "Draft saved with 1 file, but 1 file was not kept" in page
    upload_field = page.split('class="field documents-upload')[1].split("</div>")[0]
    assert f"“{bad_name}” is not accepted" in upload_field
    assert "invoice.pdf" in page.split('class="field documents-kept')[1]  # the kept file, ticked
    for typed in ("Typed before saving.", "half a list", "Ada Lovelace"):
        assert typed in page
    assert f'action="/rights/claims/{draft.pk}/edit/"' in page  # the next save updates this draft
    assert "Save as draft" in page

    # The draft page, opened later, has the good file and not the refused one.
    later = client.get(f"/rights/claims/{draft.pk}/edit/").content.decode()
    assert "invoice.pdf" in later
    assert bad_name not in later


def test_save_draft_with_only_good_files_redirects(client, holder):
    client.force_login(holder.user)
    data = form_data(holder, ["half a list"], action="save")
    data["upload"] = [SimpleUploadedFile("invoice.pdf", corpus.pdf(), content_type="application/pdf")]

    response = client.post("/rights/claims/new/", data)

    draft = Claim.objects.get()
    assert response["Location"] == f"/rights/claims/{draft.pk}/edit/"
    assert [document.original_name for document in draft.evidence.all()] == ["invoice.pdf"]


def test_saving_an_existing_draft_with_a_refused_file_updates_that_draft(client, holder):
    client.force_login(holder.user)
    client.post("/rights/claims/new/", form_data(holder, ["first"], action="save"))
    draft = Claim.objects.get()
    data = form_data(holder, ["first", "second"], action="save")
    data["upload"] = [SimpleUploadedFile("passport.pdf", corpus.HTML)]

    response = client.post(f"/rights/claims/{draft.pk}/edit/", data)

    assert response.status_code == 200
    assert Claim.objects.count() == 1
    draft.refresh_from_db()
    assert draft.links_text == "first\nsecond"
    assert "Draft saved with 0 files, but 1 file was not kept" in response.content.decode()


def test_dashboard_lists_filters_and_searches(client, holder):
    client.force_login(holder.user)
    listing = ListingFactory()
    client.post("/rights/claims/new/", form_data(holder, [listing.url]))
    claim = Claim.objects.get()
    other = make_complainant(legal_name="Other")
    theirs = Claim.objects.create(complainant=other, status="submitted")

    page = client.get("/rights/claims/").content.decode()
    by_ref = client.get("/rights/claims/", {"q": claim.reference}).content.decode()
    by_url = client.get("/rights/claims/", {"q": listing.url}).content.decode()
    none = client.get("/rights/claims/", {"status": "withdrawn"}).content.decode()

    assert claim.reference in page
    assert theirs.reference not in page
    assert claim.reference in by_ref
    assert claim.reference in by_url
    assert "No claims match." in none


def test_dashboard_and_claim_page_query_counts_are_flat(client):
    def count(path_for, n: int) -> int:
        complainant = make_complainant()
        client.force_login(complainant.user)
        right = make_right(complainant)
        site = Site.objects.get(code="alibaba")
        claims = [Claim.objects.create(complainant=complainant, right=right, site=site, status="submitted")
                  for _ in range(n)]  # fmt: skip
        for listing in ListingFactory.create_batch(n):
            ClaimItem.objects.create(
                claim=claims[0], position=listing.pk, url=listing.url, submitted_url=listing.url, site=site,
                external_id=listing.external_id, listing=listing, seller=listing.seller,
            )  # fmt: skip
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(path_for(claims[0])).status_code == 200
        return len(ctx.captured_queries)

    def dashboard(c):
        return "/rights/claims/"

    def claim_page(c):
        return f"/rights/claims/{c.pk}/"

    count(claim_page, 1)  # warm the content-type cache the timeline uses
    assert count(dashboard, 3) == count(dashboard, 40)
    assert count(claim_page, 3) == count(claim_page, 40)


def test_claim_page_timeline_csv_and_withdraw(client, holder):
    client.force_login(holder.user)
    listing = ListingFactory(title="=HYPERLINK(evil)")
    client.post("/rights/claims/new/", form_data(holder, [listing.url]))
    claim = Claim.objects.get()

    page = client.get(f"/rights/claims/{claim.pk}/").content.decode()
    csv_text = b"".join(client.get(f"/rights/claims/{claim.pk}/items.csv")).decode("utf-8-sig")
    asked = client.post(f"/rights/claims/{claim.pk}/withdraw/")
    status_when_asked = Claim.objects.get().status
    client.post(f"/rights/claims/{claim.pk}/withdraw/", {"confirmed": "yes"})

    assert "Withdraw the whole claim" in asked.content.decode()
    assert status_when_asked == Claim.Status.SUBMITTED
    assert "Submitted" in page
    assert listing.url in csv_text
    assert "'=HYPERLINK(evil)" in csv_text
    assert Claim.objects.get().status == Claim.Status.WITHDRAWN


def test_another_complainants_claim_is_not_found(client, holder):
    client.force_login(holder.user)
    client.post("/rights/claims/new/", form_data(holder, [ListingFactory().url]))
    claim = Claim.objects.get()
    client.force_login(UserFactory())

    for path in ("", "receipt/", "items.csv", "edit/"):
        assert client.get(f"/rights/claims/{claim.pk}/{path}").status_code == 404
    assert client.post(f"/rights/claims/{claim.pk}/withdraw/", {"confirmed": "yes"}).status_code == 404
    assert Claim.objects.get().status == Claim.Status.SUBMITTED


def test_a_five_megabyte_paste_gets_a_fixable_message_and_keeps_the_rest(client, holder):
    client.force_login(holder.user)
    huge = ("https://www.alibaba.com/product-detail/x_1601000000001.html\n" * 90_000)[: 5 * 1024 * 1024]

    html = client.post("/rights/claims/new/", form_data(holder, [huge], explanation="Keep me")).content.decode()

    assert "far more text than a claim" in html
    assert "Keep me" in html
    assert not Claim.objects.exists()


def test_submitted_claim_appears_in_the_staff_queue(client, admin_client, holder):
    client.force_login(holder.user)
    client.post("/rights/claims/new/", form_data(holder, [ListingFactory().url]))
    claim = Claim.objects.get()

    queue = admin_client.get("/admin/complaints/claim/", follow=True).content.decode()
    page = admin_client.get(f"/admin/complaints/claim/{claim.pk}/change/").content.decode()

    assert claim.reference in queue
    assert claim.items.get().url in page


def test_withdraw_one_listing_from_the_claim_page(client, holder):
    client.force_login(holder.user)
    client.post("/rights/claims/new/", form_data(holder, [x.url for x in ListingFactory.create_batch(2)]))
    claim = Claim.objects.get()
    first = claim.items.order_by("position").first()

    page = client.get(f"/rights/claims/{claim.pk}/").content.decode()
    client.post(f"/rights/claims/{claim.pk}/items/withdraw/", {"item": first.pk})

    assert f'name="item" value="{first.pk}"' in page
    assert sorted(claim.items.values_list("status", flat=True)) == ["pending", "withdrawn"]
    assert client.post(f"/rights/claims/{claim.pk}/items/withdraw/", {"item": "x"}).status_code == 404


def test_dashboard_search_takes_a_reference_its_number_or_a_listing_id(client, holder):
    from tests.factories import make_claim

    client.force_login(holder.user)
    listing = ListingFactory()
    claim = make_claim(holder, listings=[listing])
    other = make_claim(holder, listings=[ListingFactory()])

    found = {
        query: client.get("/rights/claims/", {"q": query}).content.decode()
        for query in (claim.reference, str(claim.pk), listing.external_id, f"{claim.reference}#1")
    }

    for query, page in found.items():
        assert claim.reference in page, query
        assert other.reference not in page, query


def test_a_300_item_claim_is_read_a_page_at_a_time_by_status_and_by_seller(client):
    complainant = make_complainant()
    client.force_login(complainant.user)
    site = Site.objects.get(code="alibaba")
    claim = Claim.objects.create(complainant=complainant, right=make_right(complainant), site=site, status="submitted")
    listings = ListingFactory.create_batch(120)
    for position, listing in enumerate(listings, start=1):
        ClaimItem.objects.create(
            claim=claim, position=position, url=listing.url, submitted_url=listing.url, site=site,
            external_id=listing.external_id, listing=listing, seller=listing.seller,
            status="removed" if position <= 30 else "pending",
        )  # fmt: skip
    claim_url = f"/rights/claims/{claim.pk}/"

    def rows(html: str) -> int:
        return html.split("<tbody>")[1].split("</tbody>")[0].count("<tr>")

    first = client.get(claim_url).content.decode()
    third = client.get(f"{claim_url}?page=3").content.decode()
    removed = client.get(f"{claim_url}?status=removed").content.decode()
    one_seller = client.get(f"{claim_url}?seller={listings[5].seller_id}").content.decode()
    nonsense = client.get(f"{claim_url}?status=<script>&seller=99999999999999&page=x")

    assert (rows(first), rows(third), rows(removed), rows(one_seller)) == (50, 20, 30, 1)
    assert "Page 1 of 3" in first
    assert 'href="?status=removed#listings"' in first  # the count per status links to the filter
    assert ">30</span>" in first
    assert ">90</span>" in first
    assert listings[5].title in one_seller
    assert listings[6].title not in one_seller
    assert nonsense.status_code == 200
    assert rows(nonsense.content.decode()) == 50


def test_a_submission_shows_every_problem_in_one_round(client, holder):
    client.force_login(holder.user)
    data = form_data(holder, [], explanation="", signature_name="")
    for name in ("states_good_faith", "states_accuracy", "states_authority_under_perjury", "agrees_to_indemnify"):
        del data[name]

    html = client.post("/rights/claims/new/", data).content.decode()

    summary = html.split("data-error-summary>")[1].split("</div>")[0]
    for field in (
        "explanation", "links", "signature_name",
        "states_good_faith", "states_accuracy", "states_authority_under_perjury", "agrees_to_indemnify",
    ):  # fmt: skip
        assert f'href="#id_{field}"' in summary, field
    assert 'role="alert"' in html.split("data-error-summary")[0].rsplit("<div", 1)[1]
    assert not Claim.objects.exists()


def test_enter_in_a_text_field_submits_the_claim_rather_than_checking_the_links(client, holder):
    client.force_login(holder.user)

    html = client.get("/rights/claims/new/").content.decode()

    form = html.split('id="claim-form">')[1].split("</form>")[0]
    first_button = re.search(r"<button[^>]*>", form).group(0)
    # A form's default button (pressed by Enter in a text field) is its first submit button, in document order.
    assert 'type="submit"' in first_button
    assert 'name="action" value="submit"' in first_button


def test_a_batch_decision_is_one_timeline_line_and_the_claim_page_queries_stay_flat(client):
    """A takedown of every listing of a claim writes one audit row per listing; the claim page shows it as one
    line that counts them, with the same queries for a 3-item and a 40-item claim."""
    from django.db import transaction

    from ipp_portal.audit.services import record_many

    def claim_page(n: int) -> tuple[int, str]:
        complainant = make_complainant()
        client.force_login(complainant.user)
        site = Site.objects.get(code="alibaba")
        claim = Claim.objects.create(complainant=complainant, right=make_right(complainant), site=site,
                                     status="decided")  # fmt: skip
        items = [
            ClaimItem.objects.create(
                claim=claim, position=listing.pk, url=listing.url, submitted_url=listing.url, site=site,
                external_id=listing.external_id, listing=listing, seller=listing.seller, status="removed",
            )
            for listing in ListingFactory.create_batch(n)
        ]  # fmt: skip
        with transaction.atomic():
            record_many(actor=None, verb="claim_item.removed", targets=items, before="pending", after="removed")
        with CaptureQueriesContext(connection) as ctx:
            page = client.get(f"/rights/claims/{claim.pk}/").content.decode()
        return len(ctx.captured_queries), page

    claim_page(1)  # warm the content-type cache the timeline uses
    (few, small), (many, large) = claim_page(3), claim_page(40)

    assert few == many
    assert "— Listing removed (3 listings)" in small
    assert "— Listing removed (40 listings)" in large
    assert large.count("— Listing removed") == 1  # the timeline's line, not one per listing
