"""Whether each page costs the same however much data lies behind it: six pages and one batch service, each at
three data sizes, in one run (PostgreSQL only).

On its own database (postgres://postgres@127.0.0.1:5432/ipp_bench_pages, dropped and re-created at the start,
dropped at the end), generated in the database (``INSERT … SELECT generate_series``, foreign-key triggers off
during the load and checked by anti-joins afterwards, then ``VACUUM ANALYZE``; the decided items of the measured
claims with the audit rows their decisions write):

- the review queue /admin/complaints/claim/?status__in=submitted,in_review: the claim table grows in three stages,
  10 k / 30 k / 100 k claims (``--quick``) or 10 k / 100 k / 1 M, the newest 15 % of each stage open (a quarter of
  them from trusted filers), one claim in a thousand with 300 items; measured after each stage;
- the seller's notices /seller/notices/: three sellers with 10 / 100 / 500 claims against them;
- the complainant's dashboard /rights/claims/: three complainants with 10 / 2,000 / 20,000 claims;
- the claim page /rights/claims/<id>/ and the admin review page /admin/complaints/claim/<id>/change/: claims of
  30 / 100 / 300 items;
- the claim form after "Check the links" (POST /rights/claims/new/, action=check): 30 / 100 / 300 links;
- ``claim_items_take_down`` of a whole claim of 30 / 100 / 300 items over (at most) 40 sellers: not a page, so
  its cost per item.

All but the queue are measured on the largest claim table, their three sizes interleaved. Requests go through
Django's test ``Client`` in process as the user the page is for (a superuser for the admin pages, the seller, the
complainant), DEBUG off, ``--reps`` times each, interleaved with each page's bare query (the plain SELECT of what
the page's first screen shows; for the takedown a bare ``UPDATE`` of the same rows). Printed per page: p50/p95 at
each size, the growth (p50 at the largest size / at the smallest; goal <= 1.3x for the paginated pages and the
takedown's cost per item), the ratio to the bare query at the largest size (goal <= 3x), the SQL queries per
request at each size (equal for the paginated pages), their time in one request, and the response's size. For a
page that misses a goal, the slowest queries of one request at the largest size, with their plans.

JSON to bench/out/pages.json (quick: pages-quick.json).

    python bench/pages.py [--quick] [--reps 25] [--queue-reps 31] [--takedown-reps 5] [--keep]

On 2 shared cores a quick run takes about 2 minutes, a full one (1 M claims) 3 to 6.
"""

import argparse
import json
import os
import platform
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import OUT_DIR, pct  # noqa: E402
from bench.review import (  # noqa: E402
    ITEM_FROM_LISTING,
    QueryLog,
    Takedowns,
    explain,
    insert_claims,
    insert_select,
    next_id,
    one_line,
    run_on_own_database,
    sync_sequences,
    vacuum_analyze,
    verify_integrity,
    verify_taken_down,
)

DB_NAME = "ipp_bench_pages"
QUEUE_URL = "/admin/complaints/claim/?status__in=submitted,in_review"
OPEN = ("submitted", "in_review")
OPEN_SHARE = 0.15
BIG_EVERY = 1_000  # one queue claim in a thousand has 300 items
POOL = 300  # listings the measured claims and the claim form name (over POOL_SELLERS sellers)
POOL_SELLERS = 40
BACKGROUND = 200_000  # listings the queue's and the dashboards' claims name
BACKGROUND_SELLERS = 2_000
BACKGROUND_BASE = 1_602_500_000_000
SELLER_LISTINGS = 30
QUEUE_COMPLAINANTS = 50
TRUSTED_EVERY = 4
ALIBABA_POOL_BASE = 1_602_000_000_000
SELLER_BASE = 1_602_100_000_000
# Claim ids: the queue's grow from QUEUE_IDS; the others' are blocks from OTHER_IDS.
QUEUE_IDS, OTHER_IDS = 1_000_000, 10_000_000
SIZES = {
    "queue": ((10_000, 30_000, 100_000), (10_000, 100_000, 1_000_000)),  # (quick, full)
    "seller": ((10, 100, 500),) * 2,
    "dashboard": ((10, 2_000, 20_000),) * 2,
    "items": ((30, 100, 300),) * 2,
}
GROWS = {
    "queue": "claims (the newest 15 % of each stage open)",
    "seller": "claims against the seller",
    "dashboard": "the complainant's claims",
    "items": "the claim's items (links for the form)",
    "takedown": "the claim's items, over at most 40 sellers",
}
GROWTH_GOAL = 1.3
BARE_GOAL = 3.0
TAKEDOWN_SELLERS = 40


# --- Data -------------------------------------------------------------------------------------------------------


def alibaba_url(external_id_sql: str) -> str:
    return f"'https://www.alibaba.com/product-detail/_' || {external_id_sql} || '.html'"


class Data:
    """Who and what the pages are about, and the SQL that grows their tables."""

    def __init__(self, reviewer, sizes: dict) -> None:
        from ipp_portal.accounts.models import User
        from listings.models import Seller, Site
        from tests.factories import make_complainant, make_right

        self.reviewer = reviewer
        self.site = Site.objects.get(code="alibaba")
        people = []
        for n in range(QUEUE_COMPLAINANTS):
            user = User.objects.create_user(f"pages-bench-filer-{n}@example.com", None, full_name=f"Filer {n}")
            complainant = make_complainant(user=user, legal_name=f"Pages Bench Brands {n} Ltd.")
            right = make_right(complainant, title=f"PBENCH{n}", registration_number=f"UK{93_000_000 + n:08d}")
            people.append((complainant.pk, right.pk, user.pk))
        self.people = people
        # The listings the queue's and the dashboards' claims name, and the 300 the measured claims name (no other
        # claim names them, so the claim pages' conflict checks see only the measured claims).
        background = Seller.objects.bulk_create(
            Seller(site=self.site, member_id=f"pgb-bg-{n}", store_name=f"Background Store {n} Co., Ltd.")
            for n in range(BACKGROUND_SELLERS)
        )
        self.background0 = self._listings(background, BACKGROUND_BASE, BACKGROUND, "BENCH background item")
        pool = Seller.objects.bulk_create(
            Seller(site=self.site, member_id=f"pgb-{n}", store_name=f"Pool Store {n} Co., Ltd.")
            for n in range(POOL_SELLERS)
        )
        self.pool0 = self._listings(pool, ALIBABA_POOL_BASE, POOL, "BENCH wireless earbuds model")
        # One seller per notices size, one complainant per dashboard size (each with the claims of its size).
        self.sellers, self.seller_listing0 = {}, {}
        for n, size in enumerate(sizes["seller"]):
            user = User.objects.create_user(f"pages-bench-seller-{size}@example.com", None, full_name=f"Seller {n}")
            seller = Seller.objects.create(site=self.site, user=user, member_id=f"pgb-seller-{size}",
                                           store_name=f"Measured Store {size} Co., Ltd.")  # fmt: skip
            self.seller_listing0[size] = self._listings(
                [seller], SELLER_BASE + n * 1_000, SELLER_LISTINGS, "BENCH phone case"
            )
            self.sellers[size] = (user, seller.pk)
        self.holders = {}
        for n, size in enumerate(sizes["dashboard"]):
            user = User.objects.create_user(f"pages-bench-holder-{size}@example.com", None, full_name=f"Holder {n}")
            holder = make_complainant(user=user, legal_name=f"Dashboard Brands {size} Ltd.")
            right = make_right(holder, title=f"DASH{n}", registration_number=f"UK{93_900_000 + n:08d}")
            self.holders[size] = (holder, right)
        self.holder, self.holder_right = self.holders[sizes["dashboard"][0]]
        self.queue_claims = 0
        self.next_claim = OTHER_IDS
        self.item_claims: dict[int, int] = {}

    def _listings(self, sellers, base: int, n: int, title: str) -> int:
        """``n`` live listings spread over ``sellers``; the first one's id (they are consecutive)."""
        from listings.models import Listing

        first = next_id(Listing)
        ext = f"({base} + g.n)::text"
        exprs = {
            "id": f"{first} + g.n", "site_id": str(self.site.pk), "seller_id": f"s.ids[1 + mod(g.n, {len(sellers)})]",
            "external_id": ext, "url": alibaba_url(ext), "title": f"'{title} ' || g.n::text",
            "description": "'Premium materials.'", "price": "9.99", "currency": "'USD'", "status": "'live'",
            "created_at": "now() - interval '60 days'", "updated_at": "now() - interval '60 days'",
        }  # fmt: skip
        source = "generate_series(0::bigint, %s::bigint) AS g(n) CROSS JOIN (SELECT %s::bigint[] AS ids) AS s"
        insert_select(Listing, exprs, source, [n - 1, [s.pk for s in sellers]])
        sync_sequences([Listing])
        return first

    def pool_url(self, n: int) -> str:
        return f"https://www.alibaba.com/product-detail/_{ALIBABA_POOL_BASE + n}.html"

    # Claims ---------------------------------------------------------------------------------------------------

    def _claims(self, base: int, lo: int, hi: int, people: list[tuple[int, int, int]], status: str, trusted: str,
                first_at: str, step_s: int) -> int:  # fmt: skip
        """Claims ``base + c`` for c in [lo, hi): filed by ``people[c mod len]``, submitted ``first_at + c *
        step_s`` seconds; ``status`` and ``trusted`` are SQL over ``g.c``."""
        submitted = f"(timestamptz '{first_at}' + g.c * interval '{step_s} seconds')"
        columns = ([p[0] for p in people], [p[1] for p in people], [p[2] for p in people])
        return insert_claims(f"{base} + g.c", lo, hi, columns, site=str(self.site.pk), status=status,
                             submitted=submitted, uuid_sql=f"md5('pages-bench-{base}-' || g.c::text)::uuid",
                             extra={"is_trusted": trusted})  # fmt: skip

    def _items(self, claim_sql: str, position_sql: str, listing_sql: str, status_sql: str, source: str,
               params: list, extra: dict | None = None, where: str = "") -> int:  # fmt: skip
        """Claim items joined to their listing ``l`` (``listing_sql`` gives its id) from ``source``."""
        from complaints.models import ClaimItem

        exprs = {
            "claim_id": claim_sql,
            "position": position_sql,
            **ITEM_FROM_LISTING,
            "status": status_sql,
            "decided_at": f"CASE WHEN ({status_sql}) IN ('removed', 'rejected') THEN now() - interval '20 days' END",
            "decided_by_id": f"CASE WHEN ({status_sql}) IN ('removed', 'rejected') THEN {self.reviewer.pk} END",
            "rejection_code": f"CASE WHEN ({status_sql}) = 'rejected' THEN 'not_infringing' ELSE '' END",
            **(extra or {}),
        }
        source = f"{source} JOIN listings_listing l ON l.id = {listing_sql} {where}"
        return insert_select(ClaimItem, exprs, source, params)

    def grow_queue(self, to: int) -> None:
        """Queue claims up to ``to``: the newest 15 % of those added open (a quarter of their filers trusted),
        the rest decided; one item each, and 299 more on one claim in a thousand."""
        lo, hi = self.queue_claims, to
        open_from = lo + int((hi - lo) * (1 - OPEN_SHARE))
        status = (f"CASE WHEN g.c >= {open_from} THEN (CASE WHEN mod(g.c, 2) = 0 THEN 'submitted' ELSE 'in_review' "
                  "END) WHEN mod(g.c, 3) = 0 THEN 'closed' ELSE 'decided' END")  # fmt: skip
        trusted = f"g.c >= {open_from} AND mod(mod(g.c, {len(self.people)}), {TRUSTED_EVERY}) = 0"
        self._claims(QUEUE_IDS, lo, hi, self.people, status, trusted, "2025-01-01T00:00:00Z", 20)
        item_status = (f"CASE WHEN g.c >= {open_from} THEN 'pending' WHEN mod(g.c * 7 + k.k, 10) < 7 THEN 'removed' "
                       "ELSE 'rejected' END")  # fmt: skip
        series = "generate_series(%s::bigint, %s::bigint) AS g(c) CROSS JOIN generate_series(0, %s) AS k(k)"
        listing = f"{self.background0} + mod(g.c * 7 + k.k, {BACKGROUND})"
        self._items(f"{QUEUE_IDS} + g.c", "k.k + 1", listing, item_status, series, [lo, hi - 1, 0])
        self._items(f"{QUEUE_IDS} + g.c", "k.k + 1", listing, item_status,
                    series, [lo, hi - 1, POOL - 1], where=f"WHERE mod(g.c, {BIG_EVERY}) = 7 AND k.k > 0")  # fmt: skip
        self.queue_claims = hi

    def _claim_block(self, n: int) -> int:
        base = self.next_claim
        self.next_claim += n + 1_000
        return base

    def make_seller_claims(self, size: int) -> None:
        """``size`` claims against the seller of that size, one removed listing each; every third still inside
        its counter-notice window."""
        first_listing = self.seller_listing0[size]
        base = self._claim_block(size)
        self._claims(base, 0, size, self.people, "'decided'", "false", "2026-06-01T00:00:00Z", 3_600)
        self._items(
            f"{base} + g.c", "1", f"{first_listing} + mod(g.c, {SELLER_LISTINGS})", "'removed'",
            "generate_series(%s::bigint, %s::bigint) AS g(c)", [0, size - 1],
            extra={"counter_notice_due_at": "now() + CASE WHEN mod(g.c, 3) = 0 THEN interval '2 days' "
                   "ELSE interval '-30 days' END",
                   "further_counter_notice_due_at": "now() + interval '-10 days'"},
        )  # fmt: skip
        self.record_decisions(f"SELECT generate_series({base}, {base + size - 1})")

    def make_dashboard_claims(self, size: int, *, besides: int = 0) -> None:
        """The claims of the complainant of that size (``besides`` of them made elsewhere), one item each."""
        holder, right = self.holders[size]
        n = size - besides
        base = self._claim_block(n)
        person = [(holder.pk, right.pk, holder.user_id)]
        status = "CASE WHEN mod(g.c, 10) = 0 THEN 'in_review' WHEN mod(g.c, 4) = 0 THEN 'closed' ELSE 'decided' END"
        self._claims(base, 0, n, person, status, "false", "2025-06-01T00:00:00Z", 600)
        self._items(
            f"{base} + g.c", "1", f"{self.background0} + mod(g.c * 13, {BACKGROUND})",
            "CASE WHEN mod(g.c, 10) = 0 THEN 'pending' WHEN mod(g.c, 3) = 0 THEN 'rejected' ELSE 'removed' END",
            "generate_series(%s::bigint, %s::bigint) AS g(c)", [0, n - 1],
        )  # fmt: skip

    def make_item_claims(self, sizes: tuple[int, ...]) -> None:
        """The open claims the claim page and the admin review page show, one of each size, filed by the
        smallest dashboard's complainant and naming the first listings of the 300-listing pool."""
        person = [(self.holder.pk, self.holder_right.pk, self.holder.user_id)]
        base = self._claim_block(len(sizes))
        self._claims(base, 0, len(sizes), person, "'in_review'", "false", "2026-11-01T00:00:00Z", 60)
        for c, n in enumerate(sizes):
            self._items(
                str(base + c), "k.k + 1", f"{self.pool0} + k.k",
                "CASE WHEN mod(k.k, 5) = 0 THEN 'removed' WHEN mod(k.k, 7) = 0 THEN 'rejected' ELSE 'pending' END",
                "generate_series(0, %s) AS k(k)", [n - 1],
            )  # fmt: skip
            self.item_claims[n] = base + c
        self.record_decisions(f"SELECT generate_series({base}, {base + len(sizes) - 1})")

    def record_decisions(self, claim_ids_sql: str) -> int:
        """The audit rows a takedown or rejection writes for each decided item of the claims ``claim_ids_sql``
        (what the claim page's and the notices page's timelines read), and each claim's submission."""
        from django.contrib.contenttypes.models import ContentType

        from complaints.models import Claim, ClaimItem
        from ipp_portal.audit.models import AuditEvent

        item_type = ContentType.objects.get_for_model(ClaimItem).pk
        claim_type = ContentType.objects.get_for_model(Claim).pk
        common = {"actor_id": str(self.reviewer.pk), "actor_label": f"'{self.reviewer.email}'", "data": "'{}'"}
        n = insert_select(
            AuditEvent,
            {**common, "verb": "'claim_item.' || i.status", "target_type_id": str(item_type),
             "target_id": "i.id::text", "target_label": "'Listing ' || i.external_id", "from_state": "'pending'",
             "to_state": "i.status", "created_at": "i.decided_at"},
            f"complaints_claimitem i WHERE i.claim_id IN ({claim_ids_sql}) AND i.status IN ('removed', 'rejected')",
            [],
        )  # fmt: skip
        return n + insert_select(
            AuditEvent,
            {**common, "verb": "'claim.submitted'", "target_type_id": str(claim_type), "target_id": "c.id::text",
             "target_label": "'Claim ' || c.id::text", "from_state": "'draft'", "to_state": "'submitted'",
             "created_at": "c.submitted_at"},
            f"complaints_claim c WHERE c.id IN ({claim_ids_sql})",
            [],
        )  # fmt: skip

    def finish_stage(self) -> dict:
        """Sequences past the generated ids, the skipped foreign keys checked, statistics and snapshots fresh."""
        from django.db import connection

        from complaints.models import Claim, ClaimItem
        from complaints.services import accuracy_snapshots_refresh
        from listings.models import Listing, Seller

        started = time.perf_counter()
        sync_sequences([Claim, ClaimItem, Listing, Seller])
        integrity = verify_integrity()
        vacuum_analyze([Claim, ClaimItem, Listing])
        accuracy_snapshots_refresh()
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*), count(*) FILTER (WHERE status IN %s) FROM complaints_claim", [OPEN])
            claims, open_claims = cursor.fetchone()
            cursor.execute("SELECT count(*) FROM complaints_claimitem")
            items = cursor.fetchone()[0]
        return {"claims": claims, "open_claims": open_claims, "items": items, "integrity": integrity,
                "checked_in_s": round(time.perf_counter() - started, 2)}  # fmt: skip


def load(stage_fn) -> float:
    """Run a generator in one transaction with the foreign-key triggers off (checked by verify_integrity)."""
    from django.db import connection, transaction

    started = time.perf_counter()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
        stage_fn()
    return time.perf_counter() - started


# --- Pages ------------------------------------------------------------------------------------------------------


class Page:
    """One page: how to request it (and check the answer), and its bare query."""

    def __init__(self, name: str, paginated: bool, key: str, request, bare) -> None:
        self.name, self.paginated, self.key = name, paginated, key  # key: which of SIZES grows
        self.request, self.bare = request, bare  # request(size) -> (ms, response bytes); bare(size) -> ms


def timed(fn) -> tuple[float, object]:
    started = time.perf_counter()
    out = fn()
    return (time.perf_counter() - started) * 1000, out


def client_for(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def fetch(client, url: str, must_contain: bytes, *, data: dict | None = None) -> tuple[float, bytes]:
    ms, response = timed(lambda: client.post(url, data) if data is not None else client.get(url))
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code} ({response.get('Location')})")
    if must_contain not in response.content:
        raise RuntimeError(f"{url}: the answer lacks {must_contain!r}")
    return ms, response.content


def pages(data: Data) -> list[Page]:
    from complaints.models import Claim, ClaimItem
    from listings.models import Listing

    admin = client_for(data.reviewer)
    sellers = {size: client_for(user) for size, (user, _) in data.sellers.items()}
    holders = {size: client_for(holder.user) for size, (holder, _) in data.holders.items()}
    holder = holders[min(holders)]

    def queue(_size):
        return fetch(admin, QUEUE_URL, b'id="result_list"')

    def queue_bare(_size):
        rows = Claim.objects.filter(status__in=OPEN).select_related("complainant", "site", "right", "assigned_to")
        ms, got = timed(lambda: list(rows.order_by("-is_trusted", "submitted_at", "id")[:100]))
        assert len(got) == 100, len(got)
        return ms

    def notices(size):
        return fetch(sellers[size], "/seller/notices/", b"BENCH phone case")

    def notices_bare(size):
        rows = ClaimItem.objects.filter(seller_id=data.sellers[size][1], claim__submitted_at__isnull=False)
        rows = rows.select_related("claim__complainant", "claim__right", "listing", "seller__site")
        ms, got = timed(lambda: list(rows.order_by("-claim_id")[:50]))
        assert got, "no notices"
        return ms

    def dashboard(size):
        return fetch(holders[size], "/rights/claims/", b"IPP-")

    def dashboard_bare(size):
        rows = Claim.objects.filter(complainant=data.holders[size][0]).select_related("right", "site")
        ms, got = timed(lambda: list(rows.order_by("-created_at", "-id")[:20]))
        assert got, "no claims"
        return ms

    def claim_page(size):
        return fetch(holder, f"/rights/claims/{data.item_claims[size]}/", b"BENCH wireless earbuds")

    def item_rows(size, limit=None):
        rows = ClaimItem.objects.filter(claim_id=data.item_claims[size]).select_related("listing", "seller")
        rows = rows.order_by("position")
        ms, got = timed(lambda: list(rows[:limit] if limit else rows))
        assert len(got) == min(size, limit or size), len(got)
        return ms

    def review(size):
        return fetch(admin, f"/admin/complaints/claim/{data.item_claims[size]}/change/", b"BENCH wireless earbuds")

    def check_links(size):
        form = {
            "site": data.site.pk, "right": data.holder_right.pk, "reason_code": "tm_counterfeit",
            "links": "\n".join(data.pool_url(n) for n in range(size)), "explanation": "Counterfeit BENCH earbuds.",
            "token": str(uuid.uuid4()), "action": "check",
        }  # fmt: skip
        return fetch(holder, "/rights/claims/new/", data.pool_url(size - 1).encode(), data=form)

    def check_bare(size):
        ids = [str(ALIBABA_POOL_BASE + n) for n in range(size)]
        rows = Listing.objects.filter(site=data.site, external_id__in=ids).select_related("seller")
        ms, got = timed(lambda: list(rows))
        assert len(got) == size, len(got)
        return ms

    return [
        Page("review queue (admin changelist)", True, "queue", queue, queue_bare),
        Page("seller notices", True, "seller", notices, notices_bare),
        Page("complainant dashboard", True, "dashboard", dashboard, dashboard_bare),
        Page("claim page (complainant)", True, "items", claim_page, lambda s: item_rows(s, 50)),
        Page("admin review page", False, "items", review, item_rows),
        Page('claim form after "Check the links"', False, "items", check_links, check_bare),
    ]


def measure(entries: list[tuple[Page, int]], reps: int) -> dict:
    """Each (page, size): the queries of one request, then ``reps`` timed requests interleaved with the bare
    queries (every entry in turn, so that the machine's noise falls on all of them alike)."""
    from django.db import connection

    out = {}
    for page, size in entries:
        page.request(size)  # warm-up
        page.bare(size)
        log = QueryLog()
        with connection.execute_wrapper(log):
            _, body = page.request(size)
        out[page.name, size] = {"size": size, "queries": len(log.rows), "sql_ms": sum(r["ms"] for r in log.rows),
                                "bytes": len(body), "ms": [], "bare_ms": [], "log": log.rows}  # fmt: skip
    for _ in range(reps):
        for page, size in entries:
            out[page.name, size]["ms"].append(page.request(size)[0])
            out[page.name, size]["bare_ms"].append(page.bare(size))
    return out


def takedowns(td: Takedowns, sizes: tuple[int, ...], reps: int) -> dict:
    """``reps`` rounds of takedowns of fresh claims of each size over (at most) 40 sellers, each after the bare
    UPDATE of the same rows (reverted untimed); the queries of one more of each size."""
    from django.db import connection

    from complaints.models import ClaimItem

    out = {}
    for items in sizes:
        claim, ids = td.make(items, TAKEDOWN_SELLERS, 0, "tm_counterfeit")
        log = QueryLog()
        with connection.execute_wrapper(log):
            td.take_down(claim, ids)
        out[items] = {"size": items, "queries": len(log.rows), "sql_ms": sum(r["ms"] for r in log.rows),
                      "bytes": None, "ms": [], "bare_ms": [],
                      "log": log.rows, "sellers": min(items, TAKEDOWN_SELLERS)}  # fmt: skip
    for _ in range(reps):
        for items in sizes:
            claim, ids = td.make(items, TAKEDOWN_SELLERS, 0, "tm_counterfeit")
            rows = ClaimItem.objects.filter(claim_id=claim.pk, pk__in=ids)
            ms, updated = timed(lambda rows=rows: rows.update(status="removed"))
            if updated != items:
                raise RuntimeError(f"the bare update changed {updated} rows")
            ClaimItem.objects.filter(pk__in=ids).update(status="pending")
            out[items]["bare_ms"].append(ms)
            out[items]["ms"].append(timed(lambda claim=claim, ids=ids: td.take_down(claim, ids))[0])
            verify_taken_down(claim, items)
    return out


# --- Report -----------------------------------------------------------------------------------------------------


def summarise(name: str, paginated: bool, per_item: bool, stages: list[dict]) -> dict:
    rows = []
    for s in stages:
        scale = s["size"] if per_item else 1
        rows.append({
            "size": s["size"], "queries": s["queries"], "bytes": s["bytes"], "sql_ms": s["sql_ms"] / scale,
            "p50_ms": pct(s["ms"], 50) / scale, "p95_ms": pct(s["ms"], 95) / scale,
            "bare_p50_ms": pct(s["bare_ms"], 50) / scale,
        })  # fmt: skip
    growth = rows[-1]["p50_ms"] / rows[0]["p50_ms"]
    growth_from_middle = rows[-1]["p50_ms"] / rows[1]["p50_ms"]
    bare_ratio = rows[-1]["p50_ms"] / rows[-1]["bare_p50_ms"]
    # Equal, or fewer at a larger size: the queue's paginator counts its open claims exactly below 50,000 and
    # reads the planner's estimate above (one query fewer). More queries at a larger size is growth.
    queries_flat = all(r["queries"] <= rows[0]["queries"] for r in rows)
    goals = {
        "growth": {"value": round(growth, 2), "goal": f"<= {GROWTH_GOAL}", "judged": paginated or per_item,
                   "met": growth <= GROWTH_GOAL},
        "bare ratio": {"value": round(bare_ratio, 1), "goal": f"<= {BARE_GOAL}", "judged": not per_item,
                       "met": bare_ratio <= BARE_GOAL},
        "queries flat": {"value": [r["queries"] for r in rows], "goal": "no more", "judged": paginated,
                         "met": queries_flat},
    }  # fmt: skip
    return {"page": name, "paginated": paginated, "per_item": per_item, "sizes": rows, "goals": goals,
            "growth_from_middle_size": round(growth_from_middle, 2)}  # fmt: skip


def slowest(log_rows: list[dict], n: int = 4) -> list[dict]:
    top = sorted(log_rows, key=lambda r: -r["ms"])[:n]
    return [{"ms": round(r["ms"], 2), "where": r["where"], "sql": r["sql"], "params": r["params"]} for r in top]


def show_slowest(label: str, rows: list[dict], with_plan: bool) -> list[dict]:
    shown = []
    print(f"  {label}: the slowest queries of one request at the largest size")
    for r in rows:
        print(f"    {r['ms']:8.1f} ms  {r['where'][:50]}: {one_line(r['sql'], 170)}")
        plan = []
        if with_plan and r["sql"].lstrip().upper().startswith("SELECT") and r["ms"] > 5:
            plan = explain(r["sql"], r["params"])
            for line in plan[:14]:
                print(f"        {line[:150]}")
        shown.append({"ms": r["ms"], "where": r["where"], "sql": r["sql"], "plan": plan})
    return shown


def fmt_size(n: int) -> str:
    return f"{n // 1_000_000} M" if n >= 1_000_000 and n % 1_000_000 == 0 else (
        f"{n // 1_000} k" if n >= 1_000 and n % 1_000 == 0 else str(n))  # fmt: skip


# --- Main -------------------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the queue up to 100,000 claims (else 1,000,000)")
    parser.add_argument("--reps", type=int, default=None, help="timed requests of each page and size (15; full 25)")
    parser.add_argument("--queue-reps", type=int, default=None, help="timed queue requests per stage (21; full 31)")
    parser.add_argument("--takedown-reps", type=int, default=None, help="takedowns of each size (3; full 5)")
    parser.add_argument("--keep", action="store_true", help="keep the bench database at the end")
    parser.add_argument("--db-name", default=DB_NAME, help=f"the bench database ({DB_NAME}); dropped at start/end")
    parser.add_argument("--out", type=Path, default=None, help="JSON (bench/out/pages[-quick].json)")
    args = parser.parse_args()
    args.reps = args.reps or (15 if args.quick else 25)
    args.queue_reps = args.queue_reps or (21 if args.quick else 31)
    args.takedown_reps = args.takedown_reps or (3 if args.quick else 5)
    args.out = args.out or OUT_DIR / ("pages-quick.json" if args.quick else "pages.json")
    if args.reps < 2 or not args.db_name.startswith("ipp_bench_pages"):
        parser.error("--reps >= 2; --db-name must start with ipp_bench_pages (this benchmark's own database)")
    return run_on_own_database(args, "ipp-pages-bench-", run)


def run(args: argparse.Namespace) -> int:
    from django.core.management import call_command

    from ipp_portal.accounts.models import User

    run_started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    mode = 0 if args.quick else 1
    sizes = {k: v[mode] for k, v in SIZES.items()}
    print(
        f"Pages benchmark on PostgreSQL ({args.db_name}), {'quick' if args.quick else 'full'}: {os.cpu_count()} CPUs "
        f"(load average {os.getloadavg()[0]:.2f}), Python {platform.python_version()}, DEBUG off; each page's "
        "requests interleaved with its bare query"
    )
    reviewer = User.objects.create_superuser("pages-bench-staff@example.com", None, full_name="Bench Reviewer")
    started = time.perf_counter()
    data = Data(reviewer, sizes)

    def people_claims() -> None:
        data.make_item_claims(sizes["items"])
        for size in sizes["seller"]:
            data.make_seller_claims(size)
        for n, size in enumerate(sizes["dashboard"]):
            data.make_dashboard_claims(size, besides=len(sizes["items"]) if n == 0 else 0)

    load(people_claims)
    print(
        f"  the sellers' ({', '.join(map(str, sizes['seller']))} claims), the complainants' "
        f"({', '.join(f'{n:,}' for n in sizes['dashboard'])} claims) and the claims of "
        f"{', '.join(map(str, sizes['items']))} items made in {time.perf_counter() - started:.1f} s"
    )
    td = Takedowns(reviewer)
    td.take_down(*td.make(30, TAKEDOWN_SELLERS, 0, "tm_counterfeit"))  # warm-up: templates, policy steps
    page_list = pages(data)
    queue_page, others = page_list[0], page_list[1:]

    measured: dict[str, list[dict]] = {queue_page.name: []}
    facts = []
    for stage, size in enumerate(sizes["queue"]):
        seconds = load(lambda size=size: data.grow_queue(size))
        fact = data.finish_stage() | {"generated_in_s": round(seconds, 1), "load_average": os.getloadavg()[0]}
        facts.append(fact)
        m = measure([(queue_page, size)], args.queue_reps)[queue_page.name, size]
        measured[queue_page.name].append(m)
        print(
            f"\nstage {stage + 1}: {fact['claims']:,} claims ({fact['open_claims']:,} open), {fact['items']:,} items; "
            f"generated in {seconds:.1f} s, checked and analysed in {fact['checked_in_s']:.1f} s (load average "
            f"{fact['load_average']:.2f})\n  queue p50 {pct(m['ms'], 50):.1f} ms, p95 {pct(m['ms'], 95):.1f} ms (bare "
            f"{pct(m['bare_ms'], 50):.2f} ms), {m['queries']} queries, {m['bytes'] / 1024:,.0f} KB"
        )

    started = time.perf_counter()
    print(
        f"\nThe other pages at their three sizes, on the {facts[-1]['claims']:,}-claim table ({args.reps} requests "
        "of each page and size, all interleaved)"
    )
    m = measure([(page, size) for page in others for size in sizes[page.key]], args.reps)
    for page in others:
        measured[page.name] = [m[page.name, size] for size in sizes[page.key]]
    took = takedowns(td, sizes["items"], args.takedown_reps)
    measured["takedown"] = [took[size] for size in sizes["items"]]
    print(f"  ({time.perf_counter() - started:.0f} s)")

    results = []
    for page in [*page_list, None]:
        name = page.name if page else "takedown"
        result = summarise(
            "claim_items_take_down (per item)" if page is None else name,
            page.paginated if page else False, page is None, measured[name],
        )  # fmt: skip
        result["grows"] = GROWS[page.key if page else "takedown"]
        missed = [g for g in result["goals"].values() if g["judged"] and not g["met"]]
        log = measured[name][-1]["log"]
        if missed:
            result["slowest_at_largest"] = show_slowest(result["page"], slowest(log), with_plan=page is not None)
        else:
            result["slowest_at_largest"] = slowest(log, 3)
        results.append(result)

    print(f"\nSummary ({'quick' if args.quick else 'full'}; p50 ms per request, the takedown's per item)")
    print(f"  {'page':<36} {'sizes':<20} {'p50 ms':<24} {'growth':>7} {'(mid)':>6} {'x bare':>7}  {'queries':<15} "
          f"{'SQL ms (one request)':<22} KB")  # fmt: skip
    for r in results:
        sz = " / ".join(fmt_size(x["size"]) for x in r["sizes"])
        p50 = " / ".join(f"{x['p50_ms']:.1f}" if x["p50_ms"] >= 1 else f"{x['p50_ms']:.2f}" for x in r["sizes"])
        q = " / ".join(str(x["queries"]) for x in r["sizes"])
        kb = " / ".join(f"{x['bytes'] / 1024:.0f}" for x in r["sizes"]) if r["sizes"][0]["bytes"] else "-"
        sql = " / ".join(f"{x['sql_ms']:.1f}" for x in r["sizes"])
        g = r["goals"]
        print(f"  {r['page']:<36} {sz:<20} {p50:<24} {g['growth']['value']:6.2f}x {r['growth_from_middle_size']:5.2f}x "
              f"{g['bare ratio']['value']:6.1f}x  {q:<15} {sql:<22} {kb}")  # fmt: skip
    print(
        f"\nGoals: growth (p50 at the largest size / at the smallest) <= {GROWTH_GOAL}x for the paginated pages and "
        f"the takedown's cost per item; <= {BARE_GOAL}x the bare query at the largest size; no more queries at a "
        "larger size for the paginated pages"
    )
    all_met = True
    for r in results:
        for label, g in r["goals"].items():
            if not g["judged"]:
                continue
            all_met &= g["met"]
            print(f"  {r['page']:<36} {label:<14} {g['value']!s:<18} goal {g['goal']:<8} "
                  f"{'MET' if g['met'] else 'NOT MET'}")  # fmt: skip
    total = time.perf_counter() - run_started
    print(f"\nrun took {total:.0f} s")
    for r in results:
        r["slowest_at_largest"] = [{k: v for k, v in x.items() if k != "params"} for x in r["slowest_at_largest"]]
    figures = {
        "benchmark": "pages",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "host": platform.node(),
        "cpus": os.cpu_count(),
        "load_average_at_end": os.getloadavg(),
        "quick": args.quick,
        "reps": args.reps,
        "queue_reps": args.queue_reps,
        "takedown_reps": args.takedown_reps,
        "sizes": sizes,
        "stages": facts,
        "run_seconds": round(total, 1),
        "pages": results,
        "raw_ms": {name: [{"size": s["size"], "ms": [round(x, 2) for x in s["ms"]],
                           "bare_ms": [round(x, 3) for x in s["bare_ms"]]} for s in stages]
                   for name, stages in measured.items()},
    }  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2, default=str) + "\n")
    print(f"  figures written to {args.out}")
    return 0 if all_met else 1


if __name__ == "__main__":
    sys.exit(main())
