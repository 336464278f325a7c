"""Webhook subscriptions, the deliveries they are owed (the outbox) and each attempt to send one.

Shapes follow Dintero's Hooks API (https://docs.dintero.com/api-reference/subscriptions/
create-new-subscription): what Dintero calls a *delivery* in `…/deliveries` is one attempt here
(`Attempt`); a `Delivery` is one event owed to one subscription, and its `event_delivery` id is
the same on every attempt, so receivers can drop repeats.
"""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from backoffice.models import Account

# Dintero: "we retry the connection to a total of 5 times".
MAX_ATTEMPTS = 5


class Subscription(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    url = models.CharField(max_length=2000)
    content_type = models.CharField(max_length=50, default="application/json")
    # The HMAC-SHA1 key deliveries are signed with (`event-signature`); empty: not signed. Kept
    # as given because signing needs it; never answered by the API.
    secret = models.CharField(max_length=200, blank=True)
    insecure_ssl = models.PositiveSmallIntegerField(default=0)
    events = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    # Why the worker turned it off (a delivery failed every try), until it is turned on again.
    deactivated_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.CharField(max_length=200)
    updated_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "active"], name="hook_subscription_account")]
        constraints = [
            models.CheckConstraint(condition=Q(insecure_ssl__in=[0, 1]), name="hook_insecure_ssl_0_1")
        ]
        permissions = [("manage_hooks", "Can see webhook subscriptions and deliveries, and redeliver")]

    def __str__(self) -> str:
        return f"{self.url} ({', '.join(self.events)})"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class DeliveryState(models.TextChoices):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    # The subscription was deleted before it could be sent.
    CANCELLED = "cancelled"


class Delivery(models.Model):
    """One event owed to one subscription, written in the transaction of the change it tells of.

    The primary key is the order in which deliveries were written: a delivery waits until every
    earlier one of its subscription with the same order (`order_key`) or draft (`draft_key`) is
    done. Writes to one order are serialized by its row lock, so a later key always has a higher
    number."""

    id = models.BigAutoField(primary_key=True)
    event_delivery = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Indexed with the id (`hook_delivery_subscription`): a subscription's newest deliveries.
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    event = models.CharField(max_length=50)
    order_key = models.UUIDField(null=True, blank=True)
    draft_key = models.UUIDField(null=True, blank=True)
    # The exact bytes sent (UTF-8 JSON), so that every attempt carries the same body and signature.
    body = models.TextField()
    state = models.CharField(max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # A worker sending it holds it until then; a worker that died lets it go when this passes.
    leased_until = models.DateTimeField(null=True, blank=True)
    # When a task was last enqueued for it: the sweep enqueues again what stayed due too long.
    kicked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(
                fields=["subscription", "order_key", "id"],
                condition=Q(state="pending"),
                name="hook_pending_by_order",
            ),
            models.Index(
                fields=["subscription", "draft_key", "id"],
                condition=Q(state="pending"),
                name="hook_pending_by_draft",
            ),
            models.Index(fields=["next_attempt_at"], condition=Q(state="pending"), name="hook_pending_due"),
            # The subscription's page lists its newest deliveries and counts them up to a cap,
            # whatever the number it was owed.
            models.Index(fields=["subscription", "-id"], name="hook_delivery_subscription"),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.event_delivery}"

    @property
    def is_finished(self) -> bool:
        return self.state != DeliveryState.PENDING


class Attempt(models.Model):
    """One POST of a delivery to its subscription's URL: what was sent, what came back, how long
    it took (Dintero's `HookDeliveryDetail`)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_set")
    # The delivery's, kept on each attempt so that a subscription's attempts, newest first (the
    # Hooks API's `…/deliveries`, the staff pages' "last sent"), are one index range
    # (`hook_attempt_subscription`) rather than a join through every delivery it was owed.
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="+", db_index=False)
    number = models.PositiveSmallIntegerField()
    url = models.CharField(max_length=2000)
    request_headers = models.JSONField(default=dict)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_headers = models.JSONField(default=dict)
    response_body = models.TextField(blank=True)
    # No answer at all: refused address, connection error, timeout.
    error = models.CharField(max_length=500, blank=True)
    success = models.BooleanField(default=False)
    started_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["delivery", "-started_at"], name="hook_attempt_delivery"),
            models.Index(fields=["subscription", "-started_at", "-id"], name="hook_attempt_subscription"),
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}: {self.status_code or self.error}"
