"""The typed values the orders services take, and the limits every input keeps to.

The API's input serializers (`orders.api.inputs`) and the staff forms (`orders.forms`) check
what comes in and build these; the services trust them and check only what needs the order's
state, under its lock. A draft stores its lines as JSON: `orders.services.drafts` writes them
in the shape the API shows.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any

from orders.money import format_money, vat_contained

# Line ids and quantities are stored as 32-bit integers.
COUNT_LIMIT = 2**31 - 1
# Every amount, and every order's total, stays below this (9 999 999 999 999,99 kr): far below
# what the 64-bit columns hold, even summed over many lines.
AMOUNT_LIMIT = 10**15
# Descriptions and reasons of lines.
TEXT_LIMIT = 500
# Item ids, store ids, merchant references, payment ids and the like.
ID_LIMIT = 200
# An item's thumbnail_url.
URL_LIMIT = 2000
# A line's VAT warning, as its column holds it.
VAT_WARNING_LIMIT = 500
# A search (the order list's and the API's `search`): each of its words is a lookup of its own
# (orders.selectors.search_plan), so a search holds at most so many words and characters.
SEARCH_LIMIT = 200
SEARCH_WORDS_LIMIT = 8


def search_too_long(text: str) -> bool:
    return len(text) > SEARCH_LIMIT or len(text.split()) > SEARCH_WORDS_LIMIT


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
    """`dintero` holds Dintero's other documented fields of the tax line, as sent (tax_code,
    tax_group, exempt, included_in_price, tax_basis, amount_dwh, tax_basis_dwh)."""

    amount: int
    percentage: Decimal
    dintero: dict[str, Any] = field(default_factory=dict)


# Dintero's documented fields of an item and of a tax line beyond ours: kept as sent, answered
# when sent (https://docs.dintero.com/api-reference/draftitems/add-item-to-draft).
ITEM_DINTERO_FIELDS = (
    "external_id",
    "unit_gross_amount",
    "eligible_for_discount",
    "thumbnail_url",
    "version",
)
TAX_LINE_DINTERO_FIELDS = (
    "tax_code",
    "tax_group",
    "exempt",
    "included_in_price",
    "tax_basis",
    "amount_dwh",
    "tax_basis_dwh",
)

# Dintero's discount types; a "manual" discount also counts in total_manual_discount_amount.
DISCOUNT_TYPES = ("customer", "periodic", "manual", "loyalty", "total", "employee", "external")


@dataclass(frozen=True)
class DiscountLine:
    """What a discount took off its line's gross amount (gross amounts are after discounts), with
    the sign of the line; `dintero` holds its other fields as sent (percentage, discount_id,
    description, line_id)."""

    amount: int
    discount_type: str = ""
    dintero: dict[str, Any] = field(default_factory=dict)


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
    discount_lines: list[DiscountLine] = field(default_factory=list)
    # Dintero's other documented item fields, as sent: external_id, unit_gross_amount,
    # eligible_for_discount, thumbnail_url, version.
    dintero: dict[str, Any] = field(default_factory=dict)
    # Why its VAT does not add up (orders.vat), or empty: the line is kept as sent.
    vat_warning: str = ""

    @property
    def discount_amount(self) -> int:
        return sum(d.amount for d in self.discount_lines)

    @property
    def manual_discount_amount(self) -> int:
        return sum(d.amount for d in self.discount_lines if d.discount_type == "manual")


@dataclass(frozen=True)
class DraftOptions:
    """`generate_order_id` (e.g. ALPHANUMERIC_9) for a new order, or the `order_id` of the
    existing order the draft adds its lines to. Dintero's other options, each left out (None)
    unless sent: `split_draft` (false lets the order take the draft's own `order.order_id`),
    `replace` (an update draft holds all the lines the order keeps: the others are reversed)
    and `multiple_authorizations` (the new order's operations each name their authorization)."""

    generate_order_id: str | None = None
    order_id: str | None = None
    split_draft: bool | None = None
    replace: bool | None = None
    multiple_authorizations: bool | None = None


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
    merchant_reference_2: str = ""
    # The order's own order_id (with options.split_draft false), or None: generated.
    order_id: str | None = None
    # Dintero's other documented order fields, as sent (shipping_option).
    dintero: dict[str, Any] = field(default_factory=dict)


def vat_warning(gross: int, quantity: int, taxes: list[TaxLine], show: Callable[[int], str] = str) -> str:
    """Why a line's VAT does not add up, or "": the line is taken as sent all the same, and
    the warning kept on it (shown on the order page, counted by the books check).

    The VAT of a line with one rate is what its gross contains at that rate, give or take one
    minor unit per unit (shops round VAT per unit); with a `tax_basis`, it is also the rate of
    that basis, as closely; where `exempt`, it is 0. Dintero's own examples break these (its
    add-item example has 5584 VAT in 39800 at 25 %), so none is a reason to refuse a line.
    The sign of VAT and VAT beyond the gross are errors, not warnings: the ledger holds them.
    `show` writes the amounts (the API's are minor units, staff pages' money).
    """
    found = []
    for tax in taxes:
        rate = percentage_number(tax.percentage)
        if tax.dintero.get("exempt") and tax.amount != 0:
            found.append(f"VAT {show(tax.amount)} on a line exempt from VAT")
        basis = tax.dintero.get("tax_basis")
        if basis is not None:
            expected = round(Decimal(basis) * tax.percentage / 100)
            if abs(tax.amount - expected) > quantity:
                found.append(
                    f"VAT {show(tax.amount)} is not {rate} % of its tax_basis {show(basis)} "
                    f"({show(expected)})"
                )
    if len(taxes) == 1 and not taxes[0].dintero.get("exempt"):
        tax = taxes[0]
        expected = vat_contained(gross, tax.percentage)
        if abs(tax.amount - expected) > quantity:
            rate = percentage_number(tax.percentage)
            found.append(f"{show(gross)} at {rate} % contains {show(expected)} VAT, not {show(tax.amount)}")
    return _warnings_joined(found)


def _warnings_joined(found: list[str]) -> str:
    """The warnings in one text of at most VAT_WARNING_LIMIT characters (the column's): a line
    of many tax lines may have more to say; the first ones are kept whole and the rest
    counted."""
    text = "; ".join(found)
    if len(text) <= VAT_WARNING_LIMIT:
        return text
    kept: list[str] = []
    for n, warning in enumerate(found):
        more = f"; and {len(found) - n} more"
        if len("; ".join([*kept, warning])) + len(f"; and {len(found) - n - 1} more") > VAT_WARNING_LIMIT:
            return "; ".join(kept) + more if kept else more.removeprefix("; ").capitalize()
        kept.append(warning)
    return "; ".join(kept)


def line_vat_warning_shown(line: Any, currency: str) -> str:
    """A stored line's VAT warning with its amounts as money, for staff pages: worked out again
    from the line and its tax lines, as `vat_warning` did when the line was taken."""
    taxes = [TaxLine(t.amount, t.percentage, t.dintero) for t in line.tax_lines.all()]
    return vat_warning(line.gross_amount, line.quantity, taxes, partial(format_money, currency=currency))
