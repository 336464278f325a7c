"""Money, statuses and small display helpers for the staff pages."""

from decimal import Decimal
from functools import cache

from django import template
from django.conf import settings
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from orders.forms import status_label
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
    "CLOSED": "neutral",
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
    """`PARTIALLY_CAPTURED` -> `Partially captured` (`Delvis trukket` in Norwegian)."""
    return status_label(str(value or ""))


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
# machine, the largest part of the page; built here with `format_html` (which escapes every
# value it is given that is not already safe) they take a few. Each distinct amount is formatted
# and escaped once per page (a line's figures repeat each other).

_LINE_ROW = (
    '<tr id="line-{}" class="{}"><th scope="row">{}</th><td>{}</td>'
    '<td class="num">{}</td><td class="num">{}</td><td class="num">{}{}</td>'
    '<td class="num">{}</td><td class="num">{}</td><td class="num">{}</td>'
    '<td class="num">{}</td></tr>'
)


def _refund_line() -> SafeString:
    return format_html(
        '<br><span class="badge badge--warning">{}</span> <span class="muted small">{}</span>',
        _("Refund line"),
        _("money going back to the customer"),
    )


def _percent(value: Decimal) -> str:
    """`25`, or `12.50`: as `floatformat:"-2"` shows it."""
    return str(int(value)) if value == value.to_integral_value() else f"{value:.2f}"


def _line_link(line: OrderLine) -> SafeString:
    return format_html('<a href="#line-{}">{}</a>', line.line_id, _("line %(line)s") % {"line": line.line_id})


def _line_item(line: OrderLine) -> SafeString:
    """The item cell: description and SKU, and how the line relates to the others."""
    parts = [format_html("{}", line.description or "—")]
    if line.item_id:
        parts.append(format_html(' <span class="muted small mono">{}</span>', line.item_id))
    if line.is_refund_line:
        parts.append(_refund_line())
    if line.related_line is not None:
        reason = format_html(" · {}", line.reversed_reason) if line.reversed_reason else ""
        parts.append(
            format_html(
                '<br><span class="relation">{}{}</span>',
                format_html(_("Reverses {line}"), line=_line_link(line.related_line)),
                reason,
            )
        )
    reversals = reversed_by(line)
    if reversals:
        links = format_html_join(", ", "{}", ((_line_link(r),) for r in reversals))
        reversed_by_text = format_html(_("Reversed by {lines}"), lines=links)
        parts.append(format_html('<br><span class="relation">{}</span>', reversed_by_text))
    return mark_safe("".join(parts))  # each part is format_html's


@register.simple_tag
def line_rows(lines: list[OrderLine], currency: str) -> SafeString:
    """The rows of the order page's lines table: item, quantity, total, VAT and its rates, and
    the line's ledger figures. The lines come from `order_page_get` (with `vat_rates`)."""

    @cache
    def money(amount: int) -> SafeString:
        return format_html("{}", _money(amount, currency))

    def rates(line: OrderLine) -> SafeString:
        return format_html_join(
            "", '<br><span class="muted small">{} %</span>', ((_percent(r),) for r in line.vat_rates)
        )

    return format_html_join(
        "\n",
        _LINE_ROW,
        (
            (
                line.line_id,
                "row--reversal" if line.is_reversal else "row--refund" if line.is_refund_line else "",
                line.line_id,
                _line_item(line),
                line.quantity,
                money(line.gross_amount),
                money(line.tax_amount),
                rates(line),
                money(line.authorized_amount),
                money(line.captured_amount),
                money(line.refunded_amount),
                money(line.cancelled_amount),
            )
            for line in lines
        ),
    )


@register.filter
def operation_items(operation: PaymentOperation, currency: str) -> SafeString:
    """`1: 398,00 kr<br>2: 99,00 kr`: the lines an operation moved money on, and how much."""
    return format_html_join(
        mark_safe("<br>"),
        "{}: {}",
        ((i.line_number, _money(i.amount, currency)) for i in operation.item_list),
    )
