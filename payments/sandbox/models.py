"""The sandbox provider's own records: what a real provider would keep on its side. They belong
to the `payments` app (Django finds them through `payments.models`)."""

from django.db import models
from django.utils import timezone


class SandboxSession(models.Model):
    id = models.CharField(primary_key=True, max_length=64)
    # The merchant account the session was made for: the sandbox keeps each account's apart.
    account = models.CharField(max_length=20, blank=True)
    body = models.JSONField()
    callback_url = models.URLField(max_length=1000, blank=True)
    return_url = models.URLField(max_length=1000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.id


class SandboxTransaction(models.Model):
    id = models.CharField(primary_key=True, max_length=64)
    session = models.OneToOneField(SandboxSession, on_delete=models.CASCADE, related_name="transaction")
    merchant_reference = models.CharField(max_length=200)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=40)
    items = models.JSONField(default=list)
    events = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.id


class SandboxFaultKind(models.TextChoices):
    CAPTURE = "capture"
    REFUND = "refund"
    VOID = "void"


class SandboxFaultOutcome(models.TextChoices):
    DECLINE = "decline", "Decline"
    # The provider does it, but the answer never comes back.
    TIMEOUT = "timeout", "Time out after doing it"
    # The request times out before the provider does anything.
    TIMEOUT_UNDONE = "timeout_undone", "Time out without doing it"


class SandboxFault(models.Model):
    """Tells the sandbox to misbehave on the next call of a kind on one account's payments
    (for demos and tests)."""

    account = models.CharField(max_length=20, default="")
    kind = models.CharField(max_length=10, choices=SandboxFaultKind.choices)
    outcome = models.CharField(max_length=20, choices=SandboxFaultOutcome.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.account}: next {self.kind}: {self.outcome}"
