"""How long checking and submitting a 300-link claim takes, in process and through HTTP, and how fast the claim
pages serve.

In one run, on one database (a temporary SQLite, or PostgreSQL with --postgres):

1. In process: a verified complainant with a verified trademark right, a catalogue of ``--listings`` live
   alibaba listings (bulk_create); then ``check_links`` + ``claim_submit`` (what the view calls on submit) for
   ``--claims`` fresh 300-link claims, each over listings not yet claimed: p50/p95 ms against the goal. Also the
   SQL queries for a 3-link and a 300-link claim (must be equal) and the INSERTs of the 300-link one (at most
   3 + ceil(n/1000) + 1: claim, audit event, items in batches of 1000, the receipt's outbox row).
2. Through HTTP: gunicorn (2 sync workers, DEBUG off, the same database), ``--clients`` threads each logged in as
   its own complainant (a session row made here), each POSTing 300-link claims to /rights/claims/new/ (multipart,
   as the browser sends it, CSRF token from the form page) with fresh tokens and fresh listings for
   ``--duration`` seconds; claim-item rows stored per second. Baseline in the same run: the same rows loaded
   in process into a scratch copy of the item table (same columns and indexes, no foreign keys) by PostgreSQL
   ``COPY`` from an in-memory CSV (SQLite: ``executemany``); the ratio against the goal.
3. The dashboard (/rights/claims/, a complainant with 200 claims) and a claim page (/rights/claims/<id>/, 300
   items, shown 50 a page) under wrk with the session cookie, interleaved with /ping on the same server; req/s and
   the ratio to /ping against the goal.

    python bench/claim_submit.py [--postgres] [--quick]

Database: DATABASE_URL if set; with --postgres and no DATABASE_URL, postgres://postgres@127.0.0.1:5432/ipp_bench
(created if missing; its tables are emptied before and after, Sites and content types excepted); otherwise a
temporary SQLite file. IPP_VAR_DIR is a temporary directory. Only 127.0.0.1 is ever targeted. Results go to
bench/out/claim_submit.json (and claim_submit.<database>.json).
"""

import argparse
import contextlib
import cProfile
import csv
import http.client
import io
import math
import os
import platform
import pstats
import random
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import (  # noqa: E402
    BIN,
    HOST,
    OUT_DIR,
    ensure_postgres_database,
    is_postgres,
    other_sessions,
    run_filing_window,
    run_wrk,
    write_figures,
)
from bench._common import setup_django as setup_django_common  # noqa: E402
from bench.http_ceiling import Server, base_env, free_port  # noqa: E402
from bench.import_listings import (  # noqa: E402
    ADJECTIVES,
    BRANDS,
    CITIES,
    DEFAULT_POSTGRES_URL,
    FEATURES,
    FIRM_WORDS,
    INDUSTRIES,
    PRODUCTS,
    _description,
)

LINKS = 300
P50_GOAL_MS = 150.0
HTTP_GOAL = 0.25
PAGE_GOAL = 0.20
DASHBOARD_CLAIMS = 200
# Items per dashboard claim, cycled over its 200 claims (one of them, the claim page measured, has 300).
DASHBOARD_SIZES = (1, 10, 30, 100)
SELLERS = 500
ID_BASE = 1_600_000_000_000
REASON = "tm_counterfeit"
SIGNATURE = "Jane Q. Bench"
EXPLANATION = (
    "The listed products carry the BENCH word mark on the product and its packaging but are not genuine: the "
    "serial numbers are not ours and the price is a fraction of any authorised channel's."
)
STATEMENTS = ("states_good_faith", "states_accuracy", "states_authority_under_perjury", "agrees_to_indemnify")
SUBMIT_PATH = "/rights/claims/new/"
RECEIPT = re.compile(r"^/rights/claims/(\d+)/receipt/$")
CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


# --- Environment ------------------------------------------------------------------------------------------------


def configure(args: argparse.Namespace, tmp: Path) -> dict[str, str]:
    """One environment for this process and the servers: DEBUG off, a random secret (sessions made here must be
    valid there), the same database, Celery not eager (as deployed: the request only queues the receipt)."""
    given_url = os.environ.get("DATABASE_URL", "")
    env = base_env(tmp)
    if given_url:
        url = given_url
    elif args.postgres:
        url = DEFAULT_POSTGRES_URL
    else:
        url = f"sqlite:///{tmp / 'db.sqlite3'}"
    env.update(
        {
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": "ipp_portal.settings",
            "CELERY_TASK_ALWAYS_EAGER": "false",  # broker memory:// (no REDIS_URL): delay() only enqueues
            "EMAIL_URL": "dummymail://",
            "BENCH_STATIC_ROOT": str(tmp / "static"),
        }
    )
    os.environ.update(env)
    if is_postgres(url):
        ensure_postgres_database(url)
    return env


def setup_django() -> None:
    # STATIC_ROOT is BASE_DIR/staticfiles in the settings, not read from the environment: collect into the
    # temporary directory instead, and the servers use the same one (see wsgi_app). DEBUG is already off here.
    setup_django_common(static_root=os.environ["BENCH_STATIC_ROOT"], debug_off=False)


def wsgi_app():
    """gunicorn's entry point for the servers: the project's WSGI application, STATIC_ROOT pointed at the
    temporary collectstatic output first (nothing else differs from ``ipp_portal.wsgi:application``)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ipp_portal.settings")
    from django.conf import settings

    if os.environ.get("BENCH_STATIC_ROOT"):
        settings.STATIC_ROOT = os.environ["BENCH_STATIC_ROOT"]
    from ipp_portal.wsgi import application

    return application


class BenchServer(Server):
    """http_ceiling's gunicorn (own process group, 2 sync workers, --no-control-socket), serving wsgi_app()."""

    def __init__(self, name: str, env: dict[str, str], log_dir: Path, workers: int = 2) -> None:
        self.name = name
        self.port = free_port()
        self.log_path = log_dir / f"gunicorn-{name}.log"
        cmd = [str(BIN / "gunicorn"), "bench.claim_submit:wsgi_app()", "--bind", f"{HOST}:{self.port}"]
        cmd += ["--workers", str(workers), "--worker-class", "sync", "--no-control-socket", "--chdir", str(ROOT)]
        cmd += ["--log-level", "warning", "--timeout", "120"]
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                cmd, env=env, cwd=ROOT, start_new_session=True, stdin=subprocess.DEVNULL, stdout=log, stderr=log
            )


def bench_tables() -> list[str]:
    """Every table of the project's models except what the migrations seed (sites, content types, permissions)."""
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    from listings.models import Site

    keep = {Site._meta.db_table, ContentType._meta.db_table, Permission._meta.db_table}
    return [t for t in connection.introspection.django_table_names(only_existing=True) if t not in keep]


def empty_database() -> None:
    from django.core.management.color import no_style
    from django.db import connection

    connection.ops.execute_sql_flush(connection.ops.sql_flush(no_style(), bench_tables(), allow_cascade=True))


def analyze() -> None:
    """Fresh planner statistics after a bulk load, as autovacuum would leave them in a deployment."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


# --- Data -------------------------------------------------------------------------------------------------------


class Catalogue:
    """Live alibaba listings, handed out in order so that every claim gets listings nobody has claimed yet."""

    def __init__(self, site) -> None:
        self.site = site
        self.rng = random.Random(20240601)
        self.links: list[str] = []  # the pasted form of each listing's address, in catalogue order
        self.used = 0
        self.seller_ids: list[int] = []

    @property
    def remaining(self) -> int:
        return len(self.links) - self.used

    def grow(self, count: int) -> float:
        from django.utils import timezone

        from listings.links import ListingRef, canonical_listing_url
        from listings.models import Listing, Seller

        started = time.perf_counter()
        rng = self.rng
        if not self.seller_ids:
            sellers = Seller.objects.bulk_create(
                [
                    Seller(
                        site=self.site,
                        member_id=f"cnbench{n:06d}",
                        store_name=f"{rng.choice(CITIES)} {rng.choice(FIRM_WORDS)} {rng.choice(INDUSTRIES)} Co., Ltd.",
                    )
                    for n in range(SELLERS)
                ]
            )
            self.seller_ids = [s.pk for s in sellers]
        now = timezone.now()
        objs = []
        start = len(self.links)
        for i in range(start, start + count):
            external_id = str(ID_BASE + i)
            # Titles and descriptions as bench/import_listings.py generates them (the check loads whole rows).
            product, feature = rng.choice(PRODUCTS)[0], rng.choice(FEATURES)
            title = f"{rng.choice(ADJECTIVES)} {rng.choice(BRANDS)} {product} {feature} {rng.choice(FEATURES)}"
            objs.append(
                Listing(
                    site=self.site,
                    external_id=external_id,
                    url=canonical_listing_url(ListingRef(self.site.code, external_id)),
                    title=title,
                    description=_description(rng, product, feature),
                    price=Decimal(f"{rng.uniform(0.5, 80):.2f}"),
                    currency="USD",
                    seller_id=self.seller_ids[i % len(self.seller_ids)],
                    status=Listing.Status.LIVE,
                    created_at=now,
                    updated_at=now,
                )
            )
            slug = "-".join(word for word in title.replace("/", " ").split() if word.isalnum())
            self.links.append(
                f"https://www.alibaba.com/product-detail/{slug}_{external_id}.html"
                f"?spm=a2700.galleryofferlist.normal_offer.d_title.{i % 89}"
            )
        Listing.objects.bulk_create(objs, batch_size=2000)
        return time.perf_counter() - started

    def take(self, n: int) -> list[str]:
        if self.remaining < n:
            raise RuntimeError(f"catalogue exhausted: {n} listings wanted, {self.remaining} left")
        links = self.links[self.used : self.used + n]
        self.used += n
        return links


@dataclass
class Filer:
    user: object
    complainant: object
    right: object


def make_filer(label: str, n: int) -> Filer:
    """A user with a verified complainant profile and a verified trademark right (tests.factories helpers)."""
    from django.utils import timezone

    from ipp_portal.accounts.models import User
    from tests.factories import make_complainant, make_right

    email = f"bench-{label}-{n}-{secrets.token_hex(4)}@example.com"
    # No password: set_unusable_password, not 600k PBKDF2 rounds; the servers see a session, not a login.
    user = User.objects.create_user(email, None, full_name=f"Bench {label} {n}", email_verified_at=timezone.now())
    complainant = make_complainant(user=user, legal_name=f"Bench Brands {label} {n} Ltd.")
    right = make_right(complainant, title=f"BENCH{n}", registration_number=f"UK{90_000_000 + n:08d}")
    return Filer(user, complainant, right)


def make_session(user) -> str:
    """A logged-in session for ``user``, as django.contrib.auth.login leaves it; returns the session key."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = user._meta.pk.value_to_string(user)
    # The backend that signs people in (the first one, django-axes, only guards sign-ins and loads no users).
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def build_dashboard(site, catalogue: Catalogue, pasted_range: int) -> tuple[Filer, int, int]:
    """A complainant with DASHBOARD_CLAIMS claims: one filed through claim_submit with 300 fresh links (the claim
    page measured: audit event, receipt), the others bulk-created, their items over already-claimed listings."""
    from django.utils import timezone

    from complaints.models import Claim, ClaimItem
    from complaints.services.claims import hash_ip
    from listings.models import Listing

    filer = make_filer("dashboard", 0)
    detail = submit_in_process(filer, site, catalogue.take(LINKS))[0]
    now = timezone.now()
    claims = Claim.objects.bulk_create(
        [
            Claim(
                complainant=filer.complainant, right=filer.right, site=site, reason_code=REASON,
                explanation=EXPLANATION, status=Claim.Status.SUBMITTED, submission_token=uuid.uuid4(),
                states_good_faith=True, states_accuracy=True, states_authority_under_perjury=True,
                agrees_to_indemnify=True, signature_name=SIGNATURE, signed_by=filer.user, signed_at=now,
                signer_ip_hash=hash_ip("127.0.0.1"), submitted_at=now,
            )
            for _ in range(DASHBOARD_CLAIMS - 1)
        ]
    )  # fmt: skip
    external_ids = [str(ID_BASE + i) for i in range(pasted_range)]
    rows = list(
        Listing.objects.filter(site=site, external_id__in=external_ids).values_list(
            "pk", "external_id", "url", "seller_id"
        )
    )
    rows.sort(key=lambda r: r[1])
    items = []
    for number, claim in enumerate(claims):
        size = DASHBOARD_SIZES[number % len(DASHBOARD_SIZES)]
        offset = (number * 37) % len(rows)
        for position in range(size):
            listing_id, external_id, url, seller_id = rows[(offset + position) % len(rows)]
            items.append(
                ClaimItem(
                    claim=claim, position=position + 1, url=url, submitted_url=url, site=site,
                    external_id=external_id, listing_id=listing_id, seller_id=seller_id,
                )
            )  # fmt: skip
    ClaimItem.objects.bulk_create(items, batch_size=2000)
    return filer, detail.pk, len(items) + LINKS


# --- 1. In process ----------------------------------------------------------------------------------------------


def submit_in_process(filer: Filer, site, links: list[str]):
    """What the view does on "Submit": the pre-submit check, then claim_submit (which checks again and files)."""
    from complaints.link_check import check_links, split_lines
    from complaints.services.claims import claim_submit

    text = "\r\n".join(links)
    started = time.perf_counter()
    check_links(split_lines(text), site=site, complainant=filer.complainant)
    checked = time.perf_counter()
    claim = claim_submit(
        complainant=filer.complainant,
        user=filer.user,
        token=uuid.uuid4(),
        right=filer.right,
        site=site,
        reason_code=REASON,
        explanation=EXPLANATION,
        links_text=text,
        signature_name=SIGNATURE,
        ip="127.0.0.1",
        statements=dict.fromkeys(STATEMENTS, True),
    )
    done = time.perf_counter()
    return claim, checked - started, done - started


def verify_claim(claim, links: int) -> None:
    from complaints.models import Claim

    if claim.status != Claim.Status.SUBMITTED or claim.items.count() != links:
        raise RuntimeError(f"claim {claim.pk}: status {claim.status}, {claim.items.count()} items, expected {links}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[round(q) - 1]


def count_queries(filer: Filer, site, links: list[str]) -> tuple[int, int, list[str]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        claim, _, _ = submit_in_process(filer, site, links)
    verify_claim(claim, len(links))
    sqls = [q["sql"] for q in ctx.captured_queries]
    inserts: dict[str, int] = {}
    for sql in sqls:
        match = re.match(r'\s*INSERT INTO "?(\w+)"?', sql, re.IGNORECASE)
        if match:
            inserts[match.group(1)] = inserts.get(match.group(1), 0) + 1
    return len(sqls), inserts, sqls


def profile_submits(filer: Filer, site, catalogue: Catalogue, count: int) -> str:
    profiler = cProfile.Profile()
    for _ in range(count):
        links = catalogue.take(LINKS)
        profiler.enable()
        submit_in_process(filer, site, links)
        profiler.disable()
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    stats.sort_stats("cumulative").print_stats(28)
    stats.sort_stats("tottime").print_stats(18)
    text = stream.getvalue()
    for prefix in (str(ROOT / ".venv" / "lib" / "python3.11" / "site-packages") + "/", str(ROOT) + "/"):
        text = text.replace(prefix, "")
    return text


def phase_in_process(args, site, catalogue: Catalogue) -> dict:
    from complaints.models import ClaimItem

    filer = make_filer("inproc", 1)
    for _ in range(2):  # warm-up: first-use costs (content types, templates of the receipt, imports)
        verify_claim(submit_in_process(filer, site, catalogue.take(LINKS))[0], LINKS)
    totals, checks = [], []
    for _ in range(args.claims):
        claim, check_s, total_s = submit_in_process(filer, site, catalogue.take(LINKS))
        totals.append(total_s * 1000)
        checks.append(check_s * 1000)
        verify_claim(claim, LINKS)
    q3, ins3_by_table, _ = count_queries(filer, site, catalogue.take(3))
    q300, ins300_by_table, sqls300 = count_queries(filer, site, catalogue.take(LINKS))
    ins3, ins300 = sum(ins3_by_table.values()), sum(ins300_by_table.values())
    insert_limit = 3 + math.ceil(LINKS / 1000) + 1
    p50, p95 = percentile(totals, 50), percentile(totals, 95)
    result = {
        "claims": args.claims,
        "links": LINKS,
        "p50_ms": round(p50, 2),
        "p95_ms": round(p95, 2),
        "min_ms": round(min(totals), 2),
        "max_ms": round(max(totals), 2),
        "check_links_p50_ms": round(percentile(checks, 50), 2),
        "claim_submit_p50_ms": round(percentile([t - c for t, c in zip(totals, checks, strict=True)], 50), 2),
        "all_ms": [round(t, 2) for t in totals],
        "queries_3_links": q3,
        "queries_300_links": q300,
        "inserts_3_links": ins3,
        "inserts_300_links": ins300,
        "insert_limit": insert_limit,
        "inserts_300_by_table": ins300_by_table,
        "inserts_3_by_table": ins3_by_table,
        "queries_300_sql": [re.sub(r"\s+", " ", s)[:160] for s in sqls300],
    }
    print(
        f"  check_links + claim_submit, {LINKS} links, {args.claims} claims: p50 {p50:.1f} ms, p95 {p95:.1f} ms "
        f"(min {min(totals):.1f}, max {max(totals):.1f}); of which the view's own check_links p50 "
        f"{result['check_links_p50_ms']:.1f} ms, claim_submit p50 {result['claim_submit_p50_ms']:.1f} ms"
    )
    print(
        f"  SQL queries: 3 links {q3}, 300 links {q300}; INSERTs for 300 links {ins300} (limit {insert_limit}): "
        + ", ".join(f"{table} {n}" for table, n in ins300_by_table.items())
    )
    from django.db import connection

    if connection.vendor == "sqlite" and q3 != q300:
        per_insert = connection.features.max_query_params // len(ClaimItem._meta.concrete_fields)
        print(
            f"  (SQLite binds at most {connection.features.max_query_params} parameters per statement, so "
            f"bulk_create splits the items into INSERTs of {per_insert} rows: the extra queries are those)"
        )
    if args.profile or p50 > P50_GOAL_MS:
        result["profile"] = profile_submits(filer, site, catalogue, 3)
        print("  profile of 3 more submits (p50 over the goal, or --profile):")
        print("\n".join("    " + line for line in result["profile"].splitlines() if line.strip()))
    return result


# --- 2. Through HTTP --------------------------------------------------------------------------------------------


def multipart(fields: list[tuple[str, str | None]]) -> tuple[bytes, str]:
    """A browser's multipart/form-data body (the claim form's enctype); a None value is an empty file input."""
    boundary = f"----IPPBench{secrets.token_hex(12)}"
    out = io.StringIO()
    for name, value in fields:
        if value is None:
            out.write(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename=""\r\n'
                "Content-Type: application/octet-stream\r\n\r\n\r\n"
            )
        else:
            out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n')
    out.write(f"--{boundary}--\r\n")
    return out.getvalue().encode(), f"multipart/form-data; boundary={boundary}"


@dataclass
class HttpClient:
    """One complainant in a browser: a session cookie, the CSRF cookie and token from the form page, and a
    connection (gunicorn's sync workers close it after each response; http.client reopens it)."""

    port: int
    session_key: str
    site_id: int
    right_id: int
    links: list[str]
    used: int = 0
    cookie: str = ""
    csrf: str = ""
    latencies: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    exhausted: bool = False

    def __post_init__(self) -> None:
        self.conn = http.client.HTTPConnection(HOST, self.port, timeout=120)
        self.cookie = f"sessionid={self.session_key}"

    def open_form(self) -> None:
        self.conn.request("GET", SUBMIT_PATH, headers={"Cookie": self.cookie})
        response = self.conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(
                f"GET {SUBMIT_PATH} answered {response.status} (location {response.getheader('Location')})"
            )
        jar = SimpleCookie()
        for header in response.msg.get_all("Set-Cookie") or []:
            jar.load(header)
        match = CSRF_INPUT.search(body)
        if "csrftoken" not in jar or match is None:
            raise RuntimeError("the claim form set no csrftoken cookie or has no csrfmiddlewaretoken")
        self.cookie += f"; csrftoken={jar['csrftoken'].value}"
        self.csrf = match.group(1).decode()

    def post_claim(self) -> bool:
        if len(self.links) - self.used < LINKS:
            self.exhausted = True
            return False
        links = self.links[self.used : self.used + LINKS]
        self.used += LINKS
        body, content_type = multipart(
            [
                ("csrfmiddlewaretoken", self.csrf), ("site", str(self.site_id)), ("right", str(self.right_id)),
                ("reason_code", REASON), ("links", "\r\n".join(links)), ("links_file", None),
                ("explanation", EXPLANATION), ("order_numbers", ""), ("upload", None),
                *((name, "on") for name in STATEMENTS), ("signature_name", SIGNATURE),
                ("token", str(uuid.uuid4())), ("action", "submit"),
            ]
        )  # fmt: skip
        headers = {"Cookie": self.cookie, "Content-Type": content_type, "Origin": f"http://{HOST}:{self.port}"}
        started = time.perf_counter()
        try:
            self.conn.request("POST", SUBMIT_PATH, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.conn.close()
            self.statuses["error"] = self.statuses.get("error", 0) + 1
            self.failures.append(f"{type(exc).__name__}: {exc}")
            return True
        self.latencies.append(time.perf_counter() - started)
        location = response.getheader("Location") or ""
        ok = response.status == 302 and RECEIPT.match(location)
        key = "302 receipt" if ok else str(response.status)
        self.statuses[key] = self.statuses.get(key, 0) + 1
        if not ok and len(self.failures) < 3:
            errors = re.findall(rb'class="errorlist[^"]*"[^>]*>(.*?)</ul>', data, re.S)
            detail = b" | ".join(re.sub(rb"<[^>]+>", b" ", e).strip() for e in errors)[:400]
            if not detail:
                title = re.search(rb"<title>(.*?)</title>", data, re.S)
                detail = title.group(1).strip() if title else data[:120]
            where = f" -> {location}" if location else ""
            self.failures.append(f"{response.status}{where}: {detail.decode(errors='replace').strip()}")
        return True


def server_errors(server: BenchServer, limit: int = 5) -> dict[str, int]:
    """The distinct exception lines in the server's log, with their counts."""
    found: dict[str, int] = {}
    try:
        text = server.log_path.read_text(errors="replace")
    except OSError:
        return found
    for line in text.splitlines():
        if re.match(r"^[\w.]+(Error|Exception|Locked)\b.*?:", line):
            found[line[:200]] = found.get(line[:200], 0) + 1
    return dict(sorted(found.items(), key=lambda kv: -kv[1])[:limit])


def phase_http(args, server: BenchServer, clients: list[HttpClient]) -> dict:
    from django.db.models import Max

    from complaints.models import ClaimItem

    for client in clients:
        client.open_form()
        client.post_claim()  # warm-up, outside the window: each worker's first form, templates, connections
        if client.statuses.get("302 receipt") != 1:
            raise RuntimeError(f"warm-up claim was not filed: {client.statuses} {client.failures}\n{server.log_tail()}")
        client.statuses.clear()
        client.latencies.clear()
    last_pk_before = ClaimItem.objects.aggregate(last=Max("pk"))["last"] or 0
    window = run_filing_window(clients, args.duration)
    elapsed, items, statuses, latencies = (
        window["elapsed"],
        window["stored"],
        window["statuses"],
        window["latencies_ms"],
    )
    filed = statuses.get("302 receipt", 0)
    result = {
        "clients": len(clients),
        "last_item_pk_before": last_pk_before,
        "duration_s": args.duration,
        "elapsed_s": round(elapsed, 3),
        "claims_filed": filed,
        "statuses": statuses,
        "items_stored": items,
        "items_per_s": round(items / elapsed, 1),
        "claims_per_s": round(filed / elapsed, 2),
        "request_p50_ms": round(percentile(latencies, 50), 1) if latencies else None,
        "request_p95_ms": round(percentile(latencies, 95), 1) if latencies else None,
        "clients_out_of_listings": window["exhausted"],
        "failures": window["failures"][:5],
    }
    print(
        f"  {len(clients)} clients for {args.duration:g} s: {filed} claims filed ({statuses}), {items:,} items in "
        f"{elapsed:.2f} s = {result['items_per_s']:,.0f} items/s ({result['claims_per_s']:.2f} claims/s); "
        f"POST latency p50 {result['request_p50_ms']} ms, p95 {result['request_p95_ms']} ms"
    )
    if result["failures"]:
        result["server_errors"] = server_errors(server)
        print(f"  failures (first {len(result['failures'])}): {result['failures']}")
        print(f"  exceptions in the server log: {result['server_errors']}")
    if result["clients_out_of_listings"]:
        print(f"  WARNING: {result['clients_out_of_listings']} client(s) ran out of fresh listings before the end")
    if filed and items != filed * LINKS:
        raise RuntimeError(f"{filed} claims filed but {items} items stored (expected {filed * LINKS})")
    return result


def item_rows(complainant_ids: list[int], after_pk: int) -> tuple[list[str], list[tuple], list[str]]:
    """The claim items the HTTP window stored, as rows of the item table's columns (id excepted)."""
    from complaints.models import ClaimItem

    fields = [f for f in ClaimItem._meta.concrete_fields if not f.primary_key]
    columns = [f.column for f in fields]
    rows = list(
        ClaimItem.objects.filter(claim__complainant_id__in=complainant_ids, pk__gt=after_pk)
        .order_by("pk")
        .values_list(*[f.attname for f in fields])
    )
    not_null = [f.column for f in fields if not f.null]
    return columns, rows, not_null


def baseline_load(columns: list[str], rows: list[tuple], not_null: list[str], rounds: int) -> tuple[str, list[float]]:
    """The same rows into a scratch copy of the item table (columns and indexes, no foreign keys), in process:
    PostgreSQL COPY from an in-memory CSV, SQLite executemany. Seconds per round (table emptied in between)."""
    from django.db import connection, transaction

    from complaints.models import ClaimItem

    source = ClaimItem._meta.db_table
    scratch = f"bench_claimitem_copy_{os.getpid()}"
    quote = connection.ops.quote_name
    cols = ", ".join(quote(c) for c in columns)
    seconds = []
    try:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                method = "PostgreSQL COPY FROM STDIN (CSV, in memory)"
                cursor.execute(f"DROP TABLE IF EXISTS {quote(scratch)}")
                cursor.execute(f"CREATE TABLE {quote(scratch)} (LIKE {quote(source)} INCLUDING ALL)")
                buffer = io.StringIO()
                csv.writer(buffer, lineterminator="\n").writerows(rows)
                text = buffer.getvalue()
                force = ", ".join(quote(c) for c in not_null)
                copy_sql = f"COPY {quote(scratch)} ({cols}) FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL ({force}))"
            else:
                method = "SQLite executemany (no COPY)"
                cursor.execute(f"DROP TABLE IF EXISTS {quote(scratch)}")
                cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = %s", [source])
                ddl = cursor.fetchone()[0]
                ddl = re.sub(r' REFERENCES "\w+" \("\w+"\)( DEFERRABLE INITIALLY DEFERRED)?', "", ddl)
                cursor.execute(ddl.replace(quote(source), quote(scratch), 1))
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
                    [source],
                )
                for name, sql in cursor.fetchall():
                    cursor.execute(
                        sql.replace(quote(name), quote(f"{name}_{scratch}")).replace(quote(source), quote(scratch))
                    )
                marks = ", ".join(["%s"] * len(columns))
                insert_sql = f"INSERT INTO {quote(scratch)} ({cols}) VALUES ({marks})"  # noqa: S608
        for _ in range(rounds):
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {quote(scratch)}")  # noqa: S608
            started = time.perf_counter()
            with transaction.atomic(), connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    cursor.cursor.copy_expert(copy_sql, io.StringIO(text))
                else:
                    cursor.executemany(insert_sql, rows)
            seconds.append(time.perf_counter() - started)
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT count(*) FROM {quote(scratch)}")  # noqa: S608
                if cursor.fetchone()[0] != len(rows):
                    raise RuntimeError("the baseline did not load every row")
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {quote(scratch)}")
    return method, seconds


# --- 3. Pages under wrk -----------------------------------------------------------------------------------------


def check_page(server: BenchServer, path: str, cookie: str, *, min_rows: int) -> int:
    """The page answers 200 to this session (not a 302 to the login page, which wrk would happily count)."""
    conn = http.client.HTTPConnection(HOST, server.port, timeout=30)
    try:
        conn.request("GET", path, headers={"Cookie": cookie})
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    if response.status != 200:
        raise RuntimeError(
            f"{path} answered {response.status} (location {response.getheader('Location')}):\n{server.log_tail()}"
        )
    if path == "/ping":
        if body != b"ok":
            raise RuntimeError(f"/ping answered {body[:100]!r}")
    elif body.count(b"<tr>") < min_rows:
        raise RuntimeError(f"{path}: {body.count(b'<tr>')} table rows, expected at least {min_rows}")
    return len(body)


def phase_pages(args, server: BenchServer, targets: list[tuple[str, str, int]], cookie: str) -> dict:
    sizes = {key: check_page(server, path, cookie, min_rows=rows) for key, path, rows in targets}
    runs: dict[str, list[dict]] = {key: [] for key, _, _ in targets}
    load = {"threads": args.wrk_threads, "connections": args.wrk_connections, "cookie": cookie}
    for round_no in range(1, args.rounds + 1):
        for key, path, _ in targets:
            if args.warmup > 0:
                run_wrk(server.url(path), duration=args.warmup, **load)
            result = run_wrk(server.url(path), duration=args.wrk_duration, **load)
            runs[key].append(result)
            flags = ""
            if result["non_2xx_3xx"] or result["socket_errors"]:
                flags = f"  (non-2xx/3xx {result['non_2xx_3xx']}, socket errors {result['socket_errors']})"
            print(
                f"  round {round_no}  {key:<10} {path:<28} {result['rps']:>9.1f} req/s  "
                f"latency avg {result['latency_avg']}{flags}"
            )
    for _key, path, rows in targets:  # still 200 for this session after the load
        check_page(server, path, cookie, min_rows=rows)
    best = {key: max(r["rps"] for r in results) for key, results in runs.items()}
    median = {key: statistics.median(r["rps"] for r in results) for key, results in runs.items()}
    return {
        "paths": {key: path for key, path, _ in targets},
        "bytes": sizes,
        "best_rps": best,
        "median_rps": median,
        "ratio_to_ping": {key: round(best[key] / best["ping"], 4) for key in best if key != "ping"},
        "ratio_to_ping_median": {key: round(median[key] / median["ping"], 4) for key in median if key != "ping"},
        "runs": runs,
    }


# --- Main -------------------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", action="store_true", help=f"default DATABASE_URL to {DEFAULT_POSTGRES_URL}")
    parser.add_argument("--quick", action="store_true", help="fewer claims, shorter load (a smoke run)")
    parser.add_argument("--listings", type=int, default=30_000, help="live listings in the catalogue (30,000)")
    parser.add_argument("--claims", type=int, default=None, help="timed in-process claims (30; quick 10)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent HTTP clients filing claims (4)")
    parser.add_argument("--duration", type=float, default=None, help="seconds of HTTP filing (10; quick 5)")
    parser.add_argument("--baseline-rounds", type=int, default=3, help="COPY/executemany rounds (best is used)")
    parser.add_argument("--wrk-duration", type=float, default=None, help="seconds per wrk run (8; quick 4)")
    parser.add_argument("--warmup", type=float, default=None, help="seconds of wrk before each run (2; quick 1)")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved wrk rounds (2; quick 1)")
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--wrk-connections", type=int, default=16)
    parser.add_argument("--profile", action="store_true", help="profile the in-process submit even if p50 is met")
    parser.add_argument("--wipe", action="store_true", help="allow emptying a database whose name lacks 'bench'")
    parser.add_argument("--out", type=Path, default=OUT_DIR / "claim_submit.json")
    args = parser.parse_args()
    quick = args.quick
    args.claims = args.claims or (10 if quick else 30)
    args.duration = args.duration or (5.0 if quick else 10.0)
    args.wrk_duration = args.wrk_duration or (4.0 if quick else 8.0)
    args.warmup = args.warmup if args.warmup is not None else (1.0 if quick else 2.0)
    args.rounds = args.rounds or (1 if quick else 2)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    tmp = Path(tempfile.mkdtemp(prefix="ipp-claim-bench-"))
    server: BenchServer | None = None
    emptied = False
    try:
        env = configure(args, tmp)
        setup_django()
        from django.core.management import call_command
        from django.db import connection, connections

        call_command("migrate", interactive=False, verbosity=0)
        vendor = connection.vendor
        db_name = str(connection.settings_dict["NAME"])
        from ipp_portal.accounts.models import User

        if vendor != "sqlite" and not args.wipe and "bench" not in db_name and User.objects.exists():
            print(f"refusing to empty {db_name} (not a bench database); pass --wipe to allow it")
            return 2
        others = other_sessions()
        if others:
            print(f"WARNING: {others} other session(s) on {db_name}: another benchmark may be using it")
        empty_database()
        emptied = True
        started = time.perf_counter()
        call_command("collectstatic", interactive=False, verbosity=0)
        static_s = time.perf_counter() - started

        from listings.models import Site

        site = Site.objects.get(code="alibaba")
        catalogue = Catalogue(site)
        seed_s = catalogue.grow(args.listings)
        analyze()
        print(
            f"Claim submission benchmark on {vendor} ({db_name if vendor != 'sqlite' else 'temporary file'}), "
            f"{os.cpu_count()} CPUs (load average {os.getloadavg()[0]:.2f} at start): {args.listings:,} live alibaba "
            f"listings bulk-created in {seed_s:.1f} s; "
            f"static collected into a temporary STATIC_ROOT in {static_s:.1f} s"
        )

        print("\n1. In process: check_links + claim_submit")
        inproc = phase_in_process(args, site, catalogue)
        pasted_range = catalogue.used

        # Dashboard data and the HTTP clients' complainants and sessions.
        dashboard, detail_id, dashboard_items = build_dashboard(site, catalogue, pasted_range)
        dashboard_cookie = f"sessionid={make_session(dashboard.user)}; csrftoken={secrets.token_hex(16)}"
        http_filers = [make_filer("http", n) for n in range(1, args.clients + 1)]
        # Enough fresh listings for the HTTP window: at most 2 workers' worth of in-process-speed submits (the
        # HTTP path is slower), with a margin, plus each client's warm-up claim.
        per_claim_s = max(inproc["p50_ms"] / 1000, 0.005)
        needed = math.ceil(2 / per_claim_s * (args.duration + 1) * 1.25) * LINKS + args.clients * LINKS * 2
        if catalogue.remaining < needed:
            extra = math.ceil((needed - catalogue.remaining) / 1000) * 1000
            seconds = catalogue.grow(extra)
            analyze()
            print(
                f"  (catalogue extended by {extra:,} listings in {seconds:.1f} s so that the HTTP clients cannot run "
                "out of unclaimed listings)"
            )
        share = catalogue.remaining // args.clients // LINKS * LINKS
        pools = [catalogue.take(share) for _ in range(args.clients)]
        sessions = [make_session(f.user) for f in http_filers]
        connections.close_all()

        server = BenchServer("claims", env, tmp)
        server.wait_ready("/ping")
        print(
            f"\n2. Through HTTP: gunicorn 2 sync workers, DEBUG off, POST {SUBMIT_PATH} (multipart, {LINKS} links), "
            f"{args.clients} client threads with their own sessions"
        )
        clients = [
            HttpClient(server.port, key, site.pk, filer.right.pk, pool)
            for key, filer, pool in zip(sessions, http_filers, pools, strict=True)
        ]
        http_result = phase_http(args, server, clients)
        after_pk = http_result["last_item_pk_before"]
        columns, rows, not_null = item_rows([f.complainant.pk for f in http_filers], after_pk)
        if not rows:
            raise RuntimeError("the HTTP phase stored no claim items: nothing to compare with the baseline")
        method, base_s = baseline_load(columns, rows, not_null, args.baseline_rounds)
        base_rate = len(rows) / min(base_s)
        http_ratio = http_result["items_per_s"] / base_rate
        print(
            f"  baseline: {method} of the same {len(rows):,} item rows into a scratch copy of the item table: "
            f"{base_rate:,.0f} rows/s (best of {len(base_s)}: {', '.join(f'{s * 1000:.0f}' for s in base_s)} ms)"
        )
        print(f"  ratio HTTP items/s / baseline rows/s: {http_ratio:.4f}")

        print(
            f"\n3. Pages under wrk -t{args.wrk_threads} -c{args.wrk_connections} -d{args.wrk_duration:g}s "
            f"(+{args.warmup:g}s warm-up), {args.rounds} interleaved round(s), the session cookie on every request"
        )
        targets = [
            ("dashboard", "/rights/claims/", 20),
            ("claim", f"/rights/claims/{detail_id}/", min(LINKS, 50)),  # the page shows 50 listings at a time
            ("ping", "/ping", 0),
        ]
        analyze()  # after the HTTP phase's inserts, as autovacuum would
        pages = phase_pages(args, server, targets, dashboard_cookie)
        server.stop()
        server = None

        goals = {
            "in_process_p50_ms": {"value": inproc["p50_ms"], "goal": f"<= {P50_GOAL_MS:g}"},
            "queries_equal_3_vs_300": {
                "value": f"{inproc['queries_3_links']} vs {inproc['queries_300_links']}",
                "goal": "equal",
            },
            "inserts_300": {"value": inproc["inserts_300_links"], "goal": f"<= {inproc['insert_limit']}"},
            "http_items_vs_baseline": {"value": round(http_ratio, 4), "goal": f">= {HTTP_GOAL:g}"},
            "dashboard_vs_ping": {"value": pages["ratio_to_ping"]["dashboard"], "goal": f">= {PAGE_GOAL:g}"},
            "claim_page_vs_ping": {"value": pages["ratio_to_ping"]["claim"], "goal": f">= {PAGE_GOAL:g}"},
        }
        goals["in_process_p50_ms"]["met"] = inproc["p50_ms"] <= P50_GOAL_MS
        goals["queries_equal_3_vs_300"]["met"] = inproc["queries_3_links"] == inproc["queries_300_links"]
        goals["inserts_300"]["met"] = inproc["inserts_300_links"] <= inproc["insert_limit"]
        goals["http_items_vs_baseline"]["met"] = http_ratio >= HTTP_GOAL
        goals["dashboard_vs_ping"]["met"] = pages["ratio_to_ping"]["dashboard"] >= PAGE_GOAL
        goals["claim_page_vs_ping"]["met"] = pages["ratio_to_ping"]["claim"] >= PAGE_GOAL

        best = pages["best_rps"]
        print(f"\nSummary ({vendor}):")
        lines = [
            ("in-process p50, 300 links", f"{inproc['p50_ms']:.1f} ms (p95 {inproc['p95_ms']:.1f})",
             "in_process_p50_ms"),
            ("SQL queries 3 vs 300 links", f"{inproc['queries_3_links']} vs {inproc['queries_300_links']}",
             "queries_equal_3_vs_300"),
            ("INSERTs, 300 links", str(inproc["inserts_300_links"]), "inserts_300"),
            ("HTTP items/s / baseline", f"{http_result['items_per_s']:,.0f} / {base_rate:,.0f} = {http_ratio:.3f}",
             "http_items_vs_baseline"),
            ("dashboard / ping", f"{best['dashboard']:,.0f} / {best['ping']:,.0f} = "
             f"{pages['ratio_to_ping']['dashboard']:.3f}", "dashboard_vs_ping"),
            ("claim page / ping", f"{best['claim']:,.0f} / {best['ping']:,.0f} = {pages['ratio_to_ping']['claim']:.3f}",
             "claim_page_vs_ping"),
        ]  # fmt: skip
        for label, value, key in lines:
            print(f"  {label:<28} {value:<36} goal {goals[key]['goal']:<8} {'MET' if goals[key]['met'] else 'NOT MET'}")
        print(
            "  (servers: ipp_portal settings as deployed, DEBUG off; gunicorn serves bench.claim_submit:wsgi_app(), "
            "which only points STATIC_ROOT at the temporary collectstatic output: it is not read from the "
            "environment. Pages go over plain http with the session and CSRF cookies set by hand.)"
        )

        figures = {
            "benchmark": "claim_submit",
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "host": platform.node(),
            "cpus": os.cpu_count(),
            "load_average_at_end": os.getloadavg(),
            "database": vendor,
            "listings": len(catalogue.links),
            "server": "gunicorn, 2 sync workers, DEBUG off, access log off, Celery not eager (memory broker)",
            "in_process": inproc,
            "http": {**http_result, "baseline_method": method, "baseline_rows": len(rows),
                     "baseline_seconds": base_s, "baseline_rows_per_s": round(base_rate, 1),
                     "ratio": round(http_ratio, 4)},
            "pages": {**pages, "dashboard_claims": DASHBOARD_CLAIMS, "dashboard_items": dashboard_items,
                      "wrk": {"threads": args.wrk_threads, "connections": args.wrk_connections,
                              "duration_s": args.wrk_duration, "warmup_s": args.warmup, "rounds": args.rounds}},
            "goals": goals,
            "quick": quick,
        }  # fmt: skip
        write_figures(args.out, figures, vendor)
        return 0
    finally:
        if server is not None:
            server.stop()
        if "django.db" in sys.modules:
            from django.db import connection, connections

            if emptied and connection.vendor != "sqlite":
                with contextlib.suppress(Exception):
                    empty_database()
            connections.close_all()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
