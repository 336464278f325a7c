"""Reads: querysets already joined and prefetched for what their callers show."""

import uuid
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, F, Min, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Lower, StrIndex
from django.db.models.lookups import GreaterThan

from backoffice.errors import NotFound
from backoffice.models import Account
from backoffice.prepared import statements_prepared
from backoffice.rows import columns, key, prefetched, table

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
    with statements_prepared(), connection.cursor() as cursor:
        order, lines = _order_and_lines(cursor, account, order_id)
    rates = defaultdict(list)
    for line_pk, percentage in (
        TaxLine.objects.filter(line__order=order)
        .order_by("line_id", "id")
        .values_list("line_id", "percentage")
    ):
        rates[line_pk].append(percentage)
    for line in lines:
        line.vat_rates = rates[line.pk]
    prefetched(order, "lines", lines)
    return order


def order_ref(*, account: Account, order_id: str) -> Order:
    order = Order.objects.filter(account=account, order_id=order_id).first()
    if order is None:
        raise NotFound(f"there is no order {order_id}")
    return order


def order_get(*, account: Account, order_id: str) -> Order:
    """The order as `order_list(account=…).filter(order_id=…).first()` reads it: its lines in
    line id order, each with its related line and tax lines. Read by three statements written
    once (`backoffice.rows`), on the primary: the API's one-order read, and every write's
    answer, make it, and compiling the three querysets cost more than running them."""
    with statements_prepared(), connection.cursor() as cursor:
        order, lines = _order_and_lines(cursor, account, order_id)
        tax = columns(TaxLine, "t", connection)
        # Joined to the lines by the order, so the statement is the same for any number of lines.
        cursor.execute(
            f"SELECT {tax.select} FROM {table(TaxLine, connection)} t"
            f" JOIN {table(OrderLine, connection)} l ON l.id = t.line_id"
            " WHERE l.order_id = %s ORDER BY t.line_id, t.id",
            [key(Order, order.pk, connection)],
        )
        taxes = defaultdict(list)
        for row in cursor.fetchall():
            tax_line = tax.instance(row, 0, connection)
            taxes[tax_line.line_id].append(tax_line)
    for line in lines:
        for tax_line in taxes[line.pk]:
            tax_line.line = line
        prefetched(line, "tax_lines", taxes[line.pk])
    prefetched(order, "lines", lines)
    return order


def _order_and_lines(cursor, account: Account, order_id: str) -> tuple[Order, list[OrderLine]]:
    """The account's order `order_id` (a 404 if it has none) and its lines in line id order,
    each with its related line, as `select_related("related_line")` leaves them."""
    o, line, related = (columns(model, alias, connection) for model, alias in _ORDER_ROWS)
    cursor.execute(
        f"SELECT {o.select} FROM {table(Order, connection)} o WHERE o.account_id = %s AND o.order_id = %s",
        [account.pk, order_id],
    )
    row = cursor.fetchone()
    if row is None:
        raise NotFound(f"there is no order {order_id}")
    order = o.instance(row, 0, connection)
    order.account = account
    cursor.execute(
        f"SELECT {line.select}, {related.select} FROM {table(OrderLine, connection)} l"
        f" LEFT JOIN {table(OrderLine, connection)} r ON r.id = l.related_line_id"
        " WHERE l.order_id = %s ORDER BY l.line_id",
        [key(Order, order.pk, connection)],
    )
    lines = []
    for row in cursor.fetchall():
        found = line.instance(row, 0, connection)
        found.order = order
        has_related = row[line.width + related.pk_index] is not None
        found.related_line = related.instance(row, line.width, connection) if has_related else None
        lines.append(found)
    return order, lines


_ORDER_ROWS = ((Order, "o"), (OrderLine, "l"), (OrderLine, "r"))


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


def order_exact_matches(
    queryset: QuerySet[Order], text: str, *, account: Account, plan: "SearchPlan | None" = None
) -> QuerySet[Order]:
    """Orders matching an order id, customer e-mail, first or last name, full name, merchant
    reference, SKU or payment id as a whole value, ignoring case: what a search lists first.

    Every branch is an index lookup (the order and customer indexes, `line_sku`,
    `operation_payment`). SKUs and payment ids live on other tables: their (few) orders are
    looked up first, unless `plan` (`search_plan(text)`) has them already."""
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
    related = plan.whole_value_ids if plan is not None else _holding_whole(text, account)
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


def _orders_holding(term: str, account: Account, fragment: str = "") -> QuerySet:
    """The ids of the account's orders that hold `term` (upper-cased) in their search text: the
    order id, the customer's e-mail, names and phone, a line's SKU or description, a payment id
    (`Order.search_text`). On PostgreSQL the trigram index on `search_text` (migration
    `orders/0020_search_text_in_upper_case`) serves the `LIKE '%TERM%'`, so it costs what the matches
    cost, not what the table holds; SQLite scans.

    With a `fragment` of the term (`rare_fragment`), the index is asked for the fragment only and
    each order it finds is then tested for the whole term: the index reads every trigram it is
    given, and a word's common ones cost the most for nothing."""
    return Order.objects.filter(_holding(term, fragment), account=account).order_by().values("pk")


def _holding(term: str, fragment: str = "") -> Q:
    """The search text holds `term`, asked of the trigram index by `fragment` (see `_orders_holding`)."""
    return _looked_up(term) if not fragment or fragment == term else _looked_up(fragment) & _holds(term)


def rare_fragment(term: str, probe: list[str]) -> str:
    """The shortest part of `term` that holds each of its trigrams that few of the `probe`'s
    texts hold (fewer than COMMON_IN_PROBE), or `term` itself when none is that rare. For
    `CUSTOMER340588@EXAMPLE.COM`, whose other trigrams every order's e-mail holds, `R340588@`: at
    a million orders the index answers it in 1 ms, the whole address in 50."""
    rare = [
        i for i in range(len(term) - 2) if sum(term[i : i + 3] in held for held in probe) < COMMON_IN_PROBE
    ]
    if not rare:
        return term
    # At least FRAGMENT_MIN_LENGTH characters (three trigrams), grown on the left first: one
    # rare trigram alone still matches tens of thousands of orders, each then read to test it.
    start, end = rare[0], rare[-1] + 3
    missing = max(FRAGMENT_MIN_LENGTH - (end - start), 0)
    start = max(start - missing, 0)
    return term[start : max(end, start + FRAGMENT_MIN_LENGTH)]


FRAGMENT_MIN_LENGTH = 5


def _looked_up(term: str) -> Q:
    """The order's search text (in upper case) holds `term` (upper-cased), as the trigram index
    answers it: `search_text LIKE '%TERM%'`."""
    return Q(search_text__contains=term)


def _holds(term: str) -> Q:
    """The same, as a test of the row that no index answers (`STRPOS(…) > 0`): a common word is
    tested on orders read in the list's order; PostgreSQL would otherwise read the whole index
    (every order holds "SKU") to find a page that the first few thousand orders hold."""
    return Q(GreaterThan(StrIndex("search_text", Value(term)), 0))


# How a search runs depends on how many orders each of its words matches (PostgreSQL, a
# million orders):
# * a rare word (an e-mail, an order id, a SKU) is looked up in the trigram index once, and the
#   ids of its few orders (at most LOOKUP_LIMIT) drive the list and its count as pk lookups;
# * a common word ("Hansen", one order in ten) has too many matches for that: each order the rare
#   words leave, or if none, each order of the list in its own order, is tested (`_holds`, one
#   column of the row), and a page is full after a few hundred orders;
# * a word between the two (a part of a SKU that 2,400 orders of a million hold, one of the
#   newest 400 or none) has too many orders to list and too few to find a page soon in the list's
#   order (10,000 orders read, 20 ms): the page's query asks the trigram index for it, and
#   PostgreSQL sorts its matches for the page (a bitmap of 2,400 rows and a top-N sort, 8 ms, at
#   any depth; `SearchPlan.indexed`).
# The search texts of the account's newest `PROBE` orders, read once, tell one from the other: a
# word is common when at least `COMMON_IN_PROBE` of them hold it (a page of 25 is then found
# within ~PROBE/COMMON_IN_PROBE·25 orders read), and a word fewer of them hold that the index
# finds in more than LOOKUP_LIMIT orders is between the two. SQLite's small data is scanned; the
# plan is the same.
PROBE = 400
COMMON_IN_PROBE = 8
ESTIMATE_MIN_SEEN = 2  # see _orders_estimate
LOOKUP_LIMIT = 1000


@dataclass(frozen=True)
class SearchPlan:
    """How `order_search` runs a text: its words (upper-cased) by how they are matched."""

    text: str
    common: tuple[str, ...] = ()  # tested on each order
    looked_up: tuple[str, ...] = ()  # looked up in the trigram index
    whole: tuple[str, ...] = ()  # shorter than PART_MIN_LENGTH: whole values, looked up
    # The orders holding every looked-up and whole word (None: no such word).
    ids: frozenset | None = None
    whole_value_ids: tuple = ()  # orders holding the whole text as a SKU, payment id, reference
    unlisted: tuple[str, ...] = ()  # whole words with too many orders to list: a subquery each
    # Words too many orders hold to list and too few of the newest: each (term, its rare
    # fragment) asked of the trigram index in the page's own query.
    indexed: tuple[tuple[str, str], ...] = ()

    @property
    def order_by_order(self) -> bool:
        """Nothing narrows the orders before they are tested: the list is read in its own order
        and each order tested, so a count of every match would read every order."""
        return self.ids is None and not self.unlisted and not self.indexed

    @property
    def more_than(self) -> int:
        """How many orders match at the least, known without a count (unless a filter of the list
        narrows them): more than LOOKUP_LIMIT when its one word's lookup found so, else 0."""
        alone = len(self.indexed) == 1 and not (self.common or self.looked_up or self.whole or self.unlisted)
        return LOOKUP_LIMIT if alone else 0


def _probe_texts(account: Account) -> list[str]:
    newest = Order.objects.filter(account=account).order_by("-created_at", "-pk")
    return list(newest.values_list("search_text", flat=True)[:PROBE])


def _orders_estimate() -> float:
    """PostgreSQL's estimate of the orders of every account (its statistics; 0 when it has none,
    or on SQLite). A word that a few of the probe's orders hold (fewer than COMMON_IN_PROBE) is
    held by as large a share of them all: when that is more than LOOKUP_LIMIT, looking it up only
    finds too many (at a million orders, a part of a SKU held by one order in 400: 10 ms spent
    for nothing) and it is tested order by order at once. An upper bound for any one account: a
    small account's orders are few to test.

    Only from ESTIMATE_MIN_SEEN of the probe's orders: one alone is as likely to be the one in
    400 of a word held by 2,500 orders of a million as the one in 1,000 of an order id prefix
    held by 1,000. Guessed common, the prefix was tested on 27,000 orders to find its page
    (46 ms); looked up, it takes 10 ms, and a word that proves too common for the lookup costs
    the lookup's 1,000 rows (~5 ms) before the index sorts its matches (`SearchPlan.indexed`)."""
    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [Order._meta.db_table])
        row = cursor.fetchone()
    return max(float(row[0]), 0.0) if row else 0.0


def _ids(queryset: QuerySet, limit: int) -> set | None:
    """The pks of `queryset`, or None when there are more than `limit`."""
    found = set(queryset.values_list("pk", flat=True)[: limit + 1])
    return None if len(found) > limit else found


def search_plan(text: str, *, account: Account) -> SearchPlan:
    """Sort the words of `text` by how `order_search` matches them (see PROBE above) and look up
    the rare ones: one read of the newest orders, one index lookup per rare word."""
    text = " ".join(text.split())
    probe = _probe_texts(account)
    mine = Order.objects.filter(account=account)
    common, looked_up, whole, unlisted = [], [], [], []
    indexed: list[tuple[str, str]] = []
    ids: set | None = None
    estimate = 0.0
    for word in text.split():
        term = word.upper()
        found: set | None
        if len(word) < PART_MIN_LENGTH:
            whole.append(word)
            found = _ids(order_exact_matches(mine, word, account=account).order_by(), LOOKUP_LIMIT)
            if found is None:  # a short whole value this common: its subquery, in order_search
                unlisted.append(word)
                continue
        elif (seen := sum(term in held for held in probe)) >= COMMON_IN_PROBE or (
            seen >= ESTIMATE_MIN_SEEN
            and seen / len(probe) * (estimate := estimate or _orders_estimate()) > LOOKUP_LIMIT
        ):
            common.append(term)
            continue
        else:
            fragment = rare_fragment(term, probe)
            found = _ids(_orders_holding(term, account, fragment), LOOKUP_LIMIT)
            if found is None:
                indexed.append((term, fragment))
                continue
            looked_up.append(term)
        ids = found if ids is None else ids & found
    whole_value_ids = tuple(_holding_whole(text, account)) + tuple(
        mine.filter(merchant_reference=text).values_list("pk", flat=True)[:SEARCH_FAN_OUT]
    )
    return SearchPlan(
        text,
        tuple(common),
        tuple(looked_up),
        tuple(whole),
        frozenset(ids) if ids is not None else None,
        whole_value_ids,
        tuple(unlisted),
        tuple(indexed),
    )


def order_search(
    queryset: QuerySet[Order], text: str, *, account: Account, plan: SearchPlan | None = None
) -> QuerySet[Order]:
    """Orders matching every word of `text` by any part of their order id, customer e-mail,
    name or phone, a line's SKU or description, or a payment id, ignoring case; a word shorter
    than three characters must match a whole value (`order_exact_matches`); or holding the whole
    text as one value. `plan` is `search_plan(text)`, if the caller has it already."""
    return queryset.filter(search_condition(text, account=account, plan=plan)) if text.split() else queryset


def search_condition(text: str, *, account: Account, plan: SearchPlan | None = None) -> Q:
    """What `order_search` asks of each order, as one condition (`text` holds a word)."""
    plan = plan or search_plan(text, account=account)
    every_word = Q()
    for word in plan.common:
        every_word &= _holds(word)
    for term, fragment in plan.indexed:
        # Among a few looked-up orders, tested as they are read; else asked of the index.
        every_word &= _holds(term) if plan.ids is not None else _holding(term, fragment)
    if plan.ids is not None:
        every_word &= Q(pk__any_of=plan.ids)
    mine = Order.objects.filter(account=account)
    for word in plan.unlisted:
        every_word &= Q(pk__in=order_exact_matches(mine, word, account=account).order_by().values("pk"))
    # The whole text as one value adds only a merchant reference, or a SKU or payment id with
    # spaces in it: the order's other whole values hold every word. Both sides of the OR are pk
    # lookups, or a test of the row.
    return every_word | Q(pk__any_of=plan.whole_value_ids)


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
