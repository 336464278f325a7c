"""Subscriptions: created, replaced, deleted and pinged as Dintero's Hooks API does it. Creating
one sends it a ping, as Dintero does."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from backoffice.actor import Actor
from backoffice.models import Account
from hooks.documents import subscription_document
from hooks.events import HookEvent
from hooks.models import Delivery, DeliveryState, Subscription

from .delivery import subscription_resume
from .outbox import delivery_create

# A secret left as it is (PUT with the secret as GET shows it, without its value).
KEEP = object()


@dataclass(frozen=True)
class SubscriptionSpec:
    """A valid subscription body (hooks/api/inputs.py)."""

    url: str
    content_type: str
    events: list[str]
    active: bool
    insecure_ssl: int
    # The HMAC-SHA1 key; "" for none; KEEP to keep the one stored.
    secret: object = KEEP


def subscription_ping(subscription: Subscription) -> Delivery:
    """A `ping` event to the subscription's URL, with the subscription as its body."""
    return delivery_create(subscription, HookEvent.PING, subscription_document(subscription))


def subscription_create(*, account: Account, spec: SubscriptionSpec, actor: Actor) -> Subscription:
    with transaction.atomic():
        subscription = Subscription.objects.create(
            account=account,
            url=spec.url,
            content_type=spec.content_type,
            events=spec.events,
            active=spec.active,
            insecure_ssl=spec.insecure_ssl,
            secret="" if spec.secret is KEEP else str(spec.secret),
            created_by=actor.label,
        )
        subscription_ping(subscription)
        return subscription


def subscription_replace(*, subscription: Subscription, spec: SubscriptionSpec, actor: Actor) -> Subscription:
    """PUT: the whole subscription as given. Turned on again, it is sent what it is still owed."""
    with transaction.atomic():
        locked = Subscription.objects.select_for_update().select_related("account").get(pk=subscription.pk)
        resumed = spec.active and not locked.active
        locked.url, locked.content_type, locked.events = spec.url, spec.content_type, spec.events
        locked.active, locked.insecure_ssl = spec.active, spec.insecure_ssl
        if spec.secret is not KEEP:
            locked.secret = str(spec.secret)
        if spec.active:
            locked.deactivated_reason = ""
        locked.updated_at = timezone.now()
        locked.save()
        if resumed:
            subscription_resume(locked)
        return locked


def subscription_activate(*, subscription: Subscription, actor: Actor) -> Subscription:
    """Staff turn a subscription the worker turned off back on."""
    with transaction.atomic():
        locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
        if not locked.active and not locked.is_deleted:
            locked.active, locked.deactivated_reason, locked.updated_at = True, "", timezone.now()
            locked.save(update_fields=["active", "deactivated_reason", "updated_at"])
            subscription_resume(locked)
        return locked


def subscription_delete(*, subscription: Subscription, actor: Actor) -> None:
    """Deleted subscriptions get nothing more; what they were still owed is cancelled. The row
    stays, with its deliveries, for the record."""
    with transaction.atomic():
        locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
        if locked.is_deleted:
            return
        now = timezone.now()
        locked.deleted_at, locked.deleted_by, locked.active, locked.updated_at = now, actor.label, False, now
        locked.save(update_fields=["deleted_at", "deleted_by", "active", "updated_at"])
        Delivery.objects.filter(subscription=locked, state=DeliveryState.PENDING).update(
            state=DeliveryState.CANCELLED, finished_at=now
        )
