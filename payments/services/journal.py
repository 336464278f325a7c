"""The journal of provider calls on the order's timeline: one event per step of a call (asked,
succeeded, failed, outcome unknown), and how what a provider answers is kept on a call or a
link (texts cut to their column, bodies as JSON)."""

from typing import Any

from backoffice.actor import Actor
from orders.models import EventKind, Order
from orders.money import format_money
from orders.services.events import event_write
from payments.models import CallKind, Provider, ProviderCall

# What fits the `error` and `problem` columns.
TEXT_MAX = 500

_VERB = {
    CallKind.SESSION: "Payment link",
    CallKind.CAPTURE: "Capture",
    CallKind.REFUND: "Refund",
    CallKind.VOID: "Cancellation",
    CallKind.EXPIRE: "Expiring payment link",
}


def call_summary(call: ProviderCall, order: Order, what: str) -> str:
    money = format_money(call.amount, order.currency) if call.amount else ""
    provider = Provider(call.provider).label
    return f"{_VERB[CallKind(call.kind)]} {money} at {provider}: {what}".replace("  ", " ")


def call_event_write(order: Order, call: ProviderCall, actor: Actor, what: str) -> None:
    """One step of the call on the order's timeline, with the call as it stands. Call it inside
    the transaction that changed the call."""
    event_write(
        order=order,
        kind=EventKind.PROVIDER_CALL,
        actor=actor,
        summary=call_summary(call, order, what),
        data={
            "call_id": str(call.id),
            "provider": call.provider,
            "kind": call.kind,
            "state": call.state,
            "payment_id": call.payment_id,
            "amount": call.amount,
            "items": call.items,
            "error": call.error,
        },
    )


def trimmed(text: str) -> str:
    """A provider's message, cut to what an `error` or `problem` column holds."""
    return text[:TEXT_MAX]


def jsonable(body: Any) -> Any:
    """A provider's answer as a JSON field can keep it: as it is, or as text."""
    if body is None or isinstance(body, dict | list | str | int | float | bool):
        return body
    return str(body)
