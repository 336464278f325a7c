"""Data fixes by administrators: customer details, addresses, descriptions and metadata.

Money is never touched here: amounts, tax lines and operations are history, corrected only by
new lines (the reversal flow). Every fix runs under the order's row lock and writes one
`data_fixed` event naming each changed field with its old and new value.
"""

from typing import Any

from django.db import transaction

from backoffice.actor import Actor
from backoffice.errors import FieldError, InvalidInput
from orders.locks import order_lock
from orders.models import EventKind, Order, OrderLine
from orders.timeline import data_fixed_summary

from .events import event_write
from .search_text import search_text_refresh

ORDER_FIXABLE = ("customer", "shipping_address", "billing_address", "store", "merchant_reference", "metadata")
LINE_FIXABLE = ("description", "description_alias", "metadata")

_MISSING = object()


def field_diff(name: str, old: Any, new: Any) -> list[dict[str, Any]]:
    """Changes between two values, key by key inside JSON objects:
    `[{"field": "shipping_address.city", "from": "Osloo", "to": "Oslo"}]`."""
    if isinstance(old, dict) and isinstance(new, dict):
        changes = []
        for key in sorted({*old, *new}, key=str):
            a, b = old.get(key, _MISSING), new.get(key, _MISSING)
            if a is _MISSING:
                changes.append({"field": f"{name}.{key}", "from": None, "to": b, "added": True})
            elif b is _MISSING:
                changes.append({"field": f"{name}.{key}", "from": a, "to": None, "removed": True})
            else:
                changes += field_diff(f"{name}.{key}", a, b)
        return changes
    if old == new:
        return []
    return [{"field": name, "from": old, "to": new}]


def _check_fields(changes: dict[str, Any], allowed: tuple[str, ...], what: str) -> None:
    refused = sorted(set(changes) - set(allowed))
    if refused:
        raise InvalidInput(
            [
                FieldError(
                    field,
                    f"the {field} of {what} cannot be changed here; amounts are corrected by reversal lines",
                )
                for field in refused
            ]
        )
    for field in ("customer", "shipping_address", "billing_address", "store", "metadata"):
        if field in changes and not isinstance(changes[field], dict):
            raise InvalidInput([FieldError(field, "must be a JSON object")])


def changes_apply(obj, changes: dict[str, Any]) -> tuple[list[str], list[dict[str, Any]]]:
    """Set the changed fields on `obj`; return the fields that really changed and their diff."""
    changed, diff = [], []
    for field, value in changes.items():
        field_changes = field_diff(field, getattr(obj, field), value)
        if field_changes:
            diff += field_changes
            changed.append(field)
            setattr(obj, field, value)
    return changed, diff


def order_data_fix(*, order: Order, changes: dict[str, Any], actor: Actor, reason: str = "") -> Order:
    """Change an order's customer, addresses, store, merchant reference or metadata.

    Only those fields; no event (and no write) when nothing actually changes."""
    _check_fields(changes, ORDER_FIXABLE, "an order")
    with transaction.atomic():
        locked = order_lock(order.pk)
        changed, diff = changes_apply(locked, changes)
        if not diff:
            return locked
        locked.save(update_fields=changed)
        search_text_refresh(locked)
        event_write(
            order=locked,
            kind=EventKind.DATA_FIXED,
            actor=actor,
            summary=data_fixed_summary("Order data fixed", diff, reason),
            data={"target": "order", "fields": changed, "changes": diff, "reason": reason},
        )
        return locked


def line_data_fix(*, line: OrderLine, changes: dict[str, Any], actor: Actor, reason: str = "") -> OrderLine:
    """Change a line's description, description alias or metadata; never its amounts,
    quantity or tax."""
    _check_fields(changes, LINE_FIXABLE, "a line")
    with transaction.atomic():
        order = order_lock(line.order_id)
        locked = OrderLine.objects.get(pk=line.pk)
        changed, diff = changes_apply(locked, changes)
        if not diff:
            return locked
        locked.save(update_fields=changed)
        search_text_refresh(order)
        event_write(
            order=order,
            kind=EventKind.DATA_FIXED,
            actor=actor,
            summary=data_fixed_summary(f"Line {locked.line_id} data fixed", diff, reason),
            data={
                "target": "line",
                "line_id": locked.line_id,
                "fields": changed,
                "changes": diff,
                "reason": reason,
            },
        )
        return locked
