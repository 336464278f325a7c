"""Simultaneous work for the concurrency tests: threads released together by one barrier."""

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection


def at_once(count: int, work: Callable[[int], Any], *, errors: str = "fail", timeout: float = 60) -> list:
    """Run `work(i)` for i in 0..count-1, each in a thread of its own, released together; what
    each returned, in order.

    Each thread has its own database connection (closed when it ends), so on PostgreSQL the
    threads are as many simultaneous transactions. An exception raised in a thread fails the test
    (`errors="fail"`), or takes that thread's place in the answer (`errors="return"`) when the
    test expects some threads to be refused."""
    if errors not in ("fail", "return"):
        raise ValueError(f"errors must be 'fail' or 'return', not {errors!r}")
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = work(i)
        except Exception as exc:  # reported by the caller or below
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread is still running"
    if errors == "fail":
        raised = [r for r in results if isinstance(r, Exception)]
        assert not raised, raised
    return results
