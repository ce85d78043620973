"""Filing claims: drafts, submission with its receipt, withdrawal, and answering a request for more information."""

import hashlib
import uuid
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from ipp_portal.audit.services import record
from ipp_portal.audit.verbs import Verb
from ipp_portal.errors import InvalidTransition, NotPermitted, PortalError
from ipp_portal.notifications.services import queue, queue_many
from ipp_portal.permissions import require_perm
from ipp_portal.transitions import transition, transition_many

from ..errors import Code
from ..link_check import LinkLine, check_links, split_lines
from ..models import AuthorisedSeller, Claim, ClaimItem, Complainant, IPRight
from ..rules import authorisation_ended_on_check, explanation_check, reason_check
from ..selectors import filing_gate
from ..selectors.trust import trusted_complainant_on
from .allowlist import end_entry

if TYPE_CHECKING:
    from ipp_portal.accounts.models import User
    from ipp_portal.documents.models import Document
    from listings.models import Site

DRAFT_FIELDS = ("right", "site", "reason_code", "explanation", "order_numbers", "links_text")
STATEMENTS = ("states_good_faith", "states_accuracy", "states_authority_under_perjury", "agrees_to_indemnify")


class LinksNotFileable(PortalError):
    code = Code.LINKS_NOT_FILEABLE

    def __init__(self, lines: list[LinkLine]) -> None:
        self.lines = lines
        bad = [line for line in lines if not line.is_fileable]
        super().__init__(
            f"{len(bad)} of the {len(lines)} lines cannot be filed. Drop them (or correct them) and submit again.",
            field="links",
        )


class TooManyLinks(PortalError):
    code = Code.TOO_MANY_LINKS


class AuthorisedSellersNotConfirmed(PortalError):
    """The claim names listings of sellers the complainant declared authorised for its right, and the complainant
    has not sworn that the authorisation ended: nothing is filed. ``lines`` is the link check, flags included."""

    code = Code.AUTHORISED_SELLER_NOT_CONFIRMED

    def __init__(self, lines: list[LinkLine]) -> None:
        self.lines = lines
        flagged = sum(line.authorised_seller is not None for line in lines)
        stores = sorted({line.filed_listing.seller.store_name for line in lines if line.authorised_seller})
        super().__init__(
            f"{flagged} listing{'' if flagged == 1 else 's'} {'is' if flagged == 1 else 'are'} sold by "
            f"{', '.join(stores)}, which you declared authorised to sell under this right. File against "
            f"{'it' if len(stores) == 1 else 'them'} only if the authorisation has ended: tick the statement that "
            "it has (and give the day it ended), or drop those links.",
            field="states_authorisation_ended",
        )


def hash_ip(ip: str) -> str:
    """The signer's address is kept only as a keyed hash: enough to match abuse, not to locate a person."""
    return hashlib.sha256(f"{settings.SECRET_KEY}:{ip}".encode()).hexdigest()


def links_count_check(lines: Sequence[tuple[int, str]]) -> None:
    """A claim names at most ``CLAIM_MAX_LINKS`` listings (Alibaba IPP's own limit); the check of links before
    filing takes the same number."""
    if len(lines) > settings.CLAIM_MAX_LINKS:
        raise TooManyLinks(
            f"A claim takes at most {settings.CLAIM_MAX_LINKS} links; this one has {len(lines)}. "
            "Split them over several claims.",
            field="links",
        )


def evidence_check(evidence: Sequence["Document"], user: "User") -> None:
    """A claim's evidence is documents its filer uploaded: never another account's file (the form only offers the
    user's own; an API client names documents by id, so the service checks)."""
    if any(document.uploaded_by_id != user.pk for document in evidence):
        raise PortalError("Attach only documents you uploaded.", code=Code.NOT_YOUR_DOCUMENT, field="evidence")


def _own_claim_for_update(claim_id: int, user: "User") -> Claim:
    claim = Claim.objects.select_for_update(of=("self",)).select_related("complainant").filter(pk=claim_id).first()
    if claim is None or claim.complainant.user_id != user.pk:
        raise Claim.DoesNotExist
    return claim


@transaction.atomic
def claim_save_draft(
    *, complainant: Complainant, claim_id: int | None = None, evidence: Sequence["Document"] = (), **fields: Any
) -> Claim:
    """Save whatever has been entered so far; nothing is checked or sent until the claim is submitted."""
    evidence_check(evidence, complainant.user)
    if claim_id is None:
        claim = Claim(complainant=complainant)
    else:
        claim = _own_claim_for_update(claim_id, complainant.user)
        if claim.status != Claim.Status.DRAFT:
            raise InvalidTransition("This claim has been submitted; it is no longer a draft.")
    for name in DRAFT_FIELDS:
        if name in fields:
            setattr(claim, name, fields[name])
    claim.save()
    if evidence:
        claim.evidence.add(*evidence)
    if claim_id is None:
        record(actor=complainant.user, verb=Verb.CLAIM_DRAFT_SAVED, target=claim, after=claim.status)
    return claim


@transaction.atomic
def claim_draft_delete(*, claim_id: int, user: "User") -> None:
    """Discard a draft (never filed, so nothing else refers to it)."""
    claim = _own_claim_for_update(claim_id, user)
    if claim.status != Claim.Status.DRAFT:
        raise InvalidTransition("Only a draft can be deleted; a filed claim can be withdrawn.")
    record(actor=user, verb=Verb.CLAIM_DRAFT_DELETED, data={"claim": claim.pk})
    claim.delete()


@transaction.atomic
def claim_submit(
    *,
    complainant: Complainant,
    user: "User",
    token: uuid.UUID,
    right: IPRight,
    site: "Site",
    reason_code: str,
    explanation: str,
    links_text: str,
    signature_name: str,
    ip: str,
    evidence: Sequence["Document"] = (),
    order_numbers: str = "",
    statements: dict[str, bool] | None = None,
    claim_id: int | None = None,
    states_authorisation_ended: bool = False,
    authorisation_ended_on: date | None = None,
) -> Claim:
    """File the claim: one transaction creates the claim and one item per link (bulk inserts), confirms receipt to
    the complainant (DSA Art. 16) and puts it in the staff queue. The same ``token`` submitted twice (a double
    click, a replayed POST) returns the claim the first submission created.

    A link to a listing of a seller the complainant declared authorised for ``right`` today is filed only with
    ``states_authorisation_ended`` (sworn: the authorisation has ended); otherwise ``AuthorisedSellersNotConfirmed``
    (code ``authorised_seller_not_confirmed``) and nothing is filed. With it, the claim records the statement, each
    such item names the entry, and the entry ends on ``authorisation_ended_on`` (today when not given): the
    complainant has just sworn it no longer applies, so the list says so too."""
    # One complainant's submissions take turns: a replay of the same form (a double click, a resent POST, 35 at
    # once) waits for the first to commit and then finds its claim, instead of racing it past the token lookup
    # and failing the link check on the first one's items ("already in your open claim"). It also keeps two
    # different claims from both passing the check for the same listing.
    Complainant.objects.select_for_update().filter(pk=complainant.pk).first()
    existing = Claim.objects.filter(submission_token=token).first()
    if existing is not None:
        if existing.complainant_id != complainant.pk:
            raise NotPermitted("This form was already used.")
        return existing
    statements = statements or {}
    missing = [name for name in STATEMENTS if not statements.get(name)]
    if missing or not signature_name.strip():
        raise PortalError("Tick every statement and sign with your full name to file a claim.", code=Code.UNSWORN)
    gate = filing_gate(complainant=complainant, site=site, right=right)
    waiting = not gate.allowed and gate.code == Code.RIGHT_PENDING
    if not gate.allowed and not waiting:
        raise NotPermitted(gate.reason, code=gate.code)
    reason_check(reason_code, right.kind)
    explanation_check(explanation)
    evidence_check(evidence, user)

    lines = split_lines(links_text)
    if not lines:
        raise PortalError("Paste at least one listing link.", code=Code.NO_LINKS, field="links")
    links_count_check(lines)
    checked = check_links(lines, site=site, complainant=complainant, right=right, exclude_claim_id=claim_id)
    if any(not line.is_fileable for line in checked):
        raise LinksNotFileable(checked)
    authorised = {line.authorised_seller.pk: line.authorised_seller for line in checked if line.authorised_seller}
    if authorised and not states_authorisation_ended:
        raise AuthorisedSellersNotConfirmed(checked)
    ended_on = authorisation_ended_on or timezone.localdate()
    for entry in authorised.values():
        authorisation_ended_on_check(
            ended_on, entry.authorised_from, timezone.localdate(), field="authorisation_ended_on"
        )

    if claim_id is not None:
        claim = _own_claim_for_update(claim_id, user)
        if claim.status != Claim.Status.DRAFT:
            return claim  # submitted meanwhile (another tab): the first submission stands
    else:
        claim = Claim(complainant=complainant)
    now = timezone.now()
    claim.right, claim.site, claim.authorization = right, site, gate.authorization
    claim.is_trusted = trusted_complainant_on(complainant.pk, site.pk)
    claim.reason_code, claim.explanation, claim.order_numbers = reason_code, explanation.strip(), order_numbers.strip()
    claim.links_text = "\n".join(line.text for line in checked)
    for name in STATEMENTS:
        setattr(claim, name, True)
    claim.states_authorisation_ended = bool(authorised)
    claim.signature_name, claim.signed_by, claim.signed_at, claim.signer_ip_hash = (
        signature_name.strip(), user, now, hash_ip(ip),
    )  # fmt: skip
    claim.move_to(Claim.Status.WAITING_FOR_RIGHT if waiting else Claim.Status.SUBMITTED)
    claim.submission_token = token
    claim.submitted_at = None if waiting else now
    try:
        with transaction.atomic():
            claim.save()
    except IntegrityError:
        # Two requests with one token raced past the first lookup: the other one's claim stands.
        return Claim.objects.get(submission_token=token)
    claim.evidence.add(*evidence)
    items = ClaimItem.objects.bulk_create(
        [
            ClaimItem(
                claim=claim,
                position=position,
                url=line.filed_listing.url,
                submitted_url=line.text,
                site=site,
                external_id=line.filed_ref.external_id,
                listing=line.filed_listing,
                seller=line.filed_listing.seller,  # loaded with the listing by the link check
                check_result=ClaimItem.Check.CONFLICT if line.result == "conflict" else ClaimItem.Check.OK,
                authorised_seller=line.authorised_seller,
            )
            for position, line in enumerate(checked, start=1)
        ],
        batch_size=1000,
    )
    event = record(
        actor=user,
        verb=Verb.CLAIM_WAITING_FOR_RIGHT if waiting else Verb.CLAIM_SUBMITTED,
        target=claim,
        before=Claim.Status.DRAFT,
        after=claim.status,
        data={
            "items": len(checked),
            "conflicts": sum(line.result == "conflict" for line in checked),
            **({"authorised_sellers_ended": sorted(authorised)} if authorised else {}),
        },
    )
    _end_authorisations(sorted(authorised), claim=claim, user=user, ended_on=ended_on)
    _notify_receipt(claim, items=len(checked), waiting=waiting)
    # What this submission wrote, for a caller that answers with the claim without reading it back (the API's 201).
    claim.filed_items, claim.filed_event = items, event  # type: ignore[attr-defined]
    return claim


def _end_authorisations(entry_ids: list[int], *, claim: Claim, user: "User", ended_on: date) -> None:
    """The entries the complainant swore had ended, ended with the claim (the complainant's row is locked, so no
    other change to their list runs meanwhile)."""
    if not entry_ids:
        return
    entries = AuthorisedSeller.objects.select_for_update().filter(pk__in=entry_ids, ended_on__isnull=True)
    for entry in entries.order_by("pk"):
        end_entry(
            entry, user=user, ended_on=ended_on, claim=claim,
            reason=f"Ended when filing {claim.reference}: the complainant swore the authorisation had ended.",
        )  # fmt: skip


def _notify_receipt(claim: Claim, *, items: int, waiting: bool) -> None:
    queue(
        recipient=claim.complainant.user,
        template="complaints/claim_received",
        context={
            "reference": claim.reference,
            "items": items,
            "waiting": waiting,
            "right": str(claim.right),
            "site": claim.filed_site.name,
            "path": reverse("complaints:claim-detail", args=[claim.pk]),
        },
        target=claim,
        dedupe_key=f"claim:{claim.pk}:received:{'waiting' if waiting else 'submitted'}",
    )


@transaction.atomic
def claims_release_for_right(*, right: IPRight, actor: "User | None" = None) -> int:
    """Submit the claims that were waiting for this right, now verified (Alibaba's "pending submissions")."""
    released = 0
    claims = (
        Claim.objects.select_for_update(of=("self",))
        .select_related("complainant", "site", "right")
        .filter(right=right, status=Claim.Status.WAITING_FOR_RIGHT)
    )
    for claim in claims:
        # Filed (signed) before any suspension: releasing it is not a new notice.
        gate = filing_gate(complainant=claim.complainant, site=claim.filed_site, right=right, check_suspension=False)
        if not gate.allowed:
            continue  # e.g. an agent whose authorization is still pending: it stays waiting, nothing is lost
        claim.move_to(Claim.Status.SUBMITTED)
        claim.submitted_at, claim.authorization = timezone.now(), gate.authorization
        claim.is_trusted = trusted_complainant_on(claim.complainant_id, claim.filed_site.pk)
        claim.save(update_fields=["status", "submitted_at", "authorization", "is_trusted"])
        record(
            actor=actor,
            verb=Verb.CLAIM_SUBMITTED,
            target=claim,
            before=Claim.Status.WAITING_FOR_RIGHT,
            after=claim.status,
        )
        _notify_receipt(claim, items=claim.items.count(), waiting=False)
        released += 1
    return released


def _settle_claim_status(claim: Claim, *, actor: "User | None") -> None:
    """A claim whose items are all withdrawn is withdrawn; one with nothing left pending is decided."""
    statuses = set(claim.items.values_list("status", flat=True))
    if statuses <= {ClaimItem.Status.WITHDRAWN} and claim.can_move_to(Claim.Status.WITHDRAWN):
        claim.withdrawn_at = timezone.now()
        transition(claim, Claim.Status.WITHDRAWN, actor=actor, verb=Verb.CLAIM_WITHDRAWN, fields=["withdrawn_at"])
    elif ClaimItem.Status.PENDING not in statuses and claim.can_move_to(Claim.Status.DECIDED):
        transition(claim, Claim.Status.DECIDED, actor=actor, verb=Verb.CLAIM_DECIDED)


def _tell_reviewer_if_reviewing(claim: Claim, *, what: str) -> None:
    if claim.status == Claim.Status.IN_REVIEW and claim.assigned_to is not None:
        queue(
            recipient=claim.assigned_to,
            template="complaints/claim_changed_during_review",
            context={
                "reference": claim.reference,
                "what": what,
                "path": reverse("admin:complaints_claim_change", args=[claim.pk]),
            },
            target=claim,
        )


def listing_lines(items: list[ClaimItem]) -> list[dict[str, str]]:
    """How a notice names the listings it is about (title and the claim item's reference)."""
    return [{"title": item.listing.title, "item": str(item)} for item in items]


def _tell_sellers_of_withdrawal(claim: Claim, items: list[ClaimItem]) -> None:
    """Every item ends with a notice to both sides: sellers learn a claim on their listings was withdrawn. A claim
    that never went out (it waited for its right) was never theirs to know about: nobody is told."""
    if claim.submitted_at is None:
        return
    notices = [
        {
            "recipient": seller_items[0].seller.user,
            "template": "complaints/claim_withdrawn_no_action",
            "target": claim,
            "context": {"reference": claim.reference, "listings": listing_lines(seller_items)},
        }
        for seller_items in ClaimItem.by_seller(items)
        if seller_items[0].seller.user_id
    ]
    if notices:
        queue_many(notices)


@transaction.atomic
def claim_withdraw(*, claim_id: int, user: "User") -> Claim:
    """Withdraw a whole claim while it is undecided: its pending items are withdrawn, decided ones stay as they are."""
    claim = _own_claim_for_update(claim_id, user)
    if claim.status == Claim.Status.DRAFT:
        raise InvalidTransition("A draft has not been filed: delete it instead.")
    if not claim.can_move_to(Claim.Status.WITHDRAWN):
        raise InvalidTransition(f"This claim is {claim.get_status_display().lower()} and can no longer be withdrawn.")
    _tell_reviewer_if_reviewing(claim, what="withdrew the claim")
    before = claim.status
    now = timezone.now()
    pending = list(claim.items.filter(status=ClaimItem.Status.PENDING).select_related("seller__user", "listing"))
    for item in pending:
        item.withdrawn_at = now
    count = len(transition_many(pending, ClaimItem.Status.WITHDRAWN, actor=user, verb=Verb.CLAIM_ITEM_WITHDRAWN,
                                fields=["withdrawn_at"]))  # fmt: skip
    _tell_sellers_of_withdrawal(claim, pending)
    has_decided_items = claim.items.exclude(status=ClaimItem.Status.WITHDRAWN).exists()
    claim.move_to(Claim.Status.DECIDED if has_decided_items else Claim.Status.WITHDRAWN)
    claim.withdrawn_at = now
    claim.save(update_fields=["status", "withdrawn_at"])
    record(
        actor=user, verb=Verb.CLAIM_WITHDRAWN, target=claim, before=before, after=claim.status, data={"items": count}
    )
    return claim


@transaction.atomic
def claim_item_withdraw(*, item_id: int, user: "User") -> ClaimItem:
    """Withdraw one listing of a claim while it is undecided."""
    item = (
        ClaimItem.objects.select_for_update(of=("self",))
        .select_related("claim__complainant", "seller__user", "listing")
        .filter(pk=item_id)
        .first()
    )
    if item is None or item.claim.complainant.user_id != user.pk:
        raise ClaimItem.DoesNotExist
    claim = Claim.objects.select_for_update().get(pk=item.claim_id)
    if item.status != ClaimItem.Status.PENDING:
        raise InvalidTransition(f"This listing is already decided ({item.get_status_display().lower()}).")
    item.move_to(ClaimItem.Status.WITHDRAWN)
    item.withdrawn_at = timezone.now()
    item.save(update_fields=["status", "withdrawn_at"])
    _tell_reviewer_if_reviewing(claim, what=f"withdrew listing {item.external_id}")
    _tell_sellers_of_withdrawal(claim, [item])
    record(actor=user, verb=Verb.CLAIM_ITEM_WITHDRAWN, target=item, before=ClaimItem.Status.PENDING, after=item.status)
    _settle_claim_status(claim, actor=user)
    return item


@transaction.atomic
def claim_request_info(*, claim_id: int, reviewer: "User | None", message: str) -> Claim:
    """Staff ask the complainant for more information; the claim leaves the queue until they answer."""
    require_perm(reviewer, "complaints.change_claim")
    if not message.strip():
        raise PortalError("Say what information is needed: the complainant reads it.", code=Code.MESSAGE_REQUIRED)
    claim = Claim.objects.select_for_update(of=("self",)).select_related("complainant__user").get(pk=claim_id)
    before = claim.status
    claim.move_to(Claim.Status.NEEDS_INFO)
    claim.info_request = message.strip()
    claim.save(update_fields=["status", "info_request"])
    record(actor=reviewer, verb=Verb.CLAIM_INFO_REQUESTED, target=claim, before=before, after=claim.status,
           data={"message": claim.info_request})  # fmt: skip
    queue(
        recipient=claim.complainant.user,
        template="complaints/claim_needs_info",
        context={
            "reference": claim.reference,
            "message": claim.info_request,
            "path": reverse("complaints:claim-detail", args=[claim.pk]),
        },
        target=claim,
    )
    return claim


@transaction.atomic
def claim_provide_info(*, claim_id: int, user: "User", answer: str, documents: Sequence["Document"] = ()) -> Claim:
    """The complainant answers staff's question (text and/or documents); the claim returns to the queue."""
    claim = _own_claim_for_update(claim_id, user)
    if claim.status != Claim.Status.NEEDS_INFO:
        raise InvalidTransition("Staff have not asked for more information on this claim.")
    if not answer.strip() and not documents:
        raise PortalError("Answer the question or add documents before sending.", code=Code.EMPTY_ANSWER)
    stamp = timezone.localtime().strftime("%d %b %Y %H:%M")
    if answer.strip():
        claim.explanation = f"{claim.explanation}\n\n[Added {stamp} in answer to staff] {answer.strip()}".strip()
    claim.move_to(Claim.Status.SUBMITTED)
    claim.save(update_fields=["status", "explanation"])
    if documents:
        claim.evidence.add(*documents)
    record(actor=user, verb=Verb.CLAIM_INFO_PROVIDED, target=claim, before=Claim.Status.NEEDS_INFO, after=claim.status,
           data={"documents": len(documents)})  # fmt: skip
    return claim
