"""Parsing and checking the JSON bodies of drafts and payment operations.

These checks need nothing but the body: they answer 400 with every field at fault. Checks
against an order's state (reversal limits, the ledger) belong to the services, under a lock.
Both the API and the staff pages send their input through here.
"""

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from backoffice.errors import FieldError, InvalidInput

from .models import REVERSED
from .money import is_currency, vat_contained

# Matched whole (fullmatch): `$` would also match before a trailing newline.
ORDER_ID_FORMAT = re.compile(r"(ALPHANUMERIC|NUMERIC)_([0-9]{1,2})")
TEXT_LIMIT = 500
# Line ids and quantities are stored as 32-bit integers.
COUNT_LIMIT = 2**31 - 1
# Every amount, and every order's total, stays below this (9 999 999 999 999,99 kr): far below
# what the 64-bit columns hold, even summed over many lines.
AMOUNT_LIMIT = 10**15


class _Collector:
    """Gathers field errors so that one response names all of them."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, field: str, message: str) -> None:
        self.errors.append(FieldError(field, message))

    def raise_if_any(self) -> None:
        if self.errors:
            raise InvalidInput(self.errors)

    def positive(self, value: Any, field: str, what: str = "a positive integer") -> int | None:
        """A line id or a quantity: a whole number from 1 to COUNT_LIMIT."""
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= COUNT_LIMIT:
            self.add(field, f"must be {what} up to {COUNT_LIMIT}, not {value!r}")
            return None
        return value

    def integer(self, value: Any, field: str) -> int | None:
        # bool is an int in Python, and 398.0 is not an amount in minor units.
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(field, f"must be an integer in minor units, not {value!r}")
            return None
        if abs(value) >= AMOUNT_LIMIT:
            self.add(field, f"{value} is out of range")
            return None
        return value

    def text(self, value: Any, field: str, limit: int = TEXT_LIMIT) -> str:
        if value is None:
            return ""
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            self.add(field, "must be a string")
            return ""
        if len(value) > limit:
            self.add(field, f"must be at most {limit} characters")
            return ""
        return value

    def mapping(self, value: Any, field: str) -> dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.add(field, "must be an object")
            return {}
        return value


def _percentage(c: _Collector, value: Any, field: str) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        c.add(field, "must be a number between 0 and 100")
        return None
    try:
        p = Decimal(str(value))
    except InvalidOperation:
        c.add(field, "must be a number between 0 and 100")
        return None
    if not p.is_finite() or not 0 <= p <= 100 or p != p.quantize(Decimal("0.01")):
        c.add(field, "must be a number between 0 and 100 with at most two decimals")
        return None
    return p


def clean_item(raw: Any, path: str, c: _Collector) -> dict | None:
    """One order line as a draft holds it. Returns the normalised item, or None if broken."""
    if not isinstance(raw, dict):
        c.add(path, "must be an object")
        return None
    errors_before = len(c.errors)
    item: dict[str, Any] = {}
    if raw.get("line_id") is not None:
        item["line_id"] = c.positive(raw["line_id"], f"{path}.line_id")
    item["id"] = c.text(raw.get("id"), f"{path}.id", 200)
    item["description"] = c.text(raw.get("description"), f"{path}.description")
    item["description_alias"] = c.text(raw.get("description_alias"), f"{path}.description_alias")

    quantity = c.positive(raw.get("quantity", 1), f"{path}.quantity", "a positive whole number")
    item["quantity"] = quantity

    if "gross_amount" not in raw:
        c.add(f"{path}.gross_amount", "is required")
        gross = None
    else:
        gross = c.integer(raw["gross_amount"], f"{path}.gross_amount")
    item["gross_amount"] = gross

    related = raw.get("related_item")
    is_reversal = False
    if related is not None:
        related = c.mapping(related, f"{path}.related_item")
        if related.get("type") != REVERSED:
            c.add(f"{path}.related_item.type", f'must be "{REVERSED}"')
        else:
            is_reversal = True
        rel_line = c.positive(related.get("line_id"), f"{path}.related_item.line_id")
        item["related_item"] = {"line_id": rel_line, "type": related.get("type")}
    if gross is not None:
        if is_reversal and gross >= 0:
            c.add(f"{path}.gross_amount", "a reversal line must have a negative gross_amount")
        elif not is_reversal and related is None and gross < 0:
            c.add(
                f"{path}.gross_amount",
                'only reversal lines (related_item.type "reversed") may be negative',
            )
    item["reversed_reason"] = c.text(raw.get("reversed_reason"), f"{path}.reversed_reason")

    tax_lines = raw.get("tax_lines", [])
    if not isinstance(tax_lines, list):
        c.add(f"{path}.tax_lines", "must be a list")
        tax_lines = []
    cleaned_tax = []
    for t, tax in enumerate(tax_lines):
        tpath = f"{path}.tax_lines[{t}]"
        if not isinstance(tax, dict):
            c.add(tpath, "must be an object")
            continue
        amount = c.integer(tax.get("amount"), f"{tpath}.amount")
        percentage = _percentage(c, tax.get("percentage"), f"{tpath}.percentage")
        if amount is None or percentage is None:
            continue
        if gross is not None and ((gross < 0 < amount) or (amount < 0 <= gross)):
            c.add(f"{tpath}.amount", "must have the same sign as the line's gross_amount")
        cleaned_tax.append({"amount": amount, "percentage": _number(percentage)})
    item["tax_lines"] = cleaned_tax
    if gross is not None and cleaned_tax:
        total_tax = sum(t["amount"] for t in cleaned_tax)
        if abs(total_tax) > abs(gross):
            c.add(f"{path}.tax_lines", f"VAT {total_tax} exceeds the gross amount {gross}")
        elif len(cleaned_tax) == 1 and isinstance(quantity, int) and quantity >= 1:
            # Shops round VAT per unit, so allow one minor unit of difference per unit.
            expected = vat_contained(gross, Decimal(str(cleaned_tax[0]["percentage"])))
            if abs(total_tax - expected) > quantity:
                c.add(
                    f"{path}.tax_lines[0].amount",
                    f"{gross} at {cleaned_tax[0]['percentage']} % contains {expected} VAT, not {total_tax}",
                )
    item["metadata"] = c.mapping(raw.get("metadata"), f"{path}.metadata")
    return item if len(c.errors) == errors_before else None


def _number(p: Decimal) -> int | float:
    return int(p) if p == p.to_integral_value() else float(p)


def clean_items(raw_items: Any, path: str, c: _Collector) -> list[dict]:
    if not isinstance(raw_items, list):
        c.add(path, "must be a list of order lines")
        return []
    items = [clean_item(raw, f"{path}[{i}]", c) for i, raw in enumerate(raw_items)]
    seen: set[int] = set()
    for i, item in enumerate(items):
        line_id = item and item.get("line_id")
        if line_id:
            if line_id in seen:
                c.add(f"{path}[{i}].line_id", f"line_id {line_id} is used twice")
            seen.add(line_id)
    return [item for item in items if item is not None]


def order_total_check(total: int) -> None:
    """An order's lines may not add up to more than one amount may be: thousands of lines at the
    largest amount would overflow the order's 64-bit totals."""
    if abs(total) >= AMOUNT_LIMIT:
        raise InvalidInput(
            [FieldError("order.items", f"the order's lines add up to {total}, beyond {AMOUNT_LIMIT - 1}")]
        )


def number_lines(items: list[dict], after: int = 0) -> list[dict]:
    """Give lines without a line_id the next free ones: above every line_id of the draft and
    above `after`, the highest line_id the order being updated has ever used."""
    next_id = max([after, *(item["line_id"] for item in items if item.get("line_id"))])
    for item in items:
        if not item.get("line_id"):
            next_id += 1
            item["line_id"] = next_id
    return items


def clean_draft(payload: Any) -> tuple[dict, dict]:
    """A draft body `{"options": {...}, "order": {...}}` -> (options, order document)."""
    c = _Collector()
    if not isinstance(payload, dict):
        raise InvalidInput([FieldError("", "the body must be a JSON object")])
    options_in = c.mapping(payload.get("options"), "options")
    options: dict[str, Any] = {}
    fmt = options_in.get("generate_order_id")
    if fmt is not None:
        match = ORDER_ID_FORMAT.fullmatch(fmt) if isinstance(fmt, str) else None
        if not match or not 4 <= int(match[2]) <= 32:
            c.add(
                "options.generate_order_id",
                "must be ALPHANUMERIC_N or NUMERIC_N with N from 4 to 32, e.g. ALPHANUMERIC_9",
            )
        options["generate_order_id"] = fmt
    if options_in.get("order_id") is not None:
        order_id = c.text(options_in["order_id"], "options.order_id", 64)
        if not order_id:
            c.add("options.order_id", "must name an existing order")
        options["order_id"] = order_id

    if "order" not in payload:
        c.add("order", "is required")
    order_in = c.mapping(payload.get("order"), "order")
    document: dict[str, Any] = {}
    currency = order_in.get("currency")
    if not is_currency(currency):
        c.add("order.currency", f"{currency!r} is not an ISO 4217 currency code")
    document["currency"] = currency
    document["items"] = clean_items(order_in.get("items", []), "order.items", c)
    for key in ("customer", "shipping_address", "billing_address", "metadata"):
        document[key] = c.mapping(order_in.get(key), f"order.{key}")
    store = order_in.get("store")
    document["store"] = c.mapping(store, "order.store")
    if order_in.get("store_id") is not None:
        document["store"] = {
            **document["store"],
            "id": c.text(order_in["store_id"], "order.store_id", 200),
        }
    document["merchant_reference"] = c.text(
        order_in.get("merchant_reference"), "order.merchant_reference", 200
    )
    c.raise_if_any()
    return options, document


def clean_draft_item(payload: Any) -> dict:
    c = _Collector()
    item = clean_item(payload, "item", c)
    c.raise_if_any()
    assert item is not None
    return item


def clean_operation(payload: Any, *, items_required: bool = True) -> dict:
    """An operation body `{"items": [...], "payment_details": {...}, "success": ...}`."""
    c = _Collector()
    if not isinstance(payload, dict):
        raise InvalidInput([FieldError("", "the body must be a JSON object")])
    raw_items = payload.get("items")
    items: list[dict] = []
    if raw_items is None and items_required:
        c.add("items", "is required: a list of {line_id, amount}")
    elif raw_items is not None and not isinstance(raw_items, list):
        c.add("items", "must be a list of {line_id, amount}")
    elif raw_items is not None:
        if not raw_items and items_required:
            c.add("items", "must name at least one line")
        seen: set[int] = set()
        for i, raw in enumerate(raw_items):
            if not isinstance(raw, dict):
                c.add(f"items[{i}]", "must be an object with line_id and amount")
                continue
            line_id = c.positive(raw.get("line_id"), f"items[{i}].line_id")
            amount = c.integer(raw.get("amount"), f"items[{i}].amount")
            if amount == 0:
                c.add(f"items[{i}].amount", "must not be zero")
            if line_id is not None and line_id in seen:
                c.add(f"items[{i}].line_id", f"line {line_id} appears twice")
            if line_id is not None:
                seen.add(line_id)
            items.append({"line_id": line_id, "amount": amount})
    details = c.mapping(payload.get("payment_details"), "payment_details")
    payment_id = details.get("payment_id")
    if not isinstance(payment_id, str) or not payment_id.strip():
        c.add("payment_details.payment_id", "is required: the payment's id at the provider")
    elif len(payment_id) > 200:
        c.add("payment_details.payment_id", "must be at most 200 characters")
    success = payload.get("success", True)
    if not isinstance(success, bool):
        c.add("success", "must be true or false")
    processed_at: datetime | None = None
    if payload.get("processed_at") is not None:
        raw_time = payload["processed_at"]
        try:
            processed_at = parse_datetime(raw_time) if isinstance(raw_time, str) else None
        except ValueError:  # well formed but no such date, e.g. 30 February
            processed_at = None
        if processed_at is None:
            c.add("processed_at", "must be an ISO 8601 date-time")
        elif timezone.is_naive(processed_at):
            processed_at = timezone.make_aware(processed_at, UTC)
    operation = {
        "items": items,
        "payment_details": details,
        "payment_id": payment_id if isinstance(payment_id, str) else "",
        "success": success,
        "authorization_id": c.text(payload.get("authorization_id"), "authorization_id", 200),
        "processed_at": processed_at,
        "processed_by": c.text(payload.get("processed_by"), "processed_by", 200),
        "metadata": c.mapping(payload.get("metadata"), "metadata"),
    }
    c.raise_if_any()
    return operation
