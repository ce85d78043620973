"""A client for clamd's INSTREAM command over TCP: stream a file to a ClamAV daemon in chunks, read its verdict.

The protocol (clamd(8)): send ``zINSTREAM\\0``, then the file as chunks each prefixed with its length as a 4-byte
big-endian integer, then a zero-length chunk; clamd answers ``stream: OK`` or ``stream: <signature> FOUND``
(``... ERROR`` when it cannot scan, e.g. past its StreamMaxLength), terminated by a NUL byte.
"""

import socket
import struct
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

DEFAULT_PORT = 3310
MAX_REPLY = 4096  # a verdict is one short line; anything longer is not clamd


class ScannerUnavailable(Exception):
    """clamd could not be reached, did not answer in time, or answered something other than a verdict."""


def address(url: str) -> tuple[str, int]:
    """``tcp://host:port`` -> (host, port). Raises ImproperlyConfigured for anything else."""
    parts = urlsplit(url)
    if parts.scheme != "tcp" or not parts.hostname:
        raise ImproperlyConfigured(f"CLAMAV_URL must look like tcp://clamav:3310, not {url!r}.")
    return parts.hostname, parts.port or DEFAULT_PORT


def scan(url: str, chunks: Iterable[bytes], *, timeout: float) -> str | None:
    """Stream ``chunks`` to clamd; return the signature name if it found one, None if the data is clean.

    ``timeout`` bounds the connection and every read and write, so a hung daemon costs at most that per step.
    Raises ScannerUnavailable when there is no verdict.
    """
    host, port = address(url)
    try:
        with socket.create_connection((host, port), timeout=timeout) as conn:
            conn.sendall(b"zINSTREAM\0")
            for chunk in chunks:
                if chunk:
                    conn.sendall(struct.pack(">I", len(chunk)) + chunk)
            conn.sendall(struct.pack(">I", 0))
            reply = _read_reply(conn)
    except OSError as exc:  # refused, unreachable, reset, timed out (socket.timeout is an OSError)
        raise ScannerUnavailable(f"clamd at {host}:{port}: {exc or type(exc).__name__}") from exc
    return _verdict(reply)


def _read_reply(conn: socket.socket) -> bytes:
    reply = b""
    while b"\0" not in reply and len(reply) < MAX_REPLY:
        data = conn.recv(MAX_REPLY)
        if not data:
            break
        reply += data
    return reply.split(b"\0", 1)[0].strip()


def _verdict(reply: bytes) -> str | None:
    text = reply.decode("utf-8", "replace")
    if text == "stream: OK":
        return None
    if text.startswith("stream: ") and text.endswith(" FOUND"):
        return text[len("stream: ") : -len(" FOUND")].strip() or "malware"
    raise ScannerUnavailable(f"clamd answered {text[:200]!r}" if text else "clamd closed without a verdict")
