"""`python manage.py worker`: the background worker (webhook deliveries, scheduled
reconciliation). Run one or more on each machine; they share the queue in the database.

django-tasks-db's `db_worker`, on this project's queues, with the periodic tasks of
`WORKER_SCHEDULE` (backoffice/worker.py) and without auto-reload unless asked for (`--reload`):
a reloading parent would outlive a worker stopped by its process id."""

import os
from argparse import ArgumentParser

from django.conf import settings
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands import db_worker

from backoffice.worker import Scheduler


class Command(db_worker.Command):
    help = "Run the background worker: queued tasks and the periodic ones of WORKER_SCHEDULE."

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        queues = ",".join(settings.TASKS["default"].get("QUEUES", ["default"]))
        parser.set_defaults(queue_name=queues, reload=False)
        parser.add_argument(
            "--no-schedule", action="store_true", help="run queued tasks only, no periodic ones"
        )

    def handle(self, *args, **options) -> None:
        reloading_parent = options["reload"] and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"
        if not options.pop("no_schedule") and not options["batch"] and not reloading_parent:
            Scheduler().start()
        super().handle(*args, **options)
