"""Customer service changes who and where the customer is: name, e-mail, phone, shipping and
billing address. Never money: amounts are corrected by reversal lines.

Every change runs under the order's lock, needs a reason, and writes one event naming each
changed field with its old and new value, who changed it and why.
"""

from typing import Any

from django.db import transaction

from backoffice.actor import Actor
from backoffice.errors import FieldError, InvalidInput
from orders.locks import order_lock
from orders.models import EventKind, Order
from orders.timeline import customer_updated_summary

from .events import event_write
from .fixes import changes_apply
from .search_text import search_text_refresh

# Dintero's customer and address fields (Orders API: `customer`, `shipping_address`,
# `billing_address`), the ones staff edit; other keys an integrator sent are kept as they are.
CUSTOMER_FIELDS = ("first_name", "last_name", "email", "phone_number")
ADDRESS_FIELDS = (
    "first_name",
    "last_name",
    "business_name",
    "co_address",
    "address_line",
    "address_line_2",
    "postal_code",
    "postal_place",
    "country",
    "phone_number",
    "email",
)
REASON_LIMIT = 300


def _merged(current: dict[str, Any], edited: dict[str, str], fields: tuple[str, ...]) -> dict[str, Any]:
    merged = dict(current or {})
    for key in fields:
        value = (edited.get(key) or "").strip()
        if value:
            merged[key] = value
        else:
            merged.pop(key, None)
    return merged


def order_customer_update(
    *,
    order: Order,
    customer: dict[str, str],
    shipping_address: dict[str, str],
    billing_address: dict[str, str],
    reason: str,
    actor: Actor,
) -> Order:
    """Set the edited customer and address fields (blank ones are removed). No event, and no
    write, when nothing changes."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput([FieldError("reason", "say why the customer's details change")])
    if len(reason) > REASON_LIMIT:
        raise InvalidInput([FieldError("reason", f"a reason is at most {REASON_LIMIT} characters")])
    with transaction.atomic():
        locked = order_lock(order.pk)
        changed, diff = changes_apply(
            locked,
            {
                "customer": _merged(locked.customer, customer, CUSTOMER_FIELDS),
                "shipping_address": _merged(locked.shipping_address, shipping_address, ADDRESS_FIELDS),
                "billing_address": _merged(locked.billing_address, billing_address, ADDRESS_FIELDS),
            },
        )
        if not diff:
            return locked
        locked.save(update_fields=changed)
        search_text_refresh(locked)
        event_write(
            order=locked,
            kind=EventKind.CUSTOMER_UPDATED,
            actor=actor,
            summary=customer_updated_summary(diff, reason)[:500],
            data={"fields": changed, "changes": diff, "reason": reason},
        )
        return locked
