"""Sending customer e-mails with Django's mail framework (EMAIL_BACKEND: the console in
development, SMTP from the EMAIL_* settings in production), one attempt at a time, never twice.

An attempt first claims its e-mail: a compare-and-set UPDATE (pending, at this attempt count ->
sending, with a lease) that commits before the mail server is asked, so of two workers given the
same e-mail one sends and the other finds it taken. Nothing holds a transaction or a lock while
the mail server is talking. The outcome is then recorded under the order's lock, with an entry
on the order's timeline:

* sent: when and to whom;
* refused for a reason that may pass (no connection, a timeout, a 4xx answer): tried again
  later, CUSTOMER_MAIL_RETRY_BASE_SECONDS, then twice as long each time, MAX_ATTEMPTS in all;
* refused for good (a 5xx answer: unknown mailbox, rejected sender): not tried again;
* no customer e-mail on the order: nothing sent, and the timeline says so.

A worker killed while sending leaves its e-mail claimed; when the lease runs out the sweep marks
it *unknown* and says so on the timeline, and nothing sends it again on its own: the server may
have taken it, and a second copy of a payment link is worse than asking staff to look. A worker
that was only slow and outlived its lease still records what came of its attempt: sent is sent.
"""

import logging
import smtplib
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from backoffice.actor import Actor
from customer_mail.models import MAX_ATTEMPTS, CustomerEmail, Language, MailAttempt, MailState, Purpose
from customer_mail.tasks import email_send as email_send_task
from orders.locks import order_lock
from orders.models import EventKind
from orders.money import format_money
from orders.services.events import event_write

logger = logging.getLogger("customer_mail")

# The worker writes the timeline's entries about e-mails.
WORKER = Actor(system="mail worker")
ERROR_LIMIT = 500


def lease() -> timedelta:
    """How long a claimed e-mail is held: a send is a few exchanges with the server, each within
    EMAIL_TIMEOUT."""
    return timedelta(seconds=4 * settings.EMAIL_TIMEOUT + 5)


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=settings.CUSTOMER_MAIL_RETRY_BASE_SECONDS * 2 ** (attempts - 1))


@dataclass
class Outcome:
    started_at: datetime
    sent: bool = False
    error: str = ""
    # Refused for good: trying again would be refused again.
    permanent: bool = False
    duration_ms: int = 0


def _permanent(exc: Exception) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    # A message Django will not build (a header with a line break) fails the same way each time.
    return isinstance(exc, ValueError)


def _deliver(email: CustomerEmail) -> Outcome:
    """One hand-over to the mail server, with no transaction open."""
    outcome = Outcome(started_at=timezone.now())
    started = time.monotonic()
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body,
        from_email=email.from_address,
        to=[email.to_address],
        reply_to=settings.CUSTOMER_MAIL_REPLY_TO or None,
        headers={"Message-ID": email.message_id, "Content-Language": email.language},
        connection=get_connection(fail_silently=False),
    )
    if email.html_body:
        message.attach_alternative(email.html_body, "text/html")
    try:
        outcome.sent = message.send() == 1
        if not outcome.sent:
            outcome.error = "the mail backend took no message"
    except (OSError, ValueError) as exc:  # smtplib's errors are OSErrors, as are sockets'
        outcome.error = (f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)[:ERROR_LIMIT]
        outcome.permanent = _permanent(exc)
    outcome.duration_ms = int((time.monotonic() - started) * 1000)
    return outcome


# What the timeline says.

_WHAT = {
    Purpose.PAYMENT_LINK: "Payment link",
    Purpose.REFUND_CONFIRMATION: "Refund confirmation",
}
_LANGUAGE = {Language.NB: "Norwegian", Language.EN: "English"}


def _about(email: CustomerEmail) -> str:
    amount = email.data.get("amount")
    money = format_money(amount, email.data.get("currency", email.order.currency)) if amount else ""
    return f"{_WHAT[Purpose(email.purpose)]} ({money})" if money else _WHAT[Purpose(email.purpose)]


def _event_data(email: CustomerEmail, **extra) -> dict:
    return {
        "customer_email": email.pk,
        "source_event": email.source_event_id,
        "purpose": email.purpose,
        "to": email.to_address,
        "language": email.language,
        "subject": email.subject,
        "attempts": email.attempts,
        **{k: email.data[k] for k in ("amount", "currency", "url") if k in email.data},
        **extra,
    }


def _timeline(email: CustomerEmail, kind: EventKind, summary: str, **extra) -> None:
    event_write(order=email.order, kind=kind, actor=WORKER, summary=summary, data=_event_data(email, **extra))


def _locked(email_id: int) -> CustomerEmail:
    """The e-mail, under its order's lock and then its own (the order first, as every write)."""
    order_id = CustomerEmail.objects.values_list("order_id", flat=True).get(pk=email_id)
    order = order_lock(order_id)
    email = CustomerEmail.objects.select_for_update().get(pk=email_id)
    email.order = order
    return email


def _skip(email_id: int) -> str:
    with transaction.atomic():
        email = _locked(email_id)
        if email.state != MailState.PENDING:
            return f"already {email.state}"
        email.state, email.finished_at = MailState.SKIPPED, timezone.now()
        email.save(update_fields=["state", "finished_at"])
        given = email.data.get("not_an_address")
        why = (
            f"the order's customer e-mail “{given}” is not an e-mail address"
            if given
            else "the order has no customer e-mail"
        )
        _timeline(email, EventKind.CUSTOMER_EMAIL_SKIPPED, f"{_about(email)} not e-mailed: {why}")
        return "skipped: no address"


def _claim(email: CustomerEmail, now: datetime) -> bool:
    """Compare and set, committed at once: of two workers given the same e-mail, one wins."""
    return bool(
        CustomerEmail.objects.filter(pk=email.pk, state=MailState.PENDING, attempts=email.attempts).update(
            state=MailState.SENDING, attempts=F("attempts") + 1, leased_until=now + lease()
        )
    )


def _settle(email_id: int, attempt: int, outcome: Outcome) -> str:
    with transaction.atomic():
        email = _locked(email_id)
        MailAttempt.objects.create(
            email=email,
            number=attempt,
            started_at=outcome.started_at,
            duration_ms=outcome.duration_ms,
            success=outcome.sent,
            error=outcome.error,
        )
        now = timezone.now()
        # Ours unless another attempt was claimed since (ours outlived its lease and was retried):
        # an e-mail the sweep gave up on as unknown is still ours to settle.
        if email.attempts != attempt or email.state not in (MailState.SENDING, MailState.UNKNOWN):
            return f"attempt {attempt}: {'sent' if outcome.sent else 'failed'}; already {email.state}"
        email.leased_until = None
        email.last_error = outcome.error
        if outcome.sent:
            email.state, email.finished_at = MailState.SENT, now
            email.save(update_fields=["state", "finished_at", "leased_until", "last_error"])
            _timeline(
                email,
                EventKind.CUSTOMER_EMAIL_SENT,
                f"{_about(email)} e-mailed to {email.to_address} in {_LANGUAGE[Language(email.language)]}: "
                f"“{email.subject}”",
                sent_at=now.isoformat(),
                message_id=email.message_id,
            )
            return f"attempt {attempt}: sent"
        tries = f"attempt {attempt} of {MAX_ATTEMPTS}"
        if outcome.permanent or attempt >= MAX_ATTEMPTS:
            email.state, email.finished_at = MailState.FAILED, now
            email.save(update_fields=["state", "finished_at", "leased_until", "last_error"])
            why = "refused by the mail server" if outcome.permanent else "failed"
            _timeline(
                email,
                EventKind.CUSTOMER_EMAIL_FAILED,
                f"{_about(email)} e-mail to {email.to_address} {why} ({tries}): {outcome.error}. "
                "Not tried again.",
                error=outcome.error,
                retry_at=None,
            )
            return f"attempt {attempt}: failed, not tried again"
        email.state = MailState.PENDING
        email.next_attempt_at = now + retry_delay(attempt)
        email.kicked_at = now
        email.save(update_fields=["state", "next_attempt_at", "kicked_at", "leased_until", "last_error"])
        email_send_task.using(run_after=email.next_attempt_at).enqueue(email.pk)
        _timeline(
            email,
            EventKind.CUSTOMER_EMAIL_FAILED,
            f"{_about(email)} e-mail to {email.to_address} failed ({tries}): {outcome.error}. "
            f"Next try at {timezone.localtime(email.next_attempt_at):%H:%M:%S}.",
            error=outcome.error,
            retry_at=email.next_attempt_at.isoformat(),
        )
        return f"attempt {attempt}: failed, next at {email.next_attempt_at:%H:%M:%S}"


def email_send(email_id: int) -> str:
    """Send the e-mail once, if it is due and no other worker has claimed it; what came of it."""
    email = CustomerEmail.objects.filter(pk=email_id).first()
    now = timezone.now()
    if email is None:
        return "no such e-mail"
    if email.state != MailState.PENDING:
        return f"already {email.state}"
    if email.next_attempt_at > now:
        return "not due"
    if not email.to_address:
        return _skip(email.pk)
    if not _claim(email, now):
        return "taken by another worker"
    attempt = email.attempts + 1
    outcome = _deliver(email)
    return _settle(email.pk, attempt, outcome)


SWEEP_BATCH = 500
# An e-mail enqueued this long ago and still not taken is enqueued again (its task was lost
# with a worker); a busy queue only gets a spare task for it.
STALE_AFTER_SECONDS = 120


def _unknown(email_id: int, leased_until: datetime | None) -> bool:
    with transaction.atomic():
        email = _locked(email_id)
        if email.state != MailState.SENDING or email.leased_until != leased_until:
            return False
        email.state, email.finished_at, email.leased_until = MailState.UNKNOWN, timezone.now(), None
        email.save(update_fields=["state", "finished_at", "leased_until"])
        _timeline(
            email,
            EventKind.CUSTOMER_EMAIL_FAILED,
            f"{_about(email)} e-mail to {email.to_address} may not have been sent: the worker stopped "
            "while handing it to the mail server. It is not sent again on its own, so that the "
            "customer never gets two; ask the customer whether it came.",
            error="worker stopped while sending",
            retry_at=None,
        )
        return True


def emails_sweep() -> int:
    """Mark as unknown the e-mails whose worker stopped mid-send (their lease ran out), and
    enqueue again those due whose task was lost. How many it touched."""
    now = timezone.now()
    touched = 0
    stranded = CustomerEmail.objects.filter(state=MailState.SENDING, leased_until__lte=now)
    for email_id, leased_until in stranded.values_list("pk", "leased_until")[:SWEEP_BATCH]:
        touched += _unknown(email_id, leased_until)
    forgotten = now - timedelta(seconds=max(settings.CUSTOMER_MAIL_SWEEP_SECONDS, STALE_AFTER_SECONDS))
    lost = CustomerEmail.objects.filter(state=MailState.PENDING, next_attempt_at__lte=now).filter(
        Q(kicked_at__isnull=True) | Q(kicked_at__lte=forgotten)
    )
    for email_id in lost.values_list("pk", flat=True)[:SWEEP_BATCH]:
        with transaction.atomic():
            email_send_task.enqueue(email_id)
            CustomerEmail.objects.filter(pk=email_id).update(kicked_at=now)
        touched += 1
    return touched
