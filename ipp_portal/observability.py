"""Request ids and structured logs.

Every request gets an id: the caller's X-Request-ID when it is a plausible one (a load balancer or another service
started the trace), otherwise a new one. It is returned in the response's X-Request-ID header and added to every
log record written while the request is handled, so one line in a log search finds all the others of that request.

The id lives in a context variable: each thread (and each asyncio task) of a server sees only its own request's
id. Work handed to another thread keeps it when run through ``contextvars.copy_context().run``.
"""

import contextvars
import json
import logging
import re
import uuid
from datetime import UTC, datetime

REQUEST_ID_HEADER = "X-Request-ID"
# Letters, digits and . _ : - only, at most 128 characters: anything else (spaces, quotes, control characters, a
# megabyte of text) could forge or break log lines, so it is replaced rather than echoed.
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    return request_id_var.get()


def valid_request_id(value: str | None) -> str | None:
    if value and _VALID_REQUEST_ID.fullmatch(value):
        return value
    return None


class RequestIDMiddleware:
    """Sets the request id for the duration of the request and returns it in the response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = valid_request_id(request.headers.get(REQUEST_ID_HEADER)) or uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response[REQUEST_ID_HEADER] = request_id
        return response


class RequestIDFilter(logging.Filter):
    """Adds ``request_id`` to every record (None outside a request), for the formatters to print."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id_var.get()
        return True


class JSONFormatter(logging.Formatter):
    """One JSON object per line: time (ISO 8601, UTC), level, logger, message, request_id and, when the record
    carries an exception, exc_info as the formatted traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
        }
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc_info"] = record.exc_text
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        # default=str: a message argument that JSON cannot hold must not lose the whole line.
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The plain format for a developer's console; the request id is shown only when there is one."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s%(request_tag)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None) or request_id_var.get()
        record.request_tag = f" [{request_id}]" if request_id else ""
        return super().format(record)
