"""Filing 300-link claims through the API, beside the browser form and the in-process service, in one run.

On one database (PostgreSQL with --postgres, else a temporary SQLite), with a catalogue of live alibaba listings:

1. In process: ``claim_submit`` alone (what ``POST /api/v1/claims/`` calls) for ``--claims`` fresh 300-link claims,
   one after another: links filed per second. This is the baseline the HTTP figures are ratios to.
2. Queries per API claim: ``POST /api/v1/claims/`` in process (DRF's test client, the whole stack bar the socket)
   with 3 links and with 300 links: the SQL queries must be equal (no query per link).
3. Through HTTP: gunicorn (2 sync workers, DEBUG off, the same database). For ``--duration`` seconds each, one
   client filing one claim at a time (the API, then the browser form, alternated over ``--rounds``), then
   ``--clients`` concurrent clients (API, then form): links stored per second, the POST's latency, and the ratio
   of the sequential API rate to the in-process rate (goal: at least 0.8).

    python bench/api.py [--postgres] [--quick]

Database: DATABASE_URL if set; with --postgres and no DATABASE_URL, postgres://postgres@127.0.0.1:5432/ipp_bench
(tables emptied before and after, as bench/claim_submit.py does). Only 127.0.0.1 is targeted. Figures go to
bench/out/api.json (and api.<database>.json).
"""

import argparse
import contextlib
import http.client
import json
import os
import platform
import shutil
import signal
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import HOST, OUT_DIR, other_sessions, run_filing_window, write_figures  # noqa: E402
from bench.claim_submit import (  # noqa: E402
    EXPLANATION,
    LINKS,
    REASON,
    SIGNATURE,
    STATEMENTS,
    BenchServer,
    Catalogue,
    HttpClient,
    analyze,
    configure,
    empty_database,
    make_filer,
    make_session,
    percentile,
    setup_django,
)

API_GOAL = 0.8
CLAIMS_PATH = "/api/v1/claims/"


def claim_body(filer, site, links: list[str]) -> dict:
    """The JSON a vendor's tool sends to file a claim (README, "Integrate in 10 minutes")."""
    return {
        "submit": True,
        "right": filer.right.pk,
        "site": site.code,
        "reason_code": REASON,
        "explanation": EXPLANATION,
        "links": links,
        **dict.fromkeys(STATEMENTS, True),
        "signature_name": SIGNATURE,
    }


def api_token(user) -> str:
    from complaints.api.services import api_token_create

    return api_token_create(user=user, name="Bench", scopes=["read", "file"])[1]


# --- 1. In process ------------------------------------------------------------------------------------------------


def submit_service(filer, site, links: list[str]) -> float:
    """``claim_submit`` alone, as the API view calls it (it checks the links itself); seconds taken."""
    from complaints.services.claims import claim_submit

    started = time.perf_counter()
    claim = claim_submit(
        complainant=filer.complainant, user=filer.user, token=uuid.uuid4(), right=filer.right, site=site,
        reason_code=REASON, explanation=EXPLANATION, links_text="\n".join(links), signature_name=SIGNATURE,
        ip="127.0.0.1", statements=dict.fromkeys(STATEMENTS, True),
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    if claim.items.count() != len(links):
        raise RuntimeError(f"claim {claim.pk} has {claim.items.count()} items, expected {len(links)}")
    return elapsed


def phase_in_process(args, site, catalogue: Catalogue) -> dict:
    filer = make_filer("inproc", 1)
    for _ in range(2):  # warm-up: imports, templates of the receipt, content types
        submit_service(filer, site, catalogue.take(LINKS))
    times = [submit_service(filer, site, catalogue.take(LINKS)) for _ in range(args.claims)]
    total = sum(times)
    result = {
        "claims": len(times),
        "links_per_s": round(len(times) * LINKS / total, 1),
        "p50_ms": round(percentile([t * 1000 for t in times], 50), 1),
        "p95_ms": round(percentile([t * 1000 for t in times], 95), 1),
    }
    print(
        f"  claim_submit, {len(times)} claims of {LINKS} links one after another: {result['links_per_s']:,.0f} "
        f"links/s (p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms)"
    )
    return result


# --- 2. Queries per API claim ------------------------------------------------------------------------------------


def phase_queries(site, catalogue: Catalogue) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    filer = make_filer("queries", 2)
    client = APIClient(REMOTE_ADDR=HOST, HTTP_HOST=HOST)  # the servers' ALLOWED_HOSTS
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token(filer.user)}")
    counts = {}
    for n in (3, LINKS, 3, LINKS):  # the first pair warms up (token use recorded, content types cached)
        with CaptureQueriesContext(connection) as ctx:
            response = client.post(CLAIMS_PATH, claim_body(filer, site, catalogue.take(n)), format="json")
        if response.status_code != 201:
            raise RuntimeError(f"POST {CLAIMS_PATH} answered {response.status_code}: {response.content[:400]!r}")
        counts[n] = len(ctx.captured_queries)
    print(f"  SQL queries per API claim: {counts[3]} with 3 links, {counts[LINKS]} with {LINKS} links")
    return {"queries_3_links": counts[3], f"queries_{LINKS}_links": counts[LINKS]}


# --- 3. Through HTTP ----------------------------------------------------------------------------------------------


@dataclass
class ApiClient:
    """A vendor's tool: one token, one connection, one claim per request, a fresh Idempotency-Key each."""

    port: int
    token: str
    site: object
    filer: object
    links: list[str]
    used: int = 0
    latencies: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    exhausted: bool = False

    def __post_init__(self) -> None:
        self.conn = http.client.HTTPConnection(HOST, self.port, timeout=120)

    def post_claim(self) -> bool:
        if len(self.links) - self.used < LINKS:
            self.exhausted = True
            return False
        links = self.links[self.used : self.used + LINKS]
        self.used += LINKS
        body = json.dumps(claim_body(self.filer, self.site, links)).encode()
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Content-Type": "application/json",
            "Idempotency-Key": str(uuid.uuid4()),
        }
        started = time.perf_counter()
        try:
            self.conn.request("POST", CLAIMS_PATH, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.conn.close()
            self.statuses["error"] = self.statuses.get("error", 0) + 1
            self.failures.append(f"{type(exc).__name__}: {exc}")
            return True
        self.latencies.append(time.perf_counter() - started)
        key = str(response.status)
        self.statuses[key] = self.statuses.get(key, 0) + 1
        if response.status != 201 and len(self.failures) < 3:
            self.failures.append(f"{response.status}: {data[:300].decode(errors='replace')}")
        return True


def run_window(clients: list, duration: float) -> dict:
    """Every client files claims, one request at a time, for ``duration`` seconds; links stored per second."""
    window = run_filing_window(clients, duration)
    elapsed, stored, latencies = window["elapsed"], window["stored"], window["latencies_ms"]
    failures = window["failures"][:3]
    if failures:
        print(f"    failures: {failures}")
    if window["exhausted"]:
        print("    WARNING: a client ran out of fresh listings before the end of the window")
    return {
        "clients": len(clients),
        "elapsed_s": round(elapsed, 3),
        "statuses": window["statuses"],
        "links_stored": stored,
        "links_per_s": round(stored / elapsed, 1),
        "p50_ms": round(percentile(latencies, 50), 1) if latencies else None,
        "p95_ms": round(percentile(latencies, 95), 1) if latencies else None,
        "failures": failures,
    }


def show(label: str, result: dict) -> None:
    print(
        f"  {label:<34} {result['links_per_s']:>8,.0f} links/s  ({result['statuses']}; POST p50 {result['p50_ms']} "
        f"ms, p95 {result['p95_ms']} ms)"
    )


def phase_http(args, server: BenchServer, site, catalogue: Catalogue) -> dict:
    per_window = max(40, int(args.duration * 12)) * LINKS  # more than two workers can file in a window
    needed = per_window * (2 * args.rounds + 2 * args.clients) + LINKS * 4 * (args.clients + 1)
    if catalogue.remaining < needed:
        catalogue.grow(needed - catalogue.remaining + 1000)
        analyze()

    def api_clients(n: int, label: str) -> list[ApiClient]:
        filers = [make_filer(label, k) for k in range(n)]
        return [ApiClient(server.port, api_token(f.user), site, f, catalogue.take(per_window)) for f in filers]

    def form_clients(n: int, label: str) -> list[HttpClient]:
        filers = [make_filer(label, k) for k in range(n)]
        clients = [
            HttpClient(server.port, make_session(f.user), site.pk, f.right.pk, catalogue.take(per_window))
            for f in filers
        ]
        for client in clients:
            client.open_form()
        return clients

    solo_api, solo_form = api_clients(1, "api-solo"), form_clients(1, "form-solo")
    many_api, many_form = api_clients(args.clients, "api-many"), form_clients(args.clients, "form-many")
    from django.db import connections

    connections.close_all()
    for client in [*solo_api, *solo_form, *many_api, *many_form]:
        client.post_claim()  # warm-up outside the windows: each worker's first request, connections
    sequential: dict[str, list[dict]] = {"api": [], "form": []}
    for _ in range(args.rounds):
        for name, clients in (("api", solo_api), ("form", solo_form)):
            result = run_window(clients, args.duration)
            sequential[name].append(result)
            show(f"one client, {'API' if name == 'api' else 'browser form'}", result)
    concurrent = {}
    for name, clients in (("api", many_api), ("form", many_form)):
        concurrent[name] = run_window(clients, args.duration)
        show(f"{args.clients} clients, {'API' if name == 'api' else 'browser form'}", concurrent[name])
    return {"sequential": sequential, "concurrent": concurrent}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--quick", action="store_true", help="fewer claims, shorter windows (a smoke run)")
    parser.add_argument("--listings", type=int, default=20_000)
    parser.add_argument("--claims", type=int, default=None, help="in-process claims (20; quick 6)")
    parser.add_argument("--duration", type=float, default=None, help="seconds per HTTP window (8; quick 3)")
    parser.add_argument("--rounds", type=int, default=None, help="alternated sequential rounds (2; quick 1)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients in the last windows (4)")
    parser.add_argument("--wipe", action="store_true", help="allow emptying a database whose name lacks 'bench'")
    parser.add_argument("--out", type=Path, default=OUT_DIR / "api.json")
    args = parser.parse_args()
    args.claims = args.claims or (6 if args.quick else 20)
    args.duration = args.duration or (3.0 if args.quick else 8.0)
    args.rounds = args.rounds or (1 if args.quick else 2)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    tmp = Path(tempfile.mkdtemp(prefix="ipp-api-bench-"))
    server: BenchServer | None = None
    emptied = False
    try:
        env = configure(args, tmp)
        # The vendor files far more than a day's default quota and rate in a few seconds: lift both here (and in
        # the servers), so that the figures measure filing, not the limits.
        limits = {"API_LINKS_PER_DAY": "1000000000", "API_RATE_PER_TOKEN": "100000/min",
                  "API_RATE_PER_COMPLAINANT": "100000/min"}  # fmt: skip
        env.update(limits)
        os.environ.update(limits)
        setup_django()
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", interactive=False, verbosity=0)
        vendor = connection.vendor
        db_name = str(connection.settings_dict["NAME"])
        from ipp_portal.accounts.models import User

        if vendor != "sqlite" and not args.wipe and "bench" not in db_name and User.objects.exists():
            print(f"refusing to empty {db_name} (not a bench database); pass --wipe to allow it")
            return 2
        if other_sessions():
            print("WARNING: other sessions on the bench database: another benchmark may be using it")
        empty_database()
        emptied = True
        call_command("collectstatic", interactive=False, verbosity=0)
        from listings.models import Site

        site = Site.objects.get(code="alibaba")
        catalogue = Catalogue(site)
        catalogue.grow(args.listings)
        analyze()
        print(
            f"API filing benchmark on {vendor}, {os.cpu_count()} CPUs (load average {os.getloadavg()[0]:.2f}), "
            f"{args.listings:,} live listings"
        )
        print("\n1. In process")
        inproc = phase_in_process(args, site, catalogue)
        print("\n2. Queries per API claim")
        queries = phase_queries(site, catalogue)
        print(f"\n3. Through HTTP: gunicorn 2 sync workers, DEBUG off, {args.duration:g} s windows")
        server = BenchServer("api", env, tmp)
        server.wait_ready("/ping")
        http_result = phase_http(args, server, site, catalogue)
        server.stop()
        server = None

        api_rate = max(r["links_per_s"] for r in http_result["sequential"]["api"])
        form_rate = max(r["links_per_s"] for r in http_result["sequential"]["form"])
        ratio = api_rate / inproc["links_per_s"]
        many = http_result["concurrent"]
        goals = {
            "api_vs_in_process": {"value": round(ratio, 3), "goal": f">= {API_GOAL}", "met": ratio >= API_GOAL},
            "queries_equal": {
                "value": f"{queries['queries_3_links']} vs {queries[f'queries_{LINKS}_links']}",
                "goal": "equal",
                "met": queries["queries_3_links"] == queries[f"queries_{LINKS}_links"],
            },
        }
        print(f"\nSummary ({vendor}):")
        form_share = form_rate / inproc["links_per_s"]
        many_ratio = many["api"]["links_per_s"] / max(many["form"]["links_per_s"], 1)
        rows = [
            ("in-process claim_submit", f"{inproc['links_per_s']:,.0f} links/s (the baseline)"),
            ("API, one client", f"{api_rate:,.0f} links/s = {ratio:.2f} of in-process (goal >= {API_GOAL}: "
             f"{'MET' if goals['api_vs_in_process']['met'] else 'NOT MET'})"),
            ("browser form, one client", f"{form_rate:,.0f} links/s = {form_share:.2f} of in-process"),
            (f"API / form, {args.clients} clients", f"{many['api']['links_per_s']:,.0f} / "
             f"{many['form']['links_per_s']:,.0f} links/s = {many_ratio:.2f}"),
            (f"queries per claim, 3 / {LINKS} links", f"{goals['queries_equal']['value']} "
             f"({'MET' if goals['queries_equal']['met'] else 'NOT MET'})"),
        ]  # fmt: skip
        for label, value in rows:
            print(f"  {label:<34} {value}")
        figures = {
            "benchmark": "api",
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "host": platform.node(),
            "cpus": os.cpu_count(),
            "database": vendor,
            "in_process": inproc,
            "queries": queries,
            "http": http_result,
            "goals": goals,
            "quick": args.quick,
        }
        write_figures(args.out, figures, vendor)
        return 0 if all(g["met"] for g in goals.values()) else 1
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
