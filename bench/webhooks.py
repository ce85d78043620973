"""How fast signed webhooks fan out: deliveries per second of a burst of events, beside a bare Celery no-op task.

In one run, on one PostgreSQL database, one real Redis broker and one real Celery worker
(``celery -A ipp_portal worker --pool prefork --concurrency 2``, its own process group, the same environment):

1. A receiving HTTP server in this process (``ThreadingHTTPServer`` on 127.0.0.1, answers 200 at once) counts
   the requests and their ``Webhook-Id``; a sample of requests has its signature checked with the endpoint's
   secret (HMAC-SHA256 over ``"{timestamp}.{body}"``, as a receiver does it, not with the portal's code).
2. A verified complainant with one trademark right and one enabled endpoint at the receiver, subscribed to
   ``right.expiring`` (``webhook_endpoint_create``; http on 127.0.0.1 needs WEBHOOKS_ALLOW_HTTP_LOCAL, set for
   this process and the worker).
3. The SQL queries of one delivery (``webhook_deliver`` in this process, under ``CaptureQueriesContext``, warm),
   before the worker starts.
4. At two sizes (``--events`` and a fifth of it; --quick: 2,000 and 500), in this order for each size:
   (a) baseline: N of Celery's built-in no-op task ``celery.accumulate`` sent the way ``dispatch_many`` sends
       deliveries (one producer, ``apply_async(retry=False)``) and timed until the broker holds none of them,
       neither queued nor unacknowledged (tasks are acknowledged late, after they ran: settings
       CELERY_TASK_ACKS_LATE); the worker's own count of tasks run (``inspect().stats()``) confirms N ran.
       No result backend is involved (CELERY_RESULT_BACKEND is None, results ignored), so nothing but the
       broker round trip and the worker's task machinery is measured.
   (b) webhooks: N ``complaints/right_expiring`` notices bulk-inserted in one transaction and handed to the
       notification listeners (``notifications.services._tell_listeners``, exactly what ``queue_many`` does,
       without queuing the notices' own e-mails, which would compete for the worker): the webhook listener
       ``events.on_notices`` writes N ``WebhookEvent`` and N ``WebhookDelivery`` rows and registers
       ``dispatch_after_commit``; the clock starts at the COMMIT, so it covers the project's own
       ``dispatch_many`` to the broker, the worker's ``webhook_deliver`` (advisory lock, two short transactions,
       the signed POST, the attempt log) and stops when all N deliveries are ``delivered`` in the database
       (polled) and the receiver has seen N distinct event ids exactly once each.
   Deliveries/s, no-op tasks/s and their ratio; p50/p95 of the POST as the attempt log times it
   (``WebhookAttempt.duration_ms``) and of the time from the commit to ``delivered_at``; the per-delivery cost
   at the larger size over the smaller (1.0 = linear).
5. A summary; JSON to bench/out/webhooks.json (and webhooks.postgresql.json).

    python bench/webhooks.py [--events 10000] [--quick]

Database: DATABASE_URL if set, else postgres://postgres@127.0.0.1:5432/ipp_bench (created if missing; its tables
are emptied before and after, Sites and content types excepted). Broker: REDIS_URL if set, else
redis://127.0.0.1:6379/15; only that Redis database is flushed (before and after). IPP_VAR_DIR is a temporary
directory; e-mail goes to dummymail://. Only 127.0.0.1 is ever targeted. ``phase_webhooks(events)`` runs 2.-4. for
another script (bench/api.py) whose Django is already set up with a Redis broker on the same database.
"""

import argparse
import contextlib
import hashlib
import hmac
import os
import platform
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import (  # noqa: E402
    BIN,
    HOST,
    OUT_DIR,
    ensure_postgres_database,
    other_sessions,
    pct,
    write_figures,
)
from bench.http_ceiling import base_env  # noqa: E402

DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/ipp_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
EVENT_TYPE = "right.expiring"
TEMPLATE = "complaints/right_expiring"
CONCURRENCY = 2
SIGNATURE_SAMPLE = 200
WARMUP = 100
# A run that has not finished in this long (plus 200 ms per task) is reported as stuck, not waited for.
TIMEOUT_BASE_S = 60.0
TIMEOUT_PER_TASK_S = 0.2
# Polling intervals: often enough for runs of seconds, rarely enough not to take CPU from the worker (2 CPUs).
BROKER_POLL_S = 0.02
DB_POLL_S = 0.1
NOOP_TASK = "celery.accumulate"


# --- Environment ------------------------------------------------------------------------------------------------


def configure(var_dir: Path) -> dict[str, str]:
    """One environment for this process and the worker: DEBUG off, a random secret, the same database and broker,
    Celery not eager, http to 127.0.0.1 allowed for webhooks."""
    env = base_env(var_dir)
    env.update(
        {
            "DATABASE_URL": os.environ.get("DATABASE_URL") or DEFAULT_POSTGRES_URL,
            "REDIS_URL": os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL,
            "DJANGO_SETTINGS_MODULE": "ipp_portal.settings",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "EMAIL_URL": "dummymail://",
            "WEBHOOKS_ALLOW_HTTP_LOCAL": "true",
        }
    )
    os.environ.update(env)
    ensure_postgres_database(env["DATABASE_URL"])
    return env


def setup_django():
    from bench._common import setup_django as setup_django_common

    settings = setup_django_common()
    check_settings(settings)
    return settings


def check_settings(settings) -> None:
    assert settings.CELERY_TASK_ALWAYS_EAGER is False, "the deliveries must go through the broker to the worker"
    assert settings.CELERY_BROKER_URL.startswith("redis://"), f"a Redis broker is needed: {settings.CELERY_BROKER_URL}"
    assert settings.WEBHOOKS_ALLOW_HTTP_LOCAL, "WEBHOOKS_ALLOW_HTTP_LOCAL must be on (here and in the worker)"
    assert settings.CELERY_TASK_ACKS_LATE, "the baseline counts unacknowledged messages: tasks must ack late"


def bench_tables() -> list[str]:
    from bench.claim_submit import bench_tables as tables

    return tables()


def empty_database() -> None:
    from bench.claim_submit import empty_database as empty

    empty()


# --- The receiver ------------------------------------------------------------------------------------------------


class Receiver:
    """A receiving server on 127.0.0.1 in threads of this process: answers 200 at once, counts requests per
    ``Webhook-Id`` and keeps every ``sample_every``-th request (headers and body) to check its signature."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ids: Counter[str] = Counter()
        self.requests = 0
        self.samples: list[tuple[dict[str, str], bytes]] = []
        self.sample_every = 1
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                event_id = self.headers.get("Webhook-Id", "")
                with receiver.lock:
                    receiver.requests += 1
                    receiver.ids[event_id] += 1
                    if receiver.requests % receiver.sample_every == 0 and len(receiver.samples) < SIGNATURE_SAMPLE:
                        receiver.samples.append((dict(self.headers.items()), body))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 256  # the default 5 would make the worker's connects wait on the backlog

        self.server = Server((HOST, 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self) -> str:
        return f"http://{HOST}:{self.port}/hook"

    def reset(self, expected: int) -> None:
        with self.lock:
            self.ids.clear()
            self.requests = 0
            self.samples = []
            self.sample_every = max(1, expected // SIGNATURE_SAMPLE)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def signed(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The receiver's check: any v1 signature equal to HMAC-SHA256 of "{timestamp}.{body}" with the secret."""
    expected = hmac.new(secret.encode(), headers["Webhook-Timestamp"].encode() + b"." + body, hashlib.sha256)
    given = [p.strip()[3:] for p in headers.get("Webhook-Signature", "").split(",") if p.strip().startswith("v1=")]
    return any(hmac.compare_digest(expected.hexdigest(), g) for g in given)


# --- The worker ----------------------------------------------------------------------------------------------------


class Worker:
    """``celery -A ipp_portal worker`` (prefork) in its own process group, so that stopping it stops its children."""

    def __init__(self, env: dict[str, str], log_path: Path, concurrency: int = CONCURRENCY) -> None:
        self.name = f"bench-webhooks-{uuid.uuid4().hex[:8]}@{HOST}"
        self.log_path = log_path
        cmd = [
            str(BIN / "celery"),
            "-A",
            "ipp_portal",
            "worker",
            "--pool",
            "prefork",
            "--concurrency",
            str(concurrency),
        ]
        # No beat (-B): the sweeps would hand the broker work of their own; no gossip or mingle (one worker).
        cmd += ["--loglevel", "WARNING", "-n", self.name, "--without-gossip", "--without-mingle"]
        with log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                cmd, env=env, cwd=ROOT, start_new_session=True, stdin=subprocess.DEVNULL, stdout=log, stderr=log
            )

    def wait_ready(self, timeout: float = 60.0) -> None:
        from ipp_portal.celery import app

        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the worker exited ({self.proc.returncode}); see {self.log_path}")
            if app.control.ping(destination=[self.name], timeout=1.0):
                return
        raise RuntimeError(f"the worker did not answer a ping within {timeout:.0f} s; see {self.log_path}")

    def tasks_run(self) -> dict[str, int]:
        """The worker's own count of tasks it ran, by name, since it started."""
        from ipp_portal.celery import app

        stats = app.control.inspect(destination=[self.name], timeout=2.0).stats() or {}
        return dict(stats.get(self.name, {}).get("total", {}))

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


# --- The broker ------------------------------------------------------------------------------------------------


def redis_client():
    import redis
    from django.conf import settings

    return redis.Redis.from_url(settings.CELERY_BROKER_URL)


def broker_holding(client, queue: str) -> int:
    """Messages the broker still holds: queued (the queue's list and its priority lists, kombu's layout) or
    delivered to the worker and not yet acknowledged (kombu's ``unacked`` hash)."""
    from kombu.transport.redis import Channel

    keys = [queue] + [f"{queue}{Channel.sep}{p}" for p in Channel.priority_steps if p]
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.llen(key)
    pipe.hlen(Channel.unacked_key)
    return sum(pipe.execute())


def send_noops(n: int) -> None:
    """N no-op tasks sent as ``dispatch_many`` sends deliveries: one producer, ``apply_async(retry=False)``."""
    from ipp_portal.celery import app

    task = app.tasks[NOOP_TASK]
    with app.producer_or_acquire() as producer:
        producer.connection.ensure_connection(max_retries=0)
        for i in range(n):
            task.apply_async((i,), producer=producer, retry=False)


def noop_run(n: int, worker: Worker, client) -> dict:
    from ipp_portal.celery import app

    queue = app.conf.task_default_queue
    before = worker.tasks_run().get(NOOP_TASK, 0)
    started = time.perf_counter()
    send_noops(n)
    sent = time.perf_counter()
    deadline = started + TIMEOUT_BASE_S + n * TIMEOUT_PER_TASK_S
    # Held at 0 on two polls in a row (the first one is when it finished): between the worker's pop of the last
    # message and its entry in the unacked hash the broker briefly holds it in neither place.
    zero_since = None
    while True:
        now = time.perf_counter()
        if broker_holding(client, queue) == 0:
            if zero_since is not None:
                break
            zero_since = now
        else:
            zero_since = None
        if now > deadline:
            raise RuntimeError(
                f"no-op tasks: the broker still holds {broker_holding(client, queue)} after {now - started:.0f} s"
            )
        time.sleep(BROKER_POLL_S)
    seconds = zero_since - started
    ran = worker.tasks_run().get(NOOP_TASK, 0) - before
    return {"tasks": n, "seconds": seconds, "per_s": n / seconds, "send_seconds": sent - started, "worker_ran": ran,
            "ok": ran == n}  # fmt: skip


# --- The data ------------------------------------------------------------------------------------------------------


def make_owner(receiver: Receiver):
    """A verified complainant with a verified trademark right, and an endpoint at the receiver (the service)."""
    from django.utils import timezone

    from complaints.api.webhooks import services
    from ipp_portal.accounts.models import User
    from tests.factories import make_complainant, make_right

    tag = secrets.token_hex(4)
    user = User.objects.create_user(f"bench-webhooks-{tag}@example.com", None, full_name="Bench Webhooks",
                                    email_verified_at=timezone.now())  # fmt: skip
    complainant = make_complainant(user=user, legal_name=f"Bench Webhooks {tag} Ltd.")
    right = make_right(complainant, title="BENCHHOOK", registration_number="UK00009876543",
                       expires_on=timezone.localdate() + timedelta(days=30))  # fmt: skip
    endpoint, secret = services.webhook_endpoint_create(user=user, url=receiver.url(), events=[EVENT_TYPE])
    return user, right, endpoint, secret


def clear_webhooks(user) -> None:
    """The events, deliveries, attempts and notices of an earlier run (the endpoint stays)."""
    from complaints.api.webhooks.models import WebhookEvent
    from ipp_portal.notifications.models import Notification

    WebhookEvent.objects.filter(owner=user).delete()  # deliveries and attempts cascade
    Notification.objects.filter(recipient=user).delete()


def write_events(n: int, user, right) -> tuple[float, float, datetime]:
    """N right_expiring notices and, through the webhook listener, their events and deliveries, in one transaction.
    Returns the seconds the writes took, the perf_counter at the COMMIT (the deliveries are handed to the broker
    right after it by ``dispatch_after_commit``) and the wall-clock time of the commit."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction
    from django.urls import reverse
    from django.utils import timezone

    from ipp_portal.notifications import services as notifications
    from ipp_portal.notifications.models import Notification

    content_type = ContentType.objects.get_for_model(right)
    days = (right.expires_on - timezone.localdate()).days
    context = {"label": str(right), "expires_on": right.expires_on, "days": days,
               "path": reverse("complaints:right-detail", args=[right.pk])}  # fmt: skip
    started = time.perf_counter()
    with transaction.atomic():
        now = timezone.now()
        rows = [
            Notification(recipient=user, template=TEMPLATE, context=context, subject="Bench: a right expires soon",
                         body_text="bench", target_type=content_type, target_id=str(right.pk), dispatched_at=now)
            for _ in range(n)
        ]  # fmt: skip
        created = Notification.objects.bulk_create(rows, batch_size=1000)
        # What queue_many does next (its own e-mail dispatch left out): the webhook listener writes the events and
        # deliveries and registers their dispatch after the commit.
        notifications._tell_listeners(created)
        committing = time.perf_counter()
        committed_at = timezone.now()
    return committing - started, committing, committed_at


def webhook_run(n: int, user, right, secret: str, receiver: Receiver) -> dict:
    from complaints.api.webhooks.models import WebhookAttempt, WebhookDelivery

    clear_webhooks(user)
    receiver.reset(n)
    write_s, t0, committed_at = write_events(n, user, right)
    dispatched = time.perf_counter()  # the on_commit dispatch_many has returned: all N are on the broker
    made = WebhookDelivery.objects.filter(endpoint__owner=user).count()
    deadline = t0 + TIMEOUT_BASE_S + n * TIMEOUT_PER_TASK_S
    delivered = 0
    while True:
        delivered = WebhookDelivery.objects.filter(
            endpoint__owner=user, status=WebhookDelivery.Status.DELIVERED
        ).count()
        with receiver.lock:
            seen = len(receiver.ids)
        if delivered >= n and seen >= n:
            break
        if time.perf_counter() > deadline:
            raise RuntimeError(
                f"webhooks: {delivered}/{n} delivered, receiver saw {seen} after {time.perf_counter() - t0:.0f} s"
            )
        time.sleep(DB_POLL_S)
    seconds = time.perf_counter() - t0
    with receiver.lock:
        requests, ids, samples = receiver.requests, Counter(receiver.ids), list(receiver.samples)
    attempts = WebhookAttempt.objects.filter(delivery__endpoint__owner=user)
    durations = [float(d) for d in attempts.values_list("duration_ms", flat=True)]
    lags = [
        (at - committed_at).total_seconds() * 1000
        for at in WebhookDelivery.objects.filter(endpoint__owner=user).values_list("delivered_at", flat=True)
    ]
    good_signatures = sum(signed(secret, h, b) for h, b in samples)
    ids_match = sum(f'"id":"{h["Webhook-Id"]}"'.encode() in b for h, b in samples)
    exactly_once = requests == n and len(ids) == n and max(ids.values()) == 1
    return {
        "events": n,
        "deliveries_made": made,
        "write_seconds": write_s,
        "dispatch_seconds": dispatched - t0,
        "seconds": seconds,
        "per_s": n / seconds,
        "delivered": delivered,
        "attempts": len(durations),
        "failed_attempts": attempts.exclude(status_code=200).count(),
        "receiver_requests": requests,
        "receiver_distinct_ids": len(ids),
        "exactly_once": exactly_once,
        "post_ms_p50": pct(durations, 50),
        "post_ms_p95": pct(durations, 95),
        "commit_to_delivered_ms_p50": pct(lags, 50),
        "commit_to_delivered_ms_p95": pct(lags, 95),
        "signatures_checked": len(samples),
        "signatures_valid": good_signatures,
        "sample_ids_match_body": ids_match,
        "ok": made == n and delivered == n and exactly_once and good_signatures == len(samples) == ids_match,
    }


def queries_of_one_delivery(user, right, secret: str, receiver: Receiver, client) -> dict:
    """``webhook_deliver`` of one pending delivery in this process (warm: the second of two), its statements."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from complaints.api.webhooks import services
    from complaints.api.webhooks.models import WebhookDelivery

    runs = []
    for _ in range(2):
        clear_webhooks(user)
        receiver.reset(1)
        write_events(1, user, right)  # its dispatch goes to the broker, which no worker consumes yet
        delivery = WebhookDelivery.objects.get(endpoint__owner=user)
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            services.webhook_deliver(delivery.pk)
            ms = (time.perf_counter() - started) * 1000
        delivery.refresh_from_db()
        runs.append({"queries": len(ctx.captured_queries), "delivered": delivery.status == "delivered", "ms": ms,
                     "statements": [" ".join(q["sql"].split())[:100] for q in ctx.captured_queries]})  # fmt: skip
    client.flushdb()  # the two tasks dispatched above: the worker must not find them
    clear_webhooks(user)
    return runs[-1]


# --- The phase -----------------------------------------------------------------------------------------------------


def phase_webhooks(
    events: int, *, small: int | None = None, env: dict[str, str] | None = None, log_dir: Path | None = None
) -> dict:
    """Steps 2.-4. of the docstring on the database and broker this process's Django uses (set up already, with a
    Redis broker and WEBHOOKS_ALLOW_HTTP_LOCAL on); the worker gets ``env`` (default: this process's environment).
    Flushes the broker's Redis database; deletes what it made (its user, with everything hanging on it)."""
    from django.conf import settings

    check_settings(settings)
    small = small or max(1, events // 5)
    env = dict(env or os.environ)
    client = redis_client()
    client.flushdb()
    receiver = Receiver()
    worker: Worker | None = None
    user = None
    tmp = None
    worker_log_tail = ""
    if log_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="ipp-webhooks-bench-")
        log_dir = Path(tmp.name)
    try:
        user, right, _endpoint, secret = make_owner(receiver)
        one = queries_of_one_delivery(user, right, secret, receiver, client)
        print(
            f"  one delivery in process: {one['queries']} SQL queries, {one['ms']:.1f} ms with the POST (warm, "
            f"queries captured; delivered: {one['delivered']})"
        )
        for s in one["statements"]:
            print(f"    {s}")

        started = time.perf_counter()
        worker = Worker(env, log_dir / "celery-worker.log")
        worker.wait_ready()
        print(
            f"  worker {worker.name} ready in {time.perf_counter() - started:.1f} s (prefork, {CONCURRENCY} processes)"
        )
        # Warm-up: both pool processes import, connect to the database and the receiver.
        noop_run(WARMUP, worker, client)
        warm = webhook_run(WARMUP, user, right, secret, receiver)
        if not warm["ok"]:
            raise RuntimeError(f"the warm-up run went wrong: {warm}")

        sizes: dict[int, dict] = {}
        for n in (small, events):
            base = noop_run(n, worker, client)
            hooks = webhook_run(n, user, right, secret, receiver)
            sizes[n] = {"noop": base, "webhooks": hooks, "ratio": hooks["per_s"] / base["per_s"]}
            print(
                f"  {n:>7,} events: {hooks['per_s']:>8,.0f} deliveries/s ({hooks['seconds']:.2f} s; listener wrote "
                f"them in {hooks['write_seconds']:.2f} s, dispatch_many {hooks['dispatch_seconds']:.2f} s) | no-op "
                f"{base['per_s']:>8,.0f} tasks/s ({base['seconds']:.2f} s) | ratio {sizes[n]['ratio']:.3f}"
            )
            print(
                f"           POST p50 {hooks['post_ms_p50']:.1f} ms, p95 {hooks['post_ms_p95']:.1f} ms (attempt log); "
                f"commit→delivered p50 {hooks['commit_to_delivered_ms_p50']:,.0f} ms, p95 "
                f"{hooks['commit_to_delivered_ms_p95']:,.0f} ms; {hooks['attempts']:,} attempts, "
                f"{hooks['failed_attempts']} failed; receiver {hooks['receiver_requests']:,} requests, "
                f"{hooks['receiver_distinct_ids']:,} ids ({'exactly once' if hooks['exactly_once'] else 'NOT once'}); "
                f"signatures {hooks['signatures_valid']}/{hooks['signatures_checked']} valid; "
                f"worker ran {base['worker_ran']:,} no-ops"
            )
    finally:
        if worker is not None:
            worker.stop()
            worker_log_tail = worker.log_path.read_text(errors="replace")[-2000:]
        receiver.stop()
        client.flushdb()
        if user is not None:
            from django.db.models import ProtectedError

            clear_webhooks(user)
            try:
                user.delete()
            except ProtectedError:  # its audit events keep it (by design); main() empties the database
                user.webhook_endpoints.all().delete()
        if tmp is not None:
            tmp.cleanup()

    per_small = sizes[small]["webhooks"]["seconds"] / small
    per_large = sizes[events]["webhooks"]["seconds"] / events
    noop_growth = (sizes[events]["noop"]["seconds"] / events) / (sizes[small]["noop"]["seconds"] / small)
    return {
        "events": events,
        "small": small,
        "concurrency": CONCURRENCY,
        "noop_task": NOOP_TASK,
        "one_delivery": one,
        "warmup": warm,
        "sizes": {str(k): v for k, v in sizes.items()},
        "deliveries_per_s": sizes[events]["webhooks"]["per_s"],
        "noop_per_s": sizes[events]["noop"]["per_s"],
        "ratio": sizes[events]["ratio"],
        "per_delivery_cost_growth": per_large / per_small,
        "per_noop_cost_growth": noop_growth,
        "ok": all(v["webhooks"]["ok"] and v["noop"]["ok"] for v in sizes.values()) and one["delivered"],
        "worker_log_tail": worker_log_tail,
    }


# --- Main --------------------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=None, help="events of the larger run (10,000; 2,000 --quick)")
    parser.add_argument("--small", type=int, default=None, help="events of the smaller run (a fifth of --events)")
    parser.add_argument("--quick", action="store_true", help="a small run (2,000 and 500) to check the bench itself")
    parser.add_argument("--out", type=Path, default=OUT_DIR / "webhooks.json")
    args = parser.parse_args()
    if args.events is None:
        args.events = 2_000 if args.quick else 10_000
    small = args.small or max(1, args.events // (4 if args.quick else 5))
    if not 0 < small < args.events:
        parser.error("--small must be between 1 and --events")

    with tempfile.TemporaryDirectory(prefix="ipp-webhooks-bench-") as tmp_name:
        tmp = Path(tmp_name)
        env = configure(tmp)
        setup_django()
        from django.core.management import call_command
        from django.db import connection, connections

        try:
            call_command("migrate", interactive=False, verbosity=0)
            others = other_sessions()
            print(
                f"Webhook fan-out benchmark on {connection.vendor} ({connection.settings_dict['NAME']}), broker "
                f"{env['REDIS_URL']}, {os.cpu_count()} CPUs, Python {platform.python_version()}; {small:,} and "
                f"{args.events:,} events"
            )
            if others:
                print(f"  warning: {others} other session(s) on this database")
            empty_database()
            figures = phase_webhooks(args.events, small=small, env=env, log_dir=tmp)
        finally:
            empty_database()
            connections.close_all()

    big, little = figures["sizes"][str(args.events)], figures["sizes"][str(small)]
    print("\nSummary")
    print(
        f"  webhook fan-out of {args.events:,} events: {figures['deliveries_per_s']:,.0f} deliveries/s beside "
        f"{figures['noop_per_s']:,.0f} no-op tasks/s on the same worker: ratio {figures['ratio']:.3f} "
        f"(a delivery costs {1 / figures['ratio']:.1f}x a no-op task)"
    )
    print(
        f"  at {small:,}: {little['webhooks']['per_s']:,.0f} deliveries/s vs {little['noop']['per_s']:,.0f} no-ops/s "
        f"(ratio {little['ratio']:.3f}); per-delivery cost {args.events:,} vs {small:,}: "
        f"{figures['per_delivery_cost_growth']:.2f}x (no-op: {figures['per_noop_cost_growth']:.2f}x; 1.0 = linear)"
    )
    print(
        f"  POST p50/p95 {big['webhooks']['post_ms_p50']:.1f}/{big['webhooks']['post_ms_p95']:.1f} ms; "
        f"commit→delivered p50/p95 {big['webhooks']['commit_to_delivered_ms_p50']:,.0f}/"
        f"{big['webhooks']['commit_to_delivered_ms_p95']:,.0f} ms; {figures['one_delivery']['queries']} SQL "
        f"queries per delivery"
    )
    print(f"  every delivery delivered, each event received exactly once, signatures valid: "
          f"{'yes' if figures['ok'] else 'NO'}")  # fmt: skip
    figures = {
        "benchmark": "webhooks",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "host": platform.node(),
        "cpus": os.cpu_count(),
        "database": "postgresql",
        "other_sessions": others,
        **figures,
    }
    write_figures(args.out, figures, "postgresql", default=str)
    return 0 if figures["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
