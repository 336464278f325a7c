"""The background worker: django-tasks' database worker, and a scheduler for periodic tasks.

Tasks are rows in the database (django-tasks-db). A worker claims one with
`SELECT … FOR UPDATE SKIP LOCKED` in a short transaction, marks it running, commits, and runs it
outside any transaction, so any number of workers on any number of machines share one queue, and
no two run the same task. On SQLite the claim is an exclusive transaction instead.

Periodic tasks (`WORKER_SCHEDULE`: name → task path and period in seconds, 0 for never) are
enqueued by whichever worker first sees one due: a conditional UPDATE on its `ScheduledTask` row
moves the next run on and, in the same transaction, enqueues the task, so each runs once per
period however many workers there are, and a worker that dies mid-run loses at most that run.
"""

import logging
import threading
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, OperationalError, close_old_connections, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from backoffice.models import ScheduledTask

logger = logging.getLogger("backoffice.worker")

# How often each worker looks at the schedule.
TICK_SECONDS = 1.0


def schedule() -> dict[str, tuple[str, int]]:
    return {name: (path, int(every)) for name, (path, every) in settings.WORKER_SCHEDULE.items() if every > 0}


def schedule_tick() -> list[str]:
    """Enqueue each periodic task that is due and no other worker has taken; their names."""
    enqueued = []
    for name, (path, every) in schedule().items():
        now = timezone.now()
        try:
            with transaction.atomic():
                ScheduledTask.objects.get_or_create(name=name, defaults={"next_run_at": now})
        except IntegrityError:
            pass  # another worker made the row at the same moment
        with transaction.atomic():
            taken = ScheduledTask.objects.filter(name=name, next_run_at__lte=now).update(
                next_run_at=now + timedelta(seconds=every), last_enqueued_at=now
            )
            if taken:
                import_string(path).enqueue()
                enqueued.append(name)
    return enqueued


class Scheduler(threading.Thread):
    """Beside the worker's loop, in the same process: ticks until the process ends."""

    def __init__(self) -> None:
        super().__init__(name="worker-scheduler", daemon=True)
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(TICK_SECONDS):
            try:
                for name in schedule_tick():
                    logger.info("enqueued periodic task %s", name)
            except OperationalError as exc:  # a locked SQLite file, a dropped connection
                logger.warning("schedule tick skipped: %s", exc)
            except Exception:
                logger.exception("schedule tick failed")
            finally:
                close_old_connections()
