"""`manage.py worker` as a real process against the test's database (transactional tests: what
the test writes is committed, so the worker sees it)."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

from django.conf import settings
from django.db import connection

# Small so that retries and sweeps happen within a test.
FAST = {
    "HOOKS_RETRY_BASE_SECONDS": "0.3",
    "HOOKS_TIMEOUT_SECONDS": "1",
    "HOOKS_SWEEP_SECONDS": "1",
    "HOOKS_ALLOW_PRIVATE_NETWORKS": "true",
    "RECONCILE_EVERY_SECONDS": "0",
}


def database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


class Worker:
    def __init__(self, **env: str) -> None:
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "backoffice.settings_test",
            "DATABASE_URL": database_url(),
            "DATABASE_REPLICA_URL": "",
            **FAST,
            **env,
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> "Worker":
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "worker", "--interval", "0.1", "--no-startup-delay", "-v", "0"],
            cwd=settings.BASE_DIR,
            env=self.env,
            start_new_session=True,
        )
        return self

    def kill(self) -> None:
        """SIGKILL: no chance to finish what it is doing."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


@contextlib.contextmanager
def running(count: int = 1, **env: str) -> Iterator[list[Worker]]:
    workers = [Worker(**env).start() for _ in range(count)]
    try:
        yield workers
    finally:
        for worker in workers:
            worker.stop()
        # Let connections close before the test database is flushed.
        time.sleep(0.2)
