"""Finance pages: captured vs refunded per period, currency and VAT rate, the operations behind
any figure, and their CSV. Finance and Administrator roles (`orders.view_finance`), on the
accounts the user is a member of. Reads may come from a read replica."""

import datetime as dt
import re
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.core import signing
from django.db import router
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy
from django.views.decorators.http import require_GET

from backoffice.access import staff_page
from backoffice.db_router import lag_tolerant
from backoffice.models import Account
from backoffice.pages import StaffRequest
from orders.models import PaymentOperation
from orders.money import format_money

from .chart import chart_for
from .export import export_lines
from .reports import (
    EARLIEST,
    FIGURES,
    GROUPINGS,
    KINDS,
    LATEST,
    MAX_BUCKETS,
    NET,
    PRESETS,
    ROW_CURSOR_SALT,
    Scope,
    bucket_bounds,
    bucket_count,
    buckets,
    finance_rows_page,
    period_for,
    rate_label,
    row_cursor,
    rows_summary,
    totals_by_bucket,
    totals_by_currency,
    vat_table,
    vat_totals,
)

ROWS_PER_PAGE = 100


def _row_cursor(value: str | None) -> list | None:
    """A drill-down page's key (finance.reports.row_key), signed; a forged or stale one reads as
    none: the first page."""
    if not value:
        return None
    try:
        key = signing.loads(value, salt=ROW_CURSOR_SALT)
        dt.datetime.fromisoformat(key[0]), uuid.UUID(key[1]), int(key[2])
    except (signing.BadSignature, ValueError, TypeError, IndexError, KeyError):
        return None
    return key


def _page_query(params: dict[str, str], *, page: int, **cursor: str) -> str:
    return urlencode({**params, **cursor, "page": page})


def _int(value: str | None, default: int) -> int:
    try:
        return int(value or default)
    except ValueError:
        return default


# What staff read for the report's groupings, figures and kinds, in the page's language.
GROUPING_LABELS = {"day": gettext_lazy("Day"), "week": gettext_lazy("Week"), "month": gettext_lazy("Month")}
FIGURE_LABELS = {
    "authorized": gettext_lazy("Authorized"),
    "captured": gettext_lazy("Captured"),
    "refunded": gettext_lazy("Refunded"),
    "cancelled": pgettext_lazy("status", "Cancelled"),
    "net": gettext_lazy("Net"),
}
KIND_LABELS = {
    "authorization": gettext_lazy("authorization"),
    "capture": gettext_lazy("capture"),
    "refund": gettext_lazy("refund"),
    "cancellation": gettext_lazy("cancellation"),
    NET: gettext_lazy("capture and refund"),
}
_LONGEST = {
    "day": gettext_lazy(
        "a custom period grouped by day spans at most %(most)s days, not %(count)s: "
        "choose a shorter period or group by a longer unit"
    ),
    "week": gettext_lazy(
        "a custom period grouped by week spans at most %(most)s weeks, not %(count)s: "
        "choose a shorter period or group by a longer unit"
    ),
    "month": gettext_lazy(
        "a custom period grouped by month spans at most %(most)s months, not %(count)s: "
        "choose a shorter period or group by a longer unit"
    ),
}

# A VAT rate narrowing: "25", "12.5", or the range of a line taxed at several rates, "12-25".
_RATE = re.compile(r"(?P<low>\d{1,3}(?:\.\d{1,2})?)(?:-(?P<high>\d{1,3}(?:\.\d{1,2})?))?")


class FinanceFilter(forms.Form):
    dates_swapped = False  # set by `clean`: the dates were given the wrong way round
    period = forms.ChoiceField(choices=list(PRESETS.items()), required=False)
    group = forms.ChoiceField(choices=[(g, GROUPING_LABELS[g]) for g in GROUPINGS], required=False)
    first = forms.DateField(
        required=False, label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    last = forms.DateField(
        required=False, label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"})
    )
    currency = forms.CharField(required=False, max_length=3)
    # Drill-down narrowing: a kind, a bucket's dates, a VAT rate ("25" or "12-25"), a payment id.
    kind = forms.ChoiceField(
        choices=[
            ("", gettext_lazy("all")),
            *[(k, k) for k in KINDS],
            (NET, gettext_lazy("capture and refund")),
        ],
        required=False,
    )
    start = forms.DateField(required=False, label=gettext_lazy("Start"))
    end = forms.DateField(required=False, label=gettext_lazy("End"))
    rate = forms.CharField(required=False, max_length=20, label=gettext_lazy("VAT rate"))
    payment_id = forms.CharField(required=False, max_length=200)

    def clean_rate(self) -> tuple[Decimal, Decimal] | None:
        """`25`, `12.5` or `12-25`: percentages from 0 to 100 with at most two decimals."""
        text = self.cleaned_data.get("rate") or ""
        if not text:
            return None
        match = _RATE.fullmatch(text)
        rate = (Decimal(match["low"]), Decimal(match["high"] or match["low"])) if match else None
        if rate is None or not all(0 <= r <= 100 for r in rate):
            raise forms.ValidationError(_("must be a percentage from 0 to 100, or a range such as 12-25"))
        return rate

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        for name in ("first", "last", "start", "end"):
            day = data.get(name)
            if day is not None and not EARLIEST <= day <= LATEST:
                self.add_error(
                    name,
                    _("must be between %(earliest)s and %(latest)s")
                    % {
                        "earliest": date_format(EARLIEST, "DATE_FORMAT"),
                        "latest": date_format(LATEST, "DATE_FORMAT"),
                    },
                )
        first, last = data.get("first"), data.get("last")
        # A period that ends before it starts would show nothing: it is read swapped (the
        # custom period in `period_for`, a drill-down's dates here), and the page says so.
        self.dates_swapped = bool(data.get("period") == "custom" and first and last and first > last)
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            data["start"], data["end"] = end, start
            self.dates_swapped = True
        grouping = data.get("group") or "day"
        if data.get("period") == "custom" and first and last and not {"first", "last"} & set(self.errors):
            count = bucket_count(min(first, last), max(first, last), grouping)
            if count > MAX_BUCKETS[grouping]:
                self.add_error(
                    "last",
                    _LONGEST[grouping] % {"most": MAX_BUCKETS[grouping], "count": count},
                )
        return data

    def scope(self, account: Account) -> tuple[Scope, str]:
        """The filters as a scope and a grouping; only for a valid form (see `invalid_filters`)."""
        data = self.cleaned_data
        preset = data.get("period") or "this_month"
        period = period_for(preset, data.get("first"), data.get("last"))
        if preset == "custom" and period.preset != "custom":
            period = period_for("this_month")
        grouping = data.get("group") or "day"
        scope = Scope(
            accounts=(account,),
            period=period,
            currency=(data.get("currency") or "").upper(),
            kind=data.get("kind") or "",
            first=data.get("start"),
            last=data.get("end"),
            rate=data.get("rate"),
            payment_id=data.get("payment_id") or "",
        )
        return scope, grouping


def invalid_filters(request: StaffRequest, account: Account, form: FinanceFilter) -> HttpResponse:
    """400: the filters cannot be shown (a date out of range, a rate that is not one, a custom
    period too long for its grouping); says why, and offers the custom period form again."""
    errors = [
        f"{form.fields[name].label or name.capitalize()}: {message}" if name in form.fields else message
        for name, messages in form.errors.items()
        for message in messages
    ]
    context = {
        "account": account,
        "errors": errors,
        "form": form,
        "grouping": form.data.get("group") if form.data.get("group") in GROUPINGS else "day",
        "report_url": reverse("finance", args=[account.aid]),
        "earliest": EARLIEST,
        "latest": LATEST,
    }
    return render(request, "finance/invalid.html", context, status=400)


def _base_params(scope: Scope, grouping: str) -> dict[str, str]:
    params = {"period": scope.period.preset, "group": grouping}
    if scope.period.preset == "custom":
        params |= {"first": scope.period.first.isoformat(), "last": scope.period.last.isoformat()}
    return params


def _scope_params(scope: Scope, grouping: str) -> dict[str, str]:
    params = _base_params(scope, grouping)
    if scope.currency:
        params["currency"] = scope.currency
    if scope.kind:
        params["kind"] = scope.kind
    if scope.first:
        params["start"] = scope.first.isoformat()
    if scope.last:
        params["end"] = scope.last.isoformat()
    if scope.rate:
        low, high = (f"{r.normalize():f}" for r in scope.rate)
        params["rate"] = low if low == high else f"{low}-{high}"
    if scope.payment_id:
        params["payment_id"] = scope.payment_id
    return params


class Links:
    """URLs of the drill-down and the CSV for a figure, keeping the page's period and grouping."""

    def __init__(self, account: Account, scope: Scope, grouping: str):
        self.base = _base_params(scope, grouping)
        # A month by day has hundreds of links: the part they share is encoded once. Its keys
        # (period, grouping) never meet the narrowing ones (currency, kind, dates, rate).
        self._base_query = urlencode(self.base)
        self.operations = reverse("finance-operations", args=[account.aid])
        self.export = reverse("finance-export", args=[account.aid])
        self.report = reverse("finance", args=[account.aid])

    def _url(self, path: str, narrow: dict) -> str:
        extra = urlencode({k: v for k, v in narrow.items() if v})
        return f"{path}?{self._base_query}&{extra}" if extra else f"{path}?{self._base_query}"

    def drill(self, **narrow) -> str:
        return self._url(self.operations, narrow)

    def csv(self, **narrow) -> str:
        return self._url(self.export, narrow)

    def bucket(self, grouping: str, day: dt.date, period_first: dt.date, period_last: dt.date) -> dict:
        first, last = bucket_bounds(grouping, day)
        return {"start": max(first, period_first).isoformat(), "end": min(last, period_last).isoformat()}


_VAT_PARTS = ("captured", "refunded", "balance")
_FIGURE_KIND = {
    "authorized": "authorization",
    "captured": "capture",
    "refunded": "refund",
    "cancelled": "cancellation",
    "net": NET,
}


def _bucket_label(grouping: str, day: dt.date) -> str:
    if grouping == "month":
        return f"{day:%Y-%m}"
    # Django date formats, per language: `tir. 01.12` and `Tue 1 Dec`.
    if grouping == "week":
        year, week, _weekday = day.isocalendar()
        start = date_format(day, pgettext("week start, a Django date format", "j M"))
        return f"{year}-W{week:02d} ({start})"
    return date_format(day, pgettext("day in the finance report, a Django date format", "D j M"))


def _with_display(chart: dict) -> dict:
    for key in ("captured", "refunded"):
        chart[f"{key}_display"] = format_money(chart[key], chart["currency"])
    return chart


def _order_url(aid: str, order_id: str) -> str:
    try:
        return reverse("order-detail", args=[aid, order_id])
    except NoReverseMatch:  # the staff pages are not installed: the admin shows the order
        return f"{reverse('admin:orders_order_changelist')}?{urlencode({'q': order_id})}"


@require_GET
@staff_page("orders.view_finance")
@lag_tolerant
def finance_report(request: StaffRequest, account: Account) -> HttpResponse:
    form = FinanceFilter(request.GET)
    if not form.is_valid():
        return invalid_filters(request, account, form)
    scope, grouping = form.scope(account)
    links = Links(account, scope, grouping)
    period = scope.period

    rows = totals_by_bucket(scope, grouping)
    currencies = totals_by_currency(rows)
    figures = list(FIGURES)

    def cells(row: dict, narrow: dict) -> list[dict]:
        out = []
        for figure in figures:
            kind = _FIGURE_KIND[figure]
            out.append(
                {
                    "figure": figure,
                    "amount": row[figure],
                    "display": format_money(row[figure], row["currency"]),
                    "url": links.drill(currency=row["currency"], kind=kind, **narrow),
                }
            )
        return out

    bucket_rows = [
        {
            "label": _bucket_label(grouping, row["bucket"]),
            "currency": row["currency"],
            "cells": cells(row, links.bucket(grouping, row["bucket"], period.first, period.last)),
        }
        for row in rows
    ]
    currency_rows = [
        {"currency": row["currency"], "cells": cells(row, {}), "csv": links.csv(currency=row["currency"])}
        for row in currencies
    ]

    table = vat_table(scope)
    totals = vat_totals(table)
    for row in [*table, *totals]:
        row["show"] = {
            k: format_money(v, row["currency"]) for k, v in row.items() if k.split("_")[0] in _VAT_PARTS
        }
    vat_rows = []
    for row in table:
        rate_param = rate_label(row["rate_min"], row["rate_max"]).replace(" %", "")
        vat_rows.append(
            {
                **row,
                "rate_label": rate_label(row["rate_min"], row["rate_max"]),
                "captured_url": links.drill(currency=row["currency"], kind="capture", rate=rate_param),
                "refunded_url": links.drill(currency=row["currency"], kind="refund", rate=rate_param),
                "csv": links.csv(currency=row["currency"], rate=rate_param),
            }
        )

    def drill_bucket(currency: str) -> Callable[[dt.date, str], str]:
        """The drill-down of one bar of the currency's chart."""
        return lambda day, kind: links.drill(
            currency=currency, kind=kind, **links.bucket(grouping, day, period.first, period.last)
        )

    charts = [
        _with_display(
            chart_for(
                currency=c["currency"],
                starts=buckets(period, grouping),
                rows=[r for r in rows if r["currency"] == c["currency"]],
                label=lambda day: _bucket_label(grouping, day),
                link=drill_bucket(c["currency"]),
            )
        )
        for c in currencies
    ]

    context = {
        "account": account,
        "form": form,
        "period": period,
        "grouping": grouping,
        "presets": [
            {
                "key": key,
                "label": label,
                "url": f"{links.report}?{urlencode({'period': key, 'group': grouping})}",
                "current": key == period.preset,
            }
            for key, label in PRESETS.items()
            if key != "custom"
        ],
        "groupings": [
            {
                "key": g,
                "label": GROUPING_LABELS[g],
                "url": f"{links.report}?{urlencode(links.base | {'group': g})}",
                "current": g == grouping,
            }
            for g in GROUPINGS
        ],
        "figures": [FIGURE_LABELS[f] for f in figures],
        "grouping_label": GROUPING_LABELS[grouping],
        "bucket_rows": bucket_rows,
        "currency_rows": currency_rows,
        "vat_rows": vat_rows,
        "vat_totals": totals,
        "charts": charts,
        "csv_url": links.csv(),
        "all_url": links.drill(),
        "earliest": EARLIEST,
        "latest": LATEST,
        "dates_swapped": form.dates_swapped,
    }
    return render(request, "finance/report.html", context)


@require_GET
@staff_page("orders.view_finance")
@lag_tolerant
def finance_operations(request: StaffRequest, account: Account) -> HttpResponse:
    """The operation items behind a figure, each linking to its order."""
    form = FinanceFilter(request.GET)
    if not form.is_valid():
        return invalid_filters(request, account, form)
    scope, grouping = form.scope(account)
    links = Links(account, scope, grouping)
    summary = rows_summary(scope)
    params = _scope_params(scope, grouping)
    # Keyset pages: "next" starts after the page's last row, "previous" ends before its first.
    after, before = _row_cursor(request.GET.get("after")), _row_cursor(request.GET.get("before"))
    backward = before is not None and after is None
    page, more = finance_rows_page(scope, ROWS_PER_PAGE, after=after, before=before if backward else None)
    has_previous = more if backward else after is not None
    has_next = True if backward else more
    pages = max(1, -(-summary["count"] // ROWS_PER_PAGE))
    number = min(max(_int(request.GET.get("page"), 1), 1), pages) if (after or before) else 1
    pager = {
        "number": number,
        "pages": pages,
        "previous": _page_query(params, before=row_cursor(page[0]), page=number - 1)
        if page and has_previous
        else "",
        "next": _page_query(params, after=row_cursor(page[-1]), page=number + 1) if page and has_next else "",
    }
    rows = [
        {
            "date": timezone.localtime(entry.created_at),
            "order_id": entry.order_id,
            "order_url": _order_url(account.aid, entry.order_id),
            "line_id": entry.line_id,
            "sku": entry.sku,
            "kind": KIND_LABELS.get(entry.kind, entry.kind),
            "amount": format_money(entry.amount, entry.currency),
            "vat": format_money(entry.vat, entry.currency),
            "rate": rate_label(entry.rate_min, entry.rate_max),
            "payment_id": entry.payment_id,
            "actor": entry.created_by,
        }
        for entry in page
    ]
    # With one currency the sums mean something; across currencies they are shown per currency
    # on the report instead.
    summary_items = []
    if scope.currency:
        for key in ("captured", "refunded", "net", "authorized", "cancelled"):
            label = FIGURE_LABELS[key]
            if summary[key] or key in ("captured", "refunded", "net"):
                summary_items.append(
                    {
                        "key": key,
                        "label": label,
                        "amount": summary[key],
                        "display": format_money(summary[key], scope.currency),
                    }
                )
        summary_items.append(
            {
                "key": "net_vat",
                "label": _("VAT on net"),
                "amount": summary["net_vat"],
                "display": format_money(summary["net_vat"], scope.currency),
            }
        )
    narrowing = []
    if scope.currency:
        narrowing.append(scope.currency)
    if scope.kind:
        narrowing.append(str(KIND_LABELS.get(scope.kind, scope.kind)))
    if scope.first or scope.last:
        narrowing.append(
            _("%(first)s to %(last)s")
            % {
                "first": date_format(scope.first or scope.period.first, "DATE_FORMAT"),
                "last": date_format(scope.last or scope.period.last, "DATE_FORMAT"),
            }
        )
    if scope.rate:
        narrowing.append(_("VAT %(rate)s") % {"rate": rate_label(*scope.rate)})
    if scope.payment_id:
        narrowing.append(_("payment id %(payment_id)s") % {"payment_id": scope.payment_id})
    context = {
        "account": account,
        "period": scope.period,
        "scope": scope,
        "narrowing": narrowing,
        "pager": pager,
        "rows": rows,
        "summary": summary,
        "summary_items": summary_items,
        "currency": scope.currency,
        "csv_url": f"{links.export}?{urlencode(params)}",
        "back_url": f"{links.report}?{urlencode(_base_params(scope, grouping))}",
        "dates_swapped": form.dates_swapped,
    }
    return render(request, "finance/operations.html", context)


@require_GET
@staff_page("orders.view_finance")
@lag_tolerant
def finance_export(request: StaffRequest, account: Account) -> HttpResponse | StreamingHttpResponse:
    """The CSV of the operation items of the page's filters; streamed, whatever its size. The
    filters are checked first: once the response has started, it can no longer be a 400."""
    form = FinanceFilter(request.GET)
    if not form.is_valid():
        return invalid_filters(request, account, form)
    scope, _ = form.scope(account)
    # The rows are read after this view returns, while the response streams: pick the database now.
    using = router.db_for_read(PaymentOperation)
    response = StreamingHttpResponse(export_lines(scope, using=using), content_type="text/csv; charset=utf-8")
    name = f"finance-{account.aid}-{scope.period.first:%Y%m%d}-{scope.period.last:%Y%m%d}"
    if scope.currency:
        name += f"-{scope.currency}"
    if scope.kind:
        name += f"-{scope.kind}"
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response
