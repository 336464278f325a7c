"""Money, statuses and small display helpers for the staff pages."""

from decimal import Decimal
from functools import cache
from html import escape

from django import template
from django.conf import settings
from django.utils.safestring import SafeString, mark_safe

from orders.models import OrderLine, PaymentOperation
from orders.money import format_money
from orders.selectors import reversed_by

register = template.Library()

_BADGE = {
    "PENDING": "neutral",
    "PARTIALLY_AUTHORIZED": "info",
    "AUTHORIZED": "info",
    "PARTIALLY_CAPTURED": "progress",
    "CAPTURED": "success",
    "PARTIALLY_REFUNDED": "warning",
    "REFUNDED": "warning",
    "CANCELLED": "danger",
    "ACTIVE": "success",
    "OPEN": "info",
    "COMPLETED": "neutral",
}


def _money(amount: int, currency: str) -> str:
    return format_money(amount, currency, settings.DISPLAY_LOCALE)


@register.filter
def money(amount, currency: str) -> str:
    """`{{ line.gross_amount|money:order.currency }}` -> `398,00 kr` (nb-NO by default)."""
    if amount is None or amount == "":
        return ""
    return _money(int(amount), currency)


@register.filter
def label(value) -> str:
    """`PARTIALLY_CAPTURED` -> `Partially captured`."""
    return str(value or "").replace("_", " ").capitalize()


@register.filter
def badge(value) -> str:
    return _BADGE.get(str(value), "neutral")


@register.filter
def negate(value) -> int:
    return -int(value or 0)


@register.simple_tag(takes_context=True)
def sort_link(context, key: str) -> str:
    """The query string that sorts by `key`, toggling its direction, keeping the filters."""
    request = context["request"]
    current = context.get("sort", "-created")
    target = f"-{key}" if current == key else key
    params = request.GET.copy()
    params.pop("cursor", None)
    params["sort"] = target
    return "?" + params.urlencode()


@register.simple_tag(takes_context=True)
def aria_sort(context, key: str) -> str:
    current = context.get("sort", "-created")
    if current == key:
        return "ascending"
    if current == f"-{key}":
        return "descending"
    return "none"


@register.simple_tag(takes_context=True)
def page_link(context, cursor: str = "") -> str:
    params = context["request"].GET.copy()
    params.pop("cursor", None)
    if cursor:
        params["cursor"] = cursor
    return "?" + params.urlencode() if params else "?"


# The order page's dense tables. A 100-line order has about 900 cells in its lines table and
# 200 in its operations: through the template engine they took about 17 ms on the benchmark
# machine, the largest part of the page; built here they take about 4 ms. Each value is escaped
# with `html.escape`, which is what Django's `escape` calls, without its wrapper for lazy
# strings (a third of the time of these rows went to that wrapper).

_LINE_ROW = (
    '<tr id="line-{id}" class="{kind}"><th scope="row">{id}</th><td>{item}</td>'
    '<td class="num">{quantity}</td><td class="num">{gross}</td><td class="num">{tax}{rates}</td>'
    '<td class="num">{authorized}</td><td class="num">{captured}</td><td class="num">{refunded}</td>'
    '<td class="num">{cancelled}</td></tr>'
)
_REFUND_LINE = (
    '<br><span class="badge badge--warning">Refund line</span> '
    '<span class="muted small">money going back to the customer</span>'
)


def _percent(value: Decimal) -> str:
    """`25`, or `12.50`: as `floatformat:"-2"` shows it."""
    return str(int(value)) if value == value.to_integral_value() else f"{value:.2f}"


def _line_link(line: OrderLine) -> str:
    return f'<a href="#line-{line.line_id}">line {line.line_id}</a>'


def _line_item(line: OrderLine) -> str:
    """The item cell: description and SKU, and how the line relates to the others."""
    html = escape(line.description or "—")
    if line.item_id:
        html += f' <span class="muted small mono">{escape(line.item_id)}</span>'
    if line.is_refund_line:
        html += _REFUND_LINE
    if line.related_line_id:
        reason = f" · {escape(line.reversed_reason)}" if line.reversed_reason else ""
        html += f'<br><span class="relation">Reverses {_line_link(line.related_line)}{reason}</span>'
    reversals = reversed_by(line)
    if reversals:
        links = ", ".join(_line_link(r) for r in reversals)
        html += f'<br><span class="relation">Reversed by {links}</span>'
    return html


@register.simple_tag
def line_rows(lines: list[OrderLine], currency: str) -> SafeString:
    """The rows of the order page's lines table: item, quantity, total, VAT and its rates, and
    the line's ledger figures. The lines come from `order_page_get` (with `vat_rates`)."""

    @cache  # a line's figures repeat each other (authorized = captured = total, nothing refunded)
    def money(amount: int) -> str:
        return escape(_money(amount, currency))

    rows = [
        _LINE_ROW.format(
            id=line.line_id,
            kind="row--reversal" if line.is_reversal else "row--refund" if line.is_refund_line else "",
            item=_line_item(line),
            quantity=line.quantity,
            gross=money(line.gross_amount),
            tax=money(line.tax_amount),
            rates="".join(
                f'<br><span class="muted small">{_percent(rate)} %</span>' for rate in line.vat_rates
            ),
            authorized=money(line.authorized_amount),
            captured=money(line.captured_amount),
            refunded=money(line.refunded_amount),
            cancelled=money(line.cancelled_amount),
        )
        for line in lines
    ]
    return mark_safe("\n".join(rows))  # every value above is escaped


@register.filter
def operation_items(operation: PaymentOperation, currency: str) -> SafeString:
    """`1: 398,00 kr<br>2: 99,00 kr`: the lines an operation moved money on, and how much."""
    items = (f"{i.line_number}: {escape(_money(i.amount, currency))}" for i in operation.item_list)
    return mark_safe("<br>".join(items))  # amounts escaped; line numbers are ints
