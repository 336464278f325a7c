"""Reads, always within one account: another account's subscription is not found (404)."""

import uuid

from django.db.models import F, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.fields.tuple_lookups import Tuple, TupleLessThan  # type: ignore[import-untyped]

from backoffice.errors import NotFound
from backoffice.models import Account

from .models import Attempt, Delivery, Subscription


class CappedCount(Subquery):
    """`(SELECT count(*) FROM (<queryset, sliced>) AS capped)`: how many rows a sliced queryset
    holds, read no further than its slice."""

    template = "(SELECT count(*) FROM (%(subquery)s) AS capped)"
    output_field = IntegerField()


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
    """Newest first, read along the index `hook_attempt_subscription`."""
    return (
        Attempt.objects.filter(subscription=subscription)
        .select_related("delivery")
        .order_by("-started_at", "-id")
    )


def attempts_before(attempts: QuerySet[Attempt], last: Attempt) -> QuerySet[Attempt]:
    """The attempts after `last` in the newest-first order: a range of the index, written as a
    row comparison (an OR of the two columns would walk and filter the index from its start)."""
    return attempts.filter(TupleLessThan(Tuple(F("started_at"), F("pk")), (last.started_at, last.pk)))


# How far the staff pages count a subscription's deliveries: beyond, "more than" this many.
DELIVERIES_COUNTED = 10_000


def subscriptions_with_figures(*, account: Account) -> QuerySet[Subscription]:
    """The account's subscriptions, deleted last, each with `owed` (its deliveries, counted up to
    DELIVERIES_COUNTED + 1) and `last_sent` (its last attempt's start): each an index range of
    the subscription's own (`hook_delivery_subscription`, `hook_attempt_subscription`), so that
    the page costs the same for a subscription owed millions of events as for a new one."""
    deliveries = Delivery.objects.filter(subscription=OuterRef("pk")).order_by().values("pk")
    last_attempt = Attempt.objects.filter(subscription=OuterRef("pk")).order_by("-started_at", "-id")
    return (
        Subscription.objects.filter(account=account)
        .annotate(
            owed=CappedCount(deliveries[: DELIVERIES_COUNTED + 1]),
            last_sent=Subquery(last_attempt.values("started_at")[:1]),
        )
        .order_by("deleted_at", "-created_at")
    )


def deliveries_with_last_attempt(*, subscription: Subscription) -> QuerySet[Delivery]:
    """Newest first, each with its last attempt's status code and start (`last_status`,
    `last_at`), looked up in the index `hook_attempt_delivery` for the rows read."""
    last = Attempt.objects.filter(delivery=OuterRef("pk")).order_by("-started_at", "-id")
    return delivery_list(subscription=subscription).annotate(
        last_status=Subquery(last.values("status_code")[:1]), last_at=Subquery(last.values("started_at")[:1])
    )


def attempt_get(*, subscription: Subscription, attempt_id: str) -> Attempt:
    pk = _uuid(attempt_id)
    attempt = attempt_list(subscription=subscription).filter(pk=pk).first() if pk else None
    if attempt is None:
        raise NotFound(f"subscription {subscription.pk} has no delivery {attempt_id}")
    return attempt


def delivery_list(*, subscription: Subscription) -> QuerySet[Delivery]:
    """Newest first, read along the index `hook_delivery_subscription`."""
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
