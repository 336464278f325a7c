"""Send reads that may lag to a PostgreSQL read replica, when one is configured.

Only code that says so reads from the replica: the finance pages, their drill-down and CSV
(`lag_tolerant`) and the books check wrap their reads in `replica_reads()`. Everything else —
writes, anything under a row lock, anything that checks the ledger — stays on the primary, so a
lagging replica can never let money rules be broken.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps

from django.conf import settings
from django.db import connections

REPLICA = "replica"
_lag_ok: ContextVar[bool] = ContextVar("replica_reads", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def replica_reads() -> Iterator[None]:
    token = _lag_ok.set(True)
    try:
        yield
    finally:
        _lag_ok.reset(token)


def lag_tolerant(view: Callable) -> Callable:
    """Decorate a read-only view whose data may be a little behind."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        with replica_reads():
            return view(*args, **kwargs)

    return wrapped


class ReplicaRouter:
    def db_for_read(self, model, **hints) -> str | None:
        if not (_lag_ok.get() and replica_configured()):
            return None
        instance = hints.get("instance")
        if instance is not None and instance._state.db:
            return instance._state.db  # related rows come from where their parent came from
        if connections["default"].in_atomic_block:
            return None  # reads inside a write transaction see that transaction
        return REPLICA

    def db_for_write(self, model, **hints) -> str:
        return "default"

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True

    def allow_migrate(self, db: str, app_label: str, **hints) -> bool:
        return db == "default"
