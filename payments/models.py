"""What the payments app keeps: payment sessions (links), every call made to a provider with
its state, and what reconciliation found (the sandbox provider's own records are in
`payments/sandbox/models.py`).

A provider call is stored before it is sent and settled after; only a confirmed success is
recorded on the order, through the orders services, and linked here so it is never recorded
twice.
"""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from orders.models import ActorFields, Order, PaymentOperation
from orders.money import format_money

# The sandbox provider's records live with it; imported here so that Django registers them
# under this app (`payments`), as it always has.
from payments.sandbox.models import (  # noqa: F401
    SandboxFault,
    SandboxFaultKind,
    SandboxFaultOutcome,
    SandboxSession,
    SandboxTransaction,
)


class Provider(models.TextChoices):
    SANDBOX = "sandbox", "Sandbox"
    DINTERO = "dintero", "Dintero Checkout"


class SessionStatus(models.TextChoices):
    CREATING = "creating"
    OPEN = "open"
    AUTHORIZED = "authorized"
    DECLINED = "declined"
    FAILED = "failed"
    # The provider authorized it but the order could not take it: a person must look.
    UNRECORDED = "unrecorded"
    # No longer payable (its order was cancelled, or it was withdrawn); the provider is told,
    # and whatever it still authorized on it is voided by reconciliation.
    EXPIRED = "expired"


# Links the customer can still pay: their amounts are held against what is left to authorize.
PAYABLE = (SessionStatus.CREATING, SessionStatus.OPEN)


class PaymentSession(ActorFields):
    """A checkout session (payment link) at the provider for some lines of an order."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payment_sessions")
    provider = models.CharField(max_length=20, choices=Provider.choices)
    status = models.CharField(max_length=20, choices=SessionStatus.choices, default=SessionStatus.CREATING)
    # [{"line_id": 1, "amount": 39800}]: what the session asks the customer to authorize.
    items = models.JSONField(default=list)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    session_id = models.CharField("provider's session id", max_length=200, blank=True)
    url = models.URLField(max_length=1000, blank=True)
    transaction_id = models.CharField("provider's transaction id", max_length=200, blank=True)
    authorization = models.OneToOneField(
        PaymentOperation, null=True, blank=True, on_delete=models.PROTECT, related_name="payment_session"
    )
    problem = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    authorized_at = models.DateTimeField(null=True, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)
    # When the provider confirmed that the link can no longer be paid.
    expired_at_provider = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One transaction pays one session, and is recorded once.
            models.UniqueConstraint(
                fields=["provider", "transaction_id"],
                condition=~Q(transaction_id=""),
                name="payment_session_transaction_once",
            ),
            models.UniqueConstraint(
                fields=["provider", "session_id"],
                condition=~Q(session_id=""),
                name="payment_session_id_once",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_session_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"session {self.session_id or self.id} for {self.order}"

    @property
    def is_open(self) -> bool:
        return self.status == SessionStatus.OPEN

    @property
    def is_payable(self) -> bool:
        return self.status in PAYABLE


class CallKind(models.TextChoices):
    SESSION = "session", "Payment link"
    CAPTURE = "capture", "Capture"
    REFUND = "refund", "Refund"
    VOID = "void", "Cancel"
    EXPIRE = "expire", "Expire payment link"


class CallState(models.TextChoices):
    PENDING = "pending"
    SENDING = "sending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    UNKNOWN = "unknown"


# Calls whose outcome is not known yet: their amounts are held against the order's lines.
IN_FLIGHT = (CallState.PENDING, CallState.SENDING, CallState.UNKNOWN)


class ProviderCall(ActorFields):
    """One request to a payment provider, stored before it is sent.

    Its id is the reference sent with it (`capture_reference`, `refund_reference`), so the
    provider's transaction events tell afterwards whether it took effect.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="provider_calls")
    provider = models.CharField(max_length=20, choices=Provider.choices)
    kind = models.CharField(max_length=10, choices=CallKind.choices)
    state = models.CharField(max_length=10, choices=CallState.choices, default=CallState.PENDING)
    payment_id = models.CharField("provider's transaction id", max_length=200, blank=True)
    session = models.ForeignKey(
        PaymentSession, null=True, blank=True, on_delete=models.PROTECT, related_name="calls"
    )
    items = models.JSONField(default=list)
    amount = models.BigIntegerField(default=0)
    request_body = models.JSONField(default=dict, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    operation = models.OneToOneField(
        PaymentOperation, null=True, blank=True, on_delete=models.PROTECT, related_name="provider_call"
    )
    # Set when the provider did it but the order could not record it.
    problem = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    settled_by = models.CharField(max_length=50, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=CallState.values), name="provider_call_state_valid"),
            models.CheckConstraint(condition=Q(kind__in=CallKind.values), name="provider_call_kind_valid"),
            models.CheckConstraint(
                condition=Q(operation__isnull=True) | Q(state=CallState.SUCCEEDED),
                name="provider_call_recorded_only_on_success",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "created_at"], name="provider_call_state"),
            models.Index(fields=["order", "state"], name="provider_call_order_state"),
            models.Index(fields=["payment_id"], name="provider_call_payment"),
        ]

    def __str__(self) -> str:
        """`Refund of 99,50 kr at Sandbox: Unknown` (money as money, choices in words)."""
        money = format_money(self.amount, self.order.currency)
        where = self.get_provider_display()
        return f"{self.get_kind_display()} of {money} at {where}: {self.get_state_display()}"

    @property
    def in_flight(self) -> bool:
        return self.state in IN_FLIGHT


# Reconciliation


class ReconciliationRun(models.Model):
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    calls_settled = models.PositiveIntegerField(default=0)
    calls_unknown = models.PositiveIntegerField(default=0)
    payments_checked = models.PositiveIntegerField(default=0)
    mismatches_found = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"reconciliation {self.started_at:%Y-%m-%d %H:%M}"


class MismatchKind(models.TextChoices):
    AUTHORIZED = "authorized", "Authorized differs"
    CAPTURED = "captured", "Captured differs"
    REFUNDED = "refunded", "Refunded differs"
    UNREADABLE = "unreadable", "Provider could not be read"
    UNRECORDED = "unrecorded", "Done at the provider, not recorded"
    UNKNOWN_CALL = "unknown_call", "Provider call still unknown"


class Mismatch(models.Model):
    """A disagreement between the order's books and the provider, open until a later run no
    longer finds it."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payment_mismatches")
    provider = models.CharField(max_length=20, choices=Provider.choices)
    payment_id = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=MismatchKind.choices)
    recorded = models.BigIntegerField(null=True, blank=True)
    at_provider = models.BigIntegerField(null=True, blank=True)
    detail = models.CharField(max_length=500, blank=True)
    first_run = models.ForeignKey(ReconciliationRun, on_delete=models.PROTECT, related_name="+")
    last_run = models.ForeignKey(ReconciliationRun, on_delete=models.PROTECT, related_name="mismatches")
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "mismatches"
        ordering = ["-last_run__started_at", "payment_id", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "payment_id", "kind"],
                condition=Q(resolved_at__isnull=True),
                name="mismatch_open_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.payment_id}: {self.get_kind_display()}"

    @property
    def difference(self) -> int | None:
        if self.recorded is None or self.at_provider is None:
            return None
        return self.recorded - self.at_provider
