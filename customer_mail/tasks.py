"""The e-mail tasks the background worker runs (`python manage.py worker`)."""

from django_tasks import task


@task(queue_name="mail")
def email_send(email_id: int) -> str:
    """Hand one e-mail to the mail server, if it is due and no other worker has it."""
    from customer_mail.services.sending import email_send as send

    return send(email_id)


@task(queue_name="mail")
def emails_sweep() -> int:
    """Enqueue again what is due but has no live task, and tell staff of sends their worker left
    unfinished. Runs on the worker's schedule (WORKER_SCHEDULE)."""
    from customer_mail.services.sending import emails_sweep as sweep

    return sweep()
