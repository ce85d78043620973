"""The marketplace catalogue: sites, sellers (with their enforcement standing) and listings."""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format

from ipp_portal.transitions import TransitionMixin


def validate_timezone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (KeyError, ValueError) as exc:
        raise ValidationError(f"“{value}” is not a known time zone (use an IANA name like Asia/Shanghai).") from exc


class Site(models.Model):
    """One marketplace site the programme covers (policy §1: www.alibaba.com and www.aliexpress.com)."""

    code = models.SlugField(max_length=20, unique=True)
    name = models.CharField(max_length=100)
    domain = models.CharField(max_length=100, help_text="Registrable domain, e.g. alibaba.com.")
    timezone = models.CharField(
        max_length=64,
        default="Asia/Shanghai",
        validators=[validate_timezone],
        help_text="Business days and deadlines are counted in this time zone.",
    )

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def tzinfo(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class Holiday(models.Model):
    """A day that is not a business day on one site (deadline arithmetic skips it)."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="holidays")
    on = models.DateField()
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["site", "on"]
        constraints = [models.UniqueConstraint(fields=["site", "on"], name="listings_holiday_site_day_unique")]

    def __str__(self) -> str:
        return f"{self.name} ({self.on:%Y-%m-%d}, {self.site.code})"


class Seller(models.Model):
    """A marketplace member's store on one site.

    The standing fields are written only by enforcement services and read here when the seller posts (a lower layer
    never imports a higher one: docs/architecture.md).
    """

    class Standing(models.TextChoices):
        GOOD = "good", "In good standing"
        WARNED = "warned", "Warned"
        RESTRICTED = "restricted", "Posting restricted"
        SUSPENDED = "suspended", "Suspended"
        TERMINATED = "terminated", "Terminated"

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="sellers")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="stores",
        help_text="The portal account that manages this store (empty for imported stores not yet claimed).",
    )
    member_id = models.CharField(max_length=64, help_text="The member's id on the marketplace.")
    store_name = models.CharField(max_length=200)
    standing = models.CharField(max_length=12, choices=Standing.choices, default=Standing.GOOD)
    standing_until = models.DateTimeField(null=True, blank=True, help_text="When the current restriction ends.")
    standing_reason = models.CharField(max_length=500, blank=True)
    standing_changed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["site", "store_name"]
        constraints = [
            models.UniqueConstraint(fields=["site", "member_id"], name="listings_seller_site_member_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.store_name} ({self.site.code})" if "site" in self._state.fields_cache else self.store_name

    def standing_in_force(self, at=None) -> str:
        """The standing that applies at ``at``: a timed restriction whose end has passed no longer applies."""
        at = at or timezone.now()
        timed = (self.Standing.RESTRICTED, self.Standing.SUSPENDED)
        if self.standing in timed and self.standing_until is not None and self.standing_until <= at:
            return self.Standing.GOOD
        return self.standing

    def can_post(self, at=None) -> bool:
        return self.standing_in_force(at) in (self.Standing.GOOD, self.Standing.WARNED)

    def posting_refusal(self, at=None) -> str | None:
        """Why this store may not post or edit listings, and until when, in plain language; None if it may."""
        standing = self.standing_in_force(at)
        if standing in (self.Standing.GOOD, self.Standing.WARNED):
            return None
        site = self.site.name
        reason = f" Reason: {self.standing_reason}" if self.standing_reason else ""
        if standing == self.Standing.TERMINATED:
            return (
                f"Your store “{self.store_name}” on {site} has been closed, so it cannot post or edit listings."
                f"{reason} See your standing page for the statement of reasons and how to appeal."
            )
        what = "is restricted from posting" if standing == self.Standing.RESTRICTED else "is suspended"
        if self.standing_until:
            local = timezone.localtime(self.standing_until, self.site.tzinfo)
            until = f" until {date_format(local, 'j F Y, H:i')} ({self.site.timezone} time)"
        else:
            until = " until further notice"
        return (
            f"Your store “{self.store_name}” on {site} {what}{until}, so it cannot post or edit listings."
            f"{reason} Existing listings stay as they are. See your standing page for the reasons and how to appeal."
        )


class Listing(TransitionMixin, models.Model):
    """One product listing on a site, identified by its external id (unique per site)."""

    class Status(models.TextChoices):
        LIVE = "live", "Live"
        REMOVED = "removed", "Removed"
        REINSTATED = "reinstated", "Reinstated"
        DELISTED = "delisted", "Delisted by the seller"

    TRANSITIONS = {
        Status.LIVE: {Status.REMOVED, Status.DELISTED},
        Status.REMOVED: {Status.REINSTATED},
        Status.REINSTATED: {Status.REMOVED, Status.DELISTED},
        Status.DELISTED: {Status.LIVE},
    }
    VISIBLE_STATUSES = (Status.LIVE, Status.REINSTATED)

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="listings")
    external_id = models.CharField(max_length=20)
    url = models.URLField(max_length=300, help_text="Canonical product-page address.")
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, default="USD")
    seller = models.ForeignKey(Seller, on_delete=models.PROTECT, related_name="listings")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.LIVE)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["site", "external_id"], name="listings_listing_site_external_unique"),
        ]
        indexes = [models.Index(fields=["seller", "status"], name="listing_seller_status_idx")]

    def __str__(self) -> str:
        return f"{self.title[:60]} [{self.external_id}]"

    @property
    def is_visible(self) -> bool:
        return self.status in self.VISIBLE_STATUSES

    @property
    def is_editable(self) -> bool:
        return self.status in self.VISIBLE_STATUSES


class ListingSnapshot(models.Model):
    """What a listing showed when it was taken down, kept for counter-notice and appeal review."""

    listing = models.ForeignKey(Listing, on_delete=models.PROTECT, related_name="snapshots")
    url = models.URLField(max_length=300)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3)
    seller_store_name = models.CharField(max_length=200)
    seller_member_id = models.CharField(max_length=64)
    taken_at = models.DateTimeField()
    content_hash = models.CharField(max_length=64, help_text="SHA-256 of the fields above, to show nothing changed.")

    class Meta:
        ordering = ["-taken_at", "-id"]

    def __str__(self) -> str:
        return f"Snapshot of {self.listing_id} at {self.taken_at:%Y-%m-%d %H:%M}"
