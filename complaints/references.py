"""Claim references, IPP-<year>-<number>: the one format people read and the one parser for what they type."""

import re

# "IPP-2026-000123", "000123", "123", and the item form "IPP-2026-000123#4" that claim-item labels use.
_TYPED_RE = re.compile(r"(?i)(?:IPP-\d{4}-)?0*(\d{1,18})(?:#\d+)?")


def claim_reference(number: int, year: int) -> str:
    """Stable, unique, readable on the phone: the year of submission (or creation) and a six-digit number."""
    return f"IPP-{year}-{number:06d}"


def typed_number(text: str) -> str | None:
    """The digits a typed reference or number names, or None when the text is not one. A bare number may also be a
    marketplace listing id: callers search both."""
    match = _TYPED_RE.fullmatch(text.strip())
    return match.group(1) if match else None
