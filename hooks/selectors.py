"""Reads, always within one account: another account's subscription is not found (404)."""

import uuid

from django.db.models import QuerySet

from backoffice.errors import NotFound
from backoffice.models import Account

from .models import Attempt, Delivery, Subscription


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def subscription_list(*, account: Account) -> QuerySet[Subscription]:
    return Subscription.objects.filter(account=account, deleted_at__isnull=True).select_related("account")


def subscription_get(*, account: Account, hid: str, deleted: bool = False) -> Subscription:
    pk = _uuid(hid)
    subscriptions = Subscription.objects.filter(account=account).select_related("account")
    if not deleted:
        subscriptions = subscriptions.filter(deleted_at__isnull=True)
    subscription = subscriptions.filter(pk=pk).first() if pk else None
    if subscription is None:
        raise NotFound(f"there is no subscription {hid}")
    return subscription


def attempt_list(*, subscription: Subscription) -> QuerySet[Attempt]:
    return (
        Attempt.objects.filter(delivery__subscription=subscription)
        .select_related("delivery")
        .order_by("-started_at", "-id")
    )


def attempt_get(*, subscription: Subscription, attempt_id: str) -> Attempt:
    pk = _uuid(attempt_id)
    attempt = attempt_list(subscription=subscription).filter(pk=pk).first() if pk else None
    if attempt is None:
        raise NotFound(f"subscription {subscription.pk} has no delivery {attempt_id}")
    return attempt


def delivery_list(*, subscription: Subscription) -> QuerySet[Delivery]:
    return Delivery.objects.filter(subscription=subscription).order_by("-id")


def delivery_get(*, account: Account, delivery_id: int) -> Delivery:
    delivery = (
        Delivery.objects.filter(subscription__account=account, pk=delivery_id)
        .select_related("subscription")
        .first()
    )
    if delivery is None:
        raise NotFound(f"there is no delivery {delivery_id}")
    return delivery
