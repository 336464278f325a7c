"""Never twice, on PostgreSQL: two workers given the same e-mail at once, the worker process
itself (`manage.py worker`) sending through SMTP, and a worker killed while it sends."""

import time

import pytest
from django.core import mail
from django_tasks_db.models import DBTaskResult

from backoffice.actor import Actor
from customer_mail.models import CustomerEmail, MailState
from customer_mail.services.sending import email_send
from customer_mail.tasks import email_send as email_send_task
from orders.models import EventKind
from payments.services.sessions import session_create
from tests.hooks.worker import running
from tests.support.factories import AccountFactory
from tests.support.orders import record
from tests.support.threads import at_once

from .helpers import CUSTOMER, order_for
from .smtp_server import Script, SmtpServer

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
STAFF = Actor(system="tests")


@pytest.fixture
def shop(transactional_db):
    return AccountFactory(aid="T12345678", name="Demo shop")


def wait(condition, timeout: float = 40.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_two_workers_given_the_same_e_mail_send_it_once(shop, settings):
    settings.EMAIL_BACKEND = "tests.customer_mail.backends.SlowBackend"
    order = order_for(shop)
    session_create(order=order, actor=STAFF)
    email = CustomerEmail.objects.get()

    results = at_once(4, lambda i: email_send(email.pk))

    assert results.count("attempt 1: sent") == 1
    others = [r for r in results if r != "attempt 1: sent"]
    assert set(others) <= {"taken by another worker", "already sending", "already sent"}, results
    assert len(mail.outbox) == 1
    assert order.events.filter(kind=EventKind.CUSTOMER_EMAIL_SENT).count() == 1
    # And again later: still once.
    assert email_send(email.pk) == "already sent"
    assert len(mail.outbox) == 1


def smtp_env(port: int, **extra: str) -> dict[str, str]:
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "EMAIL_TIMEOUT": "2",
        "DEFAULT_FROM_EMAIL": "orders@shop.example",
        "CUSTOMER_MAIL_RETRY_BASE_SECONDS": "0.2",
        "CUSTOMER_MAIL_SWEEP_SECONDS": "1",
        **extra,
    }


def test_the_worker_sends_each_e_mail_once_through_smtp(shop):
    orders = [order_for(shop, captured=True) for _ in range(3)]
    for order in orders:
        record(order, "refund", [(1, 10000)])
    # Each e-mail's task enqueued twice more, as a sweep and a retry might: still sent once.
    for pk in CustomerEmail.objects.values_list("pk", flat=True):
        email_send_task.enqueue(pk)
        email_send_task.enqueue(pk)
    with SmtpServer() as server, running(2, **smtp_env(server.port)):
        wait(lambda: not CustomerEmail.objects.exclude(state=MailState.SENT).exists())
        tasks = DBTaskResult.objects.filter(task_path__endswith="email_send")
        wait(lambda: not tasks.filter(status__in=["READY", "RUNNING"]).exists())

    assert sorted(r.recipients[0] for r in server.script.received) == ["kari@example.no"] * 3
    assert tasks.count() == 9 and set(tasks.values_list("status", flat=True)) == {"SUCCESSFUL"}
    assert len({r.data for r in server.script.received}) == 3
    for order in orders:
        (sent,) = order.events.filter(kind=EventKind.CUSTOMER_EMAIL_SENT)
        assert sent.created_by == "mail worker" and sent.data["to"] == CUSTOMER["email"]


def test_a_worker_killed_while_sending_leaves_it_unknown_and_it_is_not_sent_again(shop):
    order = order_for(shop, captured=True)
    record(order, "refund", [(1, 10000)])
    email = CustomerEmail.objects.get()

    # The server is given the recipient and takes its time to answer.
    stalled = Script(rcpt=lambda n: (time.sleep(60), "250 OK")[1])
    with SmtpServer(stalled) as server:
        # EMAIL_TIMEOUT stays 2 s (a lease of 4 * 2 + 5 s to wait out): the worker must still be
        # waiting for the server's answer when it is killed, however busy the machine is.
        env = smtp_env(server.port)
        with running(1, **env) as (worker,):
            wait(lambda: server.script.tried >= 1)
            worker.kill()
        email.refresh_from_db()
        assert email.state == MailState.SENDING
        # Another worker comes; once the lease has run out the sweep says what happened.
        with running(1, **env):
            wait(lambda: CustomerEmail.objects.filter(pk=email.pk, state=MailState.UNKNOWN).exists())
            time.sleep(1.5)  # sweeps go on: nothing sends it again
    assert server.script.received == []
    email.refresh_from_db()
    assert email.state == MailState.UNKNOWN and email.attempts == 1
    (event,) = order.events.filter(kind=EventKind.CUSTOMER_EMAIL_FAILED)
    assert "may not have been sent" in event.summary
