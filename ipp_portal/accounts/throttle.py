"""Rate limits on the entry points that cost us something: sign-in attempts and the forms that send email.

A ``Limit`` is a scope, a number of requests and a sliding window. Counters live in the default cache (Redis in
production, so every web process shares them). The window is split into buckets of a thirtieth of the window
(at least one second); the count is the sum of the buckets still inside the window.

Failed passwords per account are not counted here: django-axes counts them per (client address, account) pair in
the database (see the AXES settings), so a stranger elsewhere cannot lock the owner out.
"""

import hashlib
import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache

logger = logging.getLogger(__name__)

# When the shared cache fails (Redis down or hung), counting goes on in this per-process memory instead of failing
# closed: an outage of the shared cache must not become an outage of sign-in and sign-up, and limits kept per
# process still bound an attacker (by the number of processes). Failing open entirely would lift every limit
# exactly when someone takes Redis down. Password-guessing lockouts do not depend on this at all: axes keeps them
# in the database.
_local = LocMemCache("ipp-portal-limits-fallback", {"OPTIONS": {"MAX_ENTRIES": 100_000}})
# After a failure the shared cache is left alone for this long, so a hung Redis costs one socket timeout per
# process every half minute rather than one on every request.
SHARED_CACHE_RETRY_SECONDS = 30
_shared_down_until = 0.0


def _store():
    return _local if time.monotonic() < _shared_down_until else cache


def _shared_failed(exc: Exception) -> None:
    global _shared_down_until
    _shared_down_until = time.monotonic() + SHARED_CACHE_RETRY_SECONDS
    logger.warning(
        "Rate-limit counters fall back to process memory for %ss: the shared cache failed (%s: %s).",
        SHARED_CACHE_RETRY_SECONDS,
        type(exc).__name__,
        exc,
    )


def reset_for_tests() -> None:
    """Forget the local counters and any remembered cache failure."""
    global _shared_down_until
    _shared_down_until = 0.0
    _local.clear()


def _call(operation):
    """Run ``operation(store)`` on the shared cache, or on the local one if the shared cache raises."""
    store = _store()
    if store is _local:
        return operation(_local)
    try:
        return operation(store)
    except Exception as exc:  # any cache error (connection refused, timeout, protocol) must not become a 500
        _shared_failed(exc)
        return operation(_local)


@dataclass(frozen=True)
class Limit:
    """At most ``limit`` requests per key within ``window`` seconds."""

    scope: str
    limit: int
    window: int

    @property
    def bucket_seconds(self) -> int:
        return max(1, math.ceil(self.window / 30))

    def _keys(self, key: str, now: float) -> list[str]:
        digest = hashlib.sha256(key.strip().lower().encode()).hexdigest()[:32]
        size = self.bucket_seconds
        current = int(now // size)
        first = current - math.ceil(self.window / size) + 1
        return [f"limit:{self.scope}:{digest}:{b}" for b in range(first, current + 1)]

    def _counts(self, key: str, now: float) -> list[int]:
        keys = self._keys(key, now)
        found = _call(lambda store: store.get_many(keys))
        return [found.get(k, 0) if isinstance(found.get(k, 0), int) else 0 for k in keys]

    def is_exceeded(self, key: str, *, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        return sum(self._counts(key, now)) >= self.limit

    def retry_after(self, key: str, *, now: float | None = None) -> int:
        """Seconds until enough of the oldest requests leave the window to allow one more (at least 1)."""
        now = time.time() if now is None else now
        counts = self._counts(key, now)
        size, total = self.bucket_seconds, sum(counts)
        first = int(now // size) - len(counts) + 1
        for offset, count in enumerate(counts):
            if total < self.limit:
                break
            total -= count
            if total < self.limit:
                # Bucket b stays inside the window until the current bucket is b + len(counts).
                return max(1, math.ceil((first + offset + len(counts)) * size - now))
        return 1

    def hit(self, key: str, *, now: float | None = None) -> None:
        now = time.time() if now is None else now
        bucket = self._keys(key, now)[-1]
        ttl = self.window + self.bucket_seconds

        def add_one(store):
            if store.add(bucket, 1, ttl):
                return
            try:
                store.incr(bucket)
            except ValueError:  # expired between add and incr
                store.add(bucket, 1, ttl)

        _call(add_one)


def sign_in_limit() -> Limit:
    """Sign-in attempts from one client address (portal and admin alike)."""
    return Limit("sign-in:client", settings.LOGIN_THROTTLE_IP_LIMIT, settings.LOGIN_THROTTLE_WINDOW_SECONDS)


def email_client_limit() -> Limit:
    """Requests to the forms that send account email (sign-up, password reset, new confirmation link), per client
    address."""
    return Limit(
        "account-email:client", settings.ACCOUNT_EMAIL_LIMIT_PER_CLIENT, settings.ACCOUNT_EMAIL_LIMIT_WINDOW_SECONDS
    )


def email_mailbox_limit() -> Limit:
    """The same requests per target mailbox: nobody can flood someone else's inbox through our forms."""
    return Limit(
        "account-email:mailbox", settings.ACCOUNT_EMAIL_LIMIT_PER_MAILBOX, settings.ACCOUNT_EMAIL_LIMIT_WINDOW_SECONDS
    )


def client_ip(request) -> str:
    """The client's address; X-Forwarded-For is trusted only for the configured number of proxies."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def account_email_allowed(request, email: str) -> int | None:
    """Count one request to a form that sends account email; None if allowed, else seconds to wait.

    Refused requests are not counted, so a client that waits gets through; every allowed request counts whether
    or not the address has an account, so the limit itself tells nothing about which addresses exist.
    """
    ip = client_ip(request)
    mailbox = email.strip().lower()
    now = time.time()
    for limit, key in ((email_client_limit(), ip), (email_mailbox_limit(), mailbox)):
        if limit.is_exceeded(key, now=now):
            return limit.retry_after(key, now=now)
    email_client_limit().hit(ip, now=now)
    email_mailbox_limit().hit(mailbox, now=now)
    return None
