from typing import Any

from django.db import transaction

from backoffice.actor import Actor
from backoffice.errors import FieldError, InvalidInput
from orders.locks import order_lock
from orders.models import Event, EventKind, Order

NOTE_LIMIT = 5000


def event_write(
    *, order: Order, kind: EventKind, actor: Actor, summary: str, data: dict[str, Any] | None = None
) -> Event:
    """Append one event to the order's timeline. Call it inside the transaction of the change."""
    return Event.objects.create(
        order=order, kind=kind, summary=summary[:500], data=data or {}, **actor.fields()
    )


def note_add(*, order: Order, text: str, actor: Actor) -> Event:
    """A staff note on the timeline. Notes are events: never edited, never deleted."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput([FieldError("text", "write something to add a note")])
    if len(text) > NOTE_LIMIT:
        raise InvalidInput([FieldError("text", f"a note is at most {NOTE_LIMIT} characters")])
    with transaction.atomic():
        order = order_lock(order.pk)
        return event_write(
            order=order,
            kind=EventKind.NOTE_ADDED,
            actor=actor,
            summary=text[:200],
            data={"text": text},
        )
