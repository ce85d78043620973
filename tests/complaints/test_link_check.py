import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from complaints.link_check import Result, check_links, links_from_file, split_lines
from listings.models import Listing, Site
from tests.factories import ListingFactory, SellerFactory, make_complainant, make_right

pytestmark = pytest.mark.django_db


@pytest.fixture
def alibaba():
    return Site.objects.get(code="alibaba")


def url(external_id, site="alibaba"):
    if site == "alibaba":
        return f"https://www.alibaba.com/product-detail/Some-Product_{external_id}.html?spm=a2700"
    return f"https://www.aliexpress.com/item/{external_id}.html"


def test_every_kind_of_line_is_classified(alibaba):
    complainant = make_complainant()
    seller = SellerFactory(store_name="Shenzhen Audio")
    live = ListingFactory(seller=seller, external_id="1601000000001", title="Earbuds")
    removed = ListingFactory(seller=seller, external_id="1601000000002", status=Listing.Status.REMOVED)
    text = "\n".join([
        url(live.external_id),
        "not a link at all",
        url("1005001234567890", site="aliexpress"),
        url(live.external_id).replace("https", "http"),
        url("1601999999999"),
        url(removed.external_id),
        "",
        "   ",
    ])  # fmt: skip

    lines = check_links(split_lines(text), site=alibaba, complainant=complainant)

    assert [(line.number, line.result) for line in lines] == [
        (1, Result.OK), (2, Result.NOT_A_LINK), (3, Result.WRONG_SITE), (4, Result.DUPLICATE),
        (5, Result.UNKNOWN), (6, Result.ALREADY_REMOVED),
    ]  # fmt: skip
    assert lines[0].message == "Earbuds — sold by Shenzhen Audio"
    assert "line 1" in lines[3].message
    assert "aliexpress.com" in lines[2].message


def test_listing_in_own_open_claim_and_in_someone_elses(alibaba):
    from complaints.models import Claim, ClaimItem

    mine, theirs = make_complainant(), make_complainant(legal_name="Other Brand")
    a, b = ListingFactory(external_id="1601000000011"), ListingFactory(external_id="1601000000012")
    for complainant, listing in ((mine, a), (theirs, b)):
        claim = Claim.objects.create(complainant=complainant, right=make_right(complainant), site=alibaba,
                                     status=Claim.Status.SUBMITTED)  # fmt: skip
        ClaimItem.objects.create(claim=claim, position=1, url=listing.url, submitted_url=listing.url, site=alibaba,
                                 external_id=listing.external_id, listing=listing, seller=listing.seller)  # fmt: skip

    lines = check_links(split_lines(f"{a.url}\n{b.url}"), site=alibaba, complainant=mine)

    assert [line.result for line in lines] == [Result.OPEN_CLAIM, Result.CONFLICT]
    assert lines[0].other_claim_reference.startswith("IPP-")
    assert lines[1].is_fileable


def test_query_count_does_not_depend_on_the_number_of_links(alibaba, django_assert_num_queries):
    complainant = make_complainant()
    listings = ListingFactory.create_batch(300)
    few = split_lines("\n".join(listing.url for listing in listings[:3]))
    many = split_lines("\n".join(listing.url for listing in listings))

    # The listings, then the open claims naming them with parallel plans off around it (set, read, reset).
    with django_assert_num_queries(4):
        check_links(few, site=alibaba, complainant=complainant)
    with django_assert_num_queries(4):
        result = check_links(many, site=alibaba, complainant=complainant)
    assert sum(line.is_fileable for line in result) == 300


def test_links_file_with_bom_crlf_quotes_and_a_header():
    data = '\ufeffurl,note\r\n"https://www.alibaba.com/product-detail/A_1601000000001.html","x, y"\r\n'.encode()
    data += b"https://www.alibaba.com/product-detail/B_1601000000002.html,\r\n"

    assert links_from_file(data).splitlines() == [
        "https://www.alibaba.com/product-detail/A_1601000000001.html",
        "https://www.alibaba.com/product-detail/B_1601000000002.html",
    ]


def test_plain_text_file_keeps_its_lines():
    assert links_from_file(b"a\r\nb\n\nc\r").splitlines() == ["a", "b", "", "c"]


valid = st.integers(1_601_000_000_000, 1_601_000_000_050).map(lambda n: url(str(n)))
noise = st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=80)
other_site = st.integers(1_005_000_000_000_000, 1_005_000_000_000_050).map(lambda n: url(str(n), site="aliexpress"))
blank = st.sampled_from(["", "   ", "\t"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.one_of(valid, noise, other_site, blank), max_size=40))
def test_property_any_mix_of_lines_is_classified_without_exceptions(alibaba, lines):
    complainant = make_complainant()
    text = "\n".join(lines)

    result = check_links(split_lines(text), site=alibaba, complainant=complainant)

    assert [line.number for line in result] == [n for n, _ in split_lines(text)]
    for line in result:
        assert line.result in Result.LABELS
        assert line.message or line.result == Result.OK
    seen = [line.ref.external_id for line in result if line.is_fileable]
    assert len(seen) == len(set(seen))
