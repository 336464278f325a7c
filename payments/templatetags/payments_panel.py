"""Filters of the payment panel: pure formatting (what the panel shows comes from
`payments.views.panel_context`)."""

from django import template

from orders.money import format_money

register = template.Library()


@register.filter
def money(amount: int | None, currency: str) -> str:
    return "" if amount is None else format_money(amount, currency)


_CALL_BADGE = {"succeeded": "success", "failed": "danger", "unknown": "warning"}


@register.filter
def call_badge(state: str) -> str:
    """The badge colour of a provider call's state: an unknown outcome stands out."""
    return _CALL_BADGE.get(state, "neutral")
