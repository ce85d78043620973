"""What a reviewer saw. The review page carries a signed copy of the record as shown; a decision posts it back, and
a record that changed in between (the complainant edited it while the page was open) refuses the decision and
says what changed — a reviewer must never approve what they did not see."""

from datetime import date
from typing import Any

from django.core import signing

from ipp_portal.errors import PortalError

from .models import Authorization, Claim, Complainant, IPRight

SALT = "complaints.seen.v1"

# The records a reviewer decides on, whose reviewed content the decision form carries.
Reviewed = Complainant | IPRight | Authorization | Claim

# (attribute, label) per model; ``*_ids`` entries are the related documents or rows, compared as sets.
FIELDS: dict[type, tuple[tuple[str, str], ...]] = {
    Complainant: (
        ("kind", "type"), ("role", "role"), ("legal_name", "legal name"), ("country", "country"),
        ("postal_address", "postal address"), ("phone", "phone"), ("contact_email", "contact email"),
        ("identity_document_ids", "identity documents"),
    ),
    IPRight: (
        ("kind", "type of right"), ("title", "title"), ("mark_type", "trademark type"), ("work_type", "type of work"),
        ("patent_type", "patent type"), ("registration_number", "registration number"),
        ("jurisdiction", "jurisdiction"), ("nice_classes", "Nice classes"), ("owner_name", "owner"),
        ("registered_on", "registration date"), ("expires_on", "expiry date"), ("document_ids", "documents"),
    ),
    Authorization: (
        ("owner_name", "right holder"), ("owner_address", "right holder's address"),
        ("owner_contact_email", "right holder's email"), ("valid_from", "valid from"),
        ("valid_until", "valid until"), ("right_ids", "rights covered"), ("site_ids", "marketplaces covered"),
        ("letter_id", "authorization letter"),
    ),
    Claim: (
        ("right_id", "right"), ("site_id", "marketplace"), ("authorization_id", "authorization"),
        ("reason_code", "reason"), ("explanation", "explanation"), ("order_numbers", "test-buy orders"),
        ("evidence_ids", "evidence"),
    ),
}  # fmt: skip


class ChangedSinceSeen(PortalError):
    code = "changed_since_seen"
    default_message = "This record changed after the page was opened. Reload it and review it again."


def _related_ids(obj: Reviewed) -> dict[str, list[int]]:
    if isinstance(obj, Complainant):
        return {"identity_document_ids": sorted(obj.identity_documents.values_list("pk", flat=True))}
    if isinstance(obj, IPRight):
        return {"document_ids": sorted(obj.documents.values_list("document_id", flat=True))}
    if isinstance(obj, Authorization):
        return {
            "right_ids": sorted(obj.rights.values_list("pk", flat=True)),
            "site_ids": sorted(obj.sites.values_list("pk", flat=True)),
        }
    if isinstance(obj, Claim):
        return {"evidence_ids": sorted(obj.evidence.values_list("pk", flat=True))}
    return {}


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def seen_state(obj: Reviewed) -> dict[str, Any]:
    """The reviewed content of a record, as JSON-ready values."""
    related = _related_ids(obj)
    return {name: _plain(related[name] if name in related else getattr(obj, name)) for name, _ in FIELDS[type(obj)]}


def seen_token(obj: Reviewed) -> str:
    """A signed copy of what the page shows, for the decision form (tamper-proof, not secret)."""
    return signing.dumps(seen_state(obj), salt=SALT, compress=True)


def seen_from_token(token: str) -> dict[str, Any] | None:
    """The state a decision form carried; None if it is missing or was altered."""
    if not token:
        return None
    try:
        return signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None


def _show(value: Any) -> str:
    if value in ("", None, []):
        return "(empty)"
    text = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return f"“{text[:80]}{'…' if len(text) > 80 else ''}”"


def seen_changes(obj: Reviewed, seen: dict[str, Any]) -> list[str]:
    """What differs between the state the reviewer saw and the record now, in words."""
    current = seen_state(obj)
    changes = []
    for name, label in FIELDS[type(obj)]:
        before, after = seen.get(name), current.get(name)
        if before == after:
            continue
        if name.endswith("_ids"):
            added, removed = len(set(after or []) - set(before or [])), len(set(before or []) - set(after or []))
            parts = [f"{added} added" if added else "", f"{removed} removed" if removed else ""]
            changes.append(f"{label} ({', '.join(p for p in parts if p)})")
        elif name.endswith("_id"):
            changes.append(f"{label} (replaced)")
        else:
            changes.append(f"{label} ({_show(before)} → {_show(after)})")
    return changes


def check_seen(obj: Reviewed, seen: dict[str, Any] | None, *, noun: str) -> None:
    """Refuse a decision on anything but the version the reviewer saw."""
    if seen is None:
        raise ChangedSinceSeen(f"This decision does not say which version of the {noun} you reviewed. Reload the page.")
    changes = seen_changes(obj, seen)
    if changes:
        raise ChangedSinceSeen(
            f"The {noun} changed while you were reviewing it: {'; '.join(changes)}. Nothing was decided; the page "
            "now shows the current version — review it again."
        )
