"""Tasks of the background worker for payments: reconciliation on a schedule
(RECONCILE_EVERY_SECONDS; `manage.py reconcile` does the same from cron or by hand)."""

from django_tasks import task


@task()
def reconcile_scheduled() -> dict[str, int]:
    """One reconciliation run over every order, as `manage.py reconcile` does it."""
    from payments.services.reconcile import reconcile

    report = reconcile()
    return {
        "run": report.run.pk,
        "settled": len(report.settled),
        "still_unknown": len(report.still_unknown),
        "findings": len(report.findings),
    }
