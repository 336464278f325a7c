"""E-mails to customers: one row per event that owes the customer an e-mail (the outbox), and
each attempt to hand it to the mail server.

The row is written in the transaction of the change that causes it (a payment link made, a
refund recorded), already rendered in the customer's language, so every attempt sends the same
message. Its source event is unique: one event is never e-mailed twice, however many workers
are given it.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from backoffice.models import Account
from orders.models import Event, Order

# A send that fails for a reason that may pass (no connection, a 4xx answer) is tried again, up
# to this many times in all.
MAX_ATTEMPTS = 5


class Purpose(models.TextChoices):
    PAYMENT_LINK = "payment_link", "Payment link"
    REFUND_CONFIRMATION = "refund_confirmation", "Refund confirmation"


class Language(models.TextChoices):
    NB = "nb", "Norwegian"
    EN = "en", "English"


class MailState(models.TextChoices):
    # Waiting for a worker (first try, or a retry at `next_attempt_at`).
    PENDING = "pending"
    # Claimed by a worker, which holds it until `leased_until` while it talks to the mail server.
    SENDING = "sending"
    SENT = "sent"
    # Given up: refused for good, or failed on every try.
    FAILED = "failed"
    # Not sent: the order has no customer e-mail.
    SKIPPED = "skipped"
    # Its worker stopped while sending: the server may or may not have taken it. Never sent
    # again on its own (that could be the customer's second copy); staff are told.
    UNKNOWN = "unknown"


FINISHED = (MailState.SENT, MailState.FAILED, MailState.SKIPPED, MailState.UNKNOWN)


class CustomerEmail(models.Model):
    id = models.BigAutoField(primary_key=True)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="customer_emails")
    # The event that owes the e-mail: one e-mail per event, whatever happens.
    source_event = models.OneToOneField(Event, on_delete=models.PROTECT, related_name="customer_email")
    purpose = models.CharField(max_length=30, choices=Purpose.choices)
    language = models.CharField(max_length=5, choices=Language.choices)
    # The customer's address when the event was written; empty: none on the order.
    to_address = models.CharField(max_length=254, blank=True)
    from_address = models.CharField(max_length=254)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    # The same in HTML, sent beside the text (empty: text only).
    html_body = models.TextField(blank=True)
    # What the e-mail is about, for the timeline: amount, currency, link, payment id.
    data = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=10, choices=MailState.choices, default=MailState.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    leased_until = models.DateTimeField(null=True, blank=True)
    # When a task was last enqueued for it: the sweep enqueues again what stayed due too long.
    kicked_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    # The Message-ID header it is sent with (the same on every attempt).
    message_id = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["order", "-id"], name="customer_email_order"),
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state__in=["pending", "sending"]),
                name="customer_email_owed",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=MailState.values), name="customer_email_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(language__in=Language.values), name="customer_email_language_valid"
            ),
            # Only a row without an address can be skipped, and a row without one is never sent.
            models.CheckConstraint(
                condition=~Q(to_address="") | Q(state__in=["pending", "skipped"]),
                name="customer_email_sent_has_address",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} for {self.order_id} to {self.to_address or '(no address)'}: {self.state}"

    @property
    def is_finished(self) -> bool:
        return self.state in FINISHED


class MailAttempt(models.Model):
    """One try at handing the e-mail to the mail server, and what came of it."""

    id = models.BigAutoField(primary_key=True)
    email = models.ForeignKey(CustomerEmail, on_delete=models.CASCADE, related_name="attempt_set")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(default=0)
    success = models.BooleanField(default=False)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["email", "number"]
        constraints = [
            models.UniqueConstraint(fields=["email", "number"], name="customer_mail_attempt_once"),
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.email_id}: {'sent' if self.success else self.error}"
