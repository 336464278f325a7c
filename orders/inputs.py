"""The typed values the orders services take, and the limits every input keeps to.

The API's input serializers (`orders.api.inputs`) and the staff forms (`orders.forms`) check
what comes in and build these; the services trust them and check only what needs the order's
state, under its lock. A draft stores its lines as JSON: `orders.services.drafts` writes them
in the shape the API shows.
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

# Line ids and quantities are stored as 32-bit integers.
COUNT_LIMIT = 2**31 - 1
# Every amount, and every order's total, stays below this (9 999 999 999 999,99 kr): far below
# what the 64-bit columns hold, even summed over many lines.
AMOUNT_LIMIT = 10**15
# Descriptions and reasons of lines.
TEXT_LIMIT = 500
# Item ids, store ids, merchant references, payment ids and the like.
ID_LIMIT = 200
# The order a draft updates, as the client names it.
ORDER_ID_LIMIT = 64
# `generate_order_id`; matched whole (fullmatch): `$` would also match before a trailing newline.
ORDER_ID_FORMAT = re.compile(r"(ALPHANUMERIC|NUMERIC)_([0-9]{1,2})")
ORDER_ID_LENGTHS = range(4, 33)


def percentage_number(percentage: Decimal) -> int | float:
    """A VAT rate as JSON holds it and messages show it: 25, or 12.5."""
    return int(percentage) if percentage == percentage.to_integral_value() else float(percentage)


@dataclass(frozen=True)
class TaxLine:
    amount: int
    percentage: Decimal


@dataclass(frozen=True)
class DraftItem:
    """One order line of a draft. `reverses` is the line_id of the line a reversal line
    reverses (Dintero's `related_item` of type "reversed"); `line_id` None is numbered by the
    draft."""

    gross_amount: int
    quantity: int = 1
    line_id: int | None = None
    id: str = ""
    description: str = ""
    description_alias: str = ""
    tax_lines: list[TaxLine] = field(default_factory=list)
    reversed_reason: str = ""
    reverses: int | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DraftOptions:
    """`generate_order_id` (e.g. ALPHANUMERIC_9) for a new order, or the `order_id` of the
    existing order the draft adds its lines to."""

    generate_order_id: str | None = None
    order_id: str | None = None


@dataclass(frozen=True)
class DraftDocument:
    """The order a draft describes. `store` includes the store id."""

    currency: str
    items: list[DraftItem] = field(default_factory=list)
    customer: dict[str, Any] = field(default_factory=dict)
    shipping_address: dict[str, Any] = field(default_factory=dict)
    billing_address: dict[str, Any] = field(default_factory=dict)
    store: dict[str, Any] = field(default_factory=dict)
    merchant_reference: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
