"""Books check: the orders whose books do not add up, for finance.

From the orders' own ledger, authorizations left open (neither captured nor cancelled) for
more than N days; from the payments side, provider calls whose outcome is still unknown, and
the per-payment-id mismatches that reconciliation found and that are still open; and the lines
taken with VAT that does not add up (their VAT warning, `orders.inputs.vat_warning`). Each row
links to its order. This page lives in `payments/` because it reads both apps (orders never import
payments)."""

from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from backoffice.access import staff_page
from backoffice.db_router import replica_reads
from backoffice.models import Account
from backoffice.pages import StaffRequest
from finance.queues import BOOKS_ROWS, open_mismatches, stale_days, unknown_calls
from finance.reports import stale_authorizations
from orders.inputs import line_vat_warning_shown
from orders.models import Order, OrderLine
from orders.money import format_money
from orders.queues import Queue
from payments.models import ReconciliationRun
from payments.services.reconcile import reconcile


def vat_warning_lines(account: Account) -> QuerySet[OrderLine]:
    """The account's lines with a VAT warning, by order and line (the `line_vat_warning` index
    holds exactly them)."""
    return (
        OrderLine.objects.filter(order__account=account)
        .exclude(vat_warning="")
        .select_related("order__account")
        .prefetch_related("tax_lines")
        .order_by("order__order_id", "line_id")
    )


def _order_url(order: Order) -> str:
    try:
        return reverse("order-detail", args=[order.account.aid, order.order_id])
    except NoReverseMatch:
        return reverse("admin:orders_order_change", args=[order.pk])


@require_GET
@staff_page("orders.view_finance")
def books_check(request: StaffRequest, account: Account) -> HttpResponse:
    days = stale_days(request.GET.get("days"))
    now = timezone.now()
    with replica_reads():
        stale: list[dict[str, Any]] = [
            {
                "order": order,
                "url": _order_url(order),
                "open": format_money(order.open_amount, order.currency),
                "lines": order.open_lines,
                "since": order.last_authorized_at,
                "age": (now - order.last_authorized_at).days,
            }
            for order in stale_authorizations(accounts=[account], days=days, now=now, limit=BOOKS_ROWS + 1)
        ]
        calls: list[dict[str, Any]] = [
            {
                "call": call,
                "url": _order_url(call.order),
                "amount": format_money(call.amount, call.order.currency),
            }
            for call in unknown_calls(account=account, now=now).select_related("order__account")[
                : BOOKS_ROWS + 1
            ]
        ]
        mismatches: list[dict[str, Any]] = [
            {
                "mismatch": m,
                "url": _order_url(m.order),
                "recorded": "—" if m.recorded is None else format_money(m.recorded, m.order.currency),
                "at_provider": "—"
                if m.at_provider is None
                else format_money(m.at_provider, m.order.currency),
                "difference": "—" if m.difference is None else format_money(m.difference, m.order.currency),
            }
            for m in open_mismatches(account=account)
            .select_related("order__account", "last_run")
            .order_by("order__order_id", "payment_id", "kind")[: BOOKS_ROWS + 1]
        ]
        vat: list[dict[str, Any]] = [
            {
                "line": line,
                "url": _order_url(line.order),
                "gross": format_money(line.gross_amount, line.order.currency),
                "vat": format_money(line.tax_amount, line.order.currency),
                "warning": line_vat_warning_shown(line, line.order.currency),
            }
            for line in vat_warning_lines(account)[: BOOKS_ROWS + 1]
        ]
        last_run = ReconciliationRun.objects.order_by("-started_at").first()
    # Each section lists its first BOOKS_ROWS rows and says when there are more ("100+"); the
    # open authorizations are all in the order list's queue, which pages through them.
    sections = {"stale": stale, "calls": calls, "mismatches": mismatches, "vat_lines": vat}
    more = {name: len(rows) > BOOKS_ROWS for name, rows in sections.items()}
    counts = {name: f"{BOOKS_ROWS}+" if more[name] else str(len(rows)) for name, rows in sections.items()}
    for rows in sections.values():
        del rows[BOOKS_ROWS:]
    stale_list = reverse("order-list", args=[account.aid])
    stale_query: dict[str, str | int] = {"queue": Queue.STALE_AUTHORIZATIONS, "days": days}
    context = {
        "account": account,
        "days": days,
        **sections,
        "counts": counts,
        "more": more,
        "rows_shown": BOOKS_ROWS,
        "stale_list": f"{stale_list}?{urlencode(stale_query)}",
        "last_run": last_run,
        "problem_count": len(
            {row["order"].pk for row in stale}
            | {row["call"].order_id for row in calls}
            | {row["mismatch"].order_id for row in mismatches}
            | {row["line"].order_id for row in vat}
        ),
        "can_reconcile": request.user.has_perm("orders.reconcile"),
        "finance_url": reverse("finance", args=[account.aid]),
    }
    return render(request, "finance/books.html", context)


@require_POST
@staff_page("orders.reconcile")
def books_reconcile(request: StaffRequest, account: Account) -> HttpResponse:
    """Run reconciliation over the account's orders now (it asks the provider, outside any
    transaction on the orders)."""
    report = reconcile(orders=Order.objects.filter(account=account))
    messages.success(
        request,
        _(
            "Reconciliation done: %(settled)s call(s) settled, %(unknown)s still unknown, "
            "%(findings)s finding(s)."
        )
        % {
            "settled": len(report.settled),
            "unknown": len(report.still_unknown),
            "findings": len(report.findings),
        },
    )
    return redirect(reverse("books-check", args=[account.aid]))
