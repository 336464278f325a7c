"""The events a subscription can ask for, and which of them each change of ours sends.

Dintero's Hooks API names six shopping events (https://docs.dintero.com/api-reference/
subscriptions/subscription-details). Every event we write on an order's timeline is an order
event (`shopping_order_event_add`); those that change the order's lines, money, status or data
also update it (`shopping_order_update`). Drafts write no timeline event: their changes come
as `draft_changed`. Orders are never deleted here (they are append-only), so
`shopping_order_delete` can be subscribed to, as in Dintero, but is never sent.
"""

from enum import StrEnum

from orders.models import EventKind
from orders.services.events import DraftChange


class HookEvent(StrEnum):
    DRAFT_ADD = "shopping_draft_add"
    DRAFT_UPDATE = "shopping_draft_update"
    DRAFT_COMPLETE = "shopping_draft_complete"
    ORDER_UPDATE = "shopping_order_update"
    ORDER_EVENT_ADD = "shopping_order_event_add"
    ORDER_DELETE = "shopping_order_delete"
    # Sent on creation and by the ping endpoint; not subscribed to.
    PING = "ping"


SUBSCRIBABLE = [e.value for e in HookEvent if e is not HookEvent.PING]

_UPDATE = (HookEvent.ORDER_UPDATE, HookEvent.ORDER_EVENT_ADD)
_EVENT_ONLY = (HookEvent.ORDER_EVENT_ADD,)

# A new order comes with `shopping_draft_complete` (from its draft), so its creation is an
# order event only; a kind added later is at least an order event.
ORDER_EVENTS: dict[str, tuple[HookEvent, ...]] = {
    EventKind.DRAFT_COMPLETED: _EVENT_ONLY,
    EventKind.ORDER_UPDATED: _UPDATE,
    EventKind.AUTHORIZATION_RECORDED: _UPDATE,
    EventKind.CAPTURE_RECORDED: _UPDATE,
    EventKind.REFUND_RECORDED: _UPDATE,
    EventKind.CANCELLATION_RECORDED: _UPDATE,
    EventKind.ORDER_CANCELLED: _UPDATE,
    EventKind.DATA_FIXED: _UPDATE,
    "customer_updated": _UPDATE,  # customer details changed from the order page
    EventKind.ORDER_CLOSED: _UPDATE,
    EventKind.ORDER_OPENED: _UPDATE,
    EventKind.ORDER_DETAILS_UPDATED: _UPDATE,
    EventKind.STATUS_REPORTED: _EVENT_ONLY,
    EventKind.OPERATION_FAILED: _EVENT_ONLY,
    EventKind.NOTE_ADDED: _EVENT_ONLY,
    EventKind.PROVIDER_CALL: _EVENT_ONLY,
}

DRAFT_EVENTS: dict[DraftChange, HookEvent] = {
    DraftChange.ADDED: HookEvent.DRAFT_ADD,
    DraftChange.UPDATED: HookEvent.DRAFT_UPDATE,
    # Dintero's drafts have a `deleted` status rather than a delete event.
    DraftChange.DELETED: HookEvent.DRAFT_UPDATE,
    DraftChange.COMPLETED: HookEvent.DRAFT_COMPLETE,
}


def order_event_hooks(kind: str) -> tuple[HookEvent, ...]:
    return ORDER_EVENTS.get(kind, _EVENT_ONLY)
