"""The IPR policy's published text (docs/ipr-policy.md) as HTML for the public policy page.

Only the part of Markdown the file uses: a title, numbered section headings, paragraphs and lists. Every piece of
text is escaped before any markup is added, so the page shows the file's words and nothing else."""

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

POLICY_FILE = Path(settings.BASE_DIR) / "docs" / "ipr-policy.md"

_ORDERED = re.compile(r"^\d+\.\s+")
_NUMBERED_HEADING = re.compile(r"^(\d+)\.\s")


@dataclass(frozen=True)
class Section:
    anchor: str
    title: str


@dataclass(frozen=True)
class PolicyText:
    title: str
    preamble: SafeString  # what comes before the first section (in our file: a note on where the text comes from)
    html: SafeString  # the sections
    sections: list[Section]


def _inline(text: str, links: dict[str, str]) -> str:
    html: str = escape(text)
    for phrase, href in links.items():
        escaped = escape(phrase)
        if escaped in html:
            html = html.replace(escaped, f'<a href="{escape(href)}">{escaped}</a>', 1)
    return html


def _list(lines: list[str], ordered: bool, links: dict[str, str]) -> str:
    items: list[str] = []
    for line in lines:
        if line.startswith("- ") or _ORDERED.match(line):
            items.append(_ORDERED.sub("", line[2:] if line.startswith("- ") else line, count=1))
        elif items:
            items[-1] += " " + line.strip()  # a continuation line
    tag = "ol" if ordered else "ul"
    body = "".join(f"<li>{_inline(item, links)}</li>" for item in items)
    return f"<{tag}>{body}</{tag}>"


def render(text: str, *, links: dict[str, str] | None = None) -> PolicyText:
    """The title, what precedes the first section, the sections as HTML (headings carry anchors) and their list
    for a table of contents. ``links``: exact phrases of the text to link, to their addresses."""
    links = links or {}
    title, preamble, parts, sections = "", list[str](), list[str](), list[Section]()
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = block.splitlines()
        first = lines[0]
        if first.startswith("# "):
            title = first[2:].strip()
            lines = lines[1:]
            if not lines:
                continue
            first = lines[0]
        if first.startswith("## "):
            heading = first[3:].strip()
            number = _NUMBERED_HEADING.match(heading)
            anchor = f"section-{number.group(1)}" if number else f"part-{len(sections) + 1}"
            sections.append(Section(anchor, heading))
            parts.append(f'<h2 id="{anchor}">{escape(heading)}</h2>')
            lines = lines[1:]
            if not lines:
                continue
            first = lines[0]
        into = parts if sections else preamble
        if first.startswith("- "):
            into.append(_list(lines, False, links))
        elif _ORDERED.match(first):
            into.append(_list(lines, True, links))
        else:
            into.append(f"<p>{_inline(' '.join(line.strip() for line in lines), links)}</p>")
    # Every piece of text was escaped above; only our own tags are added.
    return PolicyText(title, mark_safe("\n".join(preamble)), mark_safe("\n".join(parts)), sections)  # noqa: S308


@cache
def _source() -> str:
    return POLICY_FILE.read_text(encoding="utf-8")


def policy_text(*, links: dict[str, str] | None = None) -> PolicyText:
    """The published policy, read once per process."""
    return render(_source(), links=links)
