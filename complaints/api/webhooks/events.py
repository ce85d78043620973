"""Which notices are webhook events, and what each event's payload says.

Events come from the same place as notices: ``notifications.services`` tells its listeners (registered in the API's
``AppConfig.ready``) of every notice queued, inside the transaction of the change. A notice with a template named in
``TEMPLATE_EVENTS`` becomes an event for its recipient when the recipient has an active endpoint subscribed to it:
one ``WebhookEvent`` and one ``WebhookDelivery`` per endpoint, in that transaction, so a rolled-back change sends
nothing and a committed one is never lost.

A payload carries ids the receiver can GET from the API (``/api/v1/claims/{id}/``, ``/api/v1/rights/{id}/``) and the
few facts that say what happened; never anything the recipient could not read on its own pages."""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.urls import reverse

from complaints.models import Claim, ClaimItem, CounterNotice, IPRight

from .models import EventType, WebhookDelivery, WebhookEndpoint, WebhookEvent

if TYPE_CHECKING:
    from ipp_portal.notifications.models import Notification


def _claim(claim: Claim) -> dict[str, Any]:
    return {
        "id": claim.pk,
        "reference": claim.reference,
        "status": claim.status,
        "api_url": reverse("api:claim-detail", args=[claim.pk]),
    }


def _item(item: ClaimItem) -> dict[str, Any]:
    return {
        "id": item.pk,
        "position": item.position,
        "url": item.url,
        "status": item.status,
        "decision_reason": item.decision_reason,
        "decided_at": item.decided_at,
    }


def _right(right: IPRight) -> dict[str, Any]:
    return {
        "id": right.pk,
        "kind": right.kind,
        "name": right.title,
        "registration_number": right.registration_number,
        "status": right.status,
        "expires_on": right.expires_on,
        "api_url": reverse("api:right-detail", args=[right.pk]),
    }


def _claim_decisions(notice: "Notification", claim: Claim) -> list[tuple[str, dict[str, Any]]]:
    """One notice per batch of decisions: the listings decided in it, and the claim too once nothing is pending
    (the review services settle the claim before they queue the notice)."""
    positions = [d["position"] for d in notice.context.get("decisions", [])]
    items = list(ClaimItem.objects.filter(claim=claim, position__in=positions).order_by("position"))
    events = [(EventType.CLAIM_ITEM_DECIDED.value, {"claim": _claim(claim), "items": [_item(i) for i in items]})]
    if claim.status == Claim.Status.DECIDED:
        events.append((EventType.CLAIM_DECIDED.value, {"claim": _claim(claim)}))
    return events


def _needs_info(notice: "Notification", claim: Claim) -> list[tuple[str, dict[str, Any]]]:
    return [(EventType.CLAIM_NEEDS_INFO.value, {"claim": _claim(claim), "message": claim.info_request})]


def _counter_notice(notice: "Notification", counter_notice: CounterNotice) -> list[tuple[str, dict[str, Any]]]:
    items = list(counter_notice.items.order_by("position"))
    return [
        (
            EventType.COUNTER_NOTICE_RECEIVED.value,
            {
                "counter_notice": {
                    "id": counter_notice.pk,
                    "reason": counter_notice.reason,
                    "statement": counter_notice.statement,
                    "status": counter_notice.status,
                    "answer_due_at": counter_notice.answer_due_at,
                },
                "claim": _claim(counter_notice.claim),
                "items": [_item(i) for i in items],
            },
        )
    ]


def _verification(notice: "Notification", target: Any) -> list[tuple[str, dict[str, Any]]]:
    """Only rights' verifications are events (a complainant's identity or an authorization is not, yet)."""
    if not isinstance(target, IPRight):
        return []
    kind = {IPRight.Status.VERIFIED: EventType.RIGHT_VERIFIED, IPRight.Status.REJECTED: EventType.RIGHT_REJECTED}
    if target.status not in kind:
        return []
    return [
        (
            kind[IPRight.Status(target.status)].value,
            {"right": _right(target), "reason": notice.context.get("reason", "")},
        )
    ]


def _expiring(notice: "Notification", right: IPRight) -> list[tuple[str, dict[str, Any]]]:
    return [(EventType.RIGHT_EXPIRING.value, {"right": _right(right), "days_left": notice.context.get("days")})]


def _expired(notice: "Notification", right: IPRight) -> list[tuple[str, dict[str, Any]]]:
    return [(EventType.RIGHT_EXPIRED.value, {"right": _right(right)})]


# Template of the notice → (the target's model, what events it makes). Only notices to the complainant are here.
TEMPLATE_EVENTS: dict[str, tuple[type, Callable[..., list[tuple[str, dict[str, Any]]]]]] = {
    "complaints/claim_decisions": (Claim, _claim_decisions),
    "complaints/claim_needs_info": (Claim, _needs_info),
    "complaints/counter_notice_received": (CounterNotice, _counter_notice),
    "complaints/verification_decided": (object, _verification),
    "complaints/right_expiring": (IPRight, _expiring),
    "complaints/right_expired": (IPRight, _expired),
}
# Which templates can make which event types (to look up subscribed endpoints before building payloads).
TEMPLATE_TYPES: dict[str, set[str]] = {
    "complaints/claim_decisions": {EventType.CLAIM_ITEM_DECIDED, EventType.CLAIM_DECIDED},
    "complaints/claim_needs_info": {EventType.CLAIM_NEEDS_INFO},
    "complaints/counter_notice_received": {EventType.COUNTER_NOTICE_RECEIVED},
    "complaints/verification_decided": {EventType.RIGHT_VERIFIED, EventType.RIGHT_REJECTED},
    "complaints/right_expiring": {EventType.RIGHT_EXPIRING},
    "complaints/right_expired": {EventType.RIGHT_EXPIRED},
}


def on_notices(notices: "list[Notification]") -> None:
    """The notifications listener: write the events and deliveries of the notices that are events for someone.

    Set-based for a sweep's thousands of notices: one query finds the endpoints of every recipient concerned, and
    a notice nobody subscribed to costs nothing more."""
    relevant = [n for n in notices if n.template in TEMPLATE_EVENTS]
    if not relevant:
        return
    endpoints: dict[int, list[WebhookEndpoint]] = {}
    for endpoint in WebhookEndpoint.objects.filter(
        owner_id__in={n.recipient_id for n in relevant}, disabled_at__isnull=True
    ).order_by("pk"):
        endpoints.setdefault(endpoint.owner_id, []).append(endpoint)
    if not endpoints:
        return
    deliveries: list[WebhookDelivery] = []
    for notice in relevant:
        own = endpoints.get(notice.recipient_id, [])
        wanted = TEMPLATE_TYPES[notice.template]
        if not any(wanted & set(e.events) for e in own):
            continue
        model, build = TEMPLATE_EVENTS[notice.template]
        target = notice.target
        if target is None or not isinstance(target, model):
            continue
        for event_type, data in build(notice, target):
            subscribed = [e for e in own if event_type in e.events]
            if not subscribed:
                continue
            event = WebhookEvent(owner_id=notice.recipient_id, type=event_type, payload={})
            event.payload = {
                "id": str(event.event_id),
                "type": event_type,
                "created_at": event.created_at,
                "data": data,
            }
            event.save()
            # Handed to the broker when the transaction commits; the sweep takes over if the broker lost it.
            at = event.created_at
            deliveries += [
                WebhookDelivery(event=event, endpoint=e, next_attempt_at=at, dispatched_at=at) for e in subscribed
            ]
    if deliveries:
        from .services import dispatch_after_commit

        created = WebhookDelivery.objects.bulk_create(deliveries)
        dispatch_after_commit([d.pk for d in created])
