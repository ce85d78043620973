"""A receiving HTTP server for webhook tests, and the receiver's own signature check (not the portal's code)."""

import hashlib
import hmac
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    """An HTTP server on 127.0.0.1 in a thread that records every POST (path, headers, body) and answers
    ``status``. ``stop`` closes the port (a receiver that is down); ``start`` opens it again on the same port."""

    def __init__(self, status: int = 200):
        self.status = status
        self.received: list[dict] = []
        self.port = 0
        self.server: ThreadingHTTPServer | None = None
        self.start()

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers["Content-Length"])
                receiver.received.append(
                    {"path": self.path, "headers": dict(self.headers.items()), "body": self.rfile.read(length)}
                )
                self.send_response(receiver.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()
        self.server = None

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def event_ids(self) -> list[str]:
        return [r["headers"]["Webhook-Id"] for r in self.received]


def signatures(headers: dict) -> list[str]:
    return [part[3:] for part in headers["Webhook-Signature"].split(",") if part.startswith("v1=")]


def signed_by(secret: str, request: dict) -> bool:
    """The receiver's check: HMAC-SHA256 over "{timestamp}.{body}" with the secret, against any v1 signature."""
    timestamp = request["headers"]["Webhook-Timestamp"]
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + request["body"], hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, sig) for sig in signatures(request["headers"]))
