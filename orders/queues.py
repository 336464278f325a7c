"""Work queues over the orders' own records: the orders on which someone has something to do.

Each queue is a filter of an order queryset that its caller has already scoped to one account:
the order list applies it (`OrderFilterForm`'s `queue`), and the work page counts the same
queryset (`finance.queues`), so a count and the list behind it never disagree. Each is written
so that what PostgreSQL reads is bounded by the work waiting, not by the account's orders: the
index that serves it is named at each, and callers count up to a limit.

The queues that read the payments side (provider calls, reconciliation findings) live in
`finance.queues`: orders never import payments.
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from orders.models import (
    DraftOrder,
    DraftStatus,
    OperationKind,
    Order,
    OrderLine,
    OrderStatus,
    PaymentOperation,
)
from orders.services.replacement import AUTHORIZED, CAPTURED, REFUND_PURPOSE


class Queue(models.TextChoices):
    TO_CAPTURE = "to_capture", "To capture"
    STALE_AUTHORIZATIONS = "stale_authorizations", "Authorizations getting old"
    REPLACEMENTS_TO_SETTLE = "replacements_to_settle", "Replacements to settle"
    REPLACEMENTS_FOR_FINANCE = "replacements_for_finance", "Replacements waiting for finance"


def stale_after_days() -> int:
    """How old an authorization left open may get before it is listed (STALE_AUTHORIZATION_DAYS)."""
    return int(getattr(settings, "STALE_AUTHORIZATION_DAYS", 7))


def queue_title(queue: Queue | str, *, days: int | None = None) -> str:
    """What the work page and the order list call the queue."""
    queue = Queue(queue)
    if queue == Queue.STALE_AUTHORIZATIONS:
        days = stale_after_days() if days is None else days
        return f"Authorizations older than {days} day{'' if days == 1 else 's'}"
    return str(queue.label)


def open_authorization_lines() -> QuerySet[OrderLine]:
    """Lines with something left to capture: `Figures.to_capture` (orders.ledger) in SQL, written
    as the very condition of the partial index `line_open_authorization`, so that PostgreSQL
    reads these lines through it (it holds only them: few, next to the lines paid in full)."""
    return OrderLine.objects.filter(~Q(authorized_amount=F("captured_amount") + F("cancelled_amount")))


def orders_to_capture(orders: QuerySet[Order]) -> QuerySet[Order]:
    """Active orders with money authorized on a line but neither captured nor cancelled.

    Index: `line_open_authorization` (the open lines, their orders then fetched by primary key)."""
    return orders.filter(status=OrderStatus.ACTIVE, pk__in=open_authorization_lines().values("order_id"))


def orders_with_stale_authorizations(
    orders: QuerySet[Order], *, days: int, now: dt.datetime | None = None
) -> QuerySet[Order]:
    """Orders to capture with no successful authorization in the last `days` days: the hold at
    the provider may lapse. The rule of the books check (`finance.reports.stale_authorizations`),
    written from the order's side because orders do not import finance; a line left open has
    been authorized, so "no authorization since" is "the last one is older".

    Indexes: `line_open_authorization` for the open lines, then `operation_auth_order` (order,
    created_at) for each order's authorizations after the cutoff."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    recent = PaymentOperation.objects.filter(
        kind=OperationKind.AUTHORIZATION, success=True, order=OuterRef("pk"), created_at__gt=cutoff
    )
    return orders_to_capture(orders).exclude(Exists(recent))


def replacement_lines() -> QuerySet[OrderLine]:
    """The lines added by replacements that have settlement steps (`replacement_settlement`):
    those of completed update drafts made by Replace item with the replaced lines paid (mode
    captured or authorized; such a draft always names the payment id).

    Indexes: the `target_order` foreign key's index of the drafts, of which only update drafts
    have one (a few, next to the draft of every order made through the API), then the `draft`
    foreign key's index of the lines. Their number is that of the replacements ever completed,
    not of the orders: a precise cheap entry to "not yet settled" would need an index of its own."""
    drafts = DraftOrder.objects.filter(
        target_order__isnull=False,
        status=DraftStatus.COMPLETED,
        document__metadata__replacement__mode__in=[CAPTURED, AUTHORIZED],
    )
    return OrderLine.objects.filter(draft__in=drafts.values("pk"))


def orders_with_replacements_to_settle(orders: QuerySet[Order]) -> QuerySet[Order]:
    """Active orders with a replacement whose swap, or extra authorization, customer service has
    not recorded yet: a replacement line not fully authorized. Before the swap no replacement
    line is authorized; after it, only what a dearer replacement costs above the reversed lines
    is left, which the extra step authorizes. (Steps recorded piecemeal with the ordinary forms
    are judged by the same figures.)"""
    waiting = (
        replacement_lines()
        .exclude(related_type="reversed")
        # Not the refund line (a key that is absent compares as NULL, hence the first term).
        .filter(Q(metadata__purpose__isnull=True) | ~Q(metadata__purpose=REFUND_PURPOSE["purpose"]))
        .filter(authorized_amount__lt=F("gross_amount"))
    )
    return orders.filter(status=OrderStatus.ACTIVE, pk__in=waiting.values("order_id"))


def orders_with_replacements_for_finance(orders: QuerySet[Order]) -> QuerySet[Order]:
    """Active orders with a cheaper replacement whose price difference is not refunded yet, once
    it can be: its refund line captured (the swap records that) and not refunded in full. The
    refund needs the Finance role (the settlement's "refund" step)."""
    waiting = replacement_lines().filter(
        metadata__purpose=REFUND_PURPOSE["purpose"], captured_amount__gt=F("refunded_amount")
    )
    return orders.filter(status=OrderStatus.ACTIVE, pk__in=waiting.values("order_id"))


def queue_orders(
    orders: QuerySet[Order], queue: Queue | str, *, days: int | None = None, now: dt.datetime | None = None
) -> QuerySet[Order]:
    """`orders` in `queue`; `days` for the stale authorizations (STALE_AUTHORIZATION_DAYS if None)."""
    queue = Queue(queue)
    if queue == Queue.TO_CAPTURE:
        return orders_to_capture(orders)
    if queue == Queue.STALE_AUTHORIZATIONS:
        return orders_with_stale_authorizations(
            orders, days=stale_after_days() if days is None else days, now=now
        )
    if queue == Queue.REPLACEMENTS_TO_SETTLE:
        return orders_with_replacements_to_settle(orders)
    return orders_with_replacements_for_finance(orders)
