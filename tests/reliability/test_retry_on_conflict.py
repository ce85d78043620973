"""ipp_portal.transactions.retry_on_conflict against real PostgreSQL conflicts (no stand-ins for the database)."""

import logging
import threading
from collections import Counter

import pytest
from django.db import DatabaseError, OperationalError, connection, transaction

from ipp_portal.transactions import DEADLOCK_DETECTED, SERIALIZATION_FAILURE, conflict_code, retry_on_conflict
from listings.models import Seller
from tests.factories import SellerFactory


def raise_sqlstate(code: str) -> None:
    """Have PostgreSQL itself abort the statement with this SQLSTATE."""
    with connection.cursor() as cursor:
        cursor.execute(f"DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '{code}'; END $$")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("code", [DEADLOCK_DETECTED, SERIALIZATION_FAILURE])
def test_a_conflict_runs_the_whole_transaction_again_until_it_succeeds(code, caplog):
    caplog.set_level(logging.WARNING, logger="ipp_portal.transactions")
    seller = SellerFactory(store_name="Before")
    calls = []

    @retry_on_conflict(attempts=3, backoff=0.001)
    def rename():
        calls.append(connection.in_atomic_block)
        Seller.objects.filter(pk=seller.pk).update(store_name=f"Attempt {len(calls)}")
        if len(calls) < 3:
            raise_sqlstate(code)

    rename()

    assert calls == [True, True, True]  # each run in a transaction of its own
    seller.refresh_from_db()
    assert seller.store_name == "Attempt 3"  # the aborted runs left nothing behind
    assert [r.getMessage().count(code) for r in caplog.records if r.name == "ipp_portal.transactions"] == [1, 1]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_retry_is_bounded_and_other_errors_are_not_retried():
    calls = Counter()

    @retry_on_conflict(attempts=2, backoff=0.001)
    def always(code):
        calls[code] += 1
        raise_sqlstate(code)

    with pytest.raises(OperationalError) as deadlock:
        always(DEADLOCK_DETECTED)
    with pytest.raises(DatabaseError) as other:
        always("23505")  # a unique violation is a decision to report, not a race to run again

    assert conflict_code(deadlock.value) == DEADLOCK_DETECTED
    assert conflict_code(other.value) is None
    assert calls == {DEADLOCK_DETECTED: 2, "23505": 1}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_inside_an_outer_atomic_block_it_does_not_retry():
    calls = []

    @retry_on_conflict(attempts=3, backoff=0.001)
    def conflicting():
        calls.append(1)
        raise_sqlstate(SERIALIZATION_FAILURE)

    with pytest.raises(OperationalError) as raised, transaction.atomic():
        conflicting()

    assert conflict_code(raised.value) == SERIALIZATION_FAILURE
    assert len(calls) == 1  # the owner of the outer transaction decides whether to run all of it again


def deadlock_two_transactions(*, attempts: int, outer_atomic: bool = False):
    """Two threads lock two sellers in opposite order, each holding its first lock before asking for the second:
    PostgreSQL aborts one of them with a genuine deadlock. Returns (errors, runs per thread, final store names)."""
    first, second = SellerFactory(store_name="first"), SellerFactory(store_name="second")
    both_hold_one = threading.Barrier(2, timeout=30)
    runs = Counter()
    errors: list[BaseException] = []

    @retry_on_conflict(attempts=attempts, backoff=0.01)
    def lock_in_this_order(name, rows):
        runs[name] += 1
        Seller.objects.select_for_update().get(pk=rows[0].pk)
        if runs[name] == 1:
            both_hold_one.wait()
        Seller.objects.select_for_update().get(pk=rows[1].pk)
        Seller.objects.filter(pk__in=[r.pk for r in rows]).update(store_name=name)

    def run(name, rows):
        try:
            if outer_atomic:
                with transaction.atomic():
                    lock_in_this_order(name, rows)
            else:
                lock_in_this_order(name, rows)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=("forward", (first, second))),
        threading.Thread(target=run, args=("backward", (second, first))),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    names = set(Seller.objects.filter(pk__in=[first.pk, second.pk]).values_list("store_name", flat=True))
    return errors, runs, names


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_without_retry_a_genuine_deadlock_fails_one_transaction():
    errors, runs, _ = deadlock_two_transactions(attempts=1)

    assert [conflict_code(e) for e in errors] == [DEADLOCK_DETECTED]
    assert runs == {"forward": 1, "backward": 1}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_with_retry_both_deadlocked_transactions_finish(caplog):
    caplog.set_level(logging.WARNING, logger="ipp_portal.transactions")

    errors, runs, names = deadlock_two_transactions(attempts=3)

    assert errors == []
    assert sorted(runs.values()) == [1, 2]  # the victim ran once more, after the winner committed
    assert len(names) == 1  # the victim ran last and wrote both rows
    retried = [r.getMessage() for r in caplog.records if r.name == "ipp_portal.transactions"]
    assert len(retried) == 1
    assert DEADLOCK_DETECTED in retried[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_deadlock_inside_an_outer_atomic_block_is_not_retried():
    errors, runs, _ = deadlock_two_transactions(attempts=3, outer_atomic=True)

    assert [conflict_code(e) for e in errors] == [DEADLOCK_DETECTED]
    assert runs == {"forward": 1, "backward": 1}
