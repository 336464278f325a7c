"""The work queues of the home page: for each role, what waits for it on the account, as a count
and a link to the list that shows exactly those orders (or calls, or findings).

The queues on the orders' own records are `orders.queues` filters, counted here through the same
queryset the order list filters with (`?queue=…`); those on the payments side count the rows of
the books check's sections (`finance.books`), which they link to. Every count is capped: one
query per queue, each reading through the index named at it, whatever the number of orders.
"""

import datetime as dt
from dataclasses import dataclass

from babel.numbers import format_decimal
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.http import urlencode
from django.utils.translation import gettext, gettext_lazy, npgettext

from backoffice.models import Account
from backoffice.roles import CUSTOMER_SERVICE, FINANCE
from orders.models import Order
from orders.queues import Queue, queue_orders, queue_title, stale_after_days
from payments.models import IN_FLIGHT, CallState, Mismatch, ProviderCall

# The books check lists at most this many rows in each of its sections (and says "100+" when there
# are more): at a million orders, 500 rows of open authorizations took 50 ms to write out.
BOOKS_ROWS = 100
# The work page counts each queue of orders up to this ("100+"): enough to say how much waits, at
# a tenth of the cost of counting as far as the order list does (1 000): at a million orders the
# authorizations getting old took 114 ms to count to 1 001, the whole page 150 ms.
QUEUE_COUNT_LIMIT = 100
# A call still pending or being sent after this long is as unknown as an `unknown` one.
STUCK_AFTER = dt.timedelta(minutes=10)
MAX_DAYS = 3650

UNKNOWN_CALLS = "unknown_calls"
MISMATCHES = "mismatches"


def stale_days(value: str | None) -> int:
    """The age, in days, from which an open authorization is listed: `value` (a query's
    `days`) between 0 and MAX_DAYS, else STALE_AUTHORIZATION_DAYS."""
    try:
        return min(max(int(value), 0), MAX_DAYS) if value else stale_after_days()
    except (TypeError, ValueError):
        return stale_after_days()


def unknown_calls(*, account: Account, now: dt.datetime | None = None) -> QuerySet[ProviderCall]:
    """The account's provider calls whose outcome is unknown, or still pending or being sent
    after STUCK_AFTER, oldest first. Index: `provider_call_state` (state, created_at): calls
    under way are few next to the settled ones (a table of a few rows is read whole)."""
    now = now or timezone.now()
    return (
        ProviderCall.objects.filter(order__account=account, state__in=IN_FLIGHT)
        .exclude(state__in=[CallState.PENDING, CallState.SENDING], created_at__gt=now - STUCK_AFTER)
        .order_by("created_at")
    )


def open_mismatches(*, account: Account) -> QuerySet[Mismatch]:
    """The account's reconciliation findings still open: books that do not add up with the
    provider's. Index: the partial unique index `mismatch_open_once` holds only open findings."""
    return Mismatch.objects.filter(order__account=account, resolved_at__isnull=True)


@dataclass(frozen=True)
class WorkQueue:
    key: str
    title: str
    what: str  # what the role does about it
    role: str  # the role that acts on it: the page groups the queues by it
    count: int  # counted up to limit + 1
    limit: int
    url: str
    unit: str = "order"

    @property
    def more(self) -> bool:
        return self.count > self.limit

    @property
    def shown(self) -> str:
        """`12`, `1 000+` (grouped as the display locale groups digits)."""
        if self.more:
            return f"{format_decimal(self.limit, locale='nb_NO')}+"
        return format_decimal(self.count, locale="nb_NO")

    @property
    def units(self) -> str:
        """`order`, `orders` (`ordre` in Norwegian), as many as `shown` says."""
        n = self.limit + 1 if self.more else self.count
        if self.unit == "call":
            return npgettext("work queue", "call", "calls", n)
        if self.unit == "finding":
            return npgettext("work queue", "finding", "findings", n)
        return npgettext("work queue", "order", "orders", n)


# Who acts on each queue: it is shown to users holding all of these permissions (and so, with the
# roles of backoffice.roles, to the role named in `_QUEUES` and to administrators).
_QUEUES: list[tuple[str, str, tuple[str, ...], Promise]] = [
    (
        Queue.TO_CAPTURE,
        CUSTOMER_SERVICE,
        ("orders.record_operation",),
        gettext_lazy("Authorized and not yet captured."),
    ),
    (
        Queue.REPLACEMENTS_TO_SETTLE,
        CUSTOMER_SERVICE,
        ("orders.record_operation",),
        gettext_lazy("Replaced items whose swap or extra payment is not recorded yet."),
    ),
    (
        Queue.STALE_AUTHORIZATIONS,
        CUSTOMER_SERVICE,
        ("orders.record_operation",),
        gettext_lazy("Capture or cancel them before the hold at the provider lapses."),
    ),
    (
        Queue.REPLACEMENTS_FOR_FINANCE,
        FINANCE,
        ("orders.record_refund",),
        gettext_lazy("Cheaper replacements: the price difference is to be refunded."),
    ),
    (
        UNKNOWN_CALLS,
        FINANCE,
        ("orders.view_finance", "orders.reconcile"),
        gettext_lazy("Calls to the payment provider with no known outcome: reconcile them."),
    ),
    (
        MISMATCHES,
        FINANCE,
        ("orders.view_finance",),
        gettext_lazy("Orders whose books do not add up with the provider's."),
    ),
]


def _count(queryset: QuerySet, limit: int) -> int:
    """Up to limit + 1: enough to say "more than", never a scan of everything that matches."""
    return queryset[: limit + 1].count()


def work_queues(
    *,
    account: Account,
    user: User | AnonymousUser,
    days: int | None = None,
    now: dt.datetime | None = None,
) -> list[WorkQueue]:
    """The queues `user` acts on in `account`, each counted (one query each) with its link.
    `days`: the age of the authorizations listed as getting old (STALE_AUTHORIZATION_DAYS)."""
    days = stale_after_days() if days is None else days
    now = now or timezone.now()
    orders = Order.objects.filter(account=account)
    books = reverse("books-check", args=[account.aid])
    order_list = reverse("order-list", args=[account.aid])
    queues = []
    for key, role, permissions, what in _QUEUES:
        if not all(user.has_perm(p) for p in permissions):
            continue
        if key == UNKNOWN_CALLS:
            queue = WorkQueue(
                key,
                gettext("Provider calls unknown"),
                str(what),
                role,
                _count(unknown_calls(account=account, now=now), BOOKS_ROWS),
                BOOKS_ROWS,
                f"{books}#unknown-heading",
                unit="call",
            )
        elif key == MISMATCHES:
            queue = WorkQueue(
                key,
                gettext("Books that do not add up"),
                str(what),
                role,
                _count(open_mismatches(account=account), BOOKS_ROWS),
                BOOKS_ROWS,
                f"{books}#mismatch-heading",
                unit="finding",
            )
        else:
            params: dict[str, str | int] = {"queue": key}
            if key == Queue.STALE_AUTHORIZATIONS:
                params["days"] = days
            queue = WorkQueue(
                str(key),
                queue_title(key, days=days),
                str(what),
                role,
                _count(queue_orders(orders, key, days=days, now=now), QUEUE_COUNT_LIMIT),
                QUEUE_COUNT_LIMIT,
                f"{order_list}?{urlencode(params)}",
            )
        queues.append(queue)
    return queues
