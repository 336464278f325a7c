"""Filters of the payment panel: pure formatting (what the panel shows comes from
`payments.views.panel_context`)."""

from django import template
from django.utils.translation import gettext_lazy, pgettext_lazy

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


# What staff read for a call's kind and state and a reconciliation finding, in the page's
# language. The models' labels stay English: the events and messages the API answers use them.
_CALL_KIND = {
    "session": gettext_lazy("Payment link"),
    "capture": pgettext_lazy("operation", "Capture"),
    "refund": pgettext_lazy("operation", "Refund"),
    "void": pgettext_lazy("operation", "Cancellation"),
    "expire": gettext_lazy("Expire payment link"),
}
_CALL_STATE = {
    "pending": pgettext_lazy("provider call", "pending"),
    "sending": pgettext_lazy("provider call", "sending"),
    "succeeded": pgettext_lazy("provider call", "succeeded"),
    "failed": pgettext_lazy("provider call", "failed"),
    "unknown": pgettext_lazy("provider call", "unknown"),
}
_MISMATCH_KIND = {
    "authorized": gettext_lazy("Authorized differs"),
    "captured": gettext_lazy("Captured differs"),
    "refunded": gettext_lazy("Refunded differs"),
    "unreadable": gettext_lazy("Provider could not be read"),
    "unrecorded": gettext_lazy("Done at the provider, not recorded"),
    "unknown_call": gettext_lazy("Provider call still unknown"),
}


@register.filter
def call_kind(kind: str) -> str:
    return str(_CALL_KIND.get(kind, kind))


@register.filter
def call_state(state: str) -> str:
    return str(_CALL_STATE.get(state, state))


@register.filter
def mismatch_kind(kind: str) -> str:
    return str(_MISMATCH_KIND.get(kind, kind))
