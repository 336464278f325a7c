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
from django.utils.translation import gettext_lazy, ngettext

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
    TO_CAPTURE = "to_capture", gettext_lazy("To capture")
    STALE_AUTHORIZATIONS = "stale_authorizations", gettext_lazy("Authorizations getting old")
    REPLACEMENTS_TO_SETTLE = "replacements_to_settle", gettext_lazy("Replacements to settle")
    REPLACEMENTS_FOR_FINANCE = "replacements_for_finance", gettext_lazy("Replacements waiting for finance")


def stale_after_days() -> int:
    """How old an authorization left open may get before it is listed (STALE_AUTHORIZATION_DAYS)."""
    return int(getattr(settings, "STALE_AUTHORIZATION_DAYS", 7))


def queue_title(queue: Queue | str, *, days: int | None = None) -> str:
    """What the work page and the order list call the queue."""
    queue = Queue(queue)
    if queue == Queue.STALE_AUTHORIZATIONS:
        days = stale_after_days() if days is None else days
        return ngettext(
            "Authorizations older than %(days)d day", "Authorizations older than %(days)d days", days
        ) % {"days": days}
    return str(queue.label)


def open_authorization_lines() -> QuerySet[OrderLine]:
    """Lines with something left to capture: `Figures.to_capture` (orders.ledger) in SQL, written
    as the very condition of the partial index `line_open_authorization`, so that PostgreSQL
    can read these lines through it (it holds only them)."""
    return OrderLine.objects.filter(~Q(authorized_amount=F("captured_amount") + F("cancelled_amount")))


def orders_to_capture(orders: QuerySet[Order]) -> QuerySet[Order]:
    """Active orders with money authorized on a line but neither captured nor cancelled.

    Indexes: `order_account_created`, walked newest first, each order probed in the partial
    index `line_open_authorization`; counted up to 1 001 this stops early when open orders are
    common (benchmark, a fifth of a million orders open: 22 ms; the list's first page 1.4 ms).
    PostgreSQL cannot estimate a comparison between columns, so it takes that plan also when
    open orders are rare, and then walks the account's orders (measured with 200 open of 900 000:
    0.6-1.1 s). A statistics object on the expression (CREATE STATISTICS … ON ((authorized_amount
    = captured_amount + cancelled_amount)), with the query also saying `… IS NOT TRUE`) lets it
    read the partial index instead (54 ms measured); it needs a migration."""
    return orders.filter(status=OrderStatus.ACTIVE, pk__in=open_authorization_lines().values("order_id"))


def orders_with_stale_authorizations(
    orders: QuerySet[Order], *, days: int, now: dt.datetime | None = None
) -> QuerySet[Order]:
    """Orders with money authorized and neither captured nor cancelled, with no successful
    authorization in the last `days` days: the hold at
    the provider may lapse. The rule of the books check (`finance.reports.stale_authorizations`),
    written from the order's side because orders do not import finance; a line left open has
    been authorized, so "no authorization since" is "the last one is older".

    An order is made before its payments, so one made after the cutoff has every authorization
    after it too: the walk of `order_account_created` starts at the cutoff instead of going through
    the newest orders first, whose authorizations are recent (at a million orders, counted to 101:
    78 ms before, when it went through 6 000 of them).

    Indexes: as `orders_to_capture`, then `operation_auth_order` (order, created_at) for each
    open order's authorizations after the cutoff."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    recent = PaymentOperation.objects.filter(
        kind=OperationKind.AUTHORIZATION, success=True, order=OuterRef("pk"), created_at__gt=cutoff
    )
    # A closed order takes no capture but its authorization still holds the customer's money
    # until it is cancelled: it stays on this list.
    open_lines = open_authorization_lines().values("order_id")
    held = orders.filter(
        status__in=[OrderStatus.ACTIVE, OrderStatus.CLOSED], created_at__lte=cutoff, pk__in=open_lines
    )
    return held.exclude(Exists(recent))


def replacement_drafts() -> QuerySet[DraftOrder]:
    """Completed update drafts made by Replace item with the replaced lines paid (mode captured or
    authorized; such a draft always names the payment id): the replacements that have settlement
    steps (`replacement_settlement`).

    Index: the `target_order` foreign key's index, which only update drafts are in (a few, next to
    the draft of every order made through the API). Their number is that of the replacements ever
    completed, not of the orders: a precise entry to "not yet settled" would need an index of its
    own."""
    return DraftOrder.objects.filter(
        target_order__isnull=False,
        status=DraftStatus.COMPLETED,
        document__metadata__replacement__mode__in=[CAPTURED, AUTHORIZED],
    )


def _orders_with_replacement_lines(orders: QuerySet[Order], lines: Q) -> QuerySet[Order]:
    """Active orders that a replacement draft updated and that hold one of its lines matching
    `lines`. Driven by the drafts (their `target_order`), each order then probed through its own
    lines (index `line_id_unique_in_order`): never a walk over all lines or all orders
    (benchmark, 300 replacements among a million orders: 4 ms). Joining the lines to the drafts
    directly let the planner merge-join over the lines' whole `draft` index (300 ms)."""
    drafts = replacement_drafts()
    mine = OrderLine.objects.filter(lines, order=OuterRef("pk"), draft__in=drafts.values("pk"))
    return orders.filter(status=OrderStatus.ACTIVE, pk__in=drafts.values("target_order_id")).filter(
        Exists(mine)
    )


def orders_with_replacements_to_settle(orders: QuerySet[Order]) -> QuerySet[Order]:
    """Active orders with a replacement whose swap, or extra authorization, customer service has
    not recorded yet: a replacement line not fully authorized. Before the swap no replacement
    line is authorized; after it, only what a dearer replacement costs above the reversed lines
    is left, which the extra step authorizes. (Steps recorded piecemeal with the ordinary forms
    are judged by the same figures.)"""
    replacement_line = ~Q(related_type="reversed") & (
        # Not the refund line (a key that is absent compares as NULL, hence the first term).
        Q(metadata__purpose__isnull=True) | ~Q(metadata__purpose=REFUND_PURPOSE["purpose"])
    )
    return _orders_with_replacement_lines(
        orders, replacement_line & Q(authorized_amount__lt=F("gross_amount"))
    )


def orders_with_replacements_for_finance(orders: QuerySet[Order]) -> QuerySet[Order]:
    """Active orders with a cheaper replacement whose price difference is not refunded yet, once
    it can be: its refund line captured (the swap records that) and not refunded in full. The
    refund needs the Finance role (the settlement's "refund" step)."""
    return _orders_with_replacement_lines(
        orders,
        Q(metadata__purpose=REFUND_PURPOSE["purpose"], captured_amount__gt=F("refunded_amount")),
    )


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
