from django import template

from orders.models import Order
from orders.money import format_money
from orders.services.form_tokens import form_token_new
from payments import selectors
from payments.views import notice_pop

register = template.Library()


@register.simple_tag(takes_context=True)
def payment_panel(context, order: Order) -> dict:
    """Everything the payment panel shows for an order, with the user's permissions and a
    one-time token per form."""
    request = context.get("request")
    user = getattr(request, "user", None)
    data = selectors.panel(order)
    data["can_operate"] = bool(user and user.has_perm("orders.record_operation"))
    data["can_refund"] = bool(user and user.has_perm("orders.record_refund"))
    data["notice"] = notice_pop(request, order) if request is not None else None
    forms = ("link", "withdraw", "capture", "refund", "void", "fault")
    data["tokens"] = {name: form_token_new() for name in forms}
    data["next"] = request.get_full_path() if request is not None else ""
    return data


@register.filter
def money(amount: int | None, currency: str) -> str:
    return "" if amount is None else format_money(amount, currency)


_CALL_BADGE = {"succeeded": "success", "failed": "danger", "unknown": "warning"}


@register.filter
def call_badge(state: str) -> str:
    """The badge colour of a provider call's state: an unknown outcome stands out."""
    return _CALL_BADGE.get(state, "neutral")
