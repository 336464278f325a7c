"""Money, statuses and small display helpers for the staff pages."""

from django import template
from django.conf import settings

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


@register.filter
def money(amount, currency: str) -> str:
    """`{{ line.gross_amount|money:order.currency }}` -> `398,00 kr` (nb-NO by default)."""
    if amount is None or amount == "":
        return ""
    return format_money(int(amount), currency, getattr(settings, "DISPLAY_LOCALE", "nb_NO"))


@register.filter
def reversals(line):
    """The lines reversing `line`, from the lines the page already loaded."""
    return reversed_by(line)


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
