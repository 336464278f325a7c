"""What the timeline says of each event, rendered when it is shown (money in the display
locale), from the data the event stores.

Events store what happened (`Event.data`); these functions say it in words, per kind. The
services use them too for the short `summary` an event keeps for the API and for readers that
have only the row, so the two never drift apart. An event written before its data held all
that its words need is shown by its stored summary.

The timeline speaks the page's language (Norwegian or English); the stored summary is always
English, as the API documents it: the `*_summary` functions the services call say it in English
whatever language the request that wrote the event spoke.
"""

import re
from collections.abc import Callable, Iterable, Mapping
from functools import wraps
from typing import Any, ParamSpec, cast

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

from .models import Event, EventKind, OrderLine
from .money import format_money

P = ParamSpec("P")


def _in_english(words: Callable[P, str]) -> Callable[P, str]:
    """The same words in English: the summary an event stores for the API."""

    @wraps(words)
    def english(*args: P.args, **kwargs: P.kwargs) -> str:
        with translation.override("en"):
            return words(*args, **kwargs)

    return english


def _lines_added(lines: Iterable[OrderLine], currency: str) -> str:
    """`Lines 2-3 added: line 1 reversed (-398,00 kr); 1 new line (298,00 kr)`."""
    lines = list(lines)
    reversals = [line for line in lines if line.is_reversal]
    new = [line for line in lines if not line.is_reversal]
    parts = []
    if reversals:
        # A reversal names the line it reverses (a check constraint on the lines).
        reversed_ids = ", ".join(str(cast(OrderLine, line.related_line).line_id) for line in reversals)
        total = format_money(sum(line.gross_amount for line in reversals), currency)
        parts.append(_("line %(lines)s reversed (%(total)s)") % {"lines": reversed_ids, "total": total})
    if new:
        total = format_money(sum(line.gross_amount for line in new), currency)
        count = ngettext("%(count)d new line", "%(count)d new lines", len(new)) % {"count": len(new)}
        parts.append(f"{count} ({total})")
    ids = sorted(line.line_id for line in lines)
    if len(ids) == 1:
        span = _("Line %(line)s added") % {"line": ids[0]}
    else:
        span = _("Lines %(first)s-%(last)s added") % {"first": ids[0], "last": ids[-1]}
    return f"{span}: " + "; ".join(parts)


def _order_created(line_count: int, gross: int, currency: str) -> str:
    words = ngettext(
        "Order created with %(count)d line, %(total)s",
        "Order created with %(count)d lines, %(total)s",
        line_count,
    )
    return words % {"count": line_count, "total": format_money(gross, currency)}


# What each kind of operation is called where a sentence starts with it, and after "failed".
_OPERATION = {
    "authorization": (pgettext_lazy("operation", "Authorization"), gettext_lazy("Failed authorization")),
    "capture": (pgettext_lazy("operation", "Capture"), gettext_lazy("Failed capture")),
    "refund": (pgettext_lazy("operation", "Refund"), gettext_lazy("Failed refund")),
    "cancellation": (pgettext_lazy("operation", "Cancellation"), gettext_lazy("Failed cancellation")),
}


def _operation_words(data: Mapping[str, Any], currency: str, *, failed: bool = False) -> str:
    """`Capture of 398,00 kr on line 1 (PID_123)`, or `Failed capture of …`; and why, when a
    reason was given: `Refund of 398,00 kr on line 1 (PID_123): damaged in transport`."""
    money = format_money(data["amount"], currency)
    line_ids = ", ".join(str(item["line_id"]) for item in data["items"])
    kind = str(data["kind"])
    names = _OPERATION.get(kind)
    if names:
        what = str(names[1] if failed else names[0])
    else:
        what = _("Failed %(kind)s") % {"kind": kind} if failed else kind.capitalize()
    text = _("%(what)s of %(amount)s on line %(lines)s (%(payment_id)s)") % {
        "what": what,
        "amount": money,
        "lines": line_ids,
        "payment_id": data["payment_id"],
    }
    return f"{text}: {data['reason']}" if data.get("reason") else text


def _order_cancelled(reason: str) -> str:
    return _("Order cancelled") + (f": {reason}" if reason else "")


def _show(value: Any) -> str:
    return "—" if value is None or value == "" else repr(value) if not isinstance(value, str) else value


def _data_fixed_words(prefix: str, diff: Iterable[Mapping[str, Any]], reason: str = "") -> str:
    """`Order data fixed: customer.email: a@b → c@d`, and why, when a reason was given."""
    parts = [f"{c['field']}: {_show(c['from'])} → {_show(c['to'])}" for c in diff]
    text = f"{prefix}: " + "; ".join(parts)
    return text + " " + _("(reason: %(reason)s)") % {"reason": reason} if reason else text


FIELD_LABELS = {
    "first_name": gettext_lazy("first name"),
    "last_name": gettext_lazy("last name"),
    "email": gettext_lazy("e-mail"),
    "phone_number": gettext_lazy("phone"),
    "business_name": gettext_lazy("company"),
    "co_address": gettext_lazy("c/o"),
    "address_line": gettext_lazy("address"),
    "address_line_2": gettext_lazy("address, line 2"),
    "postal_code": gettext_lazy("postcode"),
    "postal_place": gettext_lazy("city"),
    "country": gettext_lazy("country"),
}
GROUP_LABELS = {
    "customer": gettext_lazy("Customer"),
    "shipping_address": gettext_lazy("Shipping address"),
    "billing_address": gettext_lazy("Billing address"),
}


def field_label(path: str) -> str:
    """`shipping_address.postal_place` -> `Shipping address, city`."""
    group, _, key = path.partition(".")
    return f"{GROUP_LABELS.get(group, group)}, {FIELD_LABELS.get(key, key)}" if key else path


def _customer_updated_words(diff: Iterable[Mapping[str, Any]], reason: str) -> str:
    labelled = [{**change, "field": field_label(change["field"])} for change in diff]
    return _data_fixed_words(_("Customer details changed"), labelled, reason)


# What the services store: the same words, in English.
lines_added_summary = _in_english(_lines_added)
order_created_summary = _in_english(_order_created)
operation_summary = _in_english(_operation_words)
order_cancelled_summary = _in_english(_order_cancelled)
data_fixed_summary = _in_english(_data_fixed_words)
customer_updated_summary = _in_english(_customer_updated_words)


_STATUS_WORDS: dict[str, Promise] = {
    EventKind.ORDER_CLOSED: gettext_lazy("Order closed"),
    EventKind.ORDER_OPENED: gettext_lazy("Order opened"),
}


def _order_status(kind: str) -> str:
    """`Order closed`, `Order opened`."""
    return str(_STATUS_WORDS.get(kind, kind))


def _order_details_words(diff: Iterable[Mapping[str, Any]]) -> str:
    """`Order details changed: Shipping address, city: Osloo → Oslo; metadata.ref: — → 7`."""
    labelled = [{**change, "field": field_label(change["field"])} for change in diff]
    return _data_fixed_words(_("Order details changed"), labelled)


def _status_event_words(data: Mapping[str, Any]) -> str:
    """`kitchen: ready_for_pickup (success) — food prepared`: what a service reported, in its
    own words."""
    text = f"{data.get('service')}: {data.get('service_status')} ({data.get('state')})"
    return f"{text} — {data['description']}" if data.get("description") else text


order_status_summary = _in_english(_order_status)
order_details_summary = _in_english(_order_details_words)
status_event_summary = _in_english(_status_event_words)


def _draft_completed(event: Event, lines: Mapping[int, OrderLine], currency: str) -> str | None:
    data = event.data
    if "line_ids" not in data or "gross_amount" not in data:
        return None
    return _order_created(len(data["line_ids"]), data["gross_amount"], currency)


def _order_updated(event: Event, lines: Mapping[int, OrderLine], currency: str) -> str | None:
    ids = event.data.get("line_ids") or []
    if not ids or any(line_id not in lines for line_id in ids):
        return None
    return _lines_added([lines[line_id] for line_id in ids], currency)


def _operation(event: Event, lines: Mapping[int, OrderLine], currency: str) -> str | None:
    if not {"amount", "items", "kind", "payment_id"} <= set(event.data):
        return None
    return _operation_words(event.data, currency, failed=event.kind == EventKind.OPERATION_FAILED)


def _cancelled(event: Event, lines: Mapping[int, OrderLine], currency: str) -> str | None:
    return _order_cancelled(str(event.data.get("reason") or ""))


def _note(event: Event, lines: Mapping[int, OrderLine], currency: str) -> str | None:
    return event.data.get("text") or None


def _data_fixed(event: Event, lines: Mapping[int, OrderLine], currency: str) -> str | None:
    data = event.data
    if "changes" not in data:
        return None
    if data.get("target") == "order":
        prefix = _("Order data fixed")
    else:
        prefix = _("Line %(line)s data fixed") % {"line": data.get("line_id")}
    return _data_fixed_words(prefix, data["changes"], str(data.get("reason") or ""))


def _customer_updated(event: Event, lines: Mapping[int, OrderLine], currency: str) -> str | None:
    if "changes" not in event.data:
        return None
    return _customer_updated_words(event.data["changes"], str(event.data.get("reason") or ""))


def _status(event: Event, lines: Mapping[int, OrderLine], currency: str) -> str | None:
    return _order_status(event.kind)


def _details_updated(event: Event, lines: Mapping[int, OrderLine], currency: str) -> str | None:
    if "changes" not in event.data:
        return None
    return _order_details_words(event.data["changes"])


def _status_reported(event: Event, lines: Mapping[int, OrderLine], currency: str) -> str | None:
    if not {"service", "service_status", "state"} <= set(event.data):
        return None
    return _status_event_words(event.data)


# A provider call's step (payments' journal stores `<Verb> <money> at <provider>: <what>`, and the
# call's kind, state and error in the data): the usual steps said in the page's language, any
# other as stored.
_CALL_VERB = {
    "capture": pgettext_lazy("operation", "Capture"),
    "refund": pgettext_lazy("operation", "Refund"),
    "void": pgettext_lazy("operation", "Cancellation"),
    "session": gettext_lazy("Payment link"),
    "expire": gettext_lazy("Expiring payment link"),
}
_CALL_SUMMARY = re.compile(r"^.+? at (?P<provider>[^:]+): (?P<what>.+)$", re.DOTALL)


def _provider_call(event: Event, lines: Mapping[int, OrderLine], currency: str) -> str | None:
    data = event.data
    match = _CALL_SUMMARY.match(event.summary or "")
    verb = _CALL_VERB.get(str(data.get("kind")))
    if not match or verb is None:
        return None
    what, error = match["what"], str(data.get("error") or "")
    if what == "requested":
        outcome = _("requested")
    elif what == f"succeeded ({data.get('payment_id')})":
        outcome = _("succeeded (%(payment_id)s)") % {"payment_id": data.get("payment_id")}
    elif error and what == f"failed — {error}":
        outcome = _("failed — %(error)s") % {"error": error}
    elif error and what == f"outcome unknown — {error}; reconciliation will settle it":
        outcome = _("outcome unknown — %(error)s; reconciliation will settle it") % {"error": error}
    else:
        return None
    words = {"what": verb, "provider": match["provider"], "outcome": outcome}
    if data.get("amount"):
        words["amount"] = format_money(data["amount"], currency)
        return _("%(what)s %(amount)s at %(provider)s: %(outcome)s") % words
    return _("%(what)s at %(provider)s: %(outcome)s") % words


_RENDER: dict[str, Callable[[Event, Mapping[int, OrderLine], str], str | None]] = {
    EventKind.PROVIDER_CALL: _provider_call,
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
    EventKind.ORDER_CLOSED: _status,
    EventKind.ORDER_OPENED: _status,
    EventKind.ORDER_DETAILS_UPDATED: _details_updated,
    EventKind.STATUS_REPORTED: _status_reported,
}


def event_summary(event: Event, lines: Mapping[int, OrderLine], currency: str) -> str:
    """What the timeline says of `event`; `lines` are the order's lines by line id."""
    render = _RENDER.get(event.kind)
    text = render(event, lines, currency) if render else None
    return text or event.summary
