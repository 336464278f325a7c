"""What the timeline says of each event, rendered when it is shown (money in the display
locale), from the data the event stores.

Events store what happened (`Event.data`); these functions say it in words, per kind. The
services use them too for the short `summary` an event keeps for the API and for readers that
have only the row, so the two never drift apart. An event written before its data held all
that its words need is shown by its stored summary.
"""

from collections.abc import Callable, Iterable, Mapping
from typing import Any, cast

from .models import Event, EventKind, OrderLine
from .money import format_money


def lines_added_summary(lines: Iterable[OrderLine], currency: str) -> str:
    """`Lines 2-3 added: line 1 reversed (-398,00 kr); 1 new line (298,00 kr)`."""
    lines = list(lines)
    reversals = [line for line in lines if line.is_reversal]
    new = [line for line in lines if not line.is_reversal]
    parts = []
    if reversals:
        # A reversal names the line it reverses (a check constraint on the lines).
        reversed_ids = ", ".join(str(cast(OrderLine, line.related_line).line_id) for line in reversals)
        total = format_money(sum(line.gross_amount for line in reversals), currency)
        parts.append(f"line {reversed_ids} reversed ({total})")
    if new:
        total = format_money(sum(line.gross_amount for line in new), currency)
        parts.append(f"{len(new)} new line{'s' if len(new) > 1 else ''} ({total})")
    ids = sorted(line.line_id for line in lines)
    span = f"Line {ids[0]}" if len(ids) == 1 else f"Lines {ids[0]}-{ids[-1]}"
    return f"{span} added: " + "; ".join(parts)


def order_created_summary(line_count: int, gross: int, currency: str) -> str:
    count = f"{line_count} line{'s' if line_count > 1 else ''}"
    return f"Order created with {count}, {format_money(gross, currency)}"


def operation_summary(data: Mapping[str, Any], currency: str, *, failed: bool = False) -> str:
    """`Capture of 398,00 kr on line 1 (PID_123)`, or `Failed capture of …`; and why, when a
    reason was given: `Refund of 398,00 kr on line 1 (PID_123): damaged in transport`."""
    money = format_money(data["amount"], currency)
    line_ids = ", ".join(str(item["line_id"]) for item in data["items"])
    kind = str(data["kind"])
    what = f"Failed {kind}" if failed else kind.capitalize()
    text = f"{what} of {money} on line {line_ids} ({data['payment_id']})"
    return f"{text}: {data['reason']}" if data.get("reason") else text


def order_cancelled_summary(reason: str) -> str:
    return "Order cancelled" + (f": {reason}" if reason else "")


def _show(value: Any) -> str:
    return "—" if value is None or value == "" else repr(value) if not isinstance(value, str) else value


def data_fixed_summary(prefix: str, diff: Iterable[Mapping[str, Any]], reason: str = "") -> str:
    """`Order data fixed: customer.email: a@b → c@d`, and why, when a reason was given."""
    parts = [f"{c['field']}: {_show(c['from'])} → {_show(c['to'])}" for c in diff]
    text = f"{prefix}: " + "; ".join(parts)
    return f"{text} (reason: {reason})" if reason else text


FIELD_LABELS = {
    "first_name": "first name",
    "last_name": "last name",
    "email": "e-mail",
    "phone_number": "phone",
    "business_name": "company",
    "co_address": "c/o",
    "address_line": "address",
    "address_line_2": "address, line 2",
    "postal_code": "postcode",
    "postal_place": "city",
    "country": "country",
}
GROUP_LABELS = {
    "customer": "Customer",
    "shipping_address": "Shipping address",
    "billing_address": "Billing address",
}


def field_label(path: str) -> str:
    """`shipping_address.postal_place` -> `Shipping address, city`."""
    group, _, key = path.partition(".")
    return f"{GROUP_LABELS.get(group, group)}, {FIELD_LABELS.get(key, key)}" if key else path


def customer_updated_summary(diff: Iterable[Mapping[str, Any]], reason: str) -> str:
    labelled = [{**change, "field": field_label(change["field"])} for change in diff]
    return data_fixed_summary("Customer details changed", labelled, reason)


def _draft_completed(event: Event, lines: Mapping[int, OrderLine], currency: str) -> str | None:
    data = event.data
    if "line_ids" not in data or "gross_amount" not in data:
        return None
    return order_created_summary(len(data["line_ids"]), data["gross_amount"], currency)


def _order_updated(event: Event, lines: Mapping[int, OrderLine], currency: str) -> str | None:
    ids = event.data.get("line_ids") or []
    if not ids or any(line_id not in lines for line_id in ids):
        return None
    return lines_added_summary([lines[line_id] for line_id in ids], currency)


def _operation(event: Event, lines: Mapping[int, OrderLine], currency: str) -> str | None:
    if not {"amount", "items", "kind", "payment_id"} <= set(event.data):
        return None
    return operation_summary(event.data, currency, failed=event.kind == EventKind.OPERATION_FAILED)


def _cancelled(event: Event, lines: Mapping[int, OrderLine], currency: str) -> str | None:
    return order_cancelled_summary(str(event.data.get("reason") or ""))


def _note(event: Event, lines: Mapping[int, OrderLine], currency: str) -> str | None:
    return event.data.get("text") or None


def _data_fixed(event: Event, lines: Mapping[int, OrderLine], currency: str) -> str | None:
    data = event.data
    if "changes" not in data:
        return None
    prefix = "Order data fixed" if data.get("target") == "order" else f"Line {data.get('line_id')} data fixed"
    return data_fixed_summary(prefix, data["changes"], str(data.get("reason") or ""))


def _customer_updated(event: Event, lines: Mapping[int, OrderLine], currency: str) -> str | None:
    if "changes" not in event.data:
        return None
    return customer_updated_summary(event.data["changes"], str(event.data.get("reason") or ""))


_RENDER: dict[str, Callable[[Event, Mapping[int, OrderLine], str], str | None]] = {
    EventKind.DRAFT_COMPLETED: _draft_completed,
    EventKind.ORDER_UPDATED: _order_updated,
    EventKind.AUTHORIZATION_RECORDED: _operation,
    EventKind.CAPTURE_RECORDED: _operation,
    EventKind.REFUND_RECORDED: _operation,
    EventKind.CANCELLATION_RECORDED: _operation,
    EventKind.OPERATION_FAILED: _operation,
    EventKind.ORDER_CANCELLED: _cancelled,
    EventKind.NOTE_ADDED: _note,
    EventKind.DATA_FIXED: _data_fixed,
    EventKind.CUSTOMER_UPDATED: _customer_updated,
}


def event_summary(event: Event, lines: Mapping[int, OrderLine], currency: str) -> str:
    """What the timeline says of `event`; `lines` are the order's lines by line id."""
    render = _RENDER.get(event.kind)
    text = render(event, lines, currency) if render else None
    return text or event.summary
