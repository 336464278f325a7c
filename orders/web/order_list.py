"""Home and the order list: search, filters, sort and keyset pages."""

from django.contrib.auth.decorators import login_required
from django.core import signing
from django.db.models import BooleanField, ExpressionWrapper, F, Q, QuerySet
from django.db.models.fields.tuple_lookups import (  # type: ignore[import-untyped]  # no stubs yet
    Tuple,
    TupleGreaterThan,
    TupleLessThan,
)
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from backoffice.access import staff_page
from backoffice.auth_backends import staff_accounts
from backoffice.models import Account
from backoffice.pages import SignedInRequest, StaffRequest, page_or_partial
from orders.forms import SORTS, OrderFilterForm
from orders.models import Order
from orders.selectors import draft_list, order_exact_matches, order_list, search_condition, search_plan
from orders.web.common import draft_customer, draft_lines

PAGE_SIZE = 25


@require_GET
@login_required
def home(request: SignedInRequest) -> HttpResponse:
    accounts = staff_accounts(request.user)
    if not accounts:
        return render(request, "orders/no_account.html", status=403)
    remembered = request.session.get("account")
    account = next((a for a in accounts if a.aid == remembered), accounts[0])
    # The account's work queues (finance.queues_page); the order list is one click away.
    return redirect("work-queues", aid=account.aid)


COUNT_LIMIT = 1000
COUNT_WINDOW = 1000


# Totals in different currencies do not compare: sorted by total, orders go by currency first
# (ascending whichever way the totals go), then by total, as the index on (account, currency,
# gross_amount) reads them.
BY_CURRENCY = {"gross", "-gross"}


def _sorted(queryset, sort: str):
    """`queryset` in the order the list is sorted by `sort`, the primary key breaking ties."""
    field = SORTS[sort]
    ordering = [field, "-pk" if field.startswith("-") else "pk"]
    return queryset.order_by(*(["currency", *ordering] if sort in BY_CURRENCY else ordering))


def _after(queryset, sort: str, value, pk):
    """The rows after (value, pk) in the sort's order, as one row comparison, so that the sort's
    index starts the scan at the cursor, ties included: "value beyond, or equal and pk beyond"
    starts at the value and walks its ties first (at a million orders, 10 000 share a total).
    Django's tuple lookups (those of composite primary keys) write it: `(value, id) > (…, …)`."""
    field = SORTS[sort]
    beyond = TupleLessThan if field.startswith("-") else TupleGreaterThan
    return queryset.filter(beyond(Tuple(F(field.lstrip("-")), F("pk")), (value, pk)))


def _read(queryset, size: int, rows_from: QuerySet[Order] | None, counted: list[int]) -> list[Order]:
    """The first `size` orders of the sorted `queryset`.

    `rows_from` (the account's orders, or None): the queryset holds a few orders looked up by id
    (at most `selectors.LOOKUP_LIMIT`).
    Asked for `LIMIT 26`, PostgreSQL walks the sort's index and tests each order against the ids:
    at a million orders, 27,000 read for the 26 of a search matching 1,000 (20 ms). Without a
    LIMIT, it reads the few by primary key and sorts them (4 ms); the page's rows are then read
    from `rows_from` by their keys alone (with the thousand ids besides, PostgreSQL may scan the
    table: 25 ms at 100,000 orders), and how many there were is added to `counted`."""
    if rows_from is None:
        return list(queryset[:size])
    keys = list(queryset.values_list("pk", flat=True))
    counted.append(len(keys))
    keys = keys[:size]
    found = {order.pk: order for order in rows_from.filter(pk__any_of=keys)}
    return [found[key] for key in keys if key in found]


def page_rows(
    queryset, sort: str, cursor: str, size: int, *, rows_from: QuerySet[Order] | None = None
) -> tuple[list[Order], int | None]:
    """The `size` orders of `queryset` after the signed `cursor` (from the start without one, or
    with one that is not ours), sorted by `sort`; `rows_from` as `_read` says. And how many orders the
    queryset holds, when that was found on the way (a first page of a few), else None."""
    queryset = _sorted(queryset, sort)
    counted: list[int] = []
    try:
        loaded = signing.loads(cursor, salt=f"order-list:{sort}") if cursor else None
        *currency, value, pk = loaded or (None, None)
    except (signing.BadSignature, ValueError, TypeError):
        loaded = None
    if not loaded:
        return _read(queryset, size, rows_from, counted), counted[0] if counted else None
    if not (sort in BY_CURRENCY and currency):
        return _read(_after(queryset, sort, value, pk), size, rows_from, []), None
    # Sorted by total: the rest of the cursor's currency, then the currencies after it. Two
    # queries, each a range of one of the indexes on (account, currency, total, id): a single
    # "currency after, or the same currency and total after" starts at the currency and walks
    # every order of it before the cursor (at a million orders, half way: ~1.2 s).
    rows = _read(_after(queryset.filter(currency=currency[0]), sort, value, pk), size, rows_from, [])
    if len(rows) < size:
        rows += _read(queryset.filter(currency__gt=currency[0]), size - len(rows), rows_from, [])
    return rows, None


def list_cursor(order: Order, sort: str) -> str:
    """The signed key of the page that starts after `order` in the list sorted by `sort`."""
    value = getattr(order, SORTS[sort].lstrip("-"))
    if hasattr(value, "isoformat"):
        value = value.isoformat()
    key = [order.currency] if sort in BY_CURRENCY else []
    return signing.dumps([*key, value, str(order.pk)], salt=f"order-list:{sort}")


def _matching_in_window(listed: QuerySet[Order], sort: str, matching: Q) -> tuple[int, bool]:
    """How many of the first COUNT_WINDOW orders of `listed` (sorted by `sort`) meet `matching`,
    and whether `listed` holds more orders than the window. One read of the window along the
    sort's index, each order tested as it is read, and one order more saying whether there are
    more: asked as a count of the matches among the window's ids, PostgreSQL looked each of them
    up by primary key (at a million orders 1,000 lookups, 5 ms, and 1 ms more to ask whether the
    list goes on); read along the index, 1.1 ms."""
    tested = _sorted(listed, sort).annotate(hit=ExpressionWrapper(matching, output_field=BooleanField()))
    hits = list(tested.values_list("hit", flat=True)[: COUNT_WINDOW + 1])
    return sum(1 for hit in hits[:COUNT_WINDOW] if hit), len(hits) > COUNT_WINDOW


def _dates_in_order(data: dict) -> bool:
    """A "from" after the "to" would match nothing: read it as the range it names, swapped, and
    say so (True)."""
    first, last = data.get("created_from"), data.get("created_to")
    if first and last and first > last:
        data["created_from"], data["created_to"] = last, first
        return True
    return False


@require_GET
@staff_page()
def order_list_page(request: StaffRequest, account: Account) -> HttpResponse:
    form = OrderFilterForm(request.GET or None)
    orders = listed = order_list(account=account).prefetch_related(None)
    text = form.cleaned_data.get("q", "") if form.is_valid() else ""
    dates_swapped = form.is_valid() and _dates_in_order(form.cleaned_data)
    exact: list[Order] = []
    sort = form.sort_key
    plan = search_plan(text, account=account) if text else None
    filtered = orders
    matching = Q()  # what the search asks of each order
    if form.is_valid():
        filtered = form.filter(orders)
        if text:
            matching = search_condition(text, account=account, plan=plan)
            # Whole-value matches come first, on the first page; the pages after it hold the
            # rest. A value as common as a first name has more than a page of them: then they
            # are listed with the rest, in the list's order.
            exact_matches = order_exact_matches(filtered, text, account=account, plan=plan)
            exact_ids = list(exact_matches.order_by().values_list("pk", flat=True)[: PAGE_SIZE + 1])
            if len(exact_ids) <= PAGE_SIZE:
                if not request.GET.get("cursor"):
                    exact = list(_sorted(exact_matches.filter(pk__any_of=exact_ids), sort))
                matching &= ~Q(pk__any_of=exact_ids)
        orders = filtered.filter(matching)
    # Counting every match of a broad filter over millions of orders costs more than the page:
    # count up to a limit and say "more than" beyond it. A search whose words are all common is
    # tested order by order (orders.selectors.SearchPlan): its matches are counted among the
    # list's first COUNT_WINDOW orders only, and "at least" said when the list holds more.
    at_least = False
    # The looked-up ids drive the list: the page's rows are read by key (`_read`).
    rows_from = listed if plan and plan.ids is not None else None
    rows, counted = page_rows(orders, sort, request.GET.get("cursor", ""), PAGE_SIZE + 1, rows_from=rows_from)
    if counted is not None:
        total = counted + len(exact)
    elif plan and plan.order_by_order:
        in_window, beyond = _matching_in_window(filtered, sort, matching)
        total = in_window + len(exact)
        at_least = total <= COUNT_LIMIT and beyond
    elif plan and plan.more_than >= COUNT_LIMIT and filtered is listed:
        # No filter chosen (`form.filter` returns the queryset it was given): more match than a
        # count would say, as the word's lookup found.
        total = COUNT_LIMIT + 1
    elif rows_from is not None or (plan and plan.indexed):
        # Any COUNT_LIMIT + 1 of the looked-up ids, or of the index's matches, count as well as
        # the first, so they are counted unsorted (a sort of up to LOOKUP_LIMIT rows saved; the
        # index's bitmap read only until COUNT_LIMIT + 1 are found).
        total = orders.order_by()[: COUNT_LIMIT + 1].count() + len(exact)
    else:
        total = orders[: COUNT_LIMIT + 1].count() + len(exact)
    shown = total
    if at_least and not request.GET.get("cursor"):  # matches found beyond the window, on this page
        shown = max(total, min(len(rows), PAGE_SIZE) + len(exact))
    next_cursor = list_cursor(rows[PAGE_SIZE - 1], sort) if len(rows) > PAGE_SIZE else ""
    rows = exact + rows
    drafts = [
        {"draft": draft, "customer": draft_customer(draft), "lines": draft_lines(draft)}
        for draft in (draft_list(account=account).filter(status="OPEN")[:5] if not request.htmx else [])
    ]
    context = {
        "form": form,
        "orders": rows[: PAGE_SIZE + len(exact)],
        "exact_count": len(exact),
        "searched": text,
        "total": min(total, COUNT_LIMIT),
        "shown_total": min(shown, COUNT_LIMIT),
        "more_than_total": total > COUNT_LIMIT,
        "at_least_total": at_least,
        "sort": sort,
        "next_cursor": next_cursor,
        "is_later_page": bool(request.GET.get("cursor")),
        "open_drafts": drafts,
        "dates_swapped": dates_swapped,
        "by_currency": sort in BY_CURRENCY,
        "columns": [
            ("order_id", _("Order")),
            ("created", _("Created")),
            (None, _("Customer")),
            ("gross", _("Total")),
            ("payment_status", _("Payment")),
        ],
    }
    return page_or_partial(request, "orders/order_list.html", "results", context)
