"""What the benchmarks share: the environment Django runs in, the PostgreSQL database made if missing, the
scratch directory, the sessions that would skew a run, percentiles and wrk's report.

The scripts run as ``python bench/<name>.py`` from the repository root: each puts the root on ``sys.path``
before importing this module as ``bench._common``.
"""

import contextlib
import json
import logging
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "bench" / "out"
HOST = "127.0.0.1"
BIN = Path(sys.executable).parent
WRK = shutil.which("wrk") or "/usr/bin/wrk"


# --- Environment ------------------------------------------------------------------------------------------------


def is_postgres(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql://", "pgsql://"))


def ensure_postgres_database(url: str) -> None:
    import environ
    import psycopg2
    from psycopg2 import sql

    config = environ.Env.db_url_config(url)
    conn = psycopg2.connect(
        dbname="postgres",
        user=config.get("USER") or None,
        password=config.get("PASSWORD") or None,
        host=config.get("HOST") or None,
        port=config.get("PORT") or None,
    )
    try:
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]])
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))
                print(f"created database {config['NAME']}")
    finally:
        conn.close()


def configure_in_process(var_dir: Path) -> None:
    """The environment of a benchmark that runs the code in this process, before Django is set up."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "ipp_portal.settings"
    os.environ["DJANGO_DEBUG"] = "true"  # only so that the settings need no secret key; setup_django switches it off
    os.environ["IPP_VAR_DIR"] = str(var_dir)
    os.environ["REDIS_URL"] = ""  # the broker is then memory://
    os.environ["LOG_LEVEL"] = "WARNING"
    # As deployed: the web process only queues the e-mail (here to the in-memory broker); a worker would send it.
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
    os.environ["EMAIL_URL"] = "dummymail://"


def use_database(*, postgres: bool, default_postgres_url: str, var_dir: Path) -> str:
    """DATABASE_URL if set; else ``default_postgres_url`` with --postgres, or a SQLite file in ``var_dir``. A
    PostgreSQL database is created if missing."""
    if not os.environ.get("DATABASE_URL"):
        if postgres:
            os.environ["DATABASE_URL"] = default_postgres_url
        else:
            os.environ["DATABASE_URL"] = f"sqlite:///{var_dir / 'bench.sqlite3'}"
    url = os.environ["DATABASE_URL"]
    if is_postgres(url):
        ensure_postgres_database(url)
    return url


def setup_django(*, static_root: str | None = None, debug_off: bool = True, quiet_kombu: bool = True):
    """``django.setup()``; then DEBUG off, since with it on every query's SQL is kept in connection.queries (it
    would slow the run and grow with it), and kombu's warning that memory:// has no hostname silenced."""
    import django
    from django.conf import settings

    if static_root is not None:
        settings.STATIC_ROOT = static_root
    django.setup()
    if debug_off:
        settings.DEBUG = False
    if quiet_kombu:
        logging.getLogger("kombu.connection").setLevel(logging.ERROR)
    return settings


@contextlib.contextmanager
def scratch_dir(prefix: str) -> Iterator[Path]:
    """A temporary directory for the run; when it ends, the database connections are closed and it is removed."""
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield tmp
    finally:
        if "django.db" in sys.modules:
            from django.db import connections

            connections.close_all()
        shutil.rmtree(tmp, ignore_errors=True)


# --- Database ---------------------------------------------------------------------------------------------------


def ensure_policies() -> None:
    """The sites' current policies, re-seeded if a benchmark that empties the database removed them (the data
    migration that seeds them has already run there)."""
    from importlib import import_module

    from django.apps import apps

    from enforcement.models import Policy

    if Policy.objects.filter(is_current=True, site__code__in=["alibaba", "aliexpress"]).count() < 2:
        import_module("enforcement.migrations.0002_seed_site_policies").seed(apps, None)
        import_module("enforcement.migrations.0007_publish_established_complaint_rules").publish(apps, None)
        print("re-seeded the sites' policies (the database had been emptied)")


def other_sessions() -> int:
    """PostgreSQL sessions on the bench database other than ours (a concurrent benchmark would skew both)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return int(cursor.fetchone()[0])


# --- HTTP windows -----------------------------------------------------------------------------------------------


def run_filing_window(clients: list, duration: float) -> dict:
    """Every client files claims (``client.post_claim()``, one request at a time, False once it has no fresh links)
    for ``duration`` seconds, all starting together. Returns the window's wall time, the claim items stored in it,
    the clients' answers by status, their request latencies (ms), their first failures and how many ran out of
    links. Each client keeps ``statuses``, ``latencies``, ``failures`` and ``exhausted``; the first two are cleared."""
    import threading
    import time

    from complaints.models import ClaimItem

    for client in clients:
        client.statuses.clear()
        client.latencies.clear()
    before = ClaimItem.objects.count()
    gate = threading.Barrier(len(clients) + 1)
    deadline = [0.0]
    ends: list[float] = []

    def work(client) -> None:
        gate.wait()
        while time.perf_counter() < deadline[0] and client.post_claim():
            pass
        ends.append(time.perf_counter())

    threads = [threading.Thread(target=work, args=(c,), daemon=True) for c in clients]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    deadline[0] = started + duration
    gate.wait()
    for thread in threads:
        thread.join()
    statuses: dict[str, int] = {}
    for client in clients:
        for key, n in client.statuses.items():
            statuses[key] = statuses.get(key, 0) + n
    return {
        "elapsed": max(ends) - started,
        "stored": ClaimItem.objects.count() - before,
        "statuses": statuses,
        "latencies_ms": [t * 1000 for c in clients for t in c.latencies],
        "failures": [f for c in clients for f in c.failures],
        "exhausted": sum(c.exhausted for c in clients),
    }


# --- Figures ----------------------------------------------------------------------------------------------------


def pct(values: list[float], q: int) -> float:
    """The q-th percentile (inclusive method); a single value is its own percentile."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def run_wrk(url: str, *, threads: int, connections: int, duration: float, cookie: str | None = None) -> dict:
    """Run wrk against ``url`` (with a Cookie header if given) and read its report."""
    cmd = [WRK, f"-t{threads}", f"-c{connections}", f"-d{max(1, round(duration))}s", "--timeout", "10s"]
    if cookie is not None:
        cmd += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    match = re.search(r"^Requests/sec:\s+([0-9.]+)", out, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"cannot read requests/s from wrk's output:\n{out}")
    result = {"rps": float(match.group(1))}
    total = re.search(r"^\s*(\d+) requests in", out, re.MULTILINE)
    result["requests"] = int(total.group(1)) if total else None
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    result["non_2xx_3xx"] = int(bad.group(1)) if bad else 0
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    result["socket_errors"] = sum(int(n) for n in errors.groups()) if errors else 0
    latency = re.search(r"^\s*Latency\s+(\S+)", out, re.MULTILINE)
    result["latency_avg"] = latency.group(1) if latency else None
    return result


def write_figures(out: Path, figures: dict, variant: str, **dumps) -> None:
    """The figures as JSON in ``out`` and in a copy named for the variant measured (database, file format), so that
    runs on SQLite and on PostgreSQL do not overwrite each other."""
    out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(figures, indent=2, **dumps) + "\n"
    out.write_text(text)
    per_variant = out.with_name(f"{out.stem}.{variant}{out.suffix}")
    per_variant.write_text(text)
    print(f"  figures written to {out.name} and {per_variant.name} in {out.parent}")
