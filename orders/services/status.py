"""An order's status as Dintero's Orders API has it (open, closed, cancelled), the fields of an
order that may change after it is made, orders made without a draft, and order status events.

The rule of a closed order: it accepts no new update drafts, authorizations, captures or payment
links (`order_closed_check`, called by each of those under the order's lock); refunds and
cancellations of what is left remain possible, and so does cancelling the whole order while
nothing is captured. Opening it again lifts the rule. A cancelled order is neither closed nor
opened again.

Every write here locks the order first, checks its rules under the lock and writes one event
with its actor.
"""

from typing import Any

from django.db import transaction
from django.utils import timezone

from backoffice.actor import Actor
from backoffice.errors import Conflict, ErrorCode
from backoffice.models import Account
from orders.holds import holds_described, order_holds
from orders.inputs import DraftDocument, DraftOptions
from orders.locks import order_lock
from orders.models import Event, EventKind, OperationKind, Order, OrderStatus
from orders.timeline import order_details_summary, order_status_summary, status_event_summary

from .events import event_write
from .fixes import changes_apply
from .search_text import search_text_refresh

# What an order's fields may become after it is made (`PUT …/orders/{order_id}`): who and where
# the customer is, the store, the merchant's references and metadata; never money or lines,
# which change only by an update draft.
UPDATABLE_FIELDS = (
    "customer",
    "shipping_address",
    "billing_address",
    "store",
    "merchant_reference",
    "merchant_reference_2",
    "metadata",
)


# What a closed order refuses to record (and what may not be under way when it closes).
CLOSED_REFUSES = (OperationKind.AUTHORIZATION, OperationKind.CAPTURE)


def order_closed_check(order: Order, what: str) -> None:
    """Refuse `what` (`"an authorization"`, `"an update draft"`, …) on a closed order: a 409.
    Call it under the order's lock."""
    if order.is_closed:
        raise Conflict(
            f"order {order.order_id} is closed: it takes no {what}; open it first "
            f"(POST …/orders/{order.order_id}/open)",
            ErrorCode.CONFLICT,
        )


def _status_write(order: Order, kind: EventKind, actor: Actor) -> Order:
    order.updated_at = timezone.now()
    order.save(update_fields=["status", "closed_at", "closed_by", "updated_at"])
    event_write(
        order=order,
        kind=kind,
        actor=actor,
        summary=order_status_summary(kind),
        data={"status": order.status},
    )
    return order


def order_close(*, order: Order, actor: Actor) -> Order:
    """Close an open order: it takes no more update drafts, authorizations, captures or payment
    links. A closed or cancelled order cannot be closed, nor one with a payable link or an
    authorization or capture still under way at the provider."""
    with transaction.atomic():
        order = order_lock(order.pk)
        if order.is_cancelled:
            raise Conflict(
                f"order {order.order_id} is cancelled and cannot be closed", ErrorCode.ORDER_CANCELLED
            )
        if order.is_closed:
            raise Conflict(f"order {order.order_id} is already closed", ErrorCode.CONFLICT)
        # A payment link the customer can still pay, or an authorization or capture under way
        # at the provider, would record on the closed order what it refuses.
        taking = [h for h in order_holds(order) if h.kind in CLOSED_REFUSES]
        if taking:
            kinds = sorted({h.kind for h in taking})
            held = "; ".join(holds_described(taking, kind) for kind in kinds)
            raise Conflict(
                f"order {order.order_id} cannot be closed while {held}; withdraw the link or reconcile first",
                ErrorCode.LEDGER,
            )
        order.status = OrderStatus.CLOSED
        order.closed_at = timezone.now()
        order.closed_by = actor.label
        return _status_write(order, EventKind.ORDER_CLOSED, actor)


def order_open(*, order: Order, actor: Actor) -> Order:
    """Open a closed order again (https://docs.dintero.com/api-reference/orderstatus/open-order):
    its closed fields are cleared. An open order is already open; a cancelled one stays so."""
    with transaction.atomic():
        order = order_lock(order.pk)
        if order.is_cancelled:
            raise Conflict(
                f"order {order.order_id} is cancelled and cannot be opened", ErrorCode.ORDER_CANCELLED
            )
        if not order.is_closed:
            raise Conflict(f"order {order.order_id} is already open", ErrorCode.CONFLICT)
        order.status = OrderStatus.ACTIVE
        order.closed_at = None
        order.closed_by = ""
        return _status_write(order, EventKind.ORDER_OPENED, actor)


def order_details_update(*, order: Order, changes: dict[str, Any], actor: Actor) -> Order:
    """Set the given fields of `UPDATABLE_FIELDS` (each replaced whole; the others stay). No
    event, and no write, when nothing actually changes; else one event naming each changed
    field with its old and new value."""
    unknown = sorted(set(changes) - set(UPDATABLE_FIELDS))
    if unknown:  # the API's input serializer lets none through; a caller's mistake
        raise ValueError(f"not updatable: {', '.join(unknown)}")
    with transaction.atomic():
        locked = order_lock(order.pk)
        changed, diff = changes_apply(locked, changes)
        if not diff:
            return locked
        locked.updated_at = timezone.now()
        locked.save(update_fields=[*changed, "updated_at"])
        search_text_refresh(locked)
        event_write(
            order=locked,
            kind=EventKind.ORDER_DETAILS_UPDATED,
            actor=actor,
            summary=order_details_summary(diff),
            data={"fields": changed, "changes": diff},
        )
        return locked


def order_create(*, account: Account, document: DraftDocument, options: DraftOptions, actor: Actor) -> Order:
    """An order made without a draft (Dintero's changelog, 2020-05-01: "Support creating order
    directly without creating a draft", https://docs.dintero.com/orders-api.html): a draft is
    made and completed in one transaction, so every rule of completing a draft holds, and its
    event names the draft as any completed draft's does."""
    from . import drafts  # drafts calls `order_closed_check`: imported when used

    with transaction.atomic():
        draft = drafts.draft_create(account=account, document=document, options=options, actor=actor)
        return drafts.draft_complete(draft=draft, actor=actor)


# Order status events (https://docs.dintero.com/api-reference/orderevents/create-an-order-event):
# a service (a kitchen, a courier) reports its status on the order.

STATUS_EVENT_STATES = ("error", "failure", "success", "pending")
# The combined state of an order's events (`events_state`).
EVENTS_STATES = ("failure", "pending", "success")


def status_event_add(
    *,
    order: Order,
    state: str,
    service: str,
    service_status: str,
    description: str = "",
    metadata: dict[str, Any] | None = None,
    actor: Actor,
) -> Event:
    """Record what a service reports on the order. It changes nothing else: a status event is
    taken on any order, open, closed or cancelled."""
    if state not in STATUS_EVENT_STATES:  # the API's input serializer lets no other through
        raise ValueError(f"unknown state {state!r}")
    data = {
        "state": state,
        "service": service,
        "service_status": service_status,
        "description": description,
        "metadata": metadata or {},
    }
    with transaction.atomic():
        order = order_lock(order.pk)
        return event_write(
            order=order,
            kind=EventKind.STATUS_REPORTED,
            actor=actor,
            summary=status_event_summary(data),
            data=data,
        )


def events_state(events: list[Event]) -> str:
    """Dintero's combined state of an order's events
    (https://docs.dintero.com/api-reference/orderlist/order-events-collection): `failure` if any
    status event reports error or failure; `pending` if there is none, or if the latest status of
    any service is pending; `success` if the latest status of every service is success."""
    reported = [e for e in events if e.kind == EventKind.STATUS_REPORTED]
    if not reported:
        return "pending"
    if any(e.data.get("state") in ("error", "failure") for e in reported):
        return "failure"
    latest: dict[str, str] = {}
    for event in sorted(reported, key=lambda e: (e.created_at, e.pk)):
        latest[str(event.data.get("service", ""))] = str(event.data.get("state", ""))
    return "success" if all(state == "success" for state in latest.values()) else "pending"
