"""Per-site penalty policies (data, versioned), the append-only violation ledger, enforcement actions with their
statements of reasons (DSA Art. 17), and appeals (DSA Art. 20)."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from ipp_portal.appeals import AppealRecord
from ipp_portal.transitions import TransitionMixin


class Measure(models.TextChoices):
    POINTS = "points", "Active points"
    STRIKES = "strikes", "Active strikes (serious violations)"
    SERIOUS = "serious", "Active serious violations"
    SERIOUS_PER_RIGHT = "serious_per_right", "Active serious violations under one right"


class ActionKind(models.TextChoices):
    WARNING = "warning", "Warning"
    POSTING_RESTRICTION = "posting_restriction", "Posting restriction"
    REMOVE_LISTINGS = "remove_listings", "All listings removed"
    SUSPENSION = "suspension", "Store frozen (suspension)"
    TERMINATION = "termination", "Membership terminated"


class Policy(models.Model):
    """One version of a site's penalty policy. A version in use is never edited: saving changes in the admin
    creates the next version, and every violation records the version it was judged under."""

    site = models.ForeignKey("listings.Site", on_delete=models.PROTECT, related_name="policies")
    version = models.PositiveIntegerField()
    is_current = models.BooleanField(default=True)
    general_points = models.PositiveSmallIntegerField(default=2, help_text="Points for a general violation.")
    serious_points = models.PositiveSmallIntegerField(
        default=6, help_text="Points for a serious violation (0 where serious violations count as strikes only)."
    )
    daily_general_cap = models.PositiveSmallIntegerField(
        default=6, help_text="General points established on one calendar day count at most this much (0: no cap)."
    )
    strike_window_days = models.PositiveSmallIntegerField(
        default=0, help_text="Serious violations established within this many days of each other are one strike."
    )
    aggregation_window_days = models.PositiveSmallIntegerField(
        default=0,
        help_text="Complaints by the same rights holder on the same right against the same seller established within "
        "this many days of the first count as one violation, the most severe of them (0: each counts).",
    )
    requires_prior_warning = models.BooleanField(
        default=True,
        help_text="A suspension or termination applies only after a warning or restriction sent in an earlier "
        "decision (DSA Art. 23); until then it is a formal warning. Off: the ladder applies as written.",
    )
    expiry_days = models.PositiveSmallIntegerField(
        default=365, help_text="Violations expire this many days after they were established."
    )
    counter_notice_business_days = models.PositiveSmallIntegerField(
        default=3, help_text="The first counter-notice is due within this many business days of the takedown notice."
    )
    further_counter_notice_business_days = models.PositiveSmallIntegerField(
        default=27, help_text="Second and third counter-notices (after one was not upheld) within this many."
    )
    max_counter_notices = models.PositiveSmallIntegerField(default=3)
    answer_business_days = models.PositiveSmallIntegerField(
        default=3, help_text="The complainant answers a counter-notice within this many business days."
    )
    reinstate_on_silence = models.BooleanField(
        default=False, help_text="If the complainant does not answer in time: reinstate (else: staff decide)."
    )
    appeal_days = models.PositiveSmallIntegerField(default=180, help_text="At least 180 (DSA Art. 20: six months).")
    notes = models.TextField(blank=True, help_text="Where the values come from (the published rules).")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name_plural = "policies"
        ordering = ["site", "-version"]
        permissions = [("activate_policy", "Can make a policy version the one in force")]
        constraints = [
            models.UniqueConstraint(fields=["site", "version"], name="policy_site_version_unique"),
            models.UniqueConstraint(
                fields=["site"], condition=models.Q(is_current=True), name="policy_one_current_per_site"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.site} policy v{self.version}"

    def clean(self):
        if self.appeal_days < 180:
            raise ValidationError({"appeal_days": "Appeals stay open at least 180 days (DSA Art. 20: six months)."})
        if self.expiry_days < 1:
            raise ValidationError({"expiry_days": "Violations must expire after at least one day."})


class PolicyStep(models.Model):
    """One rung of a ladder: when ``measure`` reaches ``threshold``, apply ``action`` for ``duration_days``."""

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="steps")
    measure = models.CharField(max_length=20, choices=Measure.choices)
    threshold = models.PositiveSmallIntegerField()
    action = models.CharField(max_length=20, choices=ActionKind.choices)
    duration_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Empty for a warning or a termination (no end)."
    )
    removes_all_listings = models.BooleanField(default=False)
    clause = models.CharField(max_length=300, help_text="The policy clause this rung applies, quoted to the seller.")

    class Meta:
        ordering = ["policy", "measure", "threshold"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "measure", "threshold"], name="policystep_unique_threshold"),
        ]

    def __str__(self) -> str:
        days = f" {self.duration_days} days" if self.duration_days else ""
        return f"{self.get_measure_display()} ≥ {self.threshold}: {self.get_action_display()}{days}"


class Violation(TransitionMixin, models.Model):
    """A row of the append-only ledger. A takedown records it *pending*; it counts only once *established* (the
    seller did not counter-notify in time, a counter-notice failed and staff upheld the removal, or the seller chose
    not to dispute); it is withdrawn on reinstatement, retraction or an overturned appeal, and it expires a set time
    after it was established. Nothing else ever changes a row."""

    class Severity(models.TextChoices):
        GENERAL = "general", "General"
        SERIOUS = "serious", "Serious (e.g. counterfeit)"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending: the seller can still counter-notify"
        ESTABLISHED = "established", "Established"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class Establishment(models.TextChoices):
        WINDOW_CLOSED = "window_closed", "no counter-notice before the deadline"
        UPHELD = "upheld", "the removal was upheld after a counter-notice"
        NOT_DISPUTED = "not_disputed", "the seller chose not to dispute it"
        RECORDED = "recorded", "recorded as established by the platform"

    TRANSITIONS = {
        Status.PENDING: {Status.ESTABLISHED, Status.WITHDRAWN},
        Status.ESTABLISHED: {Status.WITHDRAWN},
        Status.WITHDRAWN: set(),
    }

    seller = models.ForeignKey("listings.Seller", on_delete=models.PROTECT, related_name="violations")
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="violations")
    severity = models.CharField(max_length=10, choices=Severity.choices)
    points = models.PositiveSmallIntegerField(help_text="Points under the policy version, before the daily cap.")
    reference = models.CharField(max_length=100, help_text="What caused it, e.g. a claim item's reference.")
    aggregation_key = models.CharField(
        max_length=100,
        blank=True,
        help_text="Violations with the same key (the same rights holder's right) established within the policy's "
        "aggregation window count as one.",
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    occurred_at = models.DateTimeField(help_text="When it was recorded (the takedown).")
    establishes_at = models.DateTimeField(
        null=True, blank=True, help_text="A pending violation becomes established then unless the seller disputes it."
    )
    established_at = models.DateTimeField(null=True, blank=True)
    establishment = models.CharField(max_length=15, choices=Establishment.choices, blank=True)
    decision = models.PositiveIntegerField(
        null=True, blank=True, help_text="The store's decision that established it (1, 2, ...): one batch, one notice."
    )
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Set when it is established.")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [
            models.Index(fields=["seller", "expires_at"], name="violation_seller_expiry_idx"),
            models.Index(
                fields=["establishes_at"], condition=models.Q(status="pending"), name="violation_pending_due_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="pending")
                | models.Q(established_at__isnull=False, expires_at__isnull=False, decision__isnull=False)
                | models.Q(status="withdrawn", established_at__isnull=True),
                name="violation_established_has_dates",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_severity_display()} violation {self.reference}"

    def is_active_at(self, at) -> bool:
        return (
            self.withdrawn_at is None
            and self.established_at is not None
            and self.expires_at is not None
            and self.established_at <= at < self.expires_at
        )

    def is_expired_at(self, at) -> bool:
        return self.withdrawn_at is None and self.expires_at is not None and self.expires_at <= at


class Action(TransitionMixin, models.Model):
    """An enforcement action with its statement of reasons (DSA Art. 17)."""

    class Status(models.TextChoices):
        PENDING_APPROVAL = "pending_approval", "Waiting for a second staff approval"
        ACTIVE = "active", "In force"
        ENDED = "ended", "Ended"
        LIFTED = "lifted", "Lifted"
        OVERTURNED = "overturned", "Overturned on appeal"
        REFUSED = "refused", "Not approved"

    TRANSITIONS = {
        Status.PENDING_APPROVAL: {Status.ACTIVE, Status.REFUSED, Status.LIFTED},
        Status.ACTIVE: {Status.ENDED, Status.LIFTED, Status.OVERTURNED},
        Status.ENDED: {Status.OVERTURNED},
        Status.LIFTED: {Status.OVERTURNED},
        Status.OVERTURNED: set(),
        Status.REFUSED: set(),
    }

    seller = models.ForeignKey("listings.Seller", on_delete=models.PROTECT, related_name="actions")
    kind = models.CharField(max_length=20, choices=ActionKind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField(null=True, blank=True, help_text="Empty: no set end.")
    removes_all_listings = models.BooleanField(default=False)
    is_automated = models.BooleanField(default=True)
    imposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    # Which rung triggered an automated action, and when the measure fell back below it (the rung re-arms then).
    step = models.ForeignKey(PolicyStep, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    trigger_measure = models.CharField(max_length=20, choices=Measure.choices, blank=True)
    trigger_threshold = models.PositiveSmallIntegerField(null=True, blank=True)
    cleared_at = models.DateTimeField(null=True, blank=True)
    # Statement of reasons.
    ground = models.CharField(max_length=300, help_text="The policy clause or legal ground.")
    facts = models.TextField(help_text="The facts, including the claims behind it.")
    references = models.JSONField(default=list, blank=True)
    reason = models.TextField(blank=True, help_text="Staff's written reason (discretionary actions).")
    redress = models.TextField(blank=True)
    appeal_deadline = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [
            models.Index(fields=["seller", "status"], name="action_seller_status_idx"),
            models.Index(fields=["status", "ends_at"], name="action_status_end_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.seller_id}"

    def is_in_force_at(self, at) -> bool:
        if self.status != self.Status.ACTIVE or self.starts_at > at:
            return False
        return self.ends_at is None or self.ends_at > at

    @property
    def duration_label(self) -> str:
        if self.kind == ActionKind.WARNING:
            return "No restriction (a warning)"
        if self.ends_at is None:
            return "Until further notice" if self.kind != ActionKind.TERMINATION else "Permanent"
        days = round((self.ends_at - self.starts_at) / timedelta(days=1))
        return f"{days} day{'s' if days != 1 else ''}, until {timezone.localtime(self.ends_at):%d %b %Y %H:%M} UTC"


class Appeal(AppealRecord):
    """A seller's internal complaint against an action (DSA Art. 20), decided by a person."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        UPHELD = "upheld", "Action upheld"
        OVERTURNED = "overturned", "Action overturned"

    TRANSITIONS = {Status.OPEN: {Status.UPHELD, Status.OVERTURNED}, Status.UPHELD: set(), Status.OVERTURNED: set()}

    action = models.ForeignKey(Action, on_delete=models.PROTECT, related_name="appeals")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)

    class Meta(AppealRecord.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["action"], condition=models.Q(status="open"), name="appeal_one_open_per_action"
            ),
        ]

    def __str__(self) -> str:
        return f"Appeal against {self.action}"


class PendingTermination(Action):
    """The terminations waiting for a second staff approval: a queue of its own in the admin."""

    class Meta:
        proxy = True
        verbose_name = "termination awaiting second approval"
        verbose_name_plural = "terminations awaiting second approval"
