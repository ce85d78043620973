"""The authorization letter template, filled with what the agent entered.

Plain UTF-8 text on purpose: owners put it on their letterhead in any word processor, names in any script survive,
and nothing executable travels in it. Blanks stay as lines to fill in by hand.
"""

from collections.abc import Iterable
from datetime import date

BLANK = "______________________________"


def _or_blank(value) -> str:
    return str(value).strip() if value else BLANK


def _date(value: date | None) -> str:
    return value.strftime("%d %B %Y") if value else BLANK


def authorization_letter_text(
    *,
    agent_name: str,
    agent_address: str,
    owner_name: str = "",
    owner_address: str = "",
    rights: Iterable = (),
    sites: Iterable = (),
    valid_from: date | None = None,
    valid_until: date | None = None,
) -> str:
    right_lines = [
        f"  - {r.get_kind_display()} “{r.title}”, registration no. {r.registration_number or 'unregistered'}, "
        f"{r.jurisdiction}" + (f", expires {r.expires_on:%d %B %Y}" if r.expires_on else "")
        for r in rights
    ] or [f"  - {BLANK} (type, mark or title, registration number, jurisdiction)"]
    site_names = ", ".join(s.name for s in sites) or "alibaba.com and aliexpress.com"
    owner_block = "\n".join(line.strip() for line in owner_address.splitlines() if line.strip()) or BLANK
    return "\n".join(
        [
            "LETTER OF AUTHORIZATION",
            "",
            f"From (the right holder): {_or_blank(owner_name)}",
            owner_block,
            "",
            f"To: the IPP Portal intellectual-property protection programme of {site_names}",
            "",
            f"We, {_or_blank(owner_name)}, are the owner of the intellectual-property rights listed below.",
            f"We authorise {agent_name}, {agent_address.replace(chr(10), ', ')},",
            "to act on our behalf in the IPP Portal: to file infringement claims concerning these rights against",
            f"listings on {site_names}, to receive and answer counter-notices, and to withdraw or retract claims.",
            "",
            "Rights covered:",
            *right_lines,
            "",
            f"This authorization is valid from {_date(valid_from)} until {_date(valid_until)}, unless we revoke it",
            "earlier by writing to the programme.",
            "",
            "We confirm that the information above is accurate, and we accept responsibility for claims filed",
            "under this authorization, including the indemnity given to the platform when claims are filed.",
            "",
            "",
            f"Signature: {BLANK}",
            f"Name and position of the signatory: {BLANK}",
            f"Date: {BLANK}",
            "Company seal (if any):",
            "",
        ]
    )
