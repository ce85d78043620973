"""Bounded retry of a whole transaction that PostgreSQL aborted on a conflict.

A deadlock (SQLSTATE 40P01) or a serialization failure (40001) aborts the transaction of one participant; its
work was rolled back and running it again from the start normally succeeds. ``retry_on_conflict`` does that for
an outermost transaction, a bounded number of times with a growing, jittered pause.

Only the *whole* transaction can be run again. A conflict involves every lock and the snapshot of the transaction,
including what an enclosing ``atomic`` block took before the call; only ending that outermost transaction releases
them, so running the inner part again inside it would meet the same conflict, or commit half a unit of work.
Called inside an outer atomic block the decorator is therefore a plain nested ``atomic``: it runs the function once
and lets the error propagate to whoever owns the outermost transaction (and may retry it there).

The decorated function opens no transaction of its own (the decorator does) and must be safe to run again: it
should take ids and plain values, not iterators it consumes or objects it mutates, and have no effect outside the
database before it commits (notices and tasks go through ``transaction.on_commit``, which discards them on
rollback).
"""

import contextlib
import functools
import logging
import random
import time
from collections.abc import Iterator

from django.db import DEFAULT_DB_ALIAS, DatabaseError, transaction

logger = logging.getLogger(__name__)

DEADLOCK_DETECTED = "40P01"
SERIALIZATION_FAILURE = "40001"
RETRYABLE = frozenset({DEADLOCK_DETECTED, SERIALIZATION_FAILURE})


def conflict_code(exc: BaseException) -> str | None:
    """The SQLSTATE of a retryable conflict behind ``exc`` (Django wraps the driver's error), else None."""
    for error in (exc, exc.__cause__):
        code = getattr(error, "pgcode", None) or getattr(error, "sqlstate", None)
        if code in RETRYABLE:
            return code
    return None


def retry_on_conflict(func=None, *, attempts: int = 3, backoff: float = 0.05, using: str = DEFAULT_DB_ALIAS):
    """Run ``func`` in ``transaction.atomic`` (it replaces that decorator), and run the transaction again when
    PostgreSQL aborts it on a deadlock or a serialization failure: up to ``attempts`` runs in all, pausing about
    ``backoff``, 2×``backoff``, … seconds (randomised, so two victims do not collide again).

    Inside an outer atomic block it is a plain nested ``atomic`` and does not retry (see the module docstring):
    the error propagates to the owner of the outermost transaction."""
    if attempts < 1:
        raise ValueError("attempts must be at least 1")

    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            if transaction.get_connection(using).in_atomic_block:
                with transaction.atomic(using=using):
                    return fn(*args, **kwargs)
            for attempt in range(1, attempts + 1):
                try:
                    with transaction.atomic(using=using):
                        return fn(*args, **kwargs)
                except DatabaseError as exc:
                    code = conflict_code(exc)
                    if code is None or attempt == attempts:
                        raise
                    pause = backoff * 2 ** (attempt - 1) * random.uniform(0.5, 1.5)  # noqa: S311 - jitter, not a secret
                    logger.warning(
                        "%s: transaction aborted (SQLSTATE %s), running it again in %.3f s (attempt %d of %d)",
                        fn.__qualname__, code, pause, attempt + 1, attempts,
                    )  # fmt: skip
                    time.sleep(pause)
            raise AssertionError("unreachable")  # pragma: no cover

        return wrapper

    return decorate(func) if func is not None else decorate


@contextlib.contextmanager
def serial_plan(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Run the block's queries without parallel workers (PostgreSQL): for a short indexed lookup the planner may
    choose a parallel plan on a big table, whose worker start-up (tens of milliseconds) costs far more than the
    lookup (under a millisecond). The setting lasts to the end of the block only; elsewhere this does nothing."""
    connection = transaction.get_connection(using)
    if connection.vendor != "postgresql":
        yield
        return
    nested = connection.in_atomic_block  # else the setting ends with the transaction opened here
    with transaction.atomic(using=using, savepoint=False), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('max_parallel_workers_per_gather', '0', true)")
        try:
            yield
        finally:
            if nested and not connection.needs_rollback:
                cursor.execute("RESET max_parallel_workers_per_gather")
