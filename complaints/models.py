"""Complainants, the IP-rights vault and agent authorizations (policy §5 of docs/ipr-policy.md: proof of identity,
of ownership, and of authorization when the complaining party is not the right holder)."""

import re
from datetime import date
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils import timezone

from ipp_portal.appeals import AppealRecord
from ipp_portal.transitions import TransitionMixin

from .jurisdictions import COUNTRY_CHOICES, JURISDICTION_CHOICES

if TYPE_CHECKING:
    from listings.models import Site


class VerificationStatus(models.TextChoices):
    PENDING = "pending", "Waiting for verification"
    VERIFIED = "verified", "Verified"
    REJECTED = "rejected", "Rejected"


class Verifiable(TransitionMixin, models.Model):
    """Shared verification fields: staff verify or reject (with a reason the complainant reads)."""

    submitted_at = models.DateTimeField(default=timezone.now, help_text="When it last entered the queue.")
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rejection_reason = models.TextField(blank=True)

    class Meta:
        abstract = True

    @property
    def is_verified(self) -> bool:
        return self.status == VerificationStatus.VERIFIED


class Complainant(Verifiable):
    """A rights holder, or an agent acting for one, with proof of identity (one profile per account)."""

    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", "An individual"
        ENTERPRISE = "enterprise", "A company or organisation"

    class Role(models.TextChoices):
        RIGHT_HOLDER = "right_holder", "The right holder (I own the rights)"
        LAW_FIRM = "law_firm", "An agent: a law firm acting for right holders"
        VENDOR = "vendor", "An agent: a brand-protection service acting for right holders"

    TRANSITIONS = {
        VerificationStatus.PENDING: {VerificationStatus.VERIFIED, VerificationStatus.REJECTED},
        VerificationStatus.REJECTED: {VerificationStatus.PENDING},
        VerificationStatus.VERIFIED: set(),
    }

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="complainant")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    role = models.CharField(max_length=12, choices=Role.choices)
    legal_name = models.CharField(max_length=200)
    country = models.CharField(max_length=2, choices=COUNTRY_CHOICES)
    postal_address = models.TextField()
    phone = models.CharField(max_length=40)
    contact_email = models.EmailField(
        help_text="Shown to the sellers you file against, so that they can contact you (the policy requires it)."
    )
    identity_documents = models.ManyToManyField("documents.Document", related_name="+", blank=True)
    status = models.CharField(max_length=10, choices=VerificationStatus.choices, default=VerificationStatus.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["status", "submitted_at"], name="complainant_queue_idx")]

    def __str__(self) -> str:
        return self.legal_name

    @property
    def is_agent(self) -> bool:
        return self.role != self.Role.RIGHT_HOLDER

    @property
    def identity_document_hint(self) -> str:
        if self.kind == self.Kind.ENTERPRISE:
            return "the business registration certificate (or an extract from the company register)"
        return "a national ID card, passport or driving licence"


def normalise_registration_number(value: str) -> str:
    """Registration numbers are compared without case, spaces or punctuation ("TM 1.234-567" = "tm1234567")."""
    return re.sub(r"[^0-9A-Za-z]", "", value).upper()


class IPRight(Verifiable):
    """One intellectual-property right, uploaded once and reused by every claim (Alibaba IPP's model)."""

    class Kind(models.TextChoices):
        TRADEMARK = "trademark", "Trademark"
        COPYRIGHT = "copyright", "Copyright"
        PATENT = "patent", "Patent"
        DESIGN = "design", "Design"

    class MarkType(models.TextChoices):
        WORD = "word", "Word mark"
        FIGURATIVE = "figurative", "Figurative mark (logo)"
        COMBINED = "combined", "Combined word and figurative mark"

    class WorkType(models.TextChoices):
        IMAGE = "image", "Photograph or image"
        ARTWORK = "artwork", "Artwork or drawing"
        TEXT = "text", "Text"
        SOFTWARE = "software", "Software"
        AUDIO = "audio", "Music or sound recording"
        VIDEO = "video", "Film or video"
        OTHER = "other", "Other"

    class PatentType(models.TextChoices):
        INVENTION = "invention", "Invention patent"
        UTILITY = "utility", "Utility model"
        DESIGN = "design", "Design patent"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for verification"
        VERIFIED = "verified", "Verified"
        REJECTED = "rejected", "Rejected"
        EXPIRED = "expired", "Expired"

    TRANSITIONS = {
        Status.PENDING: {Status.VERIFIED, Status.REJECTED, Status.EXPIRED},
        Status.REJECTED: {Status.PENDING},
        Status.VERIFIED: {Status.EXPIRED},
        Status.EXPIRED: set(),
    }

    registered_by = models.ForeignKey(Complainant, on_delete=models.PROTECT, related_name="rights")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    title = models.CharField(
        max_length=300, help_text="The mark as registered, the work's title, or the patent's or design's title."
    )
    mark_type = models.CharField(max_length=10, choices=MarkType.choices, blank=True)
    work_type = models.CharField(max_length=10, choices=WorkType.choices, blank=True)
    patent_type = models.CharField(max_length=10, choices=PatentType.choices, blank=True)
    registration_number = models.CharField(max_length=60, blank=True)
    registration_key = models.CharField(max_length=60, blank=True, db_index=True, editable=False)
    jurisdiction = models.CharField(max_length=2, choices=JURISDICTION_CHOICES)
    nice_classes = models.JSONField(default=list, blank=True, help_text="Nice classes (1–45) of a trademark.")
    owner_name = models.CharField(max_length=200, help_text="The owner's name exactly as registered.")
    registered_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    expiry_warned_on = models.DateField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "IP right"
        indexes = [
            models.Index(fields=["status", "submitted_at"], name="ipright_queue_idx"),
            models.Index(fields=["status", "expires_on"], name="ipright_expiry_idx"),
        ]

    def __str__(self) -> str:
        number = f" {self.registration_number}" if self.registration_number else ""
        return f"{self.get_kind_display()} “{self.title}”{number} ({self.jurisdiction})"

    @property
    def is_registered(self) -> bool:
        return bool(self.registration_number)

    def is_expired_on(self, day: date) -> bool:
        return self.expires_on is not None and self.expires_on < day


class RightDocument(models.Model):
    """A certificate or supporting document attached to a right (documents are immutable; new ones are added)."""

    class Role(models.TextChoices):
        CERTIFICATE = "certificate", "Registration certificate"
        RENEWAL = "renewal", "Renewal"
        ASSIGNMENT = "assignment", "Assignment or change of owner"
        TRANSLATION = "translation", "Translation"
        COPYRIGHT_STATEMENT = "copyright_statement", "Signed copyright claim statement"
        OTHER = "other", "Other supporting document"

    right = models.ForeignKey(IPRight, on_delete=models.CASCADE, related_name="documents")
    document = models.ForeignKey("documents.Document", on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=20, choices=Role.choices)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["right", "document"], name="rightdocument_unique")]

    def __str__(self) -> str:
        return f"{self.get_role_display()} for right {self.right_id}"


class Authorization(Verifiable):
    """An owner's letter authorising an agent to file for named rights on named sites, for a period."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for verification"
        VERIFIED = "verified", "Verified"
        REJECTED = "rejected", "Rejected"
        REVOKED = "revoked", "Revoked"
        EXPIRED = "expired", "Expired"

    TRANSITIONS = {
        Status.PENDING: {Status.VERIFIED, Status.REJECTED, Status.REVOKED, Status.EXPIRED},
        Status.REJECTED: {Status.PENDING},
        Status.VERIFIED: {Status.REVOKED, Status.EXPIRED},
        Status.REVOKED: set(),
        Status.EXPIRED: set(),
    }

    agent = models.ForeignKey(Complainant, on_delete=models.PROTECT, related_name="authorizations")
    owner_name = models.CharField(max_length=200, help_text="The right holder who signs the letter.")
    owner_address = models.TextField(blank=True)
    owner_contact_email = models.EmailField(blank=True)
    rights = models.ManyToManyField(IPRight, related_name="authorizations")
    sites = models.ManyToManyField("listings.Site", related_name="+")
    valid_from = models.DateField()
    valid_until = models.DateField()
    letter = models.ForeignKey("documents.Document", on_delete=models.PROTECT, related_name="+", null=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "submitted_at"], name="authorization_queue_idx"),
            models.Index(fields=["status", "valid_until"], name="authorization_expiry_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.agent} for {self.owner_name} ({self.valid_from:%Y-%m-%d} – {self.valid_until:%Y-%m-%d})"

    def is_in_force_on(self, day: date) -> bool:
        return self.status == self.Status.VERIFIED and self.valid_from <= day <= self.valid_until


class Claim(TransitionMixin, models.Model):
    """An infringement claim under penalty of perjury: one right, one site, one item per listing URL."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        WAITING_FOR_RIGHT = "waiting_for_right", "Waiting for the right to be verified"
        SUBMITTED = "submitted", "Submitted"
        NEEDS_INFO = "needs_info", "More information needed"
        IN_REVIEW = "in_review", "In review"
        DECIDED = "decided", "Decided"
        CLOSED = "closed", "Closed"
        WITHDRAWN = "withdrawn", "Withdrawn"

    TRANSITIONS = {
        Status.DRAFT: {Status.SUBMITTED, Status.WAITING_FOR_RIGHT},
        Status.WAITING_FOR_RIGHT: {Status.SUBMITTED, Status.WITHDRAWN},
        Status.SUBMITTED: {Status.IN_REVIEW, Status.NEEDS_INFO, Status.DECIDED, Status.WITHDRAWN},
        Status.IN_REVIEW: {Status.NEEDS_INFO, Status.DECIDED, Status.WITHDRAWN, Status.SUBMITTED},
        Status.NEEDS_INFO: {Status.SUBMITTED, Status.WITHDRAWN},
        Status.DECIDED: {Status.CLOSED, Status.IN_REVIEW},  # back in review when an appeal overturns a rejection
        Status.CLOSED: set(),
        Status.WITHDRAWN: set(),
    }
    OPEN_STATUSES = (Status.WAITING_FOR_RIGHT, Status.SUBMITTED, Status.NEEDS_INFO, Status.IN_REVIEW)

    complainant = models.ForeignKey(Complainant, on_delete=models.PROTECT, related_name="claims")
    right = models.ForeignKey(IPRight, on_delete=models.PROTECT, related_name="claims", null=True, blank=True)
    site = models.ForeignKey("listings.Site", on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    authorization = models.ForeignKey(
        Authorization, on_delete=models.PROTECT, related_name="claims", null=True, blank=True,
        help_text="For an agent: the authorization the claim was filed under.",
    )  # fmt: skip
    reason_code = models.CharField(max_length=30, blank=True)
    explanation = models.TextField(blank=True)
    order_numbers = models.TextField(blank=True, help_text="Test-buy order numbers, one per line.")
    links_text = models.TextField(blank=True, help_text="The links as pasted (kept for drafts).")
    evidence = models.ManyToManyField("documents.Document", related_name="+", blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    submission_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    # Sworn statements (DMCA §512(c)(3), DSA Art. 16, policy §4): each ticked by the complainant, then signed.
    states_good_faith = models.BooleanField(default=False)
    states_accuracy = models.BooleanField(default=False)
    states_authority_under_perjury = models.BooleanField(default=False)
    agrees_to_indemnify = models.BooleanField(default=False)
    # Sworn when the claim names listings of a seller the complainant had declared authorised for the right: the
    # authorisation has ended (the allow-list entries it names end with the claim; see ``AuthorisedSeller``).
    states_authorisation_ended = models.BooleanField(default=False)
    signature_name = models.CharField(max_length=200, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    signer_ip_hash = models.CharField(max_length=64, blank=True)
    info_request = models.TextField(blank=True, help_text="What staff asked for (needs more information).")
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, related_name="+", null=True, blank=True,
        help_text="The reviewer who took the claim.",
    )  # fmt: skip
    assigned_at = models.DateTimeField(null=True, blank=True)
    first_reviewed_at = models.DateTimeField(null=True, blank=True)
    rejection_code = models.CharField(max_length=30, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # Filed by a member of the trusted programme on this site (``Trust``): set at submission, and on the open claims
    # when a supervisor admits or revokes, so that the queue orders by a column its index serves.
    is_trusted = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("reassign_claim", "Can take over a claim another reviewer has taken")]
        indexes = [
            models.Index(fields=["complainant", "status"], name="claim_complainant_status_idx"),
            # The complainant's dashboard: their claims, newest first, a page at a time.
            models.Index(fields=["complainant", "-created_at", "-id"], name="claim_complainant_newest_idx"),
            models.Index(fields=["status", "submitted_at"], name="claim_queue_idx"),
            # The review queue: trusted first, then oldest (the queue shows submitted and in-review claims).
            models.Index(
                models.F("is_trusted").desc(),
                "submitted_at",
                "id",
                name="claim_trusted_queue_idx",
                condition=models.Q(status__in=["submitted", "in_review"]),
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        """IPP-<year of submission or creation>-<six-digit number>: stable, unique, readable on the phone."""
        from .references import claim_reference

        year = (self.submitted_at or self.created_at or timezone.now()).year
        return claim_reference(self.pk, year) if self.pk else "IPP-(draft)"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def filed_site(self) -> "Site":
        """The site of a filed claim: only a draft may lack one, so code past submission relies on it."""
        if self.site is None:
            raise ValueError(f"{self.reference} is a draft: it has no site yet.")
        return self.site

    @property
    def reason(self):
        from .reasons import BY_CODE

        return BY_CODE.get(self.reason_code)


class ClaimItem(TransitionMixin, models.Model):
    """One listing URL of a claim, decided on its own."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for review"
        REMOVED = "removed", "Listing removed"
        REJECTED = "rejected", "Not removed"
        WITHDRAWN = "withdrawn", "Withdrawn by you"
        DISPUTED = "disputed", "Counter-notice received"
        STAFF_REVIEW = "staff_review", "With staff after a counter-notice"
        UPHELD = "upheld", "Removal upheld"
        REINSTATED = "reinstated", "Listing reinstated"

    TRANSITIONS = {
        Status.PENDING: {Status.REMOVED, Status.REJECTED, Status.WITHDRAWN},
        Status.REMOVED: {Status.DISPUTED, Status.REINSTATED},
        Status.DISPUTED: {Status.REINSTATED, Status.STAFF_REVIEW},
        Status.STAFF_REVIEW: {Status.UPHELD, Status.REINSTATED},
        Status.UPHELD: {Status.REINSTATED, Status.DISPUTED},
        Status.REJECTED: {Status.PENDING},  # overturned on the complainant's appeal: back in review
        Status.WITHDRAWN: set(),
        Status.REINSTATED: set(),
    }
    OPEN_STATUSES = (Status.PENDING, Status.REMOVED, Status.DISPUTED, Status.STAFF_REVIEW, Status.UPHELD)

    class ReinstatedVia(models.TextChoices):
        """How a removed listing came back: the seller won (the first three), or the rights holder or a supervisor
        undid the takedown. The accuracy record (``complaints.selectors.accuracy``) counts each apart."""

        COUNTER_NOTICE_ACCEPTED = "counter_notice_accepted", "The rights holder accepted the counter-notice"
        STAFF_AFTER_COUNTER_NOTICE = "staff_after_counter_notice", "Staff reinstated after a counter-notice"
        SILENCE = "silence", "The rights holder did not answer the counter-notice"
        SUPERVISOR = "supervisor", "A supervisor reversed the removal"
        RETRACTION = "retraction", "The rights holder retracted the takedown"

    # The seller won: the listing came back because of the counter-notice.
    LOST_TO_COUNTER_NOTICE = (
        ReinstatedVia.COUNTER_NOTICE_ACCEPTED,
        ReinstatedVia.STAFF_AFTER_COUNTER_NOTICE,
        ReinstatedVia.SILENCE,
    )

    class Check(models.TextChoices):
        OK = "ok", "Listing found"
        CONFLICT = "conflict", "Also claimed by another rights holder"

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    url = models.URLField(max_length=300, help_text="The canonical listing address.")
    submitted_url = models.TextField(help_text="The line as the complainant pasted it.")
    site = models.ForeignKey("listings.Site", on_delete=models.PROTECT, related_name="+")
    external_id = models.CharField(max_length=20)
    listing = models.ForeignKey("listings.Listing", on_delete=models.PROTECT, related_name="claim_items")
    seller = models.ForeignKey("listings.Seller", on_delete=models.PROTECT, related_name="claim_items")
    check_result = models.CharField(max_length=10, choices=Check.choices, default=Check.OK)
    authorised_seller = models.ForeignKey(
        "AuthorisedSeller", on_delete=models.PROTECT, related_name="claim_items", null=True, blank=True,
        help_text="The complainant's allow-list entry for this seller that was in force when the claim was filed "
        "(the complainant swore it had ended).",
    )  # fmt: skip
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.PENDING)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    rejection_code = models.CharField(max_length=30, blank=True)
    decision_reason = models.TextField(blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # Takedown effects: what the listing showed, the ledger row it caused, and the seller's counter-notice deadline.
    snapshot = models.ForeignKey(
        "listings.ListingSnapshot", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    violation = models.ForeignKey(
        "enforcement.Violation", on_delete=models.PROTECT, related_name="claim_items", null=True, blank=True
    )
    counter_notice_due_at = models.DateTimeField(null=True, blank=True)
    further_counter_notice_due_at = models.DateTimeField(null=True, blank=True)
    counter_notice_count = models.PositiveSmallIntegerField(default=0)
    reinstated_at = models.DateTimeField(null=True, blank=True)
    reinstated_via = models.CharField(max_length=30, choices=ReinstatedVia.choices, blank=True)

    class Meta:
        ordering = ["claim", "position"]
        permissions = [("reverse_removal", "Can reinstate a listing that was taken down, disputed or upheld")]
        constraints = [
            models.UniqueConstraint(fields=["claim", "listing"], name="claimitem_one_per_listing_per_claim"),
        ]
        indexes = [
            models.Index(fields=["listing", "status"], name="claimitem_listing_status_idx"),
            models.Index(fields=["claim", "status"], name="claimitem_claim_status_idx"),
            models.Index(fields=["external_id"], name="claimitem_external_id_idx"),
            # The review service levels: listings decided in the last 7 days.
            models.Index(
                fields=["decided_at"], name="claimitem_decided_idx", condition=models.Q(decided_at__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim.reference if self.claim_id else 'claim'}#{self.position}"

    @staticmethod
    def by_seller(items: "list[ClaimItem]") -> "list[list[ClaimItem]]":
        """The items grouped by seller, in first-seen order: every batch tells each seller once."""
        groups: dict[int, list[ClaimItem]] = {}
        for item in items:
            groups.setdefault(item.seller_id, []).append(item)
        return list(groups.values())

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class CounterNotice(TransitionMixin, models.Model):
    """A seller's counter-notification against removed listings of one claim (policy §5; DMCA §512(g))."""

    class Reason(models.TextChoices):
        AUTHORIZED_RESELLER = "authorized_reseller", "I am an authorised reseller or distributor"
        GENUINE_GOODS = "genuine_goods", "The goods are genuine, bought from the right holder or its supply chain"
        OWN_RIGHT = "own_right", "I hold my own right to what the listing shows"
        NOT_INFRINGING = "not_infringing", "The listing does not infringe, or the wrong listing was named"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        AWAITING_ANSWER = "awaiting_answer", "Waiting for the rights holder's answer"
        ACCEPTED = "accepted", "Accepted by the rights holder"
        REJECTED = "rejected", "Rejected by the rights holder: with staff"
        NO_ANSWER = "no_answer", "No answer in time"
        DECIDED = "decided", "Decided by staff"

    TRANSITIONS = {
        Status.AWAITING_ANSWER: {Status.ACCEPTED, Status.REJECTED, Status.NO_ANSWER},
        Status.REJECTED: {Status.DECIDED},
        Status.NO_ANSWER: {Status.DECIDED},
        Status.ACCEPTED: set(),
        Status.DECIDED: set(),
    }

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="counter_notices")
    seller = models.ForeignKey("listings.Seller", on_delete=models.PROTECT, related_name="counter_notices")
    items = models.ManyToManyField(ClaimItem, related_name="counter_notices")
    round = models.PositiveSmallIntegerField(default=1)
    reason = models.CharField(max_length=30, choices=Reason.choices)
    statement = models.TextField()
    documents = models.ManyToManyField("documents.Document", related_name="+", blank=True)
    shared_documents = models.ManyToManyField(
        "documents.Document", related_name="+", blank=True, help_text="Documents the seller lets the rights holder see."
    )
    states_good_faith_mistake = models.BooleanField(default=False)
    consents_to_jurisdiction = models.BooleanField(default=False)
    signature_name = models.CharField(max_length=200)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField()
    signer_ip_hash = models.CharField(max_length=64, blank=True)
    submission_token = models.UUIDField(unique=True, editable=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.AWAITING_ANSWER)
    answer_due_at = models.DateTimeField(db_index=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answer = models.TextField(blank=True, help_text="The rights holder's reasons when rejecting.")
    answer_documents = models.ManyToManyField("documents.Document", related_name="+", blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # Staff's outcome (CounterNotice.Decision), empty until decided.
    decision = models.CharField(max_length=12, blank=True)
    decision_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Decision(models.TextChoices):
        """The values of ``decision``, named for staff (the field itself keeps no choices: no migration for them)."""

        REINSTATE = "reinstate", "Listings reinstated"
        UPHOLD = "uphold", "Removal upheld"

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "answer_due_at"], name="counternotice_due_idx")]

    def __str__(self) -> str:
        return f"Counter-notice {self.pk} on {self.claim.reference if self.claim_id else 'a claim'}"


class AccuracySnapshot(models.Model):
    """A complainant's accuracy record as the refresh sweep last computed it (``complaints.selectors.accuracy``).
    Pages read it — one row per complainant, whatever the history — and say when it was computed; decisions that
    act on the record (the trusted programme, abuse control) compute it afresh."""

    complainant = models.OneToOneField(Complainant, on_delete=models.CASCADE, related_name="accuracy_snapshot")
    computed_at = models.DateTimeField()
    record = models.JSONField(help_text="The figures: 90 days, all time, and per owner for agents.")

    def __str__(self) -> str:
        return f"Accuracy of complainant {self.complainant_id} at {self.computed_at:%Y-%m-%d %H:%M}"


class TrustCriteria(models.Model):
    """The bar for the trusted programme on one site (DSA Art. 22 in spirit; Alibaba's Good-Faith Takedown
    Mechanism): enough decided items in the window, a high takedown rate, few takedowns lost to counter-notices."""

    site = models.OneToOneField("listings.Site", on_delete=models.PROTECT, related_name="trust_criteria")
    window_days = models.PositiveSmallIntegerField(default=90)
    min_items = models.PositiveIntegerField(default=20, help_text="Decided items in the window, at least.")
    min_takedown_rate = models.DecimalField(
        max_digits=4, decimal_places=3, default=0.9, help_text="Taken down / decided, at least (0.900 = 90 %)."
    )
    max_counter_notice_loss_share = models.DecimalField(
        max_digits=4, decimal_places=3, default=0.05,
        help_text="Share of takedowns lost to counter-notices, at most (0.050 = 5 %).",
    )  # fmt: skip

    class Meta:
        verbose_name = "trusted programme criteria"
        verbose_name_plural = "trusted programme criteria"

    def __str__(self) -> str:
        return f"Trusted programme criteria for {self.site}"


class Trust(TransitionMixin, models.Model):
    """A complainant's place in the trusted programme on one site: proposed by the sweep, admitted or declined by a
    supervisor; an admitted member who falls below the bar is flagged for a supervisor, never dropped silently."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed: meets the bar, waiting for a supervisor"
        DECLINED = "declined", "Proposal declined"
        ADMITTED = "admitted", "Trusted"
        FLAGGED = "flagged", "Trusted, below the bar: waiting for a supervisor"
        REVOKED = "revoked", "Revoked"

    TRANSITIONS = {
        Status.PROPOSED: {Status.ADMITTED, Status.DECLINED},
        Status.DECLINED: {Status.PROPOSED},
        Status.ADMITTED: {Status.FLAGGED, Status.REVOKED},
        Status.FLAGGED: {Status.ADMITTED, Status.REVOKED},
        Status.REVOKED: {Status.PROPOSED},
    }
    TRUSTED = (Status.ADMITTED, Status.FLAGGED)
    WAITING = (Status.PROPOSED, Status.FLAGGED)

    complainant = models.ForeignKey(Complainant, on_delete=models.PROTECT, related_name="trusts")
    site = models.ForeignKey("listings.Site", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    figures = models.JSONField(default=dict, blank=True, help_text="The figures when last proposed or flagged.")
    proposed_at = models.DateTimeField(null=True, blank=True)
    flagged_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    reason = models.TextField(blank=True, help_text="The supervisor's statement of reasons.")

    class Meta:
        verbose_name = "trusted programme membership"
        permissions = [("decide_trust", "Can admit complainants to the trusted programme and revoke them")]
        constraints = [models.UniqueConstraint(fields=["complainant", "site"], name="trust_one_per_site")]
        indexes = [models.Index(fields=["status", "site"], name="trust_status_idx")]

    def __str__(self) -> str:
        return f"{self.complainant} on {self.site}: {self.get_status_display().lower()}"

    @property
    def is_trusted(self) -> bool:
        return self.status in self.TRUSTED


class LitigationHold(models.Model):
    """A court case keeps listings removed (policy §3: the platform's discretion "where litigation has already been
    initiated by the intellectual property rights holder"). Placed on a store, a listing or a claim (exactly one);
    while it is not lifted no listing it covers is reinstated on any path (``complaints.holds``).

    It lives here rather than in ``listings`` because it may name a claim, and a lower layer never refers to a
    higher one (docs/architecture.md); ``listings_reinstate`` asks it through a guard this app registers."""

    seller = models.ForeignKey(
        "listings.Seller", on_delete=models.PROTECT, related_name="+", null=True, blank=True,
        help_text="Every listing of this store.",
    )  # fmt: skip
    listing = models.ForeignKey("listings.Listing", on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    claim = models.ForeignKey(
        Claim, on_delete=models.PROTECT, related_name="holds", null=True, blank=True,
        help_text="Every listing the claim names.",
    )  # fmt: skip
    court = models.CharField(max_length=200)
    case_reference = models.CharField(max_length=100)
    reason = models.TextField()
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    placed_at = models.DateTimeField(default=timezone.now)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lift_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-placed_at", "-id"]
        verbose_name = "litigation hold"
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(seller__isnull=False, listing__isnull=True, claim__isnull=True)
                    | models.Q(seller__isnull=True, listing__isnull=False, claim__isnull=True)
                    | models.Q(seller__isnull=True, listing__isnull=True, claim__isnull=False)
                ),
                name="complaints_hold_one_target",
            ),
        ]
        indexes = [
            models.Index(fields=["seller"], name="hold_seller_idx", condition=models.Q(lifted_at__isnull=True)),
            models.Index(fields=["listing"], name="hold_listing_idx", condition=models.Q(lifted_at__isnull=True)),
            models.Index(fields=["claim"], name="hold_claim_idx", condition=models.Q(lifted_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"Hold {self.case_reference} on {self.scope_label}"

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None

    @property
    def scope(self) -> str:
        return "store" if self.seller_id else "listing" if self.listing_id else "claim"

    @property
    def scope_label(self) -> str:
        if self.seller is not None:
            return f"the store “{self.seller.store_name}”"
        if self.listing is not None:
            return f"the listing {self.listing.external_id}"
        return f"claim {self.claim.reference}" if self.claim is not None else "nothing"


# Complainant accountability (DSA Art. 20 and 23(2); policy §4): appeals against rejections, abuse rules and sanctions.


class AbuseRules(models.Model):
    """When a complainant's manifestly unfounded notices on a site earn a warning, then a suspension of filing
    (DSA Art. 23(2); policy §4). One row per site; the README documents the seeded values."""

    site = models.OneToOneField("listings.Site", on_delete=models.PROTECT, related_name="abuse_rules")
    window_days = models.PositiveSmallIntegerField(
        default=90, help_text="Only manifestly unfounded items decided within this many days count."
    )
    warning_after = models.PositiveSmallIntegerField(
        default=10, help_text="A formal warning once this many manifestly unfounded items fall in the window."
    )
    suspend_after = models.PositiveSmallIntegerField(
        default=10, help_text="Filing is suspended once this many more fall in the window after a warning."
    )
    suspension_days = models.PositiveSmallIntegerField(default=30, help_text="How long a suspension lasts.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "abuse rules"
        verbose_name_plural = "abuse rules"

    def __str__(self) -> str:
        return f"Abuse rules for site {self.site_id}"


class ComplainantSanction(TransitionMixin, models.Model):
    """A formal warning or a suspension of filing on one site, with its statement of reasons (DSA Art. 17, 23)."""

    class Kind(models.TextChoices):
        WARNING = "warning", "Formal warning"
        SUSPENSION = "suspension", "Suspension of filing"

    class Status(models.TextChoices):
        ACTIVE = "active", "In place"
        LIFTED = "lifted", "Lifted by staff"
        OVERTURNED = "overturned", "Overturned on appeal"

    TRANSITIONS = {
        Status.ACTIVE: {Status.LIFTED, Status.OVERTURNED},
        Status.LIFTED: {Status.OVERTURNED},
        Status.OVERTURNED: set(),
    }

    complainant = models.ForeignKey(Complainant, on_delete=models.PROTECT, related_name="sanctions")
    site = models.ForeignKey("listings.Site", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    is_automated = models.BooleanField(default=True)
    imposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField(null=True, blank=True, help_text="Empty for a warning.")
    unfounded_count = models.PositiveIntegerField(default=0)
    # Statement of reasons.
    ground = models.CharField(max_length=300)
    facts = models.TextField()
    references = models.JSONField(default=list, blank=True)
    reason = models.TextField(blank=True, help_text="Staff's written reason (discretionary sanctions).")
    next_steps = models.TextField(blank=True)
    redress = models.TextField(blank=True)
    appeal_deadline = models.DateTimeField()
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lift_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        permissions = [("sanction_complainant", "Can warn or suspend a complainant, and lift a suspension")]
        indexes = [models.Index(fields=["complainant", "site", "status"], name="sanction_complainant_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.complainant_id}"

    def is_in_force_at(self, at) -> bool:
        return (
            self.kind == self.Kind.SUSPENSION
            and self.status == self.Status.ACTIVE
            and self.starts_at <= at
            and self.ends_at is not None
            and at < self.ends_at
        )

    @property
    def in_force(self) -> bool:
        return self.is_in_force_at(timezone.now())


class ComplainantAppeal(AppealRecord):
    """A complainant's internal complaint (DSA Art. 20) against a rejection of claim items, a whole claim's
    rejection, or a sanction; decided by a person other than the one who made the decision."""

    class Subject(models.TextChoices):
        ITEMS = "items", "Listings not removed"
        CLAIM = "claim", "Claim rejected as a whole"
        SANCTION = "sanction", "Warning or suspension"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        UPHELD = "upheld", "Decision upheld"
        OVERTURNED = "overturned", "Decision overturned"

    TRANSITIONS = {Status.OPEN: {Status.UPHELD, Status.OVERTURNED}, Status.UPHELD: set(), Status.OVERTURNED: set()}

    complainant = models.ForeignKey(Complainant, on_delete=models.PROTECT, related_name="appeals")
    subject = models.CharField(max_length=10, choices=Subject.choices)
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="appeals", null=True, blank=True)
    items = models.ManyToManyField(ClaimItem, related_name="appeals", blank=True)
    sanction = models.ForeignKey(
        ComplainantSanction, on_delete=models.PROTECT, related_name="appeals", null=True, blank=True
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)

    class Meta(AppealRecord.Meta):
        verbose_name = "complainant appeal"
        constraints = [
            models.UniqueConstraint(
                fields=["claim"],
                condition=models.Q(status="open", subject="claim"),
                name="complainantappeal_one_open_per_claim",
            ),
            models.UniqueConstraint(
                fields=["sanction"], condition=models.Q(status="open"), name="complainantappeal_one_open_per_sanction"
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="complainantappeal_queue_idx")]

    def __str__(self) -> str:
        return f"Appeal {self.pk} by {self.complainant_id} ({self.get_subject_display().lower()})"


class AuthorisedSeller(models.Model):
    """A store the rights holder declares authorised to sell goods under one of their rights (an allow-list entry):
    from a day, optionally until a day. Entries are never deleted: ending one records when, by whom and why, so the
    history stays for claims and counter-notices that name the seller.

    An entry is in force on day ``d`` when ``authorised_from <= d``, ``d <= authorised_until`` (when set) and
    ``d < ended_on`` (when ended: ``ended_on`` is the first day it no longer applies)."""

    right = models.ForeignKey(IPRight, on_delete=models.PROTECT, related_name="authorised_sellers")
    seller = models.ForeignKey("listings.Seller", on_delete=models.PROTECT, related_name="+")
    authorised_from = models.DateField()
    authorised_until = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True)
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    ended_on = models.DateField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    end_reason = models.TextField(blank=True)
    ended_by_claim = models.ForeignKey(
        Claim, on_delete=models.PROTECT, related_name="+", null=True, blank=True,
        help_text="The claim whose complainant swore the authorisation had ended.",
    )  # fmt: skip

    class Meta:
        ordering = ["-authorised_from", "-id"]
        indexes = [models.Index(fields=["right", "seller"], name="authorisedseller_right_idx")]

    def __str__(self) -> str:
        return f"Seller {self.seller_id} authorised for right {self.right_id} from {self.authorised_from:%Y-%m-%d}"

    @property
    def last_day(self) -> date | None:
        """The last day the entry applies (None: open-ended)."""
        from datetime import timedelta

        ends = [d for d in (self.authorised_until, self.ended_on and self.ended_on - timedelta(days=1)) if d]
        return min(ends) if ends else None

    def is_in_force_on(self, day: date) -> bool:
        last = self.last_day
        return self.authorised_from <= day and (last is None or day <= last)

    def state_on(self, day: date) -> str:
        """ "current", "scheduled" (starts later) or "ended", for pages."""
        if self.is_in_force_on(day):
            return "current"
        if self.authorised_from > day and self.ended_on is None:
            return "scheduled"
        return "ended"


class DecisionBatch(TransitionMixin, models.Model):
    """A reviewer's decision on more listings than a request should wait for (``DECISION_BATCH_ASYNC_ITEMS``): the
    worker runs the same service as the review page, in one transaction for the whole batch, and the reviewer
    follows it on a progress page and is told when it is done."""

    class Decision(models.TextChoices):
        TAKE_DOWN = "take_down", "Take down"
        TAKE_DOWN_ALL = "take_down_all", "Take down every waiting listing (trusted complainant)"
        REJECT_ITEMS = "reject_items", "Reject listings"
        REJECT_CLAIM = "reject_claim", "Reject the whole claim"

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for a worker"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Not done"

    TRANSITIONS = {
        Status.QUEUED: {Status.RUNNING},
        Status.RUNNING: {Status.DONE, Status.FAILED},
        Status.DONE: set(),
        Status.FAILED: set(),
    }

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="decision_batches")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=20, choices=Decision.choices)
    item_ids = models.JSONField(default=list, blank=True)
    code = models.CharField(max_length=40, blank=True)
    note = models.TextField(blank=True)
    seen = models.JSONField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    item_count = models.PositiveIntegerField(default=0)
    decided_count = models.PositiveIntegerField(default=0)
    outcome = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="decision_batch_status_idx")]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} — {self.item_count} listing(s) of claim {self.claim_id}"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
