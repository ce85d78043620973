"""Counter-notices and what follows: the rights holder's answer, staff decisions, retraction, reinstatement, and
the deadline engine (policy §5: members may counter-notify; rights holders may accept or reject; the platform may
reinstate at its discretion)."""

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, models, transaction
from django.urls import reverse
from django.utils import timezone

from enforcement.models import Policy, Violation
from enforcement.selectors import policy_current
from enforcement.services import violation_withdraw, violations_establish, violations_hold
from ipp_portal.audit.services import record, record_many
from ipp_portal.audit.verbs import Verb
from ipp_portal.errors import DeadlinePassed, InvalidTransition, NotPermitted, PortalError
from ipp_portal.notifications.services import queue, queue_many
from ipp_portal.permissions import require_perm
from ipp_portal.transactions import retry_on_conflict
from ipp_portal.transitions import transition, transition_many
from listings.business_days import add_business_days
from listings.services import listings_reinstate, lock_sellers_and_listings

from ..errors import Code
from ..models import Claim, ClaimItem, CounterNotice
from ..selectors import counter_notice_window_for, site_time
from ..selectors.disputes import chances_used, first_window_open
from ..selectors.holds import held_listing_ids
from .allowlist import agent_covers
from .claims import hash_ip
from .holds import refuse_held
from .review import lock_claim_items

if TYPE_CHECKING:
    from ipp_portal.accounts.models import User
    from ipp_portal.documents.models import Document

S = ClaimItem.Status


ITEM_RELATED = ("claim__complainant__user", "claim__site", "seller__user", "seller__site", "listing", "violation")


def _lock_items(item_ids: Iterable[int], *, catalogue: bool = False) -> list[ClaimItem]:
    """Lock items in the global order; with ``catalogue`` (a reinstatement writes listings and the sellers' ledgers)
    their sellers and listings first, so ``_reinstate`` only locks again what the transaction holds."""
    items = lock_claim_items(item_ids, catalogue=catalogue, related=ITEM_RELATED)
    items.sort(key=lambda item: (item.claim_id, item.position))
    return items


@transaction.atomic
def counter_notice_file(
    *,
    user: "User",
    item_ids: Sequence[int],
    reason: str,
    statement: str,
    signature_name: str,
    ip: str,
    token: uuid.UUID,
    documents: Sequence["Document"] = (),
    shared_documents: Sequence["Document"] = (),
    states_good_faith_mistake: bool = False,
    consents_to_jurisdiction: bool = False,
) -> CounterNotice:
    """The seller disputes removed listings of one claim; the rights holder is asked to answer by a deadline."""
    existing = CounterNotice.objects.filter(submission_token=token).first()
    if existing is not None:
        return existing
    # Sellers first (the global order): the sweep that establishes pending violations locks the seller too, so a
    # counter-notice and the window's closing never cross.
    items = _lock_items(item_ids, catalogue=True)
    if not items or any(item.seller.user_id != user.pk for item in items):
        raise ClaimItem.DoesNotExist
    if len({item.claim_id for item in items}) != 1:
        raise PortalError("A counter-notice covers listings of one claim; file one per claim.", code=Code.MIXED_CLAIMS)
    if not reason:
        raise PortalError("Choose the reason for your counter-notice.", code=Code.REASON_REQUIRED, field="reason")
    if reason not in CounterNotice.Reason.values:
        raise PortalError("Choose the reason for your counter-notice.", code=Code.BAD_REASON, field="reason")
    if not statement.strip():
        raise PortalError("Explain why the removal was a mistake.", code=Code.STATEMENT_REQUIRED, field="statement")
    if not (states_good_faith_mistake and consents_to_jurisdiction and signature_name.strip()):
        raise PortalError("Tick both statements and sign with your full name.", code=Code.UNSWORN)
    now = timezone.now()
    for item in items:
        window = counter_notice_window_for(item, now)
        if window.code == Code.DEADLINE_PASSED:
            raise DeadlinePassed(window.message)
        if not window.allowed:
            raise InvalidTransition(window.message, code=window.code)
    claim = Claim.objects.select_for_update(of=("self",)).select_related("site").get(pk=items[0].claim_id)
    policy = policy_current(claim.filed_site)
    due = add_business_days(now, policy.answer_business_days, site=claim.filed_site)
    try:
        with transaction.atomic():
            notice = CounterNotice.objects.create(
                claim=claim, seller=items[0].seller, round=max(chances_used(i, now) for i in items) + 1,
                reason=reason, statement=statement.strip(), states_good_faith_mistake=True,
                consents_to_jurisdiction=True, signature_name=signature_name.strip(), signed_by=user, signed_at=now,
                signer_ip_hash=hash_ip(ip), submission_token=token, answer_due_at=due,
            )  # fmt: skip
    except IntegrityError:
        return CounterNotice.objects.get(submission_token=token)
    notice.items.set(items)
    notice.documents.set(documents)
    notice.shared_documents.set([d for d in shared_documents if d in set(documents)])
    for item in items:
        item.counter_notice_count = chances_used(item, now) + 1
    record(actor=user, verb=Verb.COUNTER_NOTICE_FILED, target=notice, after=notice.status, data={"items": len(items)})
    transition_many(items, S.DISPUTED, actor=user, verb=Verb.CLAIM_ITEM_DISPUTED, fields=["counter_notice_count"])
    # Pending violations wait for the outcome instead of the window's date.
    violations_hold(seller=items[0].seller, violation_ids=[i.violation_id for i in items if i.violation_id],
                    actor=user)  # fmt: skip
    queue(
        recipient=claim.complainant.user,
        template="complaints/counter_notice_received",
        context={
            "reference": claim.reference, "store": items[0].seller.store_name, "items": [str(i) for i in items],
            "reason": notice.get_reason_display(), "statement": notice.statement,
            "due": site_time(due, claim.filed_site),
            "path": reverse("complaints:counter-notice-answer", args=[notice.pk]),
        },
        target=notice,
    )  # fmt: skip
    _tell_seller(notice, items, "complaints/counter_notice_sent", due=site_time(due, claim.filed_site),
                 reinstate_on_silence=policy.reinstate_on_silence)  # fmt: skip
    return notice


def _tell_seller(notice: CounterNotice, items: list[ClaimItem], template: str, **context: Any) -> None:
    seller = items[0].seller
    if seller.user is not None:
        queue(
            recipient=seller.user,
            template=template,
            context={"reference": notice.claim.reference, "for_seller": True,
                     "path": reverse("complaints_seller:seller-notices"), **context},
            target=notice,
        )  # fmt: skip


def _tell_complainant(claim: Claim, template: str, target: models.Model, **context: Any) -> None:
    queue(
        recipient=claim.complainant.user,
        template=template,
        context={"reference": claim.reference, "for_seller": False, **context},
        target=target,
    )


def _reinstate(items: list[ClaimItem], *, actor: "User | None", reason: str, verb: str, via: str) -> None:
    """Listing live again, the violation withdrawn (standing recomputed: restrictions lift), both sides told.
    ``via`` (``ClaimItem.ReinstatedVia``) records how, for the complainant's accuracy record.
    Refused (code ``held``) while a litigation hold covers any of the listings: every path comes through here, and the
    caller's transaction rolls back whatever it had already written (policy §3)."""
    refuse_held([i.listing_id for i in items])
    now = timezone.now()
    listings_reinstate(listing_ids=[i.listing_id for i in items], actor=actor, reason=reason)
    for item in items:
        item.reinstated_at, item.decision_reason, item.reinstated_via = now, reason, via
        if item.violation is not None and item.violation.withdrawn_at is None:
            violation_withdraw(violation=item.violation, reason=reason, actor=actor)
    transition_many(
        items,
        S.REINSTATED,
        actor=actor,
        verb=verb,
        fields=["reinstated_at", "decision_reason", "reinstated_via"],
        data={"reason": reason, "via": via},
    )
    listing_names = [str(i) for i in items]
    claim = items[0].claim
    seller = items[0].seller
    if seller.user is not None:
        queue(
            recipient=seller.user,
            template="complaints/listings_reinstated",
            context={"reference": claim.reference, "listings": listing_names, "reason": reason, "for_seller": True},
            target=claim,
        )
    _tell_complainant(claim, "complaints/listings_reinstated", claim, listings=listing_names, reason=reason)


def _lock_notice_for_complainant(notice_id: int, user: "User") -> CounterNotice:
    notice = (
        CounterNotice.objects.select_for_update(of=("self",))
        .select_related("claim__complainant", "claim__site")
        .filter(pk=notice_id)
        .first()
    )
    if notice is None or notice.claim.complainant.user_id != user.pk:
        raise CounterNotice.DoesNotExist
    claim = notice.claim
    # An agent answers for the owner, so only while a verified authorization in force still covers the claim's right
    # and site (policy §5: authorization of a party that is not the right holder); the rule the allow-list follows.
    # Without one the notice waits for the deadline, and staff decide.
    if claim.complainant.is_agent and (
        claim.right_id is None
        or not agent_covers(claim.complainant, claim.right_id, claim.filed_site.pk, timezone.localdate())
    ):
        raise NotPermitted(
            "You act as an agent, and no verified authorization in force covers this claim's right on its "
            "marketplace any more: only the owner, or an agent they authorise, may answer. Staff decide after the "
            "deadline.",
            code=Code.NO_AUTHORIZATION,
        )
    return notice


@transaction.atomic
def counter_notice_accept(*, notice_id: int, user: "User") -> CounterNotice:
    """The rights holder accepts the counter-notice: the listings are reinstated and the violations withdrawn.

    While a litigation hold covers one of its listings the whole acceptance is refused (code ``held``) and nothing is
    recorded: an accepted notice whose listings stay removed would leave them in no state anyone decides from. The
    rights holder may still reject; unanswered, the notice goes to staff rather than reinstating."""
    notice = _lock_notice_for_complainant(notice_id, user)
    if notice.status != CounterNotice.Status.AWAITING_ANSWER:
        raise InvalidTransition(f"This counter-notice is {notice.get_status_display().lower()}.")
    if timezone.now() > notice.answer_due_at:
        raise DeadlinePassed("The time to answer has passed; staff now decide.")
    notice.answered_at = timezone.now()
    transition(
        notice, CounterNotice.Status.ACCEPTED, actor=user, verb=Verb.COUNTER_NOTICE_ACCEPTED, fields=["answered_at"]
    )
    items = [
        i for i in _lock_items(notice.items.values_list("pk", flat=True), catalogue=True) if i.status == S.DISPUTED
    ]
    if items:
        _reinstate(
            items,
            actor=user,
            reason="The rights holder accepted the counter-notice.",
            verb=Verb.CLAIM_ITEM_REINSTATED,
            via=ClaimItem.ReinstatedVia.COUNTER_NOTICE_ACCEPTED,
        )
    return notice


@transaction.atomic
def counter_notice_reject(
    *, notice_id: int, user: "User", answer: str, documents: Sequence["Document"] = ()
) -> CounterNotice:
    """The rights holder rejects the counter-notice with reasons (and evidence): staff decide."""
    if not answer.strip():
        raise PortalError(
            "Give your reasons: staff and the seller read them.", code=Code.REASON_REQUIRED, field="answer"
        )
    notice = _lock_notice_for_complainant(notice_id, user)
    if notice.status != CounterNotice.Status.AWAITING_ANSWER:
        raise InvalidTransition(f"This counter-notice is {notice.get_status_display().lower()}.")
    if timezone.now() > notice.answer_due_at:
        raise DeadlinePassed("The time to answer has passed; staff now decide.")
    notice.answered_at, notice.answer = timezone.now(), answer.strip()
    transition(
        notice,
        CounterNotice.Status.REJECTED,
        actor=user,
        verb=Verb.COUNTER_NOTICE_REJECTED,
        fields=["answered_at", "answer"],
    )
    notice.answer_documents.set(documents)
    items = [i for i in _lock_items(notice.items.values_list("pk", flat=True)) if i.status == S.DISPUTED]
    transition_many(items, S.STAFF_REVIEW, actor=user, verb=Verb.CLAIM_ITEM_STAFF_REVIEW)
    if items:
        _tell_seller(notice, items, "complaints/counter_notice_rejected", answer=notice.answer)
    return notice


def counter_notices_sweep_due(*, now: datetime | None = None, batch_size: int = 1000) -> int:
    """Counter-notices unanswered past their deadline go to staff, or are reinstated where the site's policy says so.
    Batched (a fixed number of queries per batch for the staff path), idempotent, and catches up after downtime."""
    now = now or timezone.now()
    moved = 0
    while True:
        done = _sweep_batch(now, batch_size)
        if not done:
            return moved
        moved += done


@retry_on_conflict
def _sweep_batch(now: datetime, batch_size: int) -> int:
    """One batch in one transaction (run again on a deadlock or serialization failure); how many notices it moved."""
    batch = list(
        CounterNotice.objects.select_for_update(of=("self",), skip_locked=True)
        .filter(status=CounterNotice.Status.AWAITING_ANSWER, answer_due_at__lt=now)
        .select_related("claim__site", "claim__complainant__user", "seller__user")
        .order_by("answer_due_at", "id")[:batch_size]
    )
    if not batch:
        return 0
    reinstating = set(
        Policy.objects.filter(
            site_id__in={n.claim.site_id for n in batch}, is_current=True, reinstate_on_silence=True
        ).values_list("site_id", flat=True)
    )
    silent = [n for n in batch if n.claim.site_id in reinstating]
    held_notices: set[int] = set()
    # The sellers and listings the reinstatements will write, then every item of the batch, in the global order and
    # before anything changes: locking notice by notice would take rows out of order across the batch.
    if silent:
        refs = list(
            ClaimItem.objects.filter(counter_notices__in=[n.pk for n in silent]).values_list(
                "counter_notices", "seller", "listing"
            )
        )
        lock_sellers_and_listings(seller_ids={r[1] for r in refs}, listing_ids={r[2] for r in refs})
        # Silence does not reinstate a listing under a litigation hold (policy §3): that notice goes to staff.
        held = held_listing_ids({r[2] for r in refs})
        held_notices = {r[0] for r in refs if r[2] in held}
    lock_claim_items(
        ClaimItem.objects.filter(counter_notices__in=[n.pk for n in batch]).values_list("pk", flat=True),
        catalogue=False,
    )
    to_staff = [n for n in batch if n.claim.site_id not in reinstating or n.pk in held_notices]
    _to_staff(to_staff)
    if held_notices:
        record_many(
            actor=None, verb=Verb.HOLD_SENT_TO_STAFF, targets=[n for n in to_staff if n.pk in held_notices],
            data={"reason": "A litigation hold covers a listing of this counter-notice."},
        )  # fmt: skip
    for notice in silent:
        if notice.pk not in held_notices:
            _silence_reinstates(notice, now)
    return len(batch)


def _to_staff(notices: list[CounterNotice]) -> None:
    """The staff path in set-based statements: notices, their disputed items, audit rows and notices in bulk."""
    if not notices:
        return
    ids = [n.pk for n in notices]
    transition_many(notices, CounterNotice.Status.NO_ANSWER, actor=None, verb=Verb.COUNTER_NOTICE_NO_ANSWER)
    # Locked by id (the global order) before the update, rather than in whatever order the update meets them.
    items = [
        i
        for i in lock_claim_items(
            ClaimItem.objects.filter(counter_notices__in=ids).values_list("pk", flat=True),
            catalogue=False,
            related=("claim",),
        )
        if i.status == S.DISPUTED
    ]
    transition_many(items, S.STAFF_REVIEW, actor=None, verb=Verb.CLAIM_ITEM_STAFF_REVIEW)
    messages = []
    for notice in notices:
        reference = notice.claim.reference
        messages.append(
            {"recipient": notice.claim.complainant.user, "template": "complaints/counter_notice_unanswered",
             "target": notice, "context": {"reference": reference, "for_seller": False}}
        )  # fmt: skip
        if notice.seller.user_id:
            messages.append(
                {"recipient": notice.seller.user, "template": "complaints/counter_notice_unanswered",
                 "target": notice, "context": {"reference": reference, "for_seller": True}}
            )  # fmt: skip
    queue_many(messages)


@transaction.atomic
def _silence_reinstates(notice: CounterNotice, now: datetime) -> None:
    notice.move_to(CounterNotice.Status.NO_ANSWER)
    notice.move_to(CounterNotice.Status.DECIDED)
    notice.decision, notice.decided_at = "reinstate", now
    notice.save(update_fields=["status", "decision", "decided_at"])
    record(actor=None, verb=Verb.COUNTER_NOTICE_NO_ANSWER, target=notice, before="awaiting_answer", after="decided")
    items = [
        i for i in _lock_items(notice.items.values_list("pk", flat=True), catalogue=True) if i.status == S.DISPUTED
    ]
    if items:
        _reinstate(items, actor=None, reason="The rights holder did not answer the counter-notice in time.",
                   verb=Verb.CLAIM_ITEM_REINSTATED, via=ClaimItem.ReinstatedVia.SILENCE)  # fmt: skip


@retry_on_conflict
def counter_notice_decide(*, notice_id: int, reviewer: "User | None", outcome: str, reason: str) -> CounterNotice:
    """Staff decide a disputed takedown: reinstate (the platform's discretion, policy §5) or uphold; both sides read
    the reason. One transaction, run again on a deadlock or serialization failure."""
    require_perm(reviewer, "complaints.change_counternotice")
    if outcome not in ("reinstate", "uphold"):
        raise PortalError("Choose reinstate or uphold.", code=Code.BAD_OUTCOME)
    if not reason.strip():
        raise PortalError("Give the reason: both sides read it.", code=Code.REASON_REQUIRED)
    notice = CounterNotice.objects.select_for_update(of=("self",)).select_related("claim").get(pk=notice_id)
    if notice.status not in (CounterNotice.Status.REJECTED, CounterNotice.Status.NO_ANSWER):
        raise InvalidTransition(f"This counter-notice is {notice.get_status_display().lower()}: nothing to decide.")
    now = timezone.now()
    notice.decided_by, notice.decided_at, notice.decision, notice.decision_reason = (
        reviewer,
        now,
        outcome,
        reason.strip(),
    )
    transition(
        notice, CounterNotice.Status.DECIDED, actor=reviewer, verb=f"counter_notice.{outcome}",
        fields=["decided_by", "decided_at", "decision", "decision_reason"], data={"reason": notice.decision_reason},
    )  # fmt: skip
    items = [
        i for i in _lock_items(notice.items.values_list("pk", flat=True), catalogue=True) if i.status == S.STAFF_REVIEW
    ]
    if not items:
        return notice
    if outcome == "reinstate":
        _reinstate(
            items,
            actor=reviewer,
            reason=f"Staff decision: {notice.decision_reason}",
            verb=Verb.CLAIM_ITEM_REINSTATED,
            via=ClaimItem.ReinstatedVia.STAFF_AFTER_COUNTER_NOTICE,
        )
    else:
        for item in items:
            item.decision_reason = f"Removal upheld: {notice.decision_reason}"
        transition_many(items, S.UPHELD, actor=reviewer, verb=Verb.CLAIM_ITEM_UPHELD, fields=["decision_reason"])
        # The counter-notice failed: the complaint is established (a violation already established stays so).
        violations_establish(
            seller=items[0].seller, violation_ids=[i.violation_id for i in items if i.violation_id],
            how=Violation.Establishment.UPHELD, actor=reviewer,
        )  # fmt: skip
        further = items[0].further_counter_notice_due_at
        until = site_time(further, notice.claim.filed_site) if further else "the window closes"
        _tell_seller(notice, items, "complaints/removal_upheld", reason=notice.decision_reason, until=until)
        _tell_complainant(notice.claim, "complaints/removal_upheld", notice, reason=notice.decision_reason)
    return notice


@transaction.atomic
def claim_item_reinstate_upheld(*, item_id: int, supervisor: "User | None", reason: str) -> ClaimItem:
    """Only a supervisor reverses a removal (taken down, disputed or upheld), with a reason both sides read."""
    require_perm(supervisor, "complaints.reverse_removal", message="Only a supervisor can reverse a removal.")
    if not reason.strip():
        raise PortalError("Give the reason: both sides read it.", code=Code.REASON_REQUIRED)
    items = _lock_items([item_id], catalogue=True)
    if not items or items[0].status not in (S.REMOVED, S.DISPUTED, S.STAFF_REVIEW, S.UPHELD):
        raise InvalidTransition("Only a removed listing can be reinstated.")
    _reinstate(
        items,
        actor=supervisor,
        reason=f"Supervisor decision: {reason.strip()}",
        verb=Verb.CLAIM_ITEM_REINSTATED,
        via=ClaimItem.ReinstatedVia.SUPERVISOR,
    )
    return items[0]


@transaction.atomic
def claim_item_retract(*, item_id: int, user: "User", reason: str = "") -> ClaimItem:
    """The rights holder retracts a takedown (an error, a settlement): reinstated, violation withdrawn."""
    # The counter-notice it settles first, as accepting one does (notice, then its items): not after the items.
    open_notices = list(
        CounterNotice.objects.select_for_update(of=("self",))
        .filter(items=item_id, status=CounterNotice.Status.AWAITING_ANSWER)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    items = _lock_items([item_id], catalogue=True)
    if not items or items[0].claim.complainant.user_id != user.pk:
        raise ClaimItem.DoesNotExist
    item = items[0]
    if item.status not in (S.REMOVED, S.DISPUTED, S.STAFF_REVIEW, S.UPHELD):
        raise InvalidTransition(f"This listing is {item.get_status_display().lower()}: there is nothing to retract.")
    text = "The rights holder retracted the takedown." + (f" {reason.strip()}" if reason.strip() else "")
    _reinstate([item], actor=user, reason=text, verb=Verb.CLAIM_ITEM_RETRACTED, via=ClaimItem.ReinstatedVia.RETRACTION)
    # A counter-notice still waiting for the rights holder's answer is answered by the retraction itself.
    settled = list(CounterNotice.objects.filter(pk__in=open_notices))
    for notice in settled:
        notice.answered_at = timezone.now()
    transition_many(
        settled, CounterNotice.Status.ACCEPTED, actor=user, verb=Verb.COUNTER_NOTICE_ACCEPTED,
        fields=["answered_at"], data={"by": "retraction"},
    )  # fmt: skip
    return item


@transaction.atomic
def claim_items_not_disputed(*, user: "User", item_ids: Sequence[int]) -> list[ClaimItem]:
    """The seller chooses not to dispute removed listings: their first counter-notice window closes now and the
    pending violations are established at once, one decision per store (the seller is told what that triggered).
    The further counter-notice chances stay open until their own deadline, as after a window that closed unused."""
    items = _lock_items(item_ids, catalogue=True)
    if not items or any(item.seller.user_id != user.pk for item in items):
        raise ClaimItem.DoesNotExist
    now = timezone.now()
    closed = [item for item in items if not first_window_open(item, now)]
    if closed:
        raise InvalidTransition(
            f"{closed[0]} cannot be marked as not disputed: only a removed listing whose first counter-notice window "
            "is still open can.",
            code=Code.NOTHING_TO_COUNTER,
        )
    for item in items:
        item.counter_notice_due_at = now
    ClaimItem.objects.bulk_update(items, ["counter_notice_due_at"])
    record_many(actor=user, verb=Verb.CLAIM_ITEM_NOT_DISPUTED, targets=items)
    for seller_items in ClaimItem.by_seller(items):
        violations_establish(
            seller=seller_items[0].seller, violation_ids=[i.violation_id for i in seller_items if i.violation_id],
            how=Violation.Establishment.NOT_DISPUTED, actor=user,
        )  # fmt: skip
    return items
