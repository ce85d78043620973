"""The API's limits as data: each complainant's request rate and daily link quota (``ApiLimits``, defaults from
the settings), and filing through the API within the quota.

The quota counts the listing links (claim items) a complainant filed through the API on the current UTC day, all
its tokens together. It is charged in the transaction that files the claim, after the complainant's row is locked
(the lock ``claim_submit`` itself takes first), so two submissions racing each other take turns: the second sees
the first one's links, and a submission that would go over the quota is rolled back whole: no claim, no items, no
audit event, no notification."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from complaints.models import Claim, Complainant
from complaints.services import claim_submit
from ipp_portal.audit.services import record
from ipp_portal.audit.verbs import Verb
from ipp_portal.errors import PortalError
from ipp_portal.permissions import require_perm

from .models import ApiLimits, ApiLinkCount

if TYPE_CHECKING:
    from ipp_portal.accounts.models import User

LINK_QUOTA_EXCEEDED = "link_quota_exceeded"


@dataclass(frozen=True)
class Limits:
    links_per_day: int
    requests_per_minute: int | None  # None: the API_RATE_PER_COMPLAINANT setting applies


def limits_for(complainant_id: int) -> Limits:
    row = ApiLimits.objects.filter(complainant_id=complainant_id).first()
    links = row.links_per_day if row is not None and row.links_per_day is not None else settings.API_LINKS_PER_DAY
    return Limits(links_per_day=links, requests_per_minute=row.requests_per_minute if row is not None else None)


def seconds_to_utc_midnight(now: datetime | None = None) -> int:
    now = (now or timezone.now()).astimezone(UTC)
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    return max(int((midnight - now).total_seconds()) + 1, 1)


class LinkQuotaExceeded(PortalError):
    """More links than the complainant's API quota leaves today: nothing is filed. The API answers 429 with
    Retry-After (the seconds to midnight UTC, when the quota starts again)."""

    code = LINK_QUOTA_EXCEEDED
    http_status = 429

    def __init__(self, *, limit: int, used: int, asked: int) -> None:
        self.retry_after = seconds_to_utc_midnight()
        left = max(limit - used, 0)
        super().__init__(
            f"Your API quota is {limit} links a day (UTC); {used} are filed today, so {left} more can be. This claim "
            f"has {asked}. Nothing was filed: file fewer links, or again after midnight UTC.",
            field="links",
        )


def links_filed_today(complainant_id: int) -> int:
    today = timezone.now().astimezone(UTC).date()
    row = ApiLinkCount.objects.filter(complainant_id=complainant_id, day=today).values_list("links", flat=True).first()
    return row or 0


@transaction.atomic
def api_claim_submit(*, complainant: Complainant, token: Any, **fields: Any) -> Claim:
    """``claim_submit`` through the API: the same checks, and the daily link quota. A replay (the same ``token``)
    returns the claim the first submission filed and is not charged again."""
    # The lock claim_submit takes first, taken here so that the quota's count and charge happen inside it.
    Complainant.objects.select_for_update().filter(pk=complainant.pk).first()
    if Claim.objects.filter(submission_token=token).exists():
        return claim_submit(complainant=complainant, token=token, **fields)
    limit = limits_for(complainant.pk).links_per_day
    today = timezone.now().astimezone(UTC).date()
    counter, _ = ApiLinkCount.objects.select_for_update().get_or_create(complainant=complainant, day=today)
    if counter.links >= limit:
        raise LinkQuotaExceeded(limit=limit, used=counter.links, asked=len(_lines(fields)))
    claim = claim_submit(complainant=complainant, token=token, **fields)
    if claim.submission_token != token:
        return claim  # the draft was filed meanwhile by another submission, which was charged (or was not the API)
    filed = len(claim.filed_items) if hasattr(claim, "filed_items") else claim.items.count()
    if counter.links + filed > limit:
        raise LinkQuotaExceeded(limit=limit, used=counter.links, asked=filed)  # rolls the claim back
    counter.links += filed
    counter.save(update_fields=["links"])
    return claim


def _lines(fields: dict[str, Any]) -> list[str]:
    return [line for line in str(fields.get("links_text") or "").splitlines() if line.strip()]


@transaction.atomic
def api_limits_save(
    *, actor: "User | None", complainant_id: int, links_per_day: int | None, requests_per_minute: int | None
) -> ApiLimits:
    """Staff with the permission set one complainant's limits (empty: the defaults); audited with what they were."""
    require_perm(actor, "api.change_apilimits")
    for value in (links_per_day, requests_per_minute):
        if value is not None and value < 1:
            raise PortalError("A limit is a whole number of at least 1, or empty for the default.", code="bad_limit")
    limits, _ = ApiLimits.objects.select_for_update().get_or_create(complainant_id=complainant_id)
    before = {"links_per_day": limits.links_per_day, "requests_per_minute": limits.requests_per_minute}
    after = {"links_per_day": links_per_day, "requests_per_minute": requests_per_minute}
    limits.links_per_day, limits.requests_per_minute = links_per_day, requests_per_minute
    limits.save()
    record(actor=actor, verb=Verb.API_LIMITS_CHANGED, target=limits, data={"before": before, "after": after})
    return limits
