"""Login throttling (ASVS V6.3): attempts per client address and failures per account, in a sliding window.

Counters live in the default cache (Redis in production, so every web process shares them). The window is split
into one-minute buckets; the count is the sum of the buckets still inside the window.
"""

import hashlib
import math
import time

from django.conf import settings
from django.core.cache import cache

BUCKET_SECONDS = 60


def client_ip(request) -> str:
    """The client's address; X-Forwarded-For is trusted only for the configured number of proxies."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _keys(scope: str, ident: str, now: float) -> tuple[str, list[str]]:
    digest = hashlib.sha256(ident.lower().encode()).hexdigest()[:32]
    window = settings.LOGIN_THROTTLE_WINDOW_SECONDS
    current = int(now // BUCKET_SECONDS)
    buckets = range(current - math.ceil(window / BUCKET_SECONDS) + 1, current + 1)
    return f"login:{scope}:{digest}:{current}", [f"login:{scope}:{digest}:{b}" for b in buckets]


def _count(scope: str, ident: str, now: float) -> int:
    _, keys = _keys(scope, ident, now)
    return sum(v for v in cache.get_many(keys).values() if isinstance(v, int))


def _hit(scope: str, ident: str, now: float) -> None:
    key, _ = _keys(scope, ident, now)
    ttl = settings.LOGIN_THROTTLE_WINDOW_SECONDS + BUCKET_SECONDS
    if cache.add(key, 1, ttl):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, ttl)


def retry_after_seconds(now: float | None = None) -> int:
    now = time.time() if now is None else now
    return BUCKET_SECONDS - int(now % BUCKET_SECONDS)


def is_blocked(*, ip: str, email: str, now: float | None = None) -> bool:
    now = time.time() if now is None else now
    if _count("ip", ip, now) >= settings.LOGIN_THROTTLE_IP_LIMIT:
        return True
    return bool(email) and _count("account", email, now) >= settings.LOGIN_THROTTLE_ACCOUNT_LIMIT


def note_attempt(*, ip: str, now: float | None = None) -> None:
    _hit("ip", ip, time.time() if now is None else now)


def note_failure(*, email: str, now: float | None = None) -> None:
    if email:
        _hit("account", email, time.time() if now is None else now)
