"""How fast a seller's standing is read from a large ledger, and how fast violations are recorded under load.

In one run, on one database (a temporary SQLite file, or PostgreSQL with --postgres):

1. ``enforcement.selectors.standing_for`` for an alibaba.com and an aliexpress.com seller, each with ``--rows``
   ledger rows (default 10,000: bulk_create of a realistic mix over the last 365 days, in ledger order: ~90%
   general, ~10% serious, ~5% withdrawn, under the site's current policy; the last row recorded through
   ``violation_record`` so the actions the ledger reached exist). Printed: the SQL queries of one call for a
   10-row and a ``--rows``-row ledger (must be equal), p50/p95 ms over ``--calls`` calls against the goal, and the
   ratio to the baseline measured interleaved with it: the bare ORM fetch of the same seller's active rows
   (``values_list("severity", "points", "occurred_at")`` into a list). One call is profiled (cProfile): the top
   functions by cumulative time, and the share of the ORM fetch, of building the rows and of the arithmetic.
2. ``violation_record`` under load: ``--threads`` threads, each recording violations (~90% general) for its own
   fresh seller for ``--duration`` seconds, then all threads on ONE seller (they serialise on its row lock).
   Baseline in the same run, before and after: plain ``Violation.objects.create`` with the same threads (no
   lock, no recompute, no audit, no notifications). SQLite cannot run concurrent writers: there, one thread,
   and no one-seller round (it would be the same thing).
3. A summary with MET / NOT MET for the p50 goal; JSON to bench/out/standing.json (and standing.<database>.json).

    python bench/standing.py [--postgres] [--rows 10000] [--calls 50] [--threads 4] [--duration 5]

Database: DATABASE_URL if set; with --postgres and no DATABASE_URL, its own bench database
postgres://postgres@127.0.0.1:5432/ipp_bench_standing (created if missing; not the shared ipp_bench, which
bench/claim_submit.py empties whole); otherwise a temporary SQLite file. Only this benchmark's own rows are deleted
(sellers ``bench-standing-*``, their ledger, actions, audit events and outbox rows, users ``standing-bench-*``),
before and after, so other data on a shared database is left alone. IPP_VAR_DIR is a temporary directory;
notifications are queued to Celery's in-memory broker (not delivered), as a deployment's web process would.
"""

import argparse
import cProfile
import io
import os
import platform
import pstats
import random
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import (  # noqa: E402
    OUT_DIR,
    configure_in_process,
    ensure_policies,
    other_sessions,
    pct,
    scratch_dir,
    setup_django,
    use_database,
    write_figures,
)

# Its own database, not the shared ipp_bench: bench/claim_submit.py empties every table of that one (the seeded
# policies included) before and after its run, which would pull the ledger from under this benchmark mid-run.
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/ipp_bench_standing"

P50_GOAL_MS = 20.0
SMALL_ROWS = 10
SERIOUS_SHARE = 0.10
WITHDRAWN_SHARE = 0.05
SELLER_PREFIX = "bench-standing-"
USER_PREFIX = "standing-bench-"
PROFILE_TOP = 8


# --- Environment ------------------------------------------------------------------------------------------------


def configure(args: argparse.Namespace, var_dir: Path) -> None:
    configure_in_process(var_dir)
    use_database(postgres=args.postgres, default_postgres_url=DEFAULT_POSTGRES_URL, var_dir=var_dir)


def cleanup() -> None:
    """Delete this benchmark's rows only (in dependency order); audit events by raw SQL (the model forbids it)."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    from enforcement.models import Action, Violation
    from ipp_portal.accounts.models import User
    from ipp_portal.audit.models import AuditEvent
    from ipp_portal.notifications.models import Notification
    from listings.models import Seller

    seller_ids = list(Seller.objects.filter(member_id__startswith=SELLER_PREFIX).values_list("pk", flat=True))
    user_ids = list(User.objects.filter(email__startswith=USER_PREFIX).values_list("pk", flat=True))
    if not seller_ids and not user_ids:
        return
    targets = {
        ContentType.objects.get_for_model(Seller).pk: seller_ids,
        ContentType.objects.get_for_model(Action).pk: list(
            Action.objects.filter(seller_id__in=seller_ids).values_list("pk", flat=True)
        ),
        ContentType.objects.get_for_model(Violation).pk: list(
            Violation.objects.filter(seller_id__in=seller_ids).values_list("pk", flat=True)
        ),
    }
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The audit table refuses DELETE by trigger; this benchmark's own rows go, in this transaction only,
            # without triggers (superuser only; never in the portal).
            cursor.execute("SET LOCAL session_replication_role = replica")
        for type_id, ids in targets.items():
            for start in range(0, len(ids), 900):
                chunk = [str(pk) for pk in ids[start : start + 900]]
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(
                    f"DELETE FROM {table} WHERE target_type_id = %s AND target_id IN ({marks})",  # noqa: S608
                    [type_id, *chunk],
                )
        Notification.objects.filter(recipient_id__in=user_ids).delete()
        Action.objects.filter(seller_id__in=seller_ids).delete()
        Violation.objects.filter(seller_id__in=seller_ids).delete()
        Seller.objects.filter(pk__in=seller_ids).delete()
        User.objects.filter(pk__in=user_ids).delete()


# --- Data -------------------------------------------------------------------------------------------------------


_counter = iter(range(1, 10**9))


def make_seller(site_code: str, label: str):
    """A claimed store (it has a user, so actions queue notifications), as the standing page shows it."""
    from ipp_portal.accounts.models import User
    from listings.models import Seller, Site

    n = next(_counter)
    tag = f"{label}-{n}-{os.getpid()}"
    user = User.objects.create(email=f"{USER_PREFIX}{tag}@example.com", full_name=f"Bench {tag}")
    seller = Seller.objects.create(
        site=Site.objects.get(code=site_code), user=user, member_id=f"{SELLER_PREFIX}{tag}", store_name=f"Store {tag}"
    )
    return Seller.objects.select_related("site", "user").get(pk=seller.pk)


def severity(rng: random.Random) -> str:
    return "serious" if rng.random() < SERIOUS_SHARE else "general"


def fill_ledger(seller, rows: int, seed: int) -> float:
    """``rows - 1`` violations by bulk_create (spread over the last 365 days, in ledger order), then the last one
    through ``violation_record`` so that the actions the ledger reached exist; returns that call's seconds."""
    from django.db import connection
    from django.utils import timezone

    from enforcement.models import Violation
    from enforcement.selectors import points_for, policy_current
    from enforcement.services import violation_record

    rng = random.Random(seed)
    policy = policy_current(seller.site)
    now = timezone.now()
    span = timedelta(days=policy.expiry_days) - timedelta(hours=1)
    times = sorted(now - span * rng.random() for _ in range(rows - 1))
    objs = []
    for n, occurred_at in enumerate(times):
        sev = severity(rng)
        withdrawn = rng.random() < WITHDRAWN_SHARE
        withdrawn_at = min(now, occurred_at + timedelta(days=rng.uniform(1, 20))) if withdrawn else None
        objs.append(
            Violation(
                seller=seller,
                policy=policy,
                severity=sev,
                points=points_for(policy, sev),
                reference=f"BENCH-{seller.pk}-{n}",
                occurred_at=occurred_at,
                status="withdrawn" if withdrawn else "established",
                established_at=occurred_at,
                establishment="recorded",
                decision=n + 1,
                expires_at=occurred_at + timedelta(days=policy.expiry_days),
                withdrawn_at=withdrawn_at,
                withdrawal_reason="Counter-notice not contested" if withdrawn else "",
            )
        )
    Violation.objects.bulk_create(objs, batch_size=2000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(Violation._meta.db_table)}")
    started = time.perf_counter()
    violation_record(seller=seller, severity="general", reference=f"BENCH-{seller.pk}-last")
    return time.perf_counter() - started


# --- Part 1: reading the standing ------------------------------------------------------------------------------


def count_queries(seller_pk: int) -> tuple[int, list[str]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from enforcement.selectors import standing_for
    from listings.models import Seller

    seller = Seller.objects.select_related("site").get(pk=seller_pk)  # as the standing page loads it
    with CaptureQueriesContext(connection) as ctx:
        standing_for(seller)
    return len(ctx.captured_queries), [q["sql"][:160] for q in ctx.captured_queries]


def baseline_fetch(seller) -> list:
    from django.utils import timezone

    from enforcement.models import Violation

    now = timezone.now()
    return list(
        Violation.objects.filter(seller=seller, withdrawn_at=None, expires_at__gt=now).values_list(
            "severity", "points", "occurred_at"
        )
    )


def time_standing(seller, calls: int) -> dict:
    """``calls`` standing_for calls interleaved with ``calls`` baseline fetches (same noise for both)."""
    from enforcement.selectors import standing_for

    for _ in range(3):  # warm the ORM and the database's cache
        standing_for(seller)
        baseline_fetch(seller)
    standing_ms: list[float] = []
    baseline_ms: list[float] = []
    active = 0
    for _ in range(calls):
        started = time.perf_counter()
        standing = standing_for(seller)
        standing_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        active = len(baseline_fetch(seller))
        baseline_ms.append((time.perf_counter() - started) * 1000)
    return {
        "calls": calls,
        "active_rows": active,
        "points": standing.points,
        "strikes": standing.strikes,
        "in_force": standing.in_force.kind if standing.in_force else None,
        "p50_ms": round(pct(standing_ms, 50), 3),
        "p95_ms": round(pct(standing_ms, 95), 3),
        "baseline_p50_ms": round(pct(baseline_ms, 50), 3),
        "baseline_p95_ms": round(pct(baseline_ms, 95), 3),
        "ratio_p50": round(pct(standing_ms, 50) / pct(baseline_ms, 50), 3),
    }


# Functions whose cumulative time says where a call goes: (file suffix, function name, label).
BREAKDOWN = (
    ("enforcement/selectors.py", "standing_for", "standing_for (whole call)"),
    ("django/db/models/query.py", "_fetch_all", "ORM: queries + model instances"),
    ("django/db/backends/utils.py", "execute", "  of which SQL execute"),
    ("enforcement/selectors.py", "rows_for", "rows_for (model -> Row; iterates the queryset)"),
    ("enforcement/ledger.py", "measures_at", "ledger.measures_at"),
    ("enforcement/selectors.py", "after_one_more", "after_one_more (re-runs measures_at on rows + 1)"),
)


def profile_tops(stats: pstats.Stats, count: int) -> tuple[list[dict], list[dict]]:
    """The ``count`` functions with the most cumulative time (stats sorted so) and with the most own time."""
    top = []
    for func in stats.fcn_list[:count]:
        _cc, ncalls, tottime, cumtime, _callers = stats.stats[func]
        filename, line, name = func
        where = f"{shorten(filename)}:{line}({name})" if line else name
        top.append({"function": where, "ncalls": ncalls, "tottime_ms": tottime * 1000, "cumtime_ms": cumtime * 1000})
    by_self = sorted(stats.stats.items(), key=lambda item: -item[1][2])[:count]
    self_top = [
        {"function": f"{shorten(f[0])}:{f[1]}({f[2]})" if f[1] else f[2], "ncalls": s[1], "tottime_ms": s[2] * 1000}
        for f, s in by_self
    ]
    return top, self_top


def profile_call(seller) -> dict:
    from enforcement.selectors import standing_for

    standing_for(seller)
    profiler = cProfile.Profile()
    profiler.enable()
    standing_for(seller)
    profiler.disable()
    stats = pstats.Stats(profiler, stream=io.StringIO())
    stats.sort_stats("cumulative")
    total = max(entry[3] for entry in stats.stats.values())  # the outermost frame's cumulative time
    top, self_top = profile_tops(stats, PROFILE_TOP)
    breakdown = []
    for suffix, name, label in BREAKDOWN:
        cum = sum(s[3] for f, s in stats.stats.items() if f[0].endswith(suffix) and f[2] == name)
        calls = sum(s[1] for f, s in stats.stats.items() if f[0].endswith(suffix) and f[2] == name)
        breakdown.append({"label": label, "calls": calls, "cumtime_ms": cum * 1000, "share": cum / total})
    return {"total_ms": total * 1000, "top_cumulative": top, "top_self": self_top, "breakdown": breakdown}


def shorten(filename: str) -> str:
    for marker in ("site-packages/", str(ROOT) + "/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


def phase_read(args) -> dict:
    from enforcement.models import Action, Violation

    results: dict = {"rows": args.rows, "sellers": {}}
    print(f"\n1. standing_for on a {args.rows:,}-row ledger ({args.calls} calls, interleaved with the baseline)")
    sellers = {}
    for n, code in enumerate(("alibaba", "aliexpress")):
        small = make_seller(code, f"read-small-{code}")
        fill_ledger(small, SMALL_ROWS, seed=100 + n)
        big = make_seller(code, f"read-big-{code}")
        started = time.perf_counter()
        record_s = fill_ledger(big, args.rows, seed=200 + n)
        built = time.perf_counter() - started
        assert Violation.objects.filter(seller=big).count() == args.rows
        assert Violation.objects.filter(seller=small).count() == SMALL_ROWS
        sellers[code] = big
        actions = list(Action.objects.filter(seller=big).values_list("status", "references"))
        q_small, _ = count_queries(small.pk)
        q_big, sqls = count_queries(big.pk)
        timing = time_standing(big, args.calls)
        small_timing = time_standing(small, args.calls)
        entry = {
            "queries_small": q_small,
            "queries_large": q_big,
            "queries_equal": q_small == q_big,
            "query_sql": sqls,
            "ledger_built_s": round(built, 2),
            "violation_record_on_large_ledger_ms": round(record_s * 1000, 2),
            "actions": len(actions),
            "actions_active_or_pending": sum(1 for st, _ in actions if st in ("active", "pending_approval")),
            "max_references_per_action": max((len(refs) for _, refs in actions), default=0),
            **timing,
            "small_ledger": {k: small_timing[k] for k in ("p50_ms", "p95_ms", "baseline_p50_ms", "ratio_p50")},
        }
        results["sellers"][code] = entry
        print(
            f"  {code:<10} ledger of {args.rows:,} rows ({entry['active_rows']:,} active; {entry['points']:,} points, "
            f"{entry['strikes']} strikes, in force: {entry['in_force']}) built in {built:.1f} s"
        )
        print(
            f"    actions: {entry['actions']} ({entry['actions_active_or_pending']} active or pending, loaded by "
            f"standing_for), each storing up to {entry['max_references_per_action']:,} violation references"
        )
        print(
            f"    SQL queries per call: {q_small} at {SMALL_ROWS} rows, {q_big} at {args.rows:,} rows "
            f"({'equal' if q_small == q_big else 'NOT EQUAL'})"
        )
        print(
            f"    standing_for      p50 {entry['p50_ms']:8.2f} ms   p95 {entry['p95_ms']:8.2f} ms   "
            f"(at {SMALL_ROWS} rows: p50 {small_timing['p50_ms']:.2f} ms)"
        )
        print(
            f"    baseline fetch    p50 {entry['baseline_p50_ms']:8.2f} ms   p95 {entry['baseline_p95_ms']:8.2f} ms   "
            f"ratio standing_for / baseline (p50): {entry['ratio_p50']:.2f}"
        )
        print(
            f"    one violation_record on that ledger (its last row): "
            f"{entry['violation_record_on_large_ledger_ms']:.1f} ms"
        )
    profile = profile_call(sellers["alibaba"])
    results["profile"] = profile
    print(
        f"\n  profile of one standing_for call (alibaba, {args.rows:,} rows; {profile['total_ms']:.1f} ms under "
        "cProfile, which inflates the per-row Python work)"
    )
    print(f"    {'cumulative':>10}  {'self':>8}  {'calls':>7}  function (top {PROFILE_TOP} by cumulative time)")
    for row in profile["top_cumulative"]:
        print(f"    {row['cumtime_ms']:8.1f}ms  {row['tottime_ms']:6.1f}ms  {row['ncalls']:>7}  {row['function']}")
    print(f"    {'self':>10}  {'calls':>7}  function (top {PROFILE_TOP} by own time)")
    for row in profile["top_self"]:
        print(f"    {row['tottime_ms']:8.1f}ms  {row['ncalls']:>7}  {row['function']}")
    print("    where the time goes:")
    for row in profile["breakdown"]:
        print(f"    {row['cumtime_ms']:8.1f}ms  {row['share']:6.1%}  {row['label']} ({row['calls']} calls)")
    return results


# --- Part 2: recording under load --------------------------------------------------------------------------------


@dataclass
class Worker:
    seller: object
    seed: int
    done: int = 0
    latencies: list[float] = field(default_factory=list)
    finished_at: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def run_threads(workers: list[Worker], duration: float, body) -> float:
    """Run ``body(worker, rng)`` in a loop on one thread per worker for ``duration`` s; returns the wall time."""
    from django.db import connection

    barrier = threading.Barrier(len(workers) + 1)
    box: list[float] = []

    def loop(worker: Worker) -> None:
        rng = random.Random(worker.seed)
        try:
            connection.ensure_connection()
            barrier.wait()
            deadline = box[0]
            while True:
                started = time.perf_counter()
                if started >= deadline:
                    break
                try:
                    body(worker, rng)
                except Exception as exc:
                    worker.errors.append(f"{type(exc).__name__}: {exc}"[:200])
                    continue
                now = time.perf_counter()
                worker.latencies.append((now - started) * 1000)
                worker.finished_at.append(now)
                worker.done += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=loop, args=(w,), daemon=True) for w in workers]
    for t in threads:
        t.start()
    box.append(time.perf_counter() + duration)
    started = time.perf_counter()
    barrier.wait()
    for t in threads:
        t.join(duration + 120)
    return time.perf_counter() - started


def record_body(worker: Worker, rng: random.Random) -> None:
    from enforcement.services import violation_record

    violation_record(seller=worker.seller, severity=severity(rng), reference=f"LOAD-{worker.seed}-{worker.done}")


def make_create_body(policies: dict):
    from django.utils import timezone

    from enforcement.models import Violation
    from enforcement.selectors import points_for

    def create_body(worker: Worker, rng: random.Random) -> None:
        policy = policies[worker.seller.site_id]
        sev = severity(rng)
        now = timezone.now()
        Violation.objects.create(
            seller=worker.seller,
            policy=policy,
            severity=sev,
            points=points_for(policy, sev),
            reference=f"PLAIN-{worker.seed}-{worker.done}",
            occurred_at=now,
            status="established",
            established_at=now,
            establishment="recorded",
            decision=worker.done + 1,
            expires_at=now + timedelta(days=policy.expiry_days),
        )

    return create_body


def summarise(label: str, workers: list[Worker], wall: float, duration: float) -> dict:
    done = sum(w.done for w in workers)
    lat = [x for w in workers for x in w.latencies]
    ends = sorted(x for w in workers for x in w.finished_at)
    half = (ends[0] + ends[-1]) / 2 if ends else 0
    first = sum(1 for x in ends if x <= half)
    errors = [e for w in workers for e in w.errors]
    rate = done / duration
    out = {
        "label": label,
        "threads": len(workers),
        "recorded": done,
        "per_s": round(rate, 1),
        "first_half_vs_second_half": [first, len(ends) - first],
        "p50_ms": round(pct(lat, 50), 2) if len(lat) > 1 else None,
        "p95_ms": round(pct(lat, 95), 2) if len(lat) > 1 else None,
        "errors": len(errors),
        "first_errors": errors[:3],
        "wall_s": round(wall, 2),
    }
    return out


def phase_write(args, vendor: str) -> dict:
    from enforcement.models import Violation
    from enforcement.selectors import policy_current
    from listings.models import Site

    threads = args.threads if vendor == "postgresql" else 1
    codes = ("alibaba", "aliexpress")
    policies = {site.pk: policy_current(site) for site in Site.objects.filter(code__in=codes)}
    create_body = make_create_body(policies)
    note = "" if vendor == "postgresql" else " (SQLite: one thread, no concurrent writers; no one-seller round)"
    print(f"\n2. violation_record under load: {threads} thread(s), {args.duration:g} s per round{note}")

    def fresh(label: str) -> list[Worker]:
        return [
            Worker(make_seller(codes[i % 2], f"{label}-{i}"), seed=1000 * i + next(_counter)) for i in range(threads)
        ]

    rounds: dict[str, dict] = {}
    # Untimed warm-up of both paths (first inserts, connections, templates of the notices).
    warm = min(1.0, args.duration / 5)
    run_threads(fresh("warm-a"), warm, create_body)
    run_threads(fresh("warm-b"), warm, record_body)

    def go(key: str, label: str, workers: list[Worker], body) -> None:
        wall = run_threads(workers, args.duration, body)
        rounds[key] = summarise(label, workers, wall, args.duration)
        r = rounds[key]
        lat = f"p50 {r['p50_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms" if r["p50_ms"] is not None else "n/a"
        first, second = r["first_half_vs_second_half"]
        print(
            f"  {label:<44} {r['per_s']:>8.1f} /s  ({r['recorded']:,} in {args.duration:g} s; per call {lat}; "
            f"halves {first}/{second}; errors {r['errors']})"
        )
        for err in r["first_errors"]:
            print(f"      error: {err}")

    go("baseline_before", "baseline: plain Violation.objects.create", fresh("plain-a"), create_body)
    go("own_seller", "violation_record, each thread its own seller", fresh("own"), record_body)
    if threads > 1:
        one = make_seller("alibaba", "one")
        workers = [Worker(one, seed=7000 + i) for i in range(threads)]
        go("one_seller", "violation_record, all threads on ONE seller", workers, record_body)
    go("baseline_after", "baseline again (drift check)", fresh("plain-b"), create_body)

    baseline = (rounds["baseline_before"]["per_s"] + rounds["baseline_after"]["per_s"]) / 2
    result = {"threads": threads, "duration_s": args.duration, "baseline_per_s": round(baseline, 1), "rounds": rounds}
    print(f"  baseline (mean of before and after): {baseline:,.1f} rows/s")
    for key in ("own_seller", "one_seller"):
        if key in rounds and baseline:
            ratio = rounds[key]["per_s"] / baseline
            result[f"ratio_{key}"] = round(ratio, 4)
            print(f"  ratio {rounds[key]['label']} / baseline: {ratio:.3f}")

    def ledger(prefix: str) -> int:
        return Violation.objects.filter(seller__member_id__startswith=f"{SELLER_PREFIX}{prefix}").count()

    result["ledger_rows_at_end"] = {"own_sellers_total": ledger("own-"), "one_seller": ledger("one-")}
    at_end = result["ledger_rows_at_end"]
    one = f", {at_end['one_seller']:,} on the one seller" if "one_seller" in rounds else ""
    print(
        f"  ledgers at the end: {at_end['own_sellers_total']:,} rows over the {threads} own seller(s){one} "
        "(each call recomputes over its seller's ledger)"
    )
    return result


# --- Main --------------------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", action="store_true", help=f"default DATABASE_URL to {DEFAULT_POSTGRES_URL}")
    parser.add_argument("--rows", type=int, default=10_000, help="ledger rows of the large seller (10,000)")
    parser.add_argument("--calls", type=int, default=50, help="timed standing_for calls per seller (50)")
    parser.add_argument("--threads", type=int, default=4, help="writer threads on PostgreSQL (4)")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per write round (5)")
    parser.add_argument("--skip-write", action="store_true", help="only part 1")
    parser.add_argument("--out", type=Path, default=OUT_DIR / "standing.json")
    args = parser.parse_args()
    if args.rows <= SMALL_ROWS or args.calls < 2 or args.threads < 1 or args.duration <= 0:
        parser.error(f"--rows must exceed {SMALL_ROWS}; --calls >= 2; --threads >= 1; --duration > 0")

    with scratch_dir("ipp-standing-bench-") as tmp:
        configure(args, tmp)
        setup_django()
        return run(args)


def run(args: argparse.Namespace) -> int:
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", interactive=False, verbosity=0)
    ensure_policies()
    vendor = connection.vendor
    db_name = str(connection.settings_dict["NAME"])
    others = other_sessions()
    print(
        f"Standing benchmark on {vendor} ({db_name if vendor != 'sqlite' else 'temporary file'}), "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    if others:
        print(f"  warning: {others} other session(s) on this database: another benchmark may skew the figures")
    cleanup()
    try:
        read = phase_read(args)
        write = None if args.skip_write else phase_write(args, vendor)
    finally:
        cleanup()

    p50s = {code: s["p50_ms"] for code, s in read["sellers"].items()}
    met = all(v <= P50_GOAL_MS for v in p50s.values())
    queries_equal = all(s["queries_equal"] for s in read["sellers"].values())
    print("\nSummary")
    for code, s in read["sellers"].items():
        print(
            f"  standing_for {code:<10} {args.rows:,} rows: p50 {s['p50_ms']:.2f} ms (goal <= {P50_GOAL_MS:g}: "
            f"{'MET' if s['p50_ms'] <= P50_GOAL_MS else 'NOT MET'}), p95 {s['p95_ms']:.2f} ms, "
            f"{s['ratio_p50']:.1f}x the bare fetch; queries {s['queries_small']} = {s['queries_large']}"
        )
    print(f"  p50 goal <= {P50_GOAL_MS:g} ms: {'MET' if met else 'NOT MET'}")
    print(f"  query count flat in the ledger size: {'yes' if queries_equal else 'NO'}")
    if write:
        rounds = write["rounds"]
        line = f"  recording ({write['threads']} thread(s)): own seller {rounds['own_seller']['per_s']:.1f}/s"
        line += f" ({write['ratio_own_seller']:.3f} of plain create)"
        if "one_seller" in rounds:
            line += f", one seller {rounds['one_seller']['per_s']:.1f}/s ({write['ratio_one_seller']:.3f})"
        print(line + f"; plain create {write['baseline_per_s']:.1f}/s")

    figures = {
        "benchmark": "standing",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "host": platform.node(),
        "cpus": os.cpu_count(),
        "database": vendor,
        "other_sessions": others,
        "goal_p50_ms": P50_GOAL_MS,
        "met": met,
        "queries_equal": queries_equal,
        "read": read,
        "write": write,
    }
    write_figures(args.out, figures, vendor, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
