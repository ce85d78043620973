"""Every page a person opens, on a phone: at 390 px nothing scrolls sideways and axe-core finds no serious or critical
accessibility violation.

The pages come from the authorization matrix (tests/test_authorization_matrix.py), which has an entry for every URL
pattern: each GET entry that some role may see is opened once, as that role, in one Chromium. A new page is therefore
checked without anyone listing it here; only what is not a page for people (files, JSON, scripts) is left out below,
each with its reason.
"""

import time
import warnings
from pathlib import Path

import pytest
from django.db import transaction
from django.urls import get_resolver

from tests.e2e.browser import sign_in
from tests.test_authorization_matrix import STAFF, all_cases, build_world, url_for, walk

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")

# Routes that answer with something other than a page for people. A prefix ends with "/" and covers what is under it.
NOT_PAGES = {
    "healthz": "a JSON health check for the load balancer",
    "ping": "a JSON keep-alive for open forms",
    "api/v1/": "the API answers programs in JSON; its documentation page is checked (below)",
    "rights/authorizations/letter-template.txt": "a plain-text letter to download",
    "rights/claims/<int:pk>/items.csv": "a CSV export",
    "rights/documents/<int:pk>/": "the uploaded file itself (PDF or image)",
    "admin/jsi18n/": "the admin's JavaScript catalogue",
    "admin/complaints/complainant/<int:pk>/documents/<int:document_pk>/preview/": "the uploaded file itself",
    "admin/complaints/ipright/<int:pk>/documents/<int:document_pk>/preview/": "the uploaded file itself",
    "admin/complaints/authorization/<int:pk>/documents/<int:document_pk>/preview/": "the uploaded file itself",
    "admin/enforcement/policy/add/": "refused to everyone: a new policy version is a copy of the current one",
    "admin/enforcement/action/add/": "refused to everyone: staff impose an action from the seller's page (checked)",
}
PAGES_AFTER_ALL = ("api/v1/docs/",)  # under an excluded prefix, but a page for people

# The staff's own review pages: they must stay among the pages opened, whatever the matrix's roles become.
STAFF_REVIEW_PAGES = (
    "admin/complaints/claim/",
    "admin/complaints/claim/<path:object_id>/change/",
    "admin/complaints/claim/service-levels/",
    "admin/complaints/counternotice/<path:object_id>/change/",
    "admin/complaints/trust/<path:object_id>/change/",
    "admin/complaints/complainantsanction/impose/",
    "admin/complaints/complainantsanction/<path:object_id>/change/",
    "admin/complaints/litigationhold/",
    "admin/complaints/litigationhold/<path:object_id>/change/",
    "admin/complaints/litigationhold/<int:pk>/lift/",
    "admin/listings/seller/<int:pk>/impose/",
)

# Problems known on a page whose markup is being reworked: tolerated only as described (anything else on the page
# fails), and reported when they are gone so that the entry is removed.
KNOWN: dict[str, tuple[str, ...]] = {}  # route -> problems tolerated for now (each named; none today)

# Who opens a page, in order of preference: the person it is for, so that it shows their things.
PORTAL_VIEWERS = ("anonymous", "complainant", "agent", "seller", "supervisor", "reviewer", "auditor")
SELLER_VIEWERS = ("anonymous", "seller", "complainant", "agent", "supervisor")
STAFF_VIEWERS = ("anonymous", "supervisor", "reviewer", "auditor")
# Pages that show signed-in people something else than visitors: opened as these roles too.
ALSO_AS = {"": ("complainant", "seller")}

# The element sticking out furthest to the right, named so that a person can find it in the template.
WIDEST_OFFENDER = """
() => {
  const root = document.documentElement;
  if (root.scrollWidth <= root.clientWidth) return null;
  const limit = root.clientWidth + 0.5;
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + Array.from(el.classList).map((c) => "." + c).join("");
  const path = (el) => {
    const parts = [];
    for (let node = el; node && node !== document.body && parts.length < 4; node = node.parentElement) {
      parts.unshift(name(node));
    }
    return parts.join(" > ");
  };
  // Inside a box that clips or scrolls its overflow (a table's scroller, visually hidden text) it is not the cause.
  const contained = (el, self) => {
    for (let box = self ? el : el.parentElement; box && box !== document.body; box = box.parentElement) {
      if (getComputedStyle(box).overflowX !== "visible") return true;
    }
    return false;
  };
  let worst = null;
  const consider = (el, box, isText) => {
    if (box.width === 0 || box.right <= limit || contained(el, isText)) return;
    // The furthest right edge; on a tie the innermost element (later in document order), which is the cause.
    if (!worst || box.right >= worst.right) worst = {right: box.right, width: box.width, el};
  };
  for (const el of document.body.querySelectorAll("*")) consider(el, el.getBoundingClientRect(), false);
  // Text that does not wrap sticks out of a box that itself fits: name the element holding it.
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    range.selectNodeContents(node);
    consider(node.parentElement, range.getBoundingClientRect(), true);
  }
  return {
    scrollWidth: root.scrollWidth,
    clientWidth: root.clientWidth,
    element: worst ? path(worst.el) : "(none found)",
    width: worst ? Math.round(worst.width) : 0,
    text: worst ? (worst.el.textContent || "").trim().slice(0, 60) : "",
  };
}
"""
# Things people tap that are less than 44 px high (WCAG 2.5.5): buttons, menu and row-action links, checkboxes and
# radio buttons (whose target is their label, or the table cell holding them).
SMALL_TARGETS = """
() => {
  const selector = "button, .button, input[type=submit], nav a, .nav a, td.actions a, .pagination a, "
    + "input[type=checkbox], input[type=radio]";
  const found = [];
  for (const el of document.querySelectorAll(selector)) {
    if (!el.checkVisibility({visibilityProperty: true}) || el.closest(".visually-hidden, .skip-link")) continue;
    let height = el.getBoundingClientRect().height;
    if (el.matches("input[type=checkbox], input[type=radio]")) {
      const forLabel = el.id && document.querySelector(`label[for="${el.id}"]`);
      const holders = [el.closest("label"), forLabel, el.closest("td, th")];
      for (const holder of holders) if (holder) height = Math.max(height, holder.getBoundingClientRect().height);
    }
    if (height < 43.5) {
      const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
        + Array.from(el.classList).map((c) => "." + c).join("");
      found.push(`${name} ${JSON.stringify((el.textContent || el.value || el.name || "").trim().slice(0, 30))} `
        + `${Math.round(height)} px`);
    }
  }
  return found;
}
"""
RUN_AXE = """
async () => {
  const results = await axe.run(document, {resultTypes: ["violations"]});
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
  }));
}
"""


def is_excluded(route: str) -> bool:
    if route in PAGES_AFTER_ALL:
        return False
    return any(route == key or (key.endswith("/") and route.startswith(key)) for key in NOT_PAGES)


def viewer_for(route: str, may_see) -> str | None:
    if route.startswith("admin/"):
        order = STAFF_VIEWERS
    elif route.startswith("seller/"):
        order = SELLER_VIEWERS
    else:
        order = PORTAL_VIEWERS
    return next((role for role in order if role in may_see), None)


def pages_to_open(w) -> list[tuple[str, str, str]]:
    """(route, url, role) for every GET entry of the matrix that some role may see and that is a page for people."""
    cases = all_cases(w)
    pages = []
    for route, _pattern in walk(get_resolver().url_patterns):
        assert route in cases, f"{route} has no entry in the authorization matrix"
        if is_excluded(route):
            continue
        for entry in cases[route]:
            if "GET" not in entry.methods or entry.bearer:
                continue
            role = viewer_for(route, entry.get)
            if role is not None:
                also = [extra for extra in ALSO_AS.get(route, ()) if extra in entry.get]
                pages.extend((route, url_for(route, entry.kwargs(w)), viewer) for viewer in [role, *also])
    return pages


def test_every_exclusion_names_a_real_route():
    routes = [route for route, _pattern in walk(get_resolver().url_patterns)]
    stale = [key for key in NOT_PAGES if not any(r == key or (key.endswith("/") and r.startswith(key)) for r in routes)]
    assert stale == [], f"excluded routes that no longer exist: {stale}"


def test_every_page_fits_a_phone_and_passes_axe(live_server, browser):
    with transaction.atomic():  # as the matrix's (non-transactional) tests build it
        w = build_world()
    pages = pages_to_open(w)
    opened = {route for route, _url, _role in pages}
    assert [route for route in STAFF_REVIEW_PAGES if route not in opened] == []
    contexts = {}

    def context_for(role):
        if role not in contexts:
            context = browser.new_context(viewport=PHONE, device_scale_factor=1, is_mobile=True, has_touch=True)
            context.add_init_script(path=str(AXE))
            page = context.new_page()
            if role != "anonymous":
                sign_in(page, live_server.url, w["users"][role].email, admin=role in STAFF)
            contexts[role] = page
        return contexts[role]

    started = time.monotonic()
    problems: list[str] = []
    known_seen: set[str] = set()
    for route, url, role in pages:
        found_before = len(problems)
        page = context_for(role)
        response = page.goto(live_server.url + url)
        where = f"{url} (as {role})"
        if response is None or response.status >= 400:
            problems.append(f"{where}: answered {response.status if response else 'nothing'}")
            continue
        if "text/html" not in response.headers.get("content-type", ""):
            problems.append(f"{where}: not HTML; add {route!r} to NOT_PAGES with a reason")
            continue
        overflow = page.evaluate(WIDEST_OFFENDER)
        if overflow:
            problems.append(
                f"{where}: scrolls sideways ({overflow['scrollWidth']} px wide in {overflow['clientWidth']} px); "
                f"widest: {overflow['element']} ({overflow['width']} px) {overflow['text']!r}"
            )
        small = page.evaluate(SMALL_TARGETS)
        if small:
            problems.append(f"{where}: {len(small)} touch targets under 44 px: {'; '.join(small[:4])}")
        for violation in page.evaluate(RUN_AXE):
            if violation["impact"] in BLOCKING_IMPACTS:
                problems.append(
                    f"{where}: axe {violation['impact']} {violation['id']} ({violation['help']}) at "
                    f"{'; '.join(violation['targets'])}"
                )
        for known in KNOWN.get(route, ()):
            for problem in problems[found_before:]:
                if known in problem:
                    problems.remove(problem)
                    known_seen.add(known)
    elapsed = time.monotonic() - started
    for page in contexts.values():
        page.context.close()
    print(f"{len(pages)} pages at {PHONE['width']} px in {elapsed:.1f} s")

    gone = [known for knowns in KNOWN.values() for known in knowns if known not in known_seen]
    if gone:
        warnings.warn(f"known small-screen problems no longer seen (remove them from KNOWN): {gone}", stacklevel=1)
    assert len(pages) > 50
    assert problems == [], f"{len(problems)} problems on {len(pages)} pages:\n" + "\n".join(problems)
