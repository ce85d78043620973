"""Email is delivered at least once, and a duplicate is recognisable.

A delivery runs in a process of its own against a real (tiny) SMTP relay. The relay accepts the message (250 to the
data) and, when the client says QUIT, kills the delivering process before answering: the mail went out but the row
was never marked sent. The attempt is on record all the same, the next delivery sends the message again with the
same Message-ID, and the row ends sent.
"""

import os
import signal
import socketserver
import subprocess
import sys
import threading
from email import message_from_bytes
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from django.conf import settings
from django.db import connection

from ipp_portal.notifications.models import Notification
from tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
DELIVER = """
import sys
import django
django.setup()
from django.conf import settings
settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", int(sys.argv[2]), 10
settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
from ipp_portal.notifications.services import notification_deliver
notification_deliver(int(sys.argv[1]))
"""


class _Relay(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _SMTPSession)
        self.messages: list[bytes] = []
        self.kill_on_quit: subprocess.Popen | None = None
        self.victim_known = threading.Event()


class _SMTPSession(socketserver.StreamRequestHandler):
    """Just enough SMTP for Django's backend: EHLO, MAIL, RCPT, DATA, QUIT."""

    timeout = 15

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self):
        self.reply("220 relay.test ESMTP")
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.reply("250 relay.test")
            elif verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                self.reply("250 OK")
            elif verb == b"DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                data = []
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                self.server.messages.append(b"".join(data))
                self.reply("250 OK queued")  # the relay has the message from here on
            elif verb == b"QUIT":
                if self.server.victim_known.wait(10) and self.server.kill_on_quit is not None:
                    # The worker dies after the relay accepted the message and before it could mark the row sent.
                    self.server.kill_on_quit.send_signal(signal.SIGKILL)
                    self.server.kill_on_quit.wait(10)
                    return
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Not implemented")


@pytest.fixture
def relay():
    server = _Relay()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def deliver_in_a_process(relay):
    """Run ``notification_deliver(id)`` in a new process on the test database, sending through the relay."""
    processes: list[subprocess.Popen] = []
    db = connection.settings_dict
    database_url = (
        f"postgres://{quote(db['USER'] or '', safe='')}:{quote(db['PASSWORD'] or '', safe='')}"
        f"@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "ipp_portal.settings_test"}

    def run(notification_id: int, *, killed_at_quit: bool) -> int:
        relay.victim_known.clear()
        relay.kill_on_quit = None
        process = subprocess.Popen(  # noqa: S603 - this interpreter running the fixed script above
            [sys.executable, "-c", DELIVER, str(notification_id), str(relay.server_address[1])], cwd=ROOT, env=env
        )
        processes.append(process)
        relay.kill_on_quit = process if killed_at_quit else None
        relay.victim_known.set()
        return process.wait(60)

    yield run
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def test_a_worker_killed_after_the_relay_accepted_the_mail_sends_it_again_with_the_same_message_id(
    relay, deliver_in_a_process
):
    user = UserFactory(email="seller@example.com")
    row = Notification.objects.create(recipient=user, template="generic", subject="Takedown notice", body_text="b")

    assert deliver_in_a_process(row.pk, killed_at_quit=True) == -signal.SIGKILL

    row.refresh_from_db()
    assert len(relay.messages) == 1  # the mail went out...
    assert (row.status, row.attempts, row.sent_at) == (Notification.Status.PENDING, 1, None)  # ...unconfirmed
    assert row.last_attempt_at is not None

    assert deliver_in_a_process(row.pk, killed_at_quit=False) == 0

    row.refresh_from_db()
    assert (row.status, row.attempts) == (Notification.Status.SENT, 2)
    assert row.sent_at is not None
    first, second = (message_from_bytes(raw) for raw in relay.messages)
    expected = f"<notification-{row.pk}@{urlsplit(settings.SITE_URL).hostname}>"
    assert first["Message-ID"] == second["Message-ID"] == expected  # the duplicate is recognisably the same mail
    assert first["Subject"] == second["Subject"] == "Takedown notice"
    assert first["To"] == second["To"] == "seller@example.com"

    assert deliver_in_a_process(row.pk, killed_at_quit=False) == 0  # once sent, never again
    assert len(relay.messages) == 2
