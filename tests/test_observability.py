"""Request ids, JSON logs and Sentry reporting.

The production behaviour (DEBUG off: JSON logs by default, Sentry on when SENTRY_DSN is set) is checked in
subprocesses loading the real settings; Sentry's envelopes go to a recording HTTP server on 127.0.0.1.
"""

import contextvars
import gzip
import json
import logging
import re
import secrets
import sys
import threading
import zlib
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import RequestFactory

from ipp_portal.observability import (
    REQUEST_ID_HEADER,
    JSONFormatter,
    RequestIDFilter,
    RequestIDMiddleware,
    current_request_id,
)
from tests.faults import closed_port
from tests.test_deployment import production_environ, run

# --- The request id -------------------------------------------------------------------------------------------


class ListHandler(logging.Handler):
    """Keeps what the log configuration's filter and formatter make of each record."""

    def __init__(self):
        super().__init__()
        self.addFilter(RequestIDFilter())
        self.setFormatter(JSONFormatter())
        self.lines: list[dict] = []

    def emit(self, record):
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def log_lines():
    handler = ListHandler()
    logger = logging.getLogger("ipp.test")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler.lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)  # loggers live for the whole process: the next test finds this one as it was


def view_that_logs(request):
    """Logs in the request's thread and in a worker thread started the way the health check starts its own."""
    from django.http import HttpResponse

    logger = logging.getLogger("ipp.test")
    logger.info("in the view")
    worker = threading.Thread(target=contextvars.copy_context().run, args=(logger.info, "in a worker thread"))
    worker.start()
    worker.join()
    return HttpResponse("ok")


def test_a_new_id_is_made_returned_and_on_every_line_of_the_request(log_lines):
    response = RequestIDMiddleware(view_that_logs)(RequestFactory().get("/"))

    request_id = response[REQUEST_ID_HEADER]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert [(line["message"], line["request_id"]) for line in log_lines] == [
        ("in the view", request_id),
        ("in a worker thread", request_id),
    ]
    assert current_request_id() is None  # not left behind for whatever this thread does next


def test_a_valid_incoming_id_is_kept(log_lines):
    incoming = "lb-7f3a.9c:01_x"
    request = RequestFactory().get("/", headers={REQUEST_ID_HEADER: incoming})

    response = RequestIDMiddleware(view_that_logs)(request)

    assert response[REQUEST_ID_HEADER] == incoming
    assert {line["request_id"] for line in log_lines} == {incoming}


@pytest.mark.parametrize(
    "incoming",
    ["x" * 129, "two words", 'quote"d', "line\\nbreak", "<script>", "ü-umlaut", ""],
)
def test_an_unsafe_incoming_id_is_replaced(incoming, log_lines):
    request = RequestFactory().get("/", headers={REQUEST_ID_HEADER: incoming})

    response = RequestIDMiddleware(view_that_logs)(request)

    assert re.fullmatch(r"[0-9a-f]{32}", response[REQUEST_ID_HEADER])
    assert {line["request_id"] for line in log_lines} == {response[REQUEST_ID_HEADER]}


def test_concurrent_requests_in_threads_keep_their_own_ids(log_lines):
    barrier = threading.Barrier(2)

    def slow_view(request):
        barrier.wait(5)  # both requests are in flight before either logs
        logging.getLogger("ipp.test").info(request.path)
        from django.http import HttpResponse

        return HttpResponse("ok")

    responses = {}

    def call(path):
        request = RequestFactory().get(path, headers={REQUEST_ID_HEADER: f"id{path.strip('/')}"})
        responses[path] = RequestIDMiddleware(slow_view)(request)

    threads = [threading.Thread(target=call, args=(path,)) for path in ("/1/", "/2/")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert {line["message"]: line["request_id"] for line in log_lines} == {"/1/": "id1", "/2/": "id2"}
    assert {path: r[REQUEST_ID_HEADER] for path, r in responses.items()} == {"/1/": "id1", "/2/": "id2"}


@pytest.mark.django_db
def test_the_middleware_is_installed(client):
    response = client.get("/healthz", headers={REQUEST_ID_HEADER: "from-the-balancer"})

    assert response[REQUEST_ID_HEADER] == "from-the-balancer"


# --- The JSON formatter ---------------------------------------------------------------------------------------


def test_json_line_has_time_level_logger_message_request_id_and_the_exception():
    try:
        1 / 0  # noqa: B018
    except ZeroDivisionError:
        record = logging.getLogger("ipp.orders").makeRecord(
            "ipp.orders", logging.ERROR, __file__, 1, "order %s failed\nsecond line", ("A-1",), sys.exc_info()
        )
    RequestIDFilter().filter(record)

    line = JSONFormatter().format(record)

    assert "\n" not in line  # one record, one line
    entry = json.loads(line)
    assert set(entry) == {"time", "level", "logger", "message", "request_id", "exc_info"}
    assert entry["level"] == "ERROR"
    assert entry["logger"] == "ipp.orders"
    assert entry["message"] == "order A-1 failed\nsecond line"
    assert entry["request_id"] is None
    assert entry["exc_info"].startswith("Traceback (most recent call last):")
    assert "ZeroDivisionError: division by zero" in entry["exc_info"]
    moment = datetime.fromisoformat(entry["time"])
    assert moment.utcoffset() == timedelta(0)
    assert abs(moment.timestamp() - record.created) < 0.001


def test_json_line_without_exception_has_no_exc_info_and_survives_odd_arguments():
    record = logging.getLogger("ipp").makeRecord("ipp", logging.INFO, __file__, 1, "%s", (object,), None)

    entry = json.loads(JSONFormatter().format(record))

    assert "exc_info" not in entry
    assert entry["message"] == "<class 'object'>"


# --- The log configuration of the settings --------------------------------------------------------------------

LOG_SCRIPT = """
import django
django.setup()
import logging
logging.getLogger("ipp.check").warning("hello %s", "there")
try:
    {}["missing"]
except KeyError:
    logging.getLogger("ipp.check").exception("lookup failed")
"""

PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
    "SITE_URL": "https://ipp.example.com",
    "DJANGO_ALLOWED_HOSTS": "testserver",
}


def test_production_logs_json_by_default(tmp_path):
    result = run(["-c", LOG_SCRIPT], production_environ(tmp_path, **PRODUCTION))

    assert result.returncode == 0, result.stderr
    every_line = [json.loads(line) for line in result.stderr.splitlines()]  # all JSON, whoever logged them
    lines = [e for e in every_line if e["logger"] == "ipp.check"]
    assert [(e["level"], e["logger"], e["message"]) for e in lines] == [
        ("WARNING", "ipp.check", "hello there"),
        ("ERROR", "ipp.check", "lookup failed"),
    ]
    assert "KeyError: 'missing'" in lines[1]["exc_info"]
    assert all(e["request_id"] is None for e in lines)


@pytest.mark.parametrize(
    "variables",
    [{"DJANGO_DEBUG": "true"}, {**PRODUCTION, "LOG_FORMAT": "text"}],
    ids=["debug-on", "log-format-text"],
)
def test_text_logs_with_debug_on_or_when_asked(tmp_path, variables):
    result = run(["-c", LOG_SCRIPT], production_environ(tmp_path, **variables))

    assert result.returncode == 0, result.stderr
    (line,) = [line for line in result.stderr.splitlines() if " ipp.check " in line and "hello" in line]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} WARNING ipp\.check hello there", line)
    assert "KeyError: 'missing'" in result.stderr


def test_an_unknown_log_format_is_refused(tmp_path):
    result = run(["manage.py", "check"], production_environ(tmp_path, **PRODUCTION, LOG_FORMAT="xml"))

    assert result.returncode != 0
    assert "LOG_FORMAT must be json or text" in result.stderr


REQUEST_SCRIPT = """
import django
django.setup()
from django.test import Client
response = Client().get("/healthz", secure=True, headers={"X-Request-ID": "trace-123"})
print(response.status_code, response["X-Request-ID"])
"""


def test_production_request_logs_carry_the_request_id_from_every_thread(tmp_path):
    """A real request in production settings whose health check fails: the checks' threads log JSON lines that
    carry the caller's request id."""
    environ = production_environ(tmp_path, **PRODUCTION, REDIS_URL=f"redis://127.0.0.1:{closed_port()}/0")

    result = run(["-c", REQUEST_SCRIPT], environ)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["503", "trace-123"]
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    failures = {e["message"]: e for e in lines if e["message"].startswith("Health check")}
    assert set(failures) == {"Health check cache failed", "Health check broker failed"}
    assert {e["request_id"] for e in failures.values()} == {"trace-123"}
    assert all("exc_info" in e for e in failures.values())


# --- Sentry ---------------------------------------------------------------------------------------------------


class Recorder(BaseHTTPRequestHandler):
    """Sentry's ingest endpoint, as far as the SDK can tell: keeps every POST and answers 200."""

    received: list[tuple[str, bytes]]

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        self.server.received.append((self.path, body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def sentry_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


SENTRY_SCRIPT = """
import sys, types
import django
django.setup()
import sentry_sdk
from django.conf import settings
from django.test import Client
from django.urls import path

print("active" if sentry_sdk.get_client().is_active() else "inactive")
if not sentry_sdk.get_client().is_active():
    sys.exit(0)

def broken(request):
    raise RuntimeError("the view broke")

urls = types.ModuleType("sentry_check_urls")
urls.urlpatterns = [path("broken/", broken)]
sys.modules["sentry_check_urls"] = urls
settings.ROOT_URLCONF = "sentry_check_urls"
response = Client(raise_request_exception=False).get(
    "/broken/?token=abc", secure=True, headers={"Cookie": "sessionid=not-for-sentry"}
)
print(response.status_code)
sentry_sdk.flush(timeout=10)
"""


def test_errors_in_views_are_reported_to_sentry_without_personal_data(tmp_path, sentry_server):
    port = sentry_server.server_address[1]
    environ = production_environ(
        tmp_path, **PRODUCTION, SENTRY_DSN=f"http://public@127.0.0.1:{port}/1", SENTRY_RELEASE="ipp@1.2.3"
    )

    result = run(["-c", SENTRY_SCRIPT], environ)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["active", "500"]
    envelopes = [body for url, body in sentry_server.received if url == "/api/1/envelope/"]
    events = [
        json.loads(line)
        for body in envelopes
        for line in body.decode().splitlines()
        if line.startswith("{") and '"exception"' in line
    ]
    assert events, sentry_server.received
    (event,) = [e for e in events if e.get("exception", {}).get("values", [{}])[-1].get("type") == "RuntimeError"]
    assert event["exception"]["values"][-1]["value"] == "the view broke"
    assert event["environment"] == "production"
    assert event["release"] == "ipp@1.2.3"
    assert "not-for-sentry" not in json.dumps(event)  # send_default_pii is off: no cookies
    assert "user" not in event or not event["user"].get("ip_address")


def test_sentry_is_off_without_a_dsn(tmp_path, sentry_server):
    result = run(["-c", SENTRY_SCRIPT], production_environ(tmp_path, **PRODUCTION))

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["inactive"]
    assert sentry_server.received == []
