"""Running calls at once, each in its own thread with its own database connection (for the concurrency tests)."""

import threading

from django.db import connection


def run_together(*calls, timeout: float = 120):
    """Run each call in its own thread, all released together by a barrier; return what they raised."""
    barrier = threading.Barrier(len(calls))
    errors: list[BaseException] = []

    def run(call):
        try:
            barrier.wait()
            call()
        except BaseException as exc:  # returned to the test, which says what it expects
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads), "a transaction is still waiting for a lock"
    return errors
