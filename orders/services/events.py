from collections.abc import Sequence
from contextvars import ContextVar
from enum import StrEnum
from typing import Any, Protocol

from django.db import connection, transaction

from backoffice.actor import Actor
from backoffice.errors import FieldError, InvalidInput
from backoffice.rows import Write, inserting, written
from orders.locks import order_lock
from orders.models import DraftOrder, Event, EventKind, Order

NOTE_LIMIT = 5000


class DraftChange(StrEnum):
    ADDED = "added"
    UPDATED = "updated"
    COMPLETED = "completed"
    DELETED = "deleted"


class EventSink(Protocol):
    """Told of every change inside the change's own transaction, so what it writes (the webhook
    outbox) commits or rolls back with the change. `orders` does not know who listens: an app
    registers its sink when it starts."""

    def event_written(self, event: Event) -> None: ...

    def draft_changed(self, draft: DraftOrder, change: DraftChange) -> None:
        """Drafts write no timeline event; a deleted draft is told of before its row goes."""
        ...


_sinks: list[EventSink] = []

# The API request being served, as Dintero's events show it (`{path, method, body}`): set by the
# API views around their write (orders.api.views), stored on every event that write makes.
api_request: ContextVar[dict[str, str] | None] = ContextVar("api_request", default=None)


def event_sink_register(sink: EventSink) -> None:
    if not any(type(s) is type(sink) for s in _sinks):
        _sinks.append(sink)


def event_write(
    *,
    order: Order,
    kind: EventKind,
    actor: Actor,
    summary: str,
    data: dict[str, Any] | None = None,
    along: Sequence[Write] = (),
) -> Event:
    """Append one event to the order's timeline. Call it inside the transaction of the change;
    `along`: the change's own writes, sent before the event's in the same statement
    (`backoffice.rows.written`). The sinks are told once all of them are written."""
    event = Event(
        order=order,
        kind=kind,
        summary=summary[:500],
        data=data or {},
        request=api_request.get() or {},
        **actor.fields(),
    )
    written([*along, inserting([event], connection)], connection)
    for sink in _sinks:
        sink.event_written(event)
    return event


def draft_changed(draft: DraftOrder, change: DraftChange) -> None:
    """Tell the sinks that a draft was added, updated, completed or is being deleted. Call it
    inside the transaction of the change."""
    for sink in _sinks:
        sink.draft_changed(draft, change)


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
