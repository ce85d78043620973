"""factory_boy factories for the platform and the catalogue."""

import factory
from django.utils import timezone

from ipp_portal.accounts.models import User
from listings.links import ListingRef, canonical_listing_url
from listings.models import Listing, Seller, Site


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    full_name = factory.Faker("name")
    email_verified_at = factory.LazyFunction(timezone.now)
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery staple")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def site(code: str = "alibaba") -> Site:
    return Site.objects.get(code=code)


class SellerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Seller

    site = factory.LazyFunction(lambda: Site.objects.get(code="alibaba"))
    user = factory.SubFactory(UserFactory)
    member_id = factory.Sequence(lambda n: f"m{n:09d}")
    store_name = factory.Sequence(lambda n: f"Store {n}")


class ListingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Listing

    seller = factory.SubFactory(SellerFactory)
    site = factory.SelfAttribute("seller.site")
    external_id = factory.Sequence(lambda n: str(1_601_500_000_000 + n))
    url = factory.LazyAttribute(lambda o: canonical_listing_url(ListingRef(o.site.code, o.external_id)))
    title = factory.Faker("sentence", nb_words=5)
    price = "9.99"


PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def make_document(user, name: str = "certificate.pdf", content: bytes = PDF_BYTES):
    """A stored document as the upload pipeline would leave it (for tests whose subject is not the pipeline)."""
    import hashlib

    from django.core.files.base import ContentFile

    from ipp_portal.documents.models import Document

    document = Document(
        original_name=name,
        content_type="application/pdf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=user,
    )
    document.file.save(f"test-{hashlib.sha256(content).hexdigest()[:12]}.pdf", ContentFile(content), save=False)
    document.save()
    return document


def make_complainant(*, status: str = "verified", role: str = "right_holder", user=None, **fields):
    from complaints.models import Complainant

    user = user or UserFactory()
    complainant = Complainant.objects.create(
        user=user,
        kind=fields.pop("kind", "enterprise"),
        role=role,
        legal_name=fields.pop("legal_name", "Acme Brands Ltd."),
        country=fields.pop("country", "GB"),
        postal_address=fields.pop("postal_address", "1 High Street\nLondon"),
        phone=fields.pop("phone", "+44 20 7946 0000"),
        contact_email=fields.pop("contact_email", "legal@acme.example"),
        status=status,
        **fields,
    )
    complainant.identity_documents.add(make_document(user, "registration.pdf"))
    return complainant


def make_right(complainant, *, status: str = "verified", **fields):
    from datetime import date

    from complaints.models import IPRight, RightDocument, normalise_registration_number

    fields.setdefault("kind", "trademark")
    fields.setdefault("title", "ACME")
    fields.setdefault("mark_type", "word")
    fields.setdefault("registration_number", "UK00003123456")
    fields.setdefault("jurisdiction", "GB")
    fields.setdefault("nice_classes", [9, 25])
    fields.setdefault("owner_name", complainant.legal_name)
    fields.setdefault("registered_on", date(2020, 1, 15))
    fields.setdefault("expires_on", date(2030, 1, 15))
    right = IPRight.objects.create(
        registered_by=complainant,
        status=status,
        registration_key=normalise_registration_number(fields["registration_number"]),
        **fields,
    )
    RightDocument.objects.create(right=right, document=make_document(complainant.user), role="certificate")
    return right


def make_staff(role: str = "Reviewer", **fields):
    """A staff account in one role's group (Reviewer, Supervisor or Auditor): is_staff alone grants nothing."""
    from django.contrib.auth.models import Group

    user = UserFactory(is_staff=True, **fields)
    user.groups.add(Group.objects.get(name=role))
    return user


def seen(obj) -> dict:
    """What a reviewer's page shows of ``obj`` now: staff decisions carry it (complaints.seen)."""
    from complaints.seen import seen_state

    return seen_state(type(obj).objects.get(pk=obj.pk))


def make_claim(
    complainant=None,
    *,
    listings=None,
    links_text: str | None = None,
    right=None,
    site=None,
    reason_code: str = "tm_counterfeit",
    explanation: str = "Counterfeit goods.",
    token=None,
    statements: dict[str, bool] | None = None,
    signature_name: str = "A Signer",
    ip: str = "192.0.2.1",
    **fields,
):
    """A claim filed through ``claim_submit`` (so it is exactly what a complainant's submission leaves).

    The links are ``links_text`` as typed, or one line per listing of ``listings`` (one new listing by default);
    ``right`` defaults to a new verified right of the complainant. Anything else ``claim_submit`` takes
    (``evidence``, ``order_numbers``, ``claim_id``) passes through."""
    import uuid

    from complaints import services

    complainant = complainant or make_complainant()
    if links_text is None:
        listings = listings if listings is not None else [ListingFactory()]
        links_text = "\n".join(listing.url for listing in listings)
    return services.claim_submit(
        complainant=complainant,
        user=complainant.user,
        token=token or uuid.uuid4(),
        right=right or make_right(complainant),
        site=site or Site.objects.get(code="alibaba"),
        reason_code=reason_code,
        explanation=explanation,
        links_text=links_text,
        signature_name=signature_name,
        ip=ip,
        statements=statements if statements is not None else dict.fromkeys(services.claims.STATEMENTS, True),
        **fields,
    )


def take_down(claim, items=None, reviewer=None):
    """A reviewer takes down ``items`` of ``claim`` (all of its items by default) as the review page shows it."""
    from complaints import services

    items = items if items is not None else claim.items.order_by("position")
    return services.claim_items_take_down(
        claim_id=claim.pk, seen=seen(claim), item_ids=[item.pk for item in items], reviewer=reviewer or make_staff()
    )


SWORN_COUNTER_NOTICE = {
    "states_good_faith_mistake": True,
    "consents_to_jurisdiction": True,
    "signature_name": "Lin Wei",
}


def file_counter_notice(
    seller, items, *, reason: str = "genuine_goods", statement: str = "Bought from ACME.", **fields
):
    """The seller's sworn counter-notice against ``items`` of one claim."""
    import uuid

    from complaints import services

    fields = {**SWORN_COUNTER_NOTICE, "ip": "2.2.2.2", "token": uuid.uuid4(), **fields}
    return services.counter_notice_file(
        user=seller.user, item_ids=[item.pk for item in items], reason=reason, statement=statement, **fields
    )


def make_removed(complainant=None, *, seller=None, listings=None, count: int = 1, reviewer=None, **claim_fields):
    """A claim whose listings (``listings``, else ``count`` new ones of ``seller``) a reviewer took down; with its
    items as they now stand, in order."""
    if listings is None:
        listings = [ListingFactory(seller=seller) if seller else ListingFactory() for _ in range(count)]
    claim = make_claim(complainant, listings=listings, **claim_fields)
    take_down(claim, reviewer=reviewer)
    return claim, list(claim.items.order_by("position"))


def make_disputed(seller, complainant=None, *, count: int = 1, right=None, **notice_fields):
    """``seller``'s counter-notice against all the items of a claim that took down ``count`` of its listings."""
    _claim, items = make_removed(complainant, seller=seller, count=count, right=right)
    return file_counter_notice(seller, items, **notice_fields)
