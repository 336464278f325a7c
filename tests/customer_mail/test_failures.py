"""Sending through SMTP: a failed send is shown on the timeline and tried again; one refused for
good is not; a worker stopped mid-send leaves its e-mail unknown, never sent twice."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from backoffice.actor import Actor
from customer_mail.models import MAX_ATTEMPTS, CustomerEmail, MailAttempt, MailState
from customer_mail.services.sending import email_send, emails_sweep
from orders.models import EventKind
from payments.services.sessions import session_create

from .helpers import order_for
from .smtp_server import Script, SmtpServer, closed_port

pytestmark = pytest.mark.django_db
STAFF = Actor(system="tests")


@pytest.fixture
def smtp(settings):
    """Django's SMTP backend against `port`."""

    def use(port: int) -> None:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 3
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""

    return use


def linked_order(account):
    order = order_for(account)
    session_create(order=order, actor=STAFF)
    return order, CustomerEmail.objects.get(order=order)


def test_sent_through_smtp(account, smtp):
    order, email = linked_order(account)
    with SmtpServer() as server:
        smtp(server.port)
        assert email_send(email.pk) == "attempt 1: sent"
    (received,) = server.script.received
    assert received.recipients == ["kari@example.no"]
    assert received.sender == "orders@shop.example"
    assert f"Message-ID: {email.message_id}" in received.data
    assert order.events.filter(kind=EventKind.CUSTOMER_EMAIL_SENT).count() == 1


def test_no_connection_is_shown_and_tried_again_until_it_goes(account, smtp, settings):
    order, email = linked_order(account)
    smtp(closed_port())

    assert email_send(email.pk).startswith("attempt 1: failed, next at")
    email.refresh_from_db()
    assert email.state == MailState.PENDING and email.attempts == 1
    assert "ConnectionRefusedError" in email.last_error
    # The retry is enqueued for when it is due.
    retry = DBTaskResult.objects.filter(args_kwargs__args=[email.pk]).order_by("-enqueued_at").first()
    assert retry.run_after is not None
    (failed,) = order.events.filter(kind=EventKind.CUSTOMER_EMAIL_FAILED)
    assert "e-mail to kari@example.no failed (attempt 1 of 5)" in failed.summary
    assert "Connection" in failed.summary and "Next try at" in failed.summary
    assert failed.data["retry_at"] and failed.data["error"]

    # The mail server is back.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert email_send(email.pk) == "attempt 2: sent"
    assert len(mail.outbox) == 1
    assert list(MailAttempt.objects.filter(email=email).values_list("number", "success")) == [
        (1, False),
        (2, True),
    ]
    kinds = list(order.events.filter(kind__startswith="customer_email").values_list("kind", flat=True))
    assert kinds == [EventKind.CUSTOMER_EMAIL_FAILED, EventKind.CUSTOMER_EMAIL_SENT]


def test_a_4xx_answer_is_tried_again_a_5xx_is_not(account, smtp):
    order, email = linked_order(account)
    answers = ["451 4.3.0 try again later", "550 5.1.1 no such user"]
    with SmtpServer(Script(rcpt=lambda n: answers[n])) as server:
        smtp(server.port)
        assert email_send(email.pk).startswith("attempt 1: failed, next at")
        assert email_send(email.pk) == "attempt 2: failed, not tried again"
        assert email_send(email.pk) == "already failed"
    assert server.script.received == []
    email.refresh_from_db()
    assert email.state == MailState.FAILED and email.attempts == 2
    last = order.events.filter(kind=EventKind.CUSTOMER_EMAIL_FAILED).order_by("-id").first()
    assert "refused by the mail server (attempt 2 of 5)" in last.summary
    assert "no such user" in last.summary and last.summary.endswith("Not tried again.")


def test_it_gives_up_after_the_last_try(account, smtp):
    order, email = linked_order(account)
    smtp(closed_port())
    results = [email_send(email.pk) for _ in range(MAX_ATTEMPTS + 1)]
    assert results[-2] == f"attempt {MAX_ATTEMPTS}: failed, not tried again"
    assert results[-1] == "already failed"
    email.refresh_from_db()
    assert email.state == MailState.FAILED and email.attempts == MAX_ATTEMPTS
    assert order.events.filter(kind=EventKind.CUSTOMER_EMAIL_FAILED).count() == MAX_ATTEMPTS


def test_a_retry_is_not_sent_before_it_is_due(account, smtp, settings):
    settings.CUSTOMER_MAIL_RETRY_BASE_SECONDS = 600
    _order, email = linked_order(account)
    smtp(closed_port())
    email_send(email.pk)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert email_send(email.pk) == "not due"
    assert mail.outbox == []


def test_a_worker_stopped_mid_send_leaves_it_unknown_and_it_is_never_sent_again(account):
    order, email = linked_order(account)
    # A worker claimed it and was killed before it could record the outcome.
    CustomerEmail.objects.filter(pk=email.pk).update(
        state=MailState.SENDING, attempts=1, leased_until=timezone.now() + timedelta(minutes=1)
    )
    assert email_send(email.pk) == "already sending"
    assert emails_sweep() == 0  # the lease still holds

    CustomerEmail.objects.filter(pk=email.pk).update(leased_until=timezone.now() - timedelta(seconds=1))
    assert emails_sweep() == 1
    assert emails_sweep() == 0
    email.refresh_from_db()
    assert email.state == MailState.UNKNOWN
    assert email_send(email.pk) == "already unknown"
    assert mail.outbox == []
    (event,) = order.events.filter(kind=EventKind.CUSTOMER_EMAIL_FAILED)
    assert "may not have been sent" in event.summary and "not sent again" in event.summary


def test_the_sweep_enqueues_again_what_lost_its_task(account):
    _order, email = linked_order(account)
    DBTaskResult.objects.all().delete()  # the worker that took the task died
    assert emails_sweep() == 0  # enqueued a moment ago: its task may still come
    CustomerEmail.objects.filter(pk=email.pk).update(kicked_at=timezone.now() - timedelta(hours=1))
    assert emails_sweep() == 1
    assert DBTaskResult.objects.filter(args_kwargs__args=[email.pk]).count() == 1
    assert email_send(email.pk) == "attempt 1: sent"


def test_a_slow_send_that_outlived_its_claim_and_then_went_is_shown_as_sent(account):
    from customer_mail.services.sending import Outcome, _claim, _settle

    order, email = linked_order(account)
    assert _claim(email, timezone.now() - timedelta(hours=1))  # its claim has run out
    assert emails_sweep() == 1
    email.refresh_from_db()
    assert email.state == MailState.UNKNOWN

    # The mail server took it after all, and the worker lived to say so.
    assert _settle(email.pk, 1, Outcome(started_at=timezone.now(), sent=True)) == "attempt 1: sent"
    email.refresh_from_db()
    assert email.state == MailState.SENT
    kinds = list(order.events.filter(kind__startswith="customer_email").values_list("kind", flat=True))
    assert kinds == [EventKind.CUSTOMER_EMAIL_FAILED, EventKind.CUSTOMER_EMAIL_SENT]
