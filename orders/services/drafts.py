"""Drafts: editable until completed; completing one creates an order or appends to one.

A draft stores its order as the API shows it, in Dintero's shape: the fields Dintero documents
that we keep as sent (an item's external_id, discount_lines, …; a tax line's tax_code, …) are in
it only when they were sent, as answers leave them out when unset. Dintero's options:
`split_draft: false` lets a new order take the draft's own `order.order_id`; `replace` makes an
update draft hold every line the order keeps, and the lines it leaves out are reversed for what
is left of them (lines never change); `multiple_authorizations` marks the new order.
https://docs.dintero.com/orders-api.html (changelog: custom order_id with split_draft, 2020-08-01)
"""

import secrets
import string
from dataclasses import replace
from decimal import Decimal
from typing import cast

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext

from backoffice.actor import Actor
from backoffice.errors import Conflict, ErrorCode, FieldError, InvalidInput, NotFound
from backoffice.models import Account
from orders.inputs import (
    AMOUNT_LIMIT,
    COUNT_LIMIT,
    ITEM_DINTERO_FIELDS,
    TAX_LINE_DINTERO_FIELDS,
    DiscountLine,
    DraftDocument,
    DraftItem,
    DraftOptions,
    percentage_number,
)
from orders.locks import order_lock
from orders.models import (
    REVERSED,
    DraftOrder,
    DraftStatus,
    EventKind,
    Order,
    OrderLine,
    TaxLine,
)
from orders.timeline import lines_added_summary, order_created_summary

from .events import DraftChange, draft_changed, event_write
from .search_text import search_text_add
from .status import order_closed_check
from .totals import order_totals_refresh

# The order's fields Dintero documents that we keep as sent, beside the columns.
ORDER_DINTERO_FIELDS = ("shipping_option",)

# Marks a line whose line_id the client left to us. Until the draft is completed its number is
# provisional: another draft may complete onto the same order first and take it. Shown on the
# draft, so a client can tell it from a number it chose; gone once the draft is completed.
PROVISIONAL = "line_id_provisional"
NO_OPTIONS = DraftOptions()


# Upper-case letters and digits without the look-alikes 0/O and 1/I, so an id read out on the
# phone is typed right.
READABLE_ALPHANUMERIC = "".join(c for c in string.ascii_uppercase + string.digits if c not in "0O1I")


def _stored_discount(discount: DiscountLine) -> dict:
    stored: dict = {"amount": discount.amount}
    if discount.discount_type:
        stored["discount_type"] = discount.discount_type
    return stored | discount.dintero


def _stored_item(item: DraftItem) -> dict:
    """A line as the draft's document holds it: as the API shows it (Dintero's shape)."""
    stored: dict = {} if item.line_id is None else {"line_id": item.line_id}
    stored["id"] = item.id
    if "external_id" in item.dintero:
        stored["external_id"] = item.dintero["external_id"]
    stored |= {
        "description": item.description,
        "description_alias": item.description_alias,
        "quantity": item.quantity,
        "gross_amount": item.gross_amount,
    }
    if "unit_gross_amount" in item.dintero:
        stored["unit_gross_amount"] = item.dintero["unit_gross_amount"]
    if item.reverses is not None:
        stored["related_item"] = {"line_id": item.reverses, "type": REVERSED}
    stored["reversed_reason"] = item.reversed_reason
    stored["tax_lines"] = [
        {"amount": tax.amount, "percentage": percentage_number(tax.percentage)} | tax.dintero
        for tax in item.tax_lines
    ]
    if item.discount_lines:
        stored["discount_lines"] = [_stored_discount(d) for d in item.discount_lines]
    stored |= {
        name: item.dintero[name]
        for name in ITEM_DINTERO_FIELDS
        if name in item.dintero and name not in stored
    }
    stored["metadata"] = item.metadata
    if item.vat_warning:
        stored["vat_warning"] = item.vat_warning
    return stored


def _stored_document(document: DraftDocument) -> dict:
    stored = {
        "currency": document.currency,
        "items": [_stored_item(item) for item in document.items],
        "customer": document.customer,
        "shipping_address": document.shipping_address,
        "billing_address": document.billing_address,
        "metadata": document.metadata,
        "store": document.store,
        "merchant_reference": document.merchant_reference,
    }
    if document.merchant_reference_2:
        stored["merchant_reference_2"] = document.merchant_reference_2
    if document.order_id is not None:
        stored["order_id"] = document.order_id
    return stored | document.dintero


def _stored_options(options: DraftOptions) -> dict:
    names = ("generate_order_id", "order_id", "split_draft", "replace", "multiple_authorizations")
    return {name: getattr(options, name) for name in names if getattr(options, name) is not None}


def _target_order(account: Account, options: DraftOptions) -> Order | None:
    order_id = options.order_id
    if not order_id:
        return None
    order = Order.objects.filter(account=account, order_id=order_id).first()
    if order is None:
        raise InvalidInput([FieldError("options.order_id", f"there is no order {order_id}")])
    return order


def _number_lines(items: list[dict], after: int = 0) -> list[dict]:
    """Give lines without a line_id the next free ones: above every line_id of the draft and
    above `after`, the highest line_id the order being updated has ever used."""
    next_id = max([after, *(item["line_id"] for item in items if item.get("line_id"))])
    for item in items:
        if not item.get("line_id"):
            next_id += 1
            item["line_id"] = next_id
    return items


def _provisional_numbers(items: list[dict], after: int) -> None:
    """Lines sent without a line_id get provisional ones, numbered as completing the draft now
    would number them: after `after` (the order's last line id) and every line_id of the draft."""
    unnumbered = [i for i, item in enumerate(items) if not item.get("line_id")]
    _number_lines(items, after=after)
    for i in unnumbered:
        _check_line_id_left(items[i]["line_id"], f"order.items[{i}].line_id")
        items[i][PROVISIONAL] = True


def _check_line_id_left(line_id: int, field: str) -> None:
    # Line ids are stored as 32-bit integers.
    if line_id > COUNT_LIMIT:
        raise InvalidInput(
            [FieldError(field, f"no line id is left after {COUNT_LIMIT}: give the draft's lines lower ones")]
        )


def draft_create(
    *, account: Account, document: DraftDocument, options: DraftOptions = NO_OPTIONS, actor: Actor
) -> DraftOrder:
    """A new draft. The order it may update is checked again when the draft is completed, and
    lines without a line_id get their numbers then (the ones shown until then are
    provisional)."""
    target = _target_order(account, options)
    stored = _stored_document(document)
    _provisional_numbers(stored["items"], after=target.last_line_id if target else 0)
    with transaction.atomic():
        draft = DraftOrder.objects.create(
            account=account,
            options=_stored_options(options),
            document=stored,
            target_order=target,
            created_by=actor.label,
        )
        draft_changed(draft, DraftChange.ADDED)
        return draft


def _open_draft_lock(draft: DraftOrder) -> DraftOrder:
    draft = DraftOrder.objects.select_for_update().get(pk=draft.pk)
    if not draft.is_open:
        raise Conflict(
            f"draft {draft.pk} is completed and can no longer change",
            ErrorCode.DRAFT_COMPLETED,
            shown=gettext("this draft is completed and can no longer change"),
        )
    return draft


def _draft_save(draft: DraftOrder) -> DraftOrder:
    draft.updated_at = timezone.now()
    draft.save(update_fields=["options", "document", "target_order", "updated_at"])
    draft_changed(draft, DraftChange.UPDATED)
    return draft


@transaction.atomic
def draft_replace(
    *, draft: DraftOrder, document: DraftDocument, options: DraftOptions = NO_OPTIONS, actor: Actor
) -> DraftOrder:
    """Full replacement of an open draft (PUT)."""
    draft = _open_draft_lock(draft)
    draft.target_order = _target_order(draft.account, options)
    stored = _stored_document(document)
    _provisional_numbers(stored["items"], after=draft.target_order.last_line_id if draft.target_order else 0)
    draft.options, draft.document = _stored_options(options), stored
    return _draft_save(draft)


@transaction.atomic
def draft_delete(*, draft: DraftOrder, actor: Actor) -> None:
    draft = _open_draft_lock(draft)
    draft_changed(draft, DraftChange.DELETED)
    draft.delete()


def _item_index(draft: DraftOrder, line_id: int) -> int:
    for index, item in enumerate(draft.items):
        if item.get("line_id") == line_id:
            return index
    raise NotFound(f"draft {draft.pk} has no line {line_id}")


@transaction.atomic
def draft_item_add(*, draft: DraftOrder, item: DraftItem, actor: Actor) -> dict:
    """Add a line to an open draft; without a line_id it takes the next free one, provisionally."""
    draft = _open_draft_lock(draft)
    stored = _stored_item(item)
    items = draft.items
    used = {i["line_id"] for i in items}
    if item.line_id is None:
        after = draft.target_order.last_line_id if draft.target_order else 0
        stored["line_id"] = max([after, *used]) + 1
        _check_line_id_left(stored["line_id"], "item.line_id")
        stored[PROVISIONAL] = True
    elif item.line_id in used:
        raise Conflict(f"draft already has line {item.line_id}")
    draft.document = {**draft.document, "items": [*items, stored]}
    _draft_save(draft)
    return stored


@transaction.atomic
def draft_item_update(*, draft: DraftOrder, line_id: int, item: DraftItem, actor: Actor) -> dict:
    """Replace the draft's line `line_id` (the line_id is the path's, whatever the item says)."""
    draft = _open_draft_lock(draft)
    stored = _stored_item(replace(item, line_id=line_id))
    items = list(draft.items)
    index = _item_index(draft, line_id)
    # The path names the line by the number it was shown: a provisional one stays provisional.
    if items[index].get(PROVISIONAL):
        stored[PROVISIONAL] = True
    items[index] = stored
    draft.document = {**draft.document, "items": items}
    _draft_save(draft)
    return stored


@transaction.atomic
def draft_item_delete(*, draft: DraftOrder, line_id: int, actor: Actor) -> None:
    draft = _open_draft_lock(draft)
    items = list(draft.items)
    del items[_item_index(draft, line_id)]
    draft.document = {**draft.document, "items": items}
    _draft_save(draft)


def _generated_order_id(fmt: str | None) -> str | None:
    if not fmt:
        return None
    alphabet_name, length = fmt.split("_")
    alphabet = string.digits if alphabet_name == "NUMERIC" else READABLE_ALPHANUMERIC
    return "".join(secrets.choice(alphabet) for _ in range(int(length)))


def _order_create(draft: DraftOrder, actor: Actor) -> Order:
    doc = draft.document
    fields = dict(
        account=draft.account,
        currency=doc["currency"],
        customer=doc.get("customer") or {},
        shipping_address=doc.get("shipping_address") or {},
        billing_address=doc.get("billing_address") or {},
        store=doc.get("store") or {},
        merchant_reference=doc.get("merchant_reference") or "",
        merchant_reference_2=doc.get("merchant_reference_2") or "",
        dintero={name: doc[name] for name in ORDER_DINTERO_FIELDS if name in doc},
        multiple_authorizations=bool(draft.options.get("multiple_authorizations")),
        metadata=doc.get("metadata") or {},
        created_by=actor.label,
    )
    custom = doc.get("order_id")
    if custom:
        # The draft's own order_id (options.split_draft false): Dintero's custom order id.
        order = Order(**fields, order_id=custom)
        try:
            with transaction.atomic():
                order.save(force_insert=True)
        except IntegrityError:
            raise Conflict(
                f"order_id {custom} is taken by another order",
                ErrorCode.CONFLICT,
                [FieldError("order.order_id", f"order_id {custom} is taken by another order")],
            ) from None
        return order
    fmt = draft.options.get("generate_order_id")
    for _attempt in range(10):
        order = Order(**fields)
        order.order_id = _generated_order_id(fmt) or str(order.id)
        try:
            with transaction.atomic():
                order.save(force_insert=True)
            return order
        except IntegrityError:
            if not fmt:
                raise
    raise Conflict(f"could not find a free order id of format {fmt}; use a longer format")


def _check_target(draft: DraftOrder, order: Order) -> None:
    """An update draft against the order it updates, under the order's lock."""
    if order.is_cancelled:
        raise Conflict(
            f"order {order.order_id} is cancelled and cannot be updated", ErrorCode.ORDER_CANCELLED
        )
    order_closed_check(order, "update draft")
    if draft.currency != order.currency:
        raise InvalidInput(
            [
                FieldError(
                    "order.currency",
                    f"order {order.order_id} is in {order.currency}, not {draft.currency}",
                )
            ]
        )


def _check_update(draft: DraftOrder, order: Order) -> None:
    """The draft's lines against the order they will join, under the order's lock."""
    _check_target(draft, order)
    existing = {line.line_id: line for line in order.lines.all()}
    errors = []
    for i, item in enumerate(draft.items):
        related = item.get("related_item")
        if related and related["line_id"] not in existing:
            errors.append(
                FieldError(
                    f"order.items[{i}].related_item.line_id",
                    f"order {order.order_id} has no line {related['line_id']}",
                )
            )
    if errors:
        raise InvalidInput(errors)
    _check_line_ids_free(draft, order, existing)
    _check_reversals(draft, order, existing)


def _check_line_ids_free(draft: DraftOrder, order: Order, existing: dict[int, OrderLine]) -> None:
    """Line ids the client chose must still be new on the order when the draft completes: line ids
    are never reused, so every one up to the order's last is taken. Another draft completed onto
    the order since may have taken them: a conflict with the order's state (409)."""
    start = order.last_line_id + 1
    errors = [
        FieldError(
            f"order.items[{i}].line_id",
            f"line_id {item['line_id']} is "
            + ("already a line" if item["line_id"] in existing else "taken")
            + f" on order {order.order_id}: new lines start at {start}",
        )
        for i, item in enumerate(draft.items)
        if item["line_id"] < start
    ]
    if errors:
        raise Conflict("; ".join(e.message for e in errors), ErrorCode.CONFLICT, errors)


def _final_numbers(draft: DraftOrder, order: Order) -> None:
    """Number the draft's provisional lines for good, under the order's lock.

    They keep the numbers they were shown while those are still new on the order. If another
    draft has since taken any of them, all of them are numbered again after the order's last
    line and every line_id the client chose, in the draft's order."""
    items = [dict(item) for item in draft.items]
    marks = [bool(item.pop(PROVISIONAL, False)) for item in items]
    provisional = [item for item, mark in zip(items, marks, strict=True) if mark]
    if any(item["line_id"] <= order.last_line_id for item in provisional):
        chosen = [item["line_id"] for item, mark in zip(items, marks, strict=True) if not mark]
        next_id = max([order.last_line_id, *chosen])
        for item in provisional:
            next_id += 1
            item["line_id"] = next_id
        if next_id > COUNT_LIMIT:
            raise Conflict(f"order {order.order_id} has no line id left after {COUNT_LIMIT}")
    draft.document = {**draft.document, "items": items}


def _check_reversals(draft: DraftOrder, order: Order, existing: dict[int, OrderLine]) -> None:
    wanted: dict[int, list[dict]] = {}
    for item in draft.items:
        if item.get("related_item"):
            wanted.setdefault(item["related_item"]["line_id"], []).append(item)
    if not wanted:
        return
    already = {
        row["related_line__line_id"]: row
        for row in OrderLine.objects.filter(
            order=order, related_type=REVERSED, related_line__line_id__in=wanted
        )
        .values("related_line__line_id")
        .annotate(
            gross=Coalesce(Sum("gross_amount"), 0),
            quantity=Coalesce(Sum("quantity"), 0),
            discount=Coalesce(Sum("discount_amount"), 0),
            manual=Coalesce(Sum("manual_discount_amount"), 0),
        )
    }
    nothing = {"gross": 0, "quantity": 0, "discount": 0, "manual": 0}
    for original_id, reversals in sorted(wanted.items()):
        original = existing[original_id]
        if original.is_reversal:
            raise Conflict(
                f"line {reversals[0]['line_id']}: line {original_id} is itself a "
                "reversal and cannot be reversed",
                ErrorCode.REVERSAL,
            )
        done = already.get(original_id, nothing)
        gross_left = original.gross_amount + done["gross"]
        quantity_left = original.quantity - done["quantity"]
        asked_gross = -sum(r["gross_amount"] for r in reversals)
        asked_quantity = sum(r["quantity"] for r in reversals)
        ids = ", ".join(str(r["line_id"]) for r in reversals)
        if asked_gross > gross_left:
            raise Conflict(
                f"line {ids}: reversal of {asked_gross} exceeds the {gross_left} of "
                f"line {original_id} that is left to reverse",
                ErrorCode.REVERSAL,
            )
        if asked_quantity > quantity_left:
            raise Conflict(
                f"line {ids}: reversal of quantity {asked_quantity} exceeds the "
                f"{quantity_left} of line {original_id} that is left to reverse",
                ErrorCode.REVERSAL,
            )
        # A reversal takes back the discounts the line had, and no more: the order's
        # total_discount and total_manual_discount_amount stay what its lines still hold.
        for what, key, line_amount, manual in (
            ("discounts", "discount", original.discount_amount, False),
            ("manual discounts", "manual", original.manual_discount_amount, True),
        ):
            left = line_amount + done[key]
            asked = -sum(
                d["amount"]
                for r in reversals
                for d in r.get("discount_lines") or []
                if not manual or d.get("discount_type") == "manual"
            )
            if asked > left:
                raise Conflict(
                    f"line {ids}: reversal of {what} {asked} exceeds the {left} of line "
                    f"{original_id} that is left to reverse",
                    ErrorCode.REVERSAL,
                )


# What a line kept by a replace draft must repeat of it, as the draft's item names it.
_SAME_LINE = (
    ("id", "item_id"),
    ("description", "description"),
    ("quantity", "quantity"),
    ("gross_amount", "gross_amount"),
)
REPLACED = "replaced"


def _kept(item: dict, line: OrderLine) -> bool:
    return not line.is_reversal and all(item.get(key, "") == getattr(line, name) for key, name in _SAME_LINE)


def _signed_share(amount: int, part: int, whole: int) -> int:
    return int(Decimal(amount) * part / whole)


def _reversal_of(line: OrderLine, reversals: list[OrderLine], line_id: int) -> dict | None:
    """The reversal of what is left of `line` (after its earlier reversals), as a draft item;
    None when nothing is left. A line whose quantity is used up while an amount is left cannot
    be reversed again: a conflict (the ledger takes a reversal's quantity from the line's)."""
    gross_left = line.gross_amount + sum(r.gross_amount for r in reversals)
    if gross_left == 0:
        return None
    quantity_left = line.quantity - sum(r.quantity for r in reversals)
    if quantity_left < 1:
        raise Conflict(
            f"line {line.line_id}: {gross_left} is left to reverse but none of its quantity "
            f"{line.quantity}: a replace cannot reverse it",
            ErrorCode.REVERSAL,
        )
    tax_left = line.tax_amount + sum(r.tax_amount for r in reversals)
    taxes = list(line.tax_lines.all())
    amounts = [_signed_share(t.amount, gross_left, line.gross_amount) for t in taxes]
    if amounts:
        amounts[-1] += tax_left - sum(amounts)
    discount_left = line.discount_amount + sum(r.discount_amount for r in reversals)
    manual_left = line.manual_discount_amount + sum(r.manual_discount_amount for r in reversals)
    discounts: list[dict] = []
    if discount_left - manual_left:
        discounts.append({"amount": -(discount_left - manual_left)})
    if manual_left:
        discounts.append({"amount": -manual_left, "discount_type": "manual"})
    item = {
        "line_id": line_id,
        "id": line.item_id,
        "description": line.description,
        "description_alias": line.description_alias,
        "quantity": quantity_left,
        "gross_amount": -gross_left,
        "related_item": {"line_id": line.line_id, "type": REVERSED},
        "reversed_reason": REPLACED,
        "tax_lines": [
            {"amount": -amount, "percentage": percentage_number(t.percentage)}
            for t, amount in zip(taxes, amounts, strict=True)
        ],
        "metadata": {},
    }
    if discounts:
        item["discount_lines"] = discounts
    return item


def _replacement_items(draft: DraftOrder, order: Order) -> list[dict]:
    """A replace draft against its order, under the order's lock: the lines to create.

    The draft lists every line the order keeps. An item with the line_id of one of the order's
    lines keeps that line, and must repeat it (id, description, quantity, gross_amount): lines
    never change, so a changed one is a conflict (give the new line a new line_id). The other
    items are new lines. Every line of the order the draft leaves out is reversed for what is
    left of it (reason "replaced"). The draft keeps what it did: the kept lines, the new ones
    and the reversals, with their line ids.
    """
    _check_target(draft, order)
    existing = list(order.lines.prefetch_related("tax_lines"))
    by_line_id = {line.line_id: line for line in existing}
    reversals_of: dict[int, list[OrderLine]] = {}
    for line in existing:
        if line.related_line_id is not None:
            reversals_of.setdefault(line.related_line_id, []).append(line)
    items = [dict(item) for item in draft.items]
    marks = [bool(item.pop(PROVISIONAL, False)) for item in items]
    kept: list[dict] = []
    new: list[tuple[int, dict, bool]] = []
    errors = []
    for i, (item, mark) in enumerate(zip(items, marks, strict=True)):
        if item.get("related_item"):
            raise InvalidInput(
                [
                    FieldError(
                        f"order.items[{i}].related_item",
                        "a replace draft lists the lines the order keeps; the others are reversed for it",
                    )
                ]
            )
        found = None if mark else by_line_id.get(item["line_id"])
        if found is None:
            new.append((i, item, mark))
        elif _kept(item, found):
            kept.append(item)
        else:
            errors.append(
                FieldError(
                    f"order.items[{i}].line_id",
                    f"line {found.line_id} is on order {order.order_id} and lines never change: "
                    "repeat it as it is to keep it, or give the new line a new line_id",
                )
            )
    chosen = [item["line_id"] for _, item, mark in new if not mark]
    start = order.last_line_id + 1
    errors += [
        FieldError(
            f"order.items[{i}].line_id",
            f"line_id {item['line_id']} is taken on order {order.order_id}: new lines start at {start}",
        )
        for i, item, mark in new
        if not mark and item["line_id"] < start
    ]
    if errors:
        raise Conflict("; ".join(e.message for e in errors), ErrorCode.CONFLICT, errors)
    next_id = max([order.last_line_id, *chosen])
    provisional = [item for _, item, mark in new if mark]
    if any(item["line_id"] <= order.last_line_id for item in provisional):
        for item in provisional:
            next_id += 1
            item["line_id"] = next_id
    next_id = max([next_id, *(item["line_id"] for _, item, _ in new)])
    kept_ids = {item["line_id"] for item in kept}
    # A line the order took after the draft was last written is one its client never saw: it
    # is not for the draft to reverse unseen (two replace drafts of the same order would
    # otherwise each undo what the other added). The client lists it, or writes the draft again.
    unseen = [
        line.line_id
        for line in existing
        if not line.is_reversal and line.line_id not in kept_ids and line.created_at > draft.updated_at
    ]
    if unseen:
        ids = ", ".join(str(line_id) for line_id in unseen)
        raise Conflict(
            f"order {order.order_id} took line {ids} after this replace draft was last changed: "
            "list the line to keep it, or PUT the draft again to reverse it",
            ErrorCode.CONFLICT,
        )
    reversals = []
    for line in existing:
        if line.is_reversal or line.line_id in kept_ids:
            continue
        reversal = _reversal_of(line, reversals_of.get(line.pk, []), next_id + 1)
        if reversal is not None:
            next_id += 1
            reversals.append(reversal)
    if next_id > COUNT_LIMIT:
        raise Conflict(f"order {order.order_id} has no line id left after {COUNT_LIMIT}")
    created = [item for _, item, _ in new] + reversals
    draft.document = {**draft.document, "items": kept + created}
    return created


def _order_total_check(order: Order, created: list[dict]) -> None:
    """An order's lines, and their discounts, may not add up to more than one amount may be:
    thousands of lines at the largest amount would overflow the order's 64-bit totals."""
    total = order.gross_amount + sum(item["gross_amount"] for item in created)
    if abs(total) >= AMOUNT_LIMIT:
        raise InvalidInput(
            [FieldError("order.items", f"the order's lines add up to {total}, beyond {AMOUNT_LIMIT - 1}")]
        )
    discounts = order.total_discount + sum(
        d["amount"] for item in created for d in item.get("discount_lines") or []
    )
    if abs(discounts) >= AMOUNT_LIMIT:
        raise InvalidInput(
            [
                FieldError(
                    "order.items",
                    f"the order's discounts add up to {discounts}, beyond {AMOUNT_LIMIT - 1}",
                )
            ]
        )


def _line_dintero(item: dict) -> dict:
    kept = {name: item[name] for name in ITEM_DINTERO_FIELDS if name in item}
    if item.get("discount_lines"):
        kept["discount_lines"] = item["discount_lines"]
    return kept


def _lines_create(draft: DraftOrder, order: Order, items: list[dict]) -> list[OrderLine]:
    by_line_id = {line.line_id: line for line in order.lines.all()}
    lines = []
    for item in items:
        related = item.get("related_item")
        discounts = item.get("discount_lines") or []
        lines.append(
            OrderLine(
                order=order,
                line_id=item["line_id"],
                item_id=item.get("id", ""),
                description=item.get("description", ""),
                description_alias=item.get("description_alias", ""),
                quantity=item["quantity"],
                gross_amount=item["gross_amount"],
                tax_amount=sum(t["amount"] for t in item.get("tax_lines", [])),
                reversed_reason=item.get("reversed_reason", ""),
                related_line=by_line_id[related["line_id"]] if related else None,
                related_type=REVERSED if related else "",
                metadata=item.get("metadata") or {},
                dintero=_line_dintero(item),
                discount_amount=sum(d["amount"] for d in discounts),
                manual_discount_amount=sum(
                    d["amount"] for d in discounts if d.get("discount_type") == "manual"
                ),
                vat_warning=item.get("vat_warning", ""),
                draft=draft,
            )
        )
    OrderLine.objects.bulk_create(lines)
    TaxLine.objects.bulk_create(
        TaxLine(
            line=line,
            amount=t["amount"],
            percentage=Decimal(str(t["percentage"])),
            dintero={name: t[name] for name in TAX_LINE_DINTERO_FIELDS if name in t},
        )
        for line, item in zip(lines, items, strict=True)
        for t in item.get("tax_lines", [])
    )
    order.last_line_id = max([order.last_line_id, *(line.line_id for line in lines)])
    search_text_add(order, [value for line in lines for value in (line.item_id, line.description)])
    order.save(update_fields=["last_line_id", "search_text"])
    return lines


def _order_lines_add(
    draft: DraftOrder, order: Order, created: list[dict], actor: Actor, *, replacing: bool
) -> None:
    """The draft's new lines on the order, its totals and the event that tells of them."""
    _order_total_check(order, created)
    lines = _lines_create(draft, order, created)
    order_totals_refresh(order)
    added = sum(line.gross_amount for line in lines)
    if draft.target_order_id:
        kind = EventKind.ORDER_UPDATED
        summary = lines_added_summary(lines, order.currency)
    else:
        kind = EventKind.DRAFT_COMPLETED
        summary = order_created_summary(len(lines), added, order.currency)
    event_write(
        order=order,
        kind=kind,
        actor=actor,
        summary=summary,
        data={
            "draft_id": str(draft.pk),
            "line_ids": [line.line_id for line in lines],
            "gross_amount": added,
            **({"replace": True} if replacing else {}),
        },
    )


@transaction.atomic
def draft_complete(*, draft: DraftOrder, actor: Actor) -> Order:
    """Validate the draft against its order and create or update that order, all at once.

    A draft completes once: a second completion is a conflict, never a second order.
    """
    draft = DraftOrder.objects.select_for_update().get(pk=draft.pk)
    if not draft.is_open:
        completed = cast(Order, draft.completed_order)  # a completed draft names its order
        raise Conflict(
            f"draft {draft.pk} was already completed as order {completed.order_id}",
            ErrorCode.DRAFT_COMPLETED,
        )
    replacing = bool(draft.options.get("replace")) and bool(draft.target_order_id)
    if not draft.items and not replacing:
        raise InvalidInput(
            [
                FieldError(
                    "order.items",
                    "add at least one line before completing",
                    gettext("add at least one line before completing"),  # as staff read it
                )
            ]
        )
    created = None
    if draft.target_order_id:
        order = order_lock(draft.target_order_id)
        if replacing:
            created = _replacement_items(draft, order)
        else:
            _final_numbers(draft, order)
            _check_update(draft, order)
    else:
        reversal = next((i for i, item in enumerate(draft.items) if item.get("related_item")), None)
        if reversal is not None:
            raise InvalidInput(
                [
                    FieldError(
                        f"order.items[{reversal}].related_item",
                        "a reversal needs the order it reverses: set options.order_id",
                    )
                ]
            )
        order = _order_create(draft, actor)
        _final_numbers(draft, order)
    if created is None:
        created = draft.items
    # A replace draft that holds the order as it is adds no line: the order does not change,
    # so it has no event (as an order's details written unchanged); the draft is completed.
    if created:
        _order_lines_add(draft, order, created, actor, replacing=replacing)
    draft.status = DraftStatus.COMPLETED
    draft.completed_order = order
    draft.completed_at = timezone.now()
    # The draft keeps the line ids its lines were given.
    draft.save(update_fields=["status", "completed_order", "completed_at", "document"])
    draft_changed(draft, DraftChange.COMPLETED)
    return order
