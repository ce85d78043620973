"""Decisions on many listings, run by a worker: the review page queues one when a decision names more listings than
a request should wait for (``settings.DECISION_BATCH_ASYNC_ITEMS``); the worker runs the ordinary decision service
(one transaction for the whole batch, with its checks, ledger entries and notices), records the outcome with it, and
tells the reviewer. A batch runs at most once: the worker moves it from queued to running under a row lock, so a
task delivered twice finds it taken."""

from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ipp_portal.audit.services import record
from ipp_portal.audit.verbs import Verb
from ipp_portal.errors import PortalError
from ipp_portal.notifications.services import hand_to_broker, queue
from ipp_portal.permissions import require_perm
from ipp_portal.transactions import retry_on_conflict
from ipp_portal.transitions import transition

from ..gates import TakedownBlocked, takedown_blocked_notify
from ..models import Claim, ClaimItem, DecisionBatch
from .review import claim_items_reject, claim_items_take_down, claim_reject
from .trust import claim_take_down_all_pending

if TYPE_CHECKING:
    from ipp_portal.accounts.models import User

D = DecisionBatch.Decision
S = DecisionBatch.Status


def runs_in_background(item_count: int) -> bool:
    """Whether a decision on this many listings is handed to a worker instead of run in the request."""
    return item_count > settings.DECISION_BATCH_ASYNC_ITEMS


@transaction.atomic
def decision_batch_queue(
    *,
    claim_id: int,
    reviewer: "User",
    decision: str,
    item_ids: list[int],
    seen: dict[str, Any] | None,
    code: str = "",
    note: str = "",
    item_count: int | None = None,
) -> DecisionBatch:
    """Record a decision for the worker and hand it over after the commit; nothing is decided yet (the service
    checks everything again when it runs: permission, the version the reviewer saw, every listing still waiting)."""
    require_perm(reviewer, "complaints.change_claim")
    if decision not in D.values:
        raise PortalError(_("Choose a decision."), code="bad_decision")
    claim = Claim.objects.select_for_update().get(pk=claim_id)
    batch = DecisionBatch.objects.create(
        claim=claim, requested_by=reviewer, decision=decision, item_ids=sorted(set(item_ids)), seen=seen,
        code=code, note=note, item_count=item_count if item_count is not None else len(set(item_ids)),
    )  # fmt: skip
    record(actor=reviewer, verb=Verb.DECISION_BATCH_QUEUED, target=batch, after=batch.status,
           data={"claim": claim.pk, "decision": decision, "items": batch.item_count})  # fmt: skip
    transaction.on_commit(partial(_hand_over, [batch.pk]), robust=True)
    return batch


def _hand_over(batch_ids: list[int], *, probe: bool = False) -> int:
    from ..tasks import decision_batch_run_task

    return hand_to_broker(decision_batch_run_task, batch_ids, probe=probe)


@retry_on_conflict
def _start(batch_id: int) -> DecisionBatch | None:
    batch = DecisionBatch.objects.select_for_update(skip_locked=True).filter(pk=batch_id).first()
    if batch is None or batch.status != S.QUEUED:
        return None  # another worker has it, or it already ran: a task delivered twice does nothing
    batch.started_at = timezone.now()
    transition(batch, S.RUNNING, actor=None, verb=Verb.DECISION_BATCH_RUNNING, fields=["started_at"])
    return batch


def decision_batch_run(batch_id: int) -> DecisionBatch | None:
    """Run a queued batch once: the decision, the batch's outcome and the reviewer's notice in one transaction (run
    again on a deadlock or serialization failure). A refusal (a listing decided meanwhile, the claim changed since
    the reviewer saw it, the filing gate closed) rolls the decision back and ends the batch as not done, with the
    reason; so does an unexpected error, which is then raised for the worker's log."""
    batch = _start(batch_id)
    if batch is None:
        return None
    try:
        return _decide_and_finish(batch.pk)
    except PortalError as exc:
        with transaction.atomic():
            if isinstance(exc, TakedownBlocked):  # its own record and notice were rolled back with the batch
                takedown_blocked_notify(batch.claim_id, exc, reviewer=batch.requested_by)
            return _finish(batch.pk, S.FAILED, decided=0, outcome=exc.message)
    except Exception:
        with transaction.atomic():
            _finish(batch.pk, S.FAILED, decided=0, outcome=_("An error stopped the batch; nothing was decided."))
        raise


@retry_on_conflict
def _decide_and_finish(batch_id: int) -> DecisionBatch:
    batch = DecisionBatch.objects.select_related("requested_by").get(pk=batch_id)
    decided = _decide(batch)
    return _finish(batch.pk, S.DONE, decided=decided, outcome=_done_text(batch, decided))


def _decide(batch: DecisionBatch) -> int:
    reviewer, claim_id, seen = batch.requested_by, batch.claim_id, batch.seen
    if batch.decision == D.TAKE_DOWN:
        return len(claim_items_take_down(claim_id=claim_id, item_ids=batch.item_ids, reviewer=reviewer, seen=seen))
    if batch.decision == D.TAKE_DOWN_ALL:
        return len(claim_take_down_all_pending(claim_id=claim_id, reviewer=reviewer, seen=seen))
    if batch.decision == D.REJECT_ITEMS:
        done = claim_items_reject(
            claim_id=claim_id, item_ids=batch.item_ids, reviewer=reviewer, code=batch.code, note=batch.note, seen=seen
        )
        return len(done)
    waiting = ClaimItem.objects.filter(claim_id=claim_id, status=ClaimItem.Status.PENDING).count()
    claim_reject(claim_id=claim_id, reviewer=reviewer, code=batch.code, note=batch.note, seen=seen)
    return waiting


def _done_text(batch: DecisionBatch, decided: int) -> str:
    if batch.decision in (D.TAKE_DOWN, D.TAKE_DOWN_ALL):
        return ngettext(
            "%(n)d listing taken down; sellers and complainant notified.",
            "%(n)d listings taken down; sellers and complainant notified.",
            decided,
        ) % {"n": decided}
    if batch.decision == D.REJECT_ITEMS:
        return ngettext(
            "%(n)d listing rejected; the complainant is told why.",
            "%(n)d listings rejected; the complainant is told why.",
            decided,
        ) % {"n": decided}
    return _("The claim is rejected; the complainant is told why.")


def _finish(batch_id: int, status: str, *, decided: int, outcome: str) -> DecisionBatch:
    batch = DecisionBatch.objects.select_for_update().select_related("requested_by").get(pk=batch_id)
    batch.decided_count, batch.outcome, batch.finished_at = decided, outcome, timezone.now()
    verb = Verb.DECISION_BATCH_DONE if status == S.DONE else Verb.DECISION_BATCH_FAILED
    transition(batch, status, actor=None, verb=verb, fields=["decided_count", "outcome", "finished_at"],
               data={"decided": decided, "outcome": outcome})  # fmt: skip
    claim = Claim.objects.get(pk=batch.claim_id)
    queue(
        recipient=batch.requested_by,
        template="complaints/decision_batch_finished",
        context={
            "reference": claim.reference,
            "decision": batch.get_decision_display(),
            "done": status == S.DONE,
            "outcome": outcome,
            "path": reverse("admin:complaints_claim_batch", args=[batch.claim_id, batch.pk]),
        },
        target=batch,
    )
    return batch


def decision_batches_redispatch(*, older_than: timedelta = timedelta(minutes=1)) -> int:
    """Hand queued batches to the broker again when the hand-over after their commit did not happen (the broker was
    down or hung); a batch that is running or finished is never started again (see ``decision_batch_run``)."""
    cutoff = timezone.now() - older_than
    ids = list(
        DecisionBatch.objects.filter(status=S.QUEUED, created_at__lt=cutoff).order_by("id").values_list("pk", flat=True)
    )
    return _hand_over(ids, probe=True) if ids else 0
