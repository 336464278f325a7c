"""The webhook tasks the background worker runs (`python manage.py worker`)."""

from django_tasks import task


@task(queue_name="hooks")
def delivery_send(delivery_id: int) -> str:
    """Try to send one delivery, if it is due and nothing before it is still owed."""
    from hooks.services.delivery import delivery_attempt

    return delivery_attempt(delivery_id)


@task(queue_name="hooks")
def deliveries_sweep() -> int:
    """Enqueue again what is due but has no live task: left by a worker that died, or behind a
    delivery that was retried. Runs on the worker's schedule (WORKER_SCHEDULE)."""
    from hooks.services.delivery import deliveries_sweep as sweep

    return sweep()
