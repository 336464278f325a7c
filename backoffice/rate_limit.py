"""Rate limits counted atomically, in a store every app server shares.

A client's window opens with its first request and lasts the period; each request in it counts
one, and those past the limit are refused until it closes. Counting is one atomic step, so
concurrent requests cannot all read "still under the limit" and all pass, as they did with DRF's
own throttle (it reads the client's request log from the cache, then writes it back).

The count lives in the cache when its backend increments atomically (`cache.add` then
`cache.incr`: Redis, memcached, local memory). Django's database cache, the default, increments
with a read then a write, so there the count is a row of `RateLimitWindow`, bumped with one
`INSERT … ON CONFLICT DO UPDATE … RETURNING` (PostgreSQL and SQLite).
"""

import random
import time

from django.core.cache import caches
from django.db import connections, router

from backoffice.models import RateLimitWindow

# Cache backends whose incr() is atomic (and keeps the key's expiry).
ATOMIC_INCR_BACKENDS = {"RedisCache", "PyMemcacheCache", "PyLibMCCache", "LocMemCache"}
# One request in this many also deletes closed windows from the database.
PRUNE_ONE_IN = 200


def hit(key: str, period: float) -> tuple[int, float]:
    """Count one request under `key`: (requests counted in its window so far, this one
    included; seconds until the window closes)."""
    cache = caches["default"]
    if type(cache).__name__ in ATOMIC_INCR_BACKENDS:
        return _hit_cache(cache, key, period)
    return _hit_database(key, period)


def _hit_cache(cache, key: str, period: float) -> tuple[int, float]:
    timeout = max(1, int(period))
    for _ in range(3):
        now = time.time()
        # Opens the window if none is open; the count then expires with it.
        if cache.add(key, 0, timeout=timeout):
            cache.set(f"{key}:closes", now + timeout, timeout=timeout)
        try:
            hits = cache.incr(key)
        except ValueError:  # the window closed between add and incr: open the next one
            continue
        closes = cache.get(f"{key}:closes") or now + timeout
        return hits, max(0.0, closes - now)
    raise RuntimeError(f"rate limit {key!r}: the cache keeps dropping the count")


def _hit_database(key: str, period: float) -> tuple[int, float]:
    now = time.time()
    alias = router.db_for_write(RateLimitWindow)
    connection = connections[alias]
    table = connection.ops.quote_name(RateLimitWindow._meta.db_table)
    with connection.cursor() as cursor:
        # Both CASEs read the row as it was: an open window counts one more, a closed one
        # starts again at one.
        cursor.execute(
            f"""INSERT INTO {table} (bucket, hits, closes_at) VALUES (%s, 1, %s)
            ON CONFLICT (bucket) DO UPDATE SET
              hits = CASE WHEN {table}.closes_at > %s THEN {table}.hits + 1 ELSE 1 END,
              closes_at = CASE WHEN {table}.closes_at > %s THEN {table}.closes_at
                               ELSE excluded.closes_at END
            RETURNING hits, closes_at""",
            [key, now + period, now, now],
        )
        hits, closes_at = cursor.fetchone()
        if random.randrange(PRUNE_ONE_IN) == 0:
            cursor.execute(f"DELETE FROM {table} WHERE closes_at <= %s", [now])
    return hits, max(0.0, closes_at - now)
