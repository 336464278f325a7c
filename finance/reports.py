"""Finance reads: money authorized, captured, refunded and cancelled per period, currency and
VAT rate, aggregated in SQL over the recorded operation items.

The unit is an operation item (one line of one successful operation): every figure on the
finance pages, every drill-down row and every CSV row is a sum of item amounts, so the pages
and the export add up to the same numbers. An operation's date is when it was recorded
(`created_at`), in the project's time zone.

VAT of an item is its share of its line's VAT, `amount * line.tax_amount / line.gross_amount`,
rounded half away from zero, computed in SQL by `item_vat()`. An item covering its whole line
carries the line's VAT exactly.

The period figures (totals per bucket, the VAT table, a drill-down's sums) read the daily
rollup `FinanceDay`, which holds those same item sums per local day, kept in step by the
operation services: a month or a year is a few hundred rows, however many items it has.
Drill-down rows and the CSV read the items themselves; so do the figures of a scope narrowed to
one payment id, which the rollup does not key on.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict

from django.core import signing
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    DateField,
    DecimalField,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Abs, Coalesce, Trunc
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backoffice.models import Account
from orders.models import (
    FinanceDay,
    FinanceEntry,
    OperationItem,
    OperationKind,
    Order,
    OrderLine,
    OrderStatus,
    PaymentOperation,
    TaxLine,
)

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

KINDS = [k.value for k in OperationKind]
# Not a kind: the captures and refunds that make up the net figure.
NET = "net"
GROUPINGS = ("day", "week", "month")
PRESETS = {
    "today": gettext_lazy("Today"),
    "this_week": gettext_lazy("This week"),
    "this_month": gettext_lazy("This month"),
    "last_month": gettext_lazy("Last month"),
    "custom": gettext_lazy("Custom"),
}
# Order of the columns: net is what stayed with the merchant.
FIGURES = ("authorized", "captured", "refunded", "cancelled", "net")
# The dates the finance pages take: any day this system can have recorded, with room to spare,
# and never so close to the calendar's ends that the day after a period, or the end of its
# last week or month, cannot be computed.
EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2099, 12, 31)
# The longest custom period per grouping, in buckets (a year by day, three years by week, ten
# years by month): the report draws a row, a bar and a set of links per bucket.
MAX_BUCKETS = {"day": 366, "week": 157, "month": 120}


# Periods -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """From `first` to `last` inclusive, in local dates; `start`/`end` are the aware bounds."""

    preset: str
    first: dt.date
    last: dt.date

    @property
    def start(self) -> dt.datetime:
        return _local_midnight(self.first)

    @property
    def end(self) -> dt.datetime:
        return _local_midnight(self.last + dt.timedelta(days=1))

    @property
    def label(self) -> str:
        """The dates in the page's language: `01.12.2026 to 31.12.2026` (`1 Dec 2026 to …`)."""
        if self.first == self.last:
            return date_format(self.first, "DATE_FORMAT")
        return _("%(first)s to %(last)s") % {
            "first": date_format(self.first, "DATE_FORMAT"),
            "last": date_format(self.last, "DATE_FORMAT"),
        }


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min), timezone.get_current_timezone())


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def period_for(
    preset: str, first: dt.date | None = None, last: dt.date | None = None, today: dt.date | None = None
) -> Period:
    """A preset period, or the custom one from `first` to `last` (swapped if reversed)."""
    today = today or timezone.localdate()
    if preset == "today":
        return Period(preset, today, today)
    if preset == "this_week":
        monday = today - dt.timedelta(days=today.weekday())
        return Period(preset, monday, monday + dt.timedelta(days=6))
    if preset == "last_month":
        last_day = _month_start(today) - dt.timedelta(days=1)
        return Period(preset, _month_start(last_day), last_day)
    if preset == "custom" and first and last:
        first, last = min(first, last), max(first, last)
        return Period(preset, first, last)
    start = _month_start(today)
    return Period("this_month", start, _next_month(start) - dt.timedelta(days=1))


def bucket_bounds(grouping: str, bucket: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last local date of the day, week or month that starts on `bucket`."""
    if grouping == "week":
        monday = bucket - dt.timedelta(days=bucket.weekday())
        return monday, monday + dt.timedelta(days=6)
    if grouping == "month":
        start = _month_start(bucket)
        return start, _next_month(start) - dt.timedelta(days=1)
    return bucket, bucket


def bucket_count(first: dt.date, last: dt.date, grouping: str) -> int:
    """How many days, weeks or months from `first` to `last` touch; `buckets()` without the list."""
    if grouping == "week":
        return (bucket_bounds("week", last)[0] - bucket_bounds("week", first)[0]).days // 7 + 1
    if grouping == "month":
        return (last.year - first.year) * 12 + last.month - first.month + 1
    return (last - first).days + 1


def buckets(period: Period, grouping: str) -> list[dt.date]:
    """Every bucket start of the period, so a chart shows empty days too."""
    starts = []
    day = bucket_bounds(grouping, period.first)[0]
    while day <= period.last:
        starts.append(day)
        day = bucket_bounds(grouping, day)[1] + dt.timedelta(days=1)
    return starts


# Expressions ---------------------------------------------------------------------------------------


def item_vat() -> Case:
    """The VAT contained in an operation item, in SQL: the item's share of its line's VAT.

    On every line the gross, its VAT and the item amounts share one sign, so the share is
    computed on absolute values — integer division rounding half up — and given the item's sign.
    """
    numerator = Abs(F("amount")) * Abs(F("line__tax_amount"))
    denominator = Abs(F("line__gross_amount"))
    magnitude = (Value(2) * numerator + denominator) / (Value(2) * denominator)
    return Case(
        When(line__gross_amount=0, then=Value(0)),
        When(amount__lt=0, then=Value(0) - magnitude),
        default=magnitude,
        output_field=BigIntegerField(),
    )


def vat_share(amount: int, line_tax: int, line_gross: int) -> int:
    """`item_vat()` in Python, for one item."""
    if line_gross == 0:
        return 0
    magnitude = (2 * abs(amount) * abs(line_tax) + abs(line_gross)) // (2 * abs(line_gross))
    return -magnitude if amount < 0 else magnitude


_RATE: DecimalField = DecimalField(max_digits=5, decimal_places=2)


def _line_rate(aggregate) -> Coalesce:
    fn = {"min": Min, "max": Max}[aggregate]
    rates = (
        TaxLine.objects.filter(line=OuterRef("line"))
        .order_by()
        .values("line")
        .annotate(rate=fn("percentage"))
        .values("rate")
    )
    return Coalesce(Subquery(rates, output_field=_RATE), Value(Decimal(0)), output_field=_RATE)


# Selectors -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Which operation items a figure stands for; every field but the accounts and the period
    narrows it further. `rate` is `(lowest, highest)` VAT percentage of the line."""

    accounts: tuple[Account, ...]
    period: Period
    currency: str = ""
    kind: str = ""
    first: dt.date | None = None
    last: dt.date | None = None
    rate: tuple[Decimal, Decimal] | None = None
    payment_id: str = ""

    @property
    def days(self) -> tuple[dt.date, dt.date]:
        """The first and last local date of the scope."""
        first = max(self.period.first, self.first) if self.first else self.period.first
        last = min(self.period.last, self.last) if self.last else self.period.last
        return first, last

    @property
    def in_rollup(self) -> bool:
        """Whether the daily rollup answers for the scope's sums: it has no payment ids."""
        return not self.payment_id


def _narrowed(qs: QuerySet, scope: Scope, path: dict[str, str]) -> QuerySet:
    """`qs` narrowed to the scope, its fields named as `path` names them (the operation's time,
    the order's account and currency, the operation's kind and payment id)."""
    start, end = scope.period.start, scope.period.end
    if scope.first:
        start = max(start, _local_midnight(scope.first))
    if scope.last:
        end = min(end, _local_midnight(scope.last + dt.timedelta(days=1)))
    qs = qs.filter(
        **{
            f"{path['account']}__in": [a.pk for a in scope.accounts],
            f"{path['created_at']}__gte": start,
            f"{path['created_at']}__lt": end,
        }
    )
    if scope.currency:
        qs = qs.filter(**{path["currency"]: scope.currency})
    if scope.kind == NET:
        qs = qs.filter(**{f"{path['kind']}__in": [OperationKind.CAPTURE, OperationKind.REFUND]})
    elif scope.kind:
        qs = qs.filter(**{path["kind"]: scope.kind})
    if scope.rate is not None:
        qs = qs.filter(rate_min=scope.rate[0], rate_max=scope.rate[1])
    if scope.payment_id:
        qs = qs.filter(**{path["payment_id"]: scope.payment_id})
    return qs.order_by()


_ITEM_PATHS = {
    "account": "operation__order__account",
    "created_at": "operation__created_at",
    "currency": "operation__order__currency",
    "kind": "operation__kind",
    "payment_id": "operation__payment_id",
}


def finance_items(scope: Scope) -> QuerySet[OperationItem]:
    """The successful operation items of the scope, with `vat`, `rate_min` and `rate_max`."""
    items = OperationItem.objects.filter(operation__success=True).annotate(
        vat=item_vat(), rate_min=_line_rate("min"), rate_max=_line_rate("max")
    )
    return _narrowed(items, scope, _ITEM_PATHS)


def finance_entries(scope: Scope) -> QuerySet[FinanceEntry]:
    """The same items as their entries (`FinanceEntry`: what the CSV writes of each), in the
    CSV's order, read through the index `finance_entry_time`."""
    paths = {name: name for name in _ITEM_PATHS}
    return _narrowed(FinanceEntry.objects.all(), scope, paths).order_by(*ENTRY_ORDER)


def finance_days(scope: Scope) -> QuerySet[FinanceDay]:
    """The rollup rows of the scope (which must be `in_rollup`): per day, currency, kind and
    rate, the sums of exactly the items `finance_items(scope)` returns."""
    first, last = scope.days
    qs = FinanceDay.objects.filter(account__in=[a.pk for a in scope.accounts], day__gte=first, day__lte=last)
    if scope.currency:
        qs = qs.filter(currency=scope.currency)
    if scope.kind == NET:
        qs = qs.filter(kind__in=[OperationKind.CAPTURE, OperationKind.REFUND])
    elif scope.kind:
        qs = qs.filter(kind=scope.kind)
    if scope.rate is not None:
        qs = qs.filter(rate_min=scope.rate[0], rate_max=scope.rate[1])
    return qs.order_by()


def _figures(scope: Scope) -> tuple[QuerySet, str, str]:
    """Where a scope's sums are read: the rollup, or the items for a payment id; with the names
    of the kind and of what counts the items there."""
    if scope.in_rollup:
        return finance_days(scope), "kind", "items"
    return finance_items(scope), "operation__kind", "pk"


def _kind_sums(field: str = "amount", kind_field: str = "operation__kind") -> dict:
    sums = {
        name: Coalesce(Sum(field, filter=Q(**{kind_field: kind})), 0)
        for name, kind in (
            ("authorized", OperationKind.AUTHORIZATION),
            ("captured", OperationKind.CAPTURE),
            ("refunded", OperationKind.REFUND),
            ("cancelled", OperationKind.CANCELLATION),
        )
    }
    return sums


def totals_by_bucket(scope: Scope, grouping: str) -> list[dict]:
    """One row per (bucket, currency): `bucket` (a local date), `currency`, the four kinds'
    sums and `net` (captured - refunded). One query."""
    rows: QuerySet[Any, dict[str, Any]]
    if scope.in_rollup:
        # Weeks and months are summed from the days in SQL.
        bucket = F("day") if grouping == "day" else Trunc("day", grouping, output_field=DateField())
        rows = finance_days(scope).annotate(bucket=bucket).values("bucket", "currency")
        rows = rows.annotate(**_kind_sums(kind_field="kind"))
    else:
        trunc = Trunc(
            "operation__created_at",
            grouping,
            output_field=DateField(),
            tzinfo=timezone.get_current_timezone(),
        )
        rows = (
            finance_items(scope)
            .annotate(bucket=trunc, currency=F("operation__order__currency"))
            .values("bucket", "currency")
            .annotate(**_kind_sums())
        )
    rows = rows.order_by("bucket", "currency")
    result = []
    for row in rows:
        day = row["bucket"]
        if isinstance(day, dt.datetime):
            day = day.date()
        result.append({**row, "bucket": day, "net": row["captured"] - row["refunded"]})
    return result


def _sum_by_currency(rows: list[dict], keys) -> list[dict]:
    """Per currency, the sums of `keys` over already aggregated rows (a handful of them)."""
    by_currency: dict[str, dict] = {}
    for row in rows:
        total = by_currency.setdefault(
            row["currency"], {"currency": row["currency"], **dict.fromkeys(keys, 0)}
        )
        for key in keys:
            total[key] += row[key]
    return [by_currency[c] for c in sorted(by_currency)]


def totals_by_currency(rows: list[dict]) -> list[dict]:
    """The per-currency sums of `totals_by_bucket` rows."""
    return _sum_by_currency(rows, FIGURES)


def vat_table(scope: Scope) -> list[dict]:
    """One row per (currency, VAT rate) with captured and refunded gross, VAT and net, and the
    balance (captured - refunded) of each. A line with tax lines at several rates is its own
    row, `rate_min`-`rate_max`. One query."""
    source, kind, _ = _figures(scope)
    captured = Q(**{kind: OperationKind.CAPTURE})
    refunded = Q(**{kind: OperationKind.REFUND})
    if not scope.in_rollup:
        source = source.annotate(currency=F("operation__order__currency"))
    rows = (
        source.filter(captured | refunded)
        .values("currency", "rate_min", "rate_max")
        .annotate(
            captured_gross=Coalesce(Sum("amount", filter=captured), 0),
            captured_vat=Coalesce(Sum("vat", filter=captured), 0),
            refunded_gross=Coalesce(Sum("amount", filter=refunded), 0),
            refunded_vat=Coalesce(Sum("vat", filter=refunded), 0),
        )
        .order_by("currency", "rate_min", "rate_max")
    )
    table = []
    for row in rows:
        row = dict(row)
        row["rate_min"] = Decimal(row["rate_min"]).normalize()
        row["rate_max"] = Decimal(row["rate_max"]).normalize()
        row["captured_net"] = row["captured_gross"] - row["captured_vat"]
        row["refunded_net"] = row["refunded_gross"] - row["refunded_vat"]
        for part in ("gross", "vat", "net"):
            row[f"balance_{part}"] = row[f"captured_{part}"] - row[f"refunded_{part}"]
        table.append(row)
    return table


def vat_totals(table: list[dict]) -> list[dict]:
    """The VAT table's sums per currency."""
    keys = [
        f"{kind}_{part}" for kind in ("captured", "refunded", "balance") for part in ("gross", "vat", "net")
    ]
    return _sum_by_currency(table, keys)


# The items in time order, as the CSV lists them (the drill-down reads their entries instead).
ROW_ORDER = ("operation__created_at", "operation_id", "line__line_id")


def finance_rows(scope: Scope) -> QuerySet[OperationItem]:
    """The items behind a figure, one per CSV row, oldest first, with what a row shows joined in
    (one query, fit for `.iterator()`): the CSV where the database does not write it."""
    return finance_items(scope).select_related("operation__order__account", "line").order_by(*ROW_ORDER)


# The drill-down's order (`finance_entries`), and the key a page starts after (or ends before):
# keyset pages, so a deep page costs what the first does (the scan starts at the key on
# `finance_entry_time`).
ENTRY_ORDER = ("created_at", "operation_id", "line_id")


def row_key(entry: FinanceEntry) -> list:
    return [entry.created_at.isoformat(), str(entry.operation_id), entry.line_id]


ROW_CURSOR_SALT = "finance-rows"


def row_cursor(entry: FinanceEntry) -> str:
    """`row_key(entry)`, signed, as the drill-down's links carry it."""
    return signing.dumps(row_key(entry), salt=ROW_CURSOR_SALT)


def finance_rows_page(scope: Scope, size: int, *, after: list | None = None, before: list | None = None):
    """Up to `size` of the scope's entries after the key `after` (or, read backwards, before the
    key `before`), and whether there are more that way.

    The entries are the CSV's rows, each what the drill-down shows of an item (`FinanceEntry`),
    in one table: at a million orders a page of the items joined to their operations, orders
    and lines, each read whole, cost 29 ms of Python (the orders' and lines' JSON decoded for
    every row) where the page's SQL took 6."""
    rows = finance_entries(scope)
    key = after or before
    if key:
        created, operation_id, line_id = dt.datetime.fromisoformat(key[0]), key[1], int(key[2])
        op = "gt" if after else "lt"
        rows = rows.filter(
            # The bound on the time alone lets the scan start at the key; the rest breaks ties.
            Q(**{f"created_at__{op}e": created}),
            Q(**{f"created_at__{op}": created})
            | Q(created_at=created, **{f"operation_id__{op}": operation_id})
            | Q(created_at=created, operation_id=operation_id, **{f"line_id__{op}": line_id}),
        )
    if before:
        rows = rows.order_by(*(f"-{name}" for name in ENTRY_ORDER))
    page = list(rows[: size + 1])
    more = len(page) > size
    page = page[:size]
    return (page[::-1] if before else page), more


def rows_summary(scope: Scope) -> dict:
    """The sums of `finance_rows(scope)` per kind, amount and VAT, and their count: the total
    lines of a drill-down. One query."""
    source, kind, count = _figures(scope)
    sums = source.aggregate(
        count=Coalesce(Sum(count), 0) if scope.in_rollup else Count(count),
        **_kind_sums("amount", kind),
        **{f"{k}_vat": v for k, v in _kind_sums("vat", kind).items()},
    )
    sums["net"] = sums["captured"] - sums["refunded"]
    sums["net_vat"] = sums["captured_vat"] - sums["refunded_vat"]
    return sums


def rate_label(rate_min: Decimal, rate_max: Decimal) -> str:
    low, high = (f"{Decimal(r).normalize():f}" for r in (rate_min, rate_max))
    return f"{low} %" if low == high else f"{low}-{high} %"


class StaleAuthorization(TypedDict):
    """What `stale_authorizations` annotates each order with."""

    open_amount: int
    open_lines: int
    last_authorized_at: dt.datetime


def stale_authorizations(
    *, accounts: list[Account], days: int, now: dt.datetime | None = None, limit: int | None = None
) -> "QuerySet[WithAnnotations[Order, StaleAuthorization]]":
    """Active orders with money authorized but neither captured nor cancelled, and no
    authorization in the last `days` days: the hold at the provider may lapse.

    Annotated with `open_amount` (per line, authorized - captured - cancelled, summed),
    `open_lines` and `last_authorized_at`, oldest first; the `limit` oldest ones if given.

    The orders are found from their last successful authorization: walking authorizations
    oldest first (index `operation_auth_created`) when open ones are common, or from
    the lines with an open authorization (partial index `line_open_authorization`) when they
    are rare, whichever the planner estimates cheaper; the figures are then summed for the
    orders found only."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    # Figures.to_capture (orders.ledger) in SQL: a line with something left to capture.
    open_line = ~Q(authorized_amount=F("captured_amount") + F("cancelled_amount"))
    authorizations = PaymentOperation.objects.filter(kind=OperationKind.AUTHORIZATION, success=True)
    last_authorizations = (
        authorizations.filter(
            created_at__lte=cutoff,
            order__account__in=[a.pk for a in accounts],
            # a closed order's open authorization still holds money until it is cancelled
            order__status__in=[OrderStatus.ACTIVE, OrderStatus.CLOSED],
        )
        .exclude(
            Exists(authorizations.filter(order=OuterRef("order"), created_at__gt=OuterRef("created_at")))
        )
        .filter(Exists(OrderLine.objects.filter(open_line, order=OuterRef("order"))))
        .order_by("created_at", "order")
        .values("order")
    )
    if limit is not None:
        last_authorizations = last_authorizations[:limit]
    open_lines = ~Q(lines__authorized_amount=F("lines__captured_amount") + F("lines__cancelled_amount"))
    last_authorization = (
        authorizations.filter(order=OuterRef("pk")).order_by("-created_at").values("created_at")[:1]
    )
    return (
        Order.objects.filter(pk__in=last_authorizations)
        .annotate(
            open_amount=Sum(
                F("lines__authorized_amount") - F("lines__captured_amount") - F("lines__cancelled_amount"),
                filter=open_lines,
            ),
            open_lines=Count("lines", filter=open_lines),
            last_authorized_at=Subquery(last_authorization),
        )
        .select_related("account")
        .order_by("last_authorized_at", "pk")
    )
