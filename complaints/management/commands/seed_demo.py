"""Demo data for a newcomer's portal: both sites, sellers with listings, a complainant and one staff member per
role (reviewer, supervisor, auditor)."""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from complaints.models import Complainant, IPRight, RightDocument, normalise_registration_number
from ipp_portal.accounts.models import User
from ipp_portal.documents.models import Document
from ipp_portal.documents.services import document_store
from listings.links import ListingRef, canonical_listing_url
from listings.models import Holiday, Listing, Seller, Site

PASSWORD = "demo-password-2026"  # noqa: S105 - demo accounts on a developer's machine only
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)

SELLERS = [
    (
        "seller@demo.example",
        "Lin Wei",
        "alibaba",
        "m100000000001",
        "Shenzhen Bright Audio Co.",
        [
            ("1601000000101", "Wireless earbuds, Bluetooth 5.3, charging case", "12.50"),
            ("1601000000102", "Over-ear studio headphones, foldable", "24.00"),
            ("1601000000103", "Portable speaker, waterproof IPX7", "18.90"),
        ],
    ),
    (
        "seller@demo.example",
        "Lin Wei",
        "aliexpress",
        "m100000000002",
        "Bright Audio Official Store",
        [
            ("1005009000000201", "TWS earbuds with noise cancelling", "19.99"),
            ("1005009000000202", "USB-C fast charger 65W GaN", "15.49"),
        ],
    ),
    (
        "sports@demo.example",
        "Maria Santos",
        "alibaba",
        "m100000000003",
        "Guangzhou Runner Sportswear Ltd.",
        [
            ("1601000000301", "Running shoes, breathable mesh, OEM", "9.80"),
            ("1601000000302", "Football jersey, custom printing", "4.20"),
            ("1601000000303", "Sports water bottle 750 ml", "1.35"),
        ],
    ),
    (
        "bags@demo.example",
        "Chen Jie",
        "aliexpress",
        "m100000000004",
        "Fashion Bags Outlet",
        [
            ("1005009000000401", "Women's leather handbag, monogram pattern", "39.00"),
            ("1005009000000402", "Canvas tote bag with logo print", "8.75"),
            ("1005009000000403", "Men's wallet, genuine leather", "11.20"),
        ],
    ),
]

HOLIDAYS = [
    (date(2026, 1, 1), "New Year's Day"),
    (date(2026, 10, 1), "National Day"),
    (date(2026, 10, 2), "National Day"),
    (date(2026, 10, 5), "National Day"),
    (date(2026, 10, 6), "National Day"),
    (date(2026, 10, 7), "National Day"),
    (date(2027, 1, 1), "New Year's Day"),
    (date(2027, 2, 8), "Spring Festival"),
    (date(2027, 2, 9), "Spring Festival"),
    (date(2027, 2, 10), "Spring Festival"),
    (date(2027, 2, 11), "Spring Festival"),
    (date(2027, 2, 12), "Spring Festival"),
]


def _user(email: str, full_name: str, **extra) -> User:
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=PASSWORD, full_name=full_name, **extra)
    return user


def _staff(email: str, full_name: str, role: str, now) -> User:
    user = _user(email, full_name, is_staff=True, email_verified_at=now)
    if user.is_superuser:  # an account made by an earlier demo seed
        user.is_superuser = False
        user.save(update_fields=["is_superuser"])
    user.groups.add(Group.objects.get(name=role))
    return user


class Command(BaseCommand):
    help = "Create demo accounts, stores and listings (idempotent) and print the logins."

    @transaction.atomic
    def handle(self, *args, **options):
        now = timezone.now()
        # Staff are members of their role's group, never superusers: the demo shows what each role really sees.
        reviewer = _staff("reviewer@demo.example", "Riley Reviewer", "Reviewer", now)
        _staff("supervisor@demo.example", "Sam Supervisor", "Supervisor", now)
        _staff("auditor@demo.example", "Alex Auditor", "Auditor", now)
        brand = _user("brand@demo.example", "Acme Brands Legal", email_verified_at=now)
        self._verified_complainant(brand, reviewer, now)
        sites = {site.code: site for site in Site.objects.all()}
        listings = 0
        for email, name, site_code, member_id, store_name, items in SELLERS:
            user = _user(email, name, email_verified_at=now)
            seller, _ = Seller.objects.get_or_create(
                site=sites[site_code], member_id=member_id, defaults={"store_name": store_name, "user": user}
            )
            for external_id, title, price in items:
                _, created = Listing.objects.get_or_create(
                    site=seller.site,
                    external_id=external_id,
                    defaults={
                        "url": canonical_listing_url(ListingRef(site_code, external_id)),
                        "title": title,
                        "description": f"{title}. Wholesale and retail.",
                        "price": Decimal(price),
                        "currency": "USD",
                        "seller": seller,
                    },
                )
                listings += created
        for site in sites.values():
            for day, label in HOLIDAYS:
                Holiday.objects.get_or_create(site=site, on=day, defaults={"name": label})
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({listings} new listings)."))
        self.stdout.write(f"All demo accounts use the password: {PASSWORD}")
        for email, role in [
            ("reviewer@demo.example", f"staff reviewer — {settings.SITE_URL}{reverse('admin:index')}"),
            ("supervisor@demo.example", "staff supervisor (second approvals, appeals, policies, take-overs)"),
            ("auditor@demo.example", "staff auditor (reads everything, decides nothing)"),
            ("brand@demo.example", "complainant (rights holder)"),
            ("seller@demo.example", "seller with stores on alibaba.com and aliexpress.com"),
            ("sports@demo.example", "seller on alibaba.com"),
            ("bags@demo.example", "seller on aliexpress.com"),
        ]:
            self.stdout.write(f"  {email:<24} {role}")

    def _document(self, user, name: str) -> Document:
        existing = Document.objects.filter(uploaded_by=user, original_name=name).first()
        return existing or document_store(upload=SimpleUploadedFile(name, DEMO_PDF), uploaded_by=user)

    def _verified_complainant(self, user, reviewer, now) -> None:
        """A right holder whose identity and one trademark are already verified (as staff would have done)."""
        complainant, created = Complainant.objects.get_or_create(
            user=user,
            defaults={
                "kind": Complainant.Kind.ENTERPRISE,
                "role": Complainant.Role.RIGHT_HOLDER,
                "legal_name": "Acme Brands Ltd.",
                "country": "GB",
                "postal_address": "1 High Street\nLondon EC1A 1AA",
                "phone": "+44 20 7946 0000",
                "contact_email": "ip@acme.example",
                "status": "verified",
                "decided_by": reviewer,
                "decided_at": now,
            },
        )
        if created:
            complainant.identity_documents.add(self._document(user, "acme-company-registration.pdf"))
        right, created = IPRight.objects.get_or_create(
            registered_by=complainant,
            registration_key=normalise_registration_number("UK00003123456"),
            defaults={
                "kind": IPRight.Kind.TRADEMARK,
                "title": "ACME",
                "mark_type": IPRight.MarkType.WORD,
                "registration_number": "UK00003123456",
                "jurisdiction": "GB",
                "nice_classes": [9, 25],
                "owner_name": "Acme Brands Ltd.",
                "registered_on": date(2020, 1, 15),
                "expires_on": date(2030, 1, 15),
                "status": IPRight.Status.VERIFIED,
                "decided_by": reviewer,
                "decided_at": now,
            },
        )
        if created:
            RightDocument.objects.create(
                right=right,
                document=self._document(user, "acme-uk-certificate.pdf"),
                role=RightDocument.Role.CERTIFICATE,
            )
