"""Reads: querysets already joined and prefetched for what their callers show."""

import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, F, Min, OuterRef, Prefetch, Q, QuerySet, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Lower, Upper

from backoffice.errors import NotFound
from backoffice.models import Account

from .ledger import Figures
from .models import (
    DraftOrder,
    Event,
    ItemAmount,
    OperationItem,
    OperationKind,
    Order,
    OrderLine,
    PaymentOperation,
    TaxLine,
)


def payment_figures(order: Order) -> dict[str, dict[int, Figures]]:
    """Per payment id (in the order of its first operation), per line id: the recorded figures
    over successful operations, which are what the provider should show for that payment
    (spec §7, per payment id). `gross` is left 0: a payment covers part of a line."""
    rows = (
        OperationItem.objects.filter(operation__order=order, operation__success=True)
        .values("operation__payment_id", "operation__kind", "line__line_id")
        .annotate(total=Sum("amount"), first=Min("operation__created_at"))
        .order_by("first")
    )
    out: dict[str, dict[int, Figures]] = {}
    for row in rows:
        per_line = out.setdefault(row["operation__payment_id"], {})
        line_id = row["line__line_id"]
        per_line[line_id] = per_line.get(line_id, Figures()).adding(row["operation__kind"], row["total"])
    return out


def _lines_prefetch() -> Prefetch:
    return Prefetch(
        "lines",
        queryset=OrderLine.objects.select_related("related_line")
        .prefetch_related("tax_lines")
        .order_by("line_id"),
    )


def order_list(*, account: Account) -> QuerySet[Order]:
    return Order.objects.filter(account=account).select_related("account").prefetch_related(_lines_prefetch())


def reversed_by(line: OrderLine) -> list[OrderLine]:
    """The lines that reverse `line`, found among its order's lines as the selectors above
    already loaded them: no query per line, and one pass over the lines per order."""
    order = line.order
    index = getattr(order, "_reversed_by", None)
    if index is None:
        index = defaultdict(list)
        for other in order.lines.all():
            if other.related_line_id:
                index[other.related_line_id].append(other)
        order._reversed_by = index
    return index.get(line.pk, [])


def order_page_get(*, account: Account, order_id: str) -> Order:
    """The order as its staff page shows it: as `order_get`, except that each line's VAT rates
    come as plain values in `line.vat_rates` rather than as tax line instances. For a 100-line
    order, building and prefetching those instances was a fifth of the page's time."""
    lines = OrderLine.objects.select_related("related_line").order_by("line_id")
    order = (
        Order.objects.filter(account=account, order_id=order_id)
        .select_related("account")
        .prefetch_related(Prefetch("lines", queryset=lines))
        .first()
    )
    if order is None:
        raise NotFound(f"there is no order {order_id}")
    rates = defaultdict(list)
    for line_pk, percentage in (
        TaxLine.objects.filter(line__order=order)
        .order_by("line_id", "id")
        .values_list("line_id", "percentage")
    ):
        rates[line_pk].append(percentage)
    for line in order.lines.all():
        line.vat_rates = rates[line.pk]
    return order


def order_ref(*, account: Account, order_id: str) -> Order:
    order = Order.objects.filter(account=account, order_id=order_id).first()
    if order is None:
        raise NotFound(f"there is no order {order_id}")
    return order


def order_get(*, account: Account, order_id: str) -> Order:
    order = order_list(account=account).filter(order_id=order_id).first()
    if order is None:
        raise NotFound(f"there is no order {order_id}")
    return order


SEARCH_FAN_OUT = 500


def customer_summary(order: Order) -> dict | None:
    """The customer's orders in this account, by e-mail (any case; index
    `order_customer_email`): how many, and what they paid net (captured - refunded) in this
    order's currency. None without an e-mail."""
    email = order.customer_email.strip().lower()
    if not email:
        return None
    orders = Order.objects.alias(email=Lower(KT("customer__email"))).filter(
        account=order.account_id, email=email
    )
    figures = orders.aggregate(
        count=Count("pk"),
        paid=Sum(F("captured_amount") - F("refunded_amount"), filter=Q(currency=order.currency), default=0),
    )
    return {"email": email, "orders": figures["count"], "paid": figures["paid"], "currency": order.currency}


def order_exact_matches(queryset: QuerySet[Order], text: str, *, account: Account) -> QuerySet[Order]:
    """Orders matching an order id, customer e-mail, first or last name, full name, merchant
    reference, SKU or payment id as a whole value, ignoring case: what a search lists first.

    Every branch is an index lookup (the order and customer indexes, `line_sku`,
    `operation_payment`). SKUs and payment ids live on other tables: their (few) orders are
    looked up first."""
    text = " ".join(text.split())
    if not text:
        return queryset.none()
    lowered = text.lower()
    named = queryset.alias(
        email=Lower(KT("customer__email")),
        first_name=Lower(KT("customer__first_name")),
        last_name=Lower(KT("customer__last_name")),
    )
    match = (
        Q(order_id=text)
        | Q(order_id=text.upper())
        | Q(email=lowered)
        | Q(first_name=lowered)
        | Q(last_name=lowered)
        | Q(merchant_reference=text)
    )
    first, _, last = lowered.partition(" ")
    if last:
        match |= Q(first_name=first, last_name=last)
    related = _holding_whole(text, account)
    if related:
        match |= Q(pk__in=related)
    return named.filter(match)


def _holding_whole(text: str, account: Account) -> list:
    """The ids of the (few) orders with a line whose SKU, or an operation whose payment id, is
    `text`: looked up first, in their own indexes."""
    return list(
        OrderLine.objects.filter(item_id=text, order__account=account).values_list("order_id", flat=True)[
            :SEARCH_FAN_OUT
        ]
    ) + list(
        PaymentOperation.objects.filter(payment_id=text, order__account=account).values_list(
            "order_id", flat=True
        )[:SEARCH_FAN_OUT]
    )


# Parts of values shorter than this match whole values only: a trigram index needs three
# characters, and "a" would match nearly everything.
PART_MIN_LENGTH = 3


# The searched fields, on the order and on the tables that point at it.
_ORDER_FIELDS = {
    "order_id": "order_id",
    "email": KT("customer__email"),
    "first_name": KT("customer__first_name"),
    "last_name": KT("customer__last_name"),
    "phone": KT("customer__phone_number"),
}
_LINE_FIELDS = ("item_id", "description")


def _orders_holding(term: str, account: Account) -> QuerySet:
    """The ids of the account's orders that hold `term` (upper-cased) in any searched field: one
    `UPPER(…) LIKE '%TERM%'` per field, united. On PostgreSQL each is served by a trigram index
    of the same expression (migration `orders/0009_search_by_any_part`), and the union drives
    the search, so it costs what the matches cost, not what the table holds; SQLite scans."""
    mine = Order.objects.filter(account=account).order_by()
    # Each arm is the pks of the orders it matches, whichever table it searches.
    arms: list[QuerySet[Any, dict[str, Any]]] = [
        mine.alias(v=Upper(field)).filter(v__contains=term).values("pk") for field in _ORDER_FIELDS.values()
    ]
    lines = OrderLine.objects.filter(order__account=account).order_by()
    arms += [
        lines.alias(v=Upper(field)).filter(v__contains=term).values("order_id") for field in _LINE_FIELDS
    ]
    payments = PaymentOperation.objects.filter(order__account=account).order_by()
    arms.append(payments.alias(v=Upper("payment_id")).filter(v__contains=term).values("order_id"))
    return arms[0].union(*arms[1:])


def _holds(term: str) -> Q:
    """`_orders_holding` as a test of one order row: its own fields, then whether one of its
    lines or payment operations holds the term (each an index probe by order)."""
    own = Q()
    for name in _ORDER_FIELDS:
        own |= Q(**{f"search_{name}__contains": term})
    line = Q()
    for field in _LINE_FIELDS:
        line |= Q(**{f"search_{field}__contains": term})
    lines = (
        OrderLine.objects.filter(order=OuterRef("pk"))
        .alias(**{f"search_{field}": Upper(field) for field in _LINE_FIELDS})
        .filter(line)
    )
    payments = (
        PaymentOperation.objects.filter(order=OuterRef("pk"))
        .alias(search_payment_id=Upper("payment_id"))
        .filter(search_payment_id__contains=term)
    )
    return own | Exists(lines) | Exists(payments)


def _with_search_fields(queryset: QuerySet[Order]) -> QuerySet[Order]:
    """The upper-cased fields `_holds` compares, as the trigram indexes hold them."""
    return queryset.alias(**{f"search_{name}": Upper(field) for name, field in _ORDER_FIELDS.items()})


# How a search runs depends on how many orders each of its words matches (PostgreSQL, a
# million orders):
# * a rare word (an e-mail, an order id, a SKU) is looked up in the trigram indexes and its few
#   orders joined to the list (`_orders_holding`): it costs what its matches cost;
# * a common word ("Hansen", one order in ten) has too many matches for that: each order the rare
#   words leave, or if none, each order of the list in its own order, is tested (`_holds`), and a
#   page is full after a few hundred orders.
# `PROBE` of the account's newest orders tell one from the other: a word is common when at least
# `COMMON_IN_PROBE` of them hold it (a page of 25 is then found within ~PROBE/COMMON_IN_PROBE·25
# orders read). SQLite's small data has no trigram indexes; the plan is the same.
PROBE = 400
COMMON_IN_PROBE = 8


@dataclass(frozen=True)
class SearchPlan:
    """How `order_search` runs a text: its words (upper-cased) by how they are matched."""

    text: str
    common: tuple[str, ...] = ()  # tested on each order
    looked_up: tuple[str, ...] = ()  # looked up in the trigram indexes
    whole: tuple[str, ...] = ()  # shorter than PART_MIN_LENGTH: whole values, looked up

    @property
    def order_by_order(self) -> bool:
        """Nothing narrows the orders before they are tested: the list is read in its own order
        and each order tested, so a count of every match would read every order."""
        return bool(self.common) and not self.looked_up and not self.whole


def _newest(account: Account, count: int) -> QuerySet:
    return Order.objects.filter(account=account).order_by("-created_at", "-pk").values("pk")[:count]


def _is_common(word: str, account: Account) -> bool:
    newest = _with_search_fields(Order.objects.filter(pk__in=_newest(account, PROBE)))
    holding = newest.filter(_holds(word)).values("pk")
    return holding[:COMMON_IN_PROBE].count() >= COMMON_IN_PROBE


def search_plan(text: str, *, account: Account) -> SearchPlan:
    """Sort the words of `text` by how `order_search` matches them (see PROBE above): one probe
    of the newest orders per word of three characters or more."""
    common, looked_up, whole = [], [], []
    for word in text.split():
        if len(word) < PART_MIN_LENGTH:
            whole.append(word)
        elif _is_common(word.upper(), account):
            common.append(word.upper())
        else:
            looked_up.append(word.upper())
    return SearchPlan(" ".join(text.split()), tuple(common), tuple(looked_up), tuple(whole))


def order_search(
    queryset: QuerySet[Order], text: str, *, account: Account, plan: SearchPlan | None = None
) -> QuerySet[Order]:
    """Orders matching every word of `text` by any part of their order id, customer e-mail,
    name or phone, a line's SKU or description, or a payment id, ignoring case; a word shorter
    than three characters must match a whole value (`order_exact_matches`); or matching the
    whole text as one value. `plan` is `search_plan(text)`, if the caller has it already."""
    if not text.split():
        return queryset
    plan = plan or search_plan(text, account=account)
    each_common_word = Q()
    for word in plan.common:
        each_common_word &= _holds(word)
    if plan.order_by_order:
        # Read in the list's order, each order tested. The whole text as one value adds only a
        # merchant reference or a SKU or payment id with spaces in it: the other whole values
        # hold every word.
        whole_value = Q(merchant_reference=plan.text)
        if related := _holding_whole(plan.text, account):
            whole_value |= Q(pk__in=related)
        return _with_search_fields(queryset).filter(each_common_word | whole_value)
    mine = Order.objects.filter(account=account)
    every_word = mine.order_by()
    for word in plan.looked_up:
        every_word = every_word.filter(pk__in=_orders_holding(word, account))
    for word in plan.whole:
        every_word = every_word.filter(pk__in=order_exact_matches(mine, word, account=account).values("pk"))
    if plan.common:
        every_word = _with_search_fields(every_word).filter(each_common_word)
    # One `IN` over a union, not an OR of two `IN`s: PostgreSQL joins the matches' ids to the
    # orders (a semi-join) instead of testing both subqueries on every order of the account
    # (at a million orders 2.5 s, now what the matches cost).
    whole_text = order_exact_matches(mine, plan.text, account=account).order_by().values("pk")
    return queryset.filter(pk__in=every_word.values("pk").union(whole_text))


def operation_items_attach(operations: list[PaymentOperation]) -> list[PaymentOperation]:
    """Set the `item_list` of each of `operations`, read for all of them in one query as plain
    rows: a capture of a 100-line order has 100 items, and making a model instance of each
    was most of the time of reading them."""
    by_operation: dict[uuid.UUID, list[ItemAmount]] = defaultdict(list)
    if operations:
        rows = (
            OperationItem.objects.filter(operation__in=operations)
            .order_by("operation_id", "line__line_id")
            .values_list("operation_id", "line__line_id", "amount", "payout")
        )
        for operation_id, line_number, amount, payout in rows:
            by_operation[operation_id].append(ItemAmount(line_number, amount, payout))
    for operation in operations:
        operation.item_list = by_operation[operation.pk]
    return operations


def operation_list(*, order: Order, kind: OperationKind | None = None) -> list[PaymentOperation]:
    operations = order.operations.order_by("created_at", "id")
    return operation_items_attach(list(operations.filter(kind=kind) if kind else operations))


def operation_get(*, order: Order, kind: OperationKind, operation_id: str) -> PaymentOperation:
    pk = _uuid(operation_id)
    operation = order.operations.filter(kind=kind, pk=pk).first() if pk else None
    if operation is None:
        raise NotFound(f"order {order.order_id} has no {kind} {operation_id}")
    return operation_items_attach([operation])[0]


def event_list(*, order: Order) -> QuerySet[Event]:
    # Events name their actor in `created_by`, as it was then: no need to join the actors.
    return order.events.order_by("created_at", "id")


def draft_list(*, account: Account) -> QuerySet[DraftOrder]:
    return DraftOrder.objects.filter(account=account).select_related("target_order", "completed_order")


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def draft_get(*, account: Account, draft_id: str) -> DraftOrder:
    pk = _uuid(draft_id)
    draft = draft_list(account=account).filter(pk=pk).first() if pk else None
    if draft is None:
        raise NotFound(f"there is no draft order {draft_id}")
    return draft
