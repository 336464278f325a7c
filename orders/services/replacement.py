"""Replacing items on an order as one guided action (spec §8).

Staff pick lines (and quantities) to reverse and describe the replacements. The service
builds the update draft the seeds describe — reversal lines, replacement lines and, when the
replacements cost less than what was captured, a refund line — and completes it through
`draft_complete`, which checks the reversal rules under the order's lock.

What to record next is derived from the ledger (`replacement_settlement`), in steps:

* **swap**: under the payment id that paid the reversed lines, authorize (and capture, if
  they were captured) the reversal lines, the replacement lines up to the reversed amount and
  the refund line; the provider's totals for that payment id do not change.
* **refund**: refund the refund line — the price difference goes back to the customer.
* **extra**: when the replacements cost more, authorize (and capture) the difference under a
  new payment id.

Every operation goes through `operation_record`, which enforces the ledger.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext

from backoffice.actor import Actor
from backoffice.errors import FieldError, InvalidInput
from orders.inputs import DraftDocument, DraftItem, DraftOptions, TaxLine
from orders.models import (
    DraftOrder,
    ItemAmount,
    OperationItem,
    OperationKind,
    Order,
    OrderLine,
    PaymentOperation,
)
from orders.money import vat_contained
from orders.selectors import reversed_by

from .drafts import draft_complete, draft_create
from .operations import operation_record

CAPTURED = "captured"
AUTHORIZED = "authorized"
UNPAID = "unpaid"
REFUND_PURPOSE = {"purpose": "refund"}


@dataclass(frozen=True)
class Reversal:
    line_id: int
    quantity: int


@dataclass(frozen=True)
class Replacement:
    sku: str
    description: str
    quantity: int
    gross_amount: int
    vat_rate: Decimal


@dataclass
class ReplacementQuote:
    """The draft a replacement will complete, and what it means in money."""

    reversed_amount: int
    new_amount: int
    refund_amount: int
    mode: str
    payment_id: str
    items: list[DraftItem]

    @property
    def difference(self) -> int:
        """Positive when the replacements cost more than what they replace."""
        return self.new_amount - self.reversed_amount


def _tax_lines(gross: int, rate: Decimal | int | float | str) -> list[TaxLine]:
    percentage = Decimal(str(rate))
    return [TaxLine(amount=vat_contained(gross, percentage), percentage=percentage)]


def _line_rate(line: OrderLine) -> Decimal:
    taxes = list(line.tax_lines.all())
    return taxes[0].percentage if taxes else Decimal(0)


def _left_to_reverse(line: OrderLine) -> tuple[int, int]:
    """(gross, quantity) of the line not yet reversed."""
    reversals = reversed_by(line)
    return (
        line.gross_amount + sum(r.gross_amount for r in reversals),
        line.quantity - sum(r.quantity for r in reversals),
    )


def reversible_lines(order: Order) -> list[tuple[OrderLine, int, int]]:
    """The lines that can still be reversed, with the gross and quantity left on each."""
    result = []
    for line in order.lines.all():
        if line.is_reversal or line.is_refund_line:
            continue
        gross, quantity = _left_to_reverse(line)
        if gross > 0 and quantity > 0:
            result.append((line, gross, quantity))
    return result


def _paying_payment_id(line: OrderLine, kind: OperationKind) -> str:
    item = (
        OperationItem.objects.filter(line=line, operation__success=True, operation__kind=kind)
        .select_related("operation")
        .order_by("-operation__created_at")
        .first()
    )
    return item.operation.payment_id if item else ""


def replacement_quote(
    *, order: Order, reversals: list[Reversal], replacements: list[Replacement], reason: str = ""
) -> ReplacementQuote:
    """Check the choices against the order and build the draft's items (nothing is written)."""
    lines = {line.line_id: line for line in order.lines.all()}
    errors = []
    if order.is_cancelled:
        errors.append(
            FieldError(
                "",
                gettext("order %(order_id)s is cancelled and cannot be updated")
                % {"order_id": order.order_id},
            )
        )
    chosen = [r for r in reversals if r.quantity]
    if not chosen:
        errors.append(
            FieldError("reversals", gettext("choose at least one line and the quantity to reverse"))
        )
    if not replacements:
        errors.append(FieldError("replacements", gettext("add at least one replacement line")))
    next_line_id = order.last_line_id
    reversal_items: list[DraftItem] = []
    reversed_amount = 0
    modes = set()
    payment_ids = []
    for choice in chosen:
        line = lines.get(choice.line_id)
        if line is None or line.is_reversal or line.is_refund_line:
            errors.append(
                FieldError(
                    f"reverse_{choice.line_id}",
                    gettext("line %(line)s cannot be reversed") % {"line": choice.line_id},
                )
            )
            continue
        gross_left, quantity_left = _left_to_reverse(line)
        if choice.quantity < 0 or choice.quantity > quantity_left:
            errors.append(
                FieldError(
                    f"reverse_{choice.line_id}",
                    gettext("line %(line)s has %(left)s left to reverse, not %(chosen)s")
                    % {"line": line.line_id, "left": quantity_left, "chosen": choice.quantity},
                )
            )
            continue
        # The whole rest of a line is reversed exactly; a part of it pro rata.
        if choice.quantity == quantity_left:
            amount = gross_left
        else:
            amount = min(gross_left, round(line.gross_amount * choice.quantity / line.quantity))
        reversed_amount += amount
        next_line_id += 1
        reversal_items.append(
            DraftItem(
                id=line.item_id,
                line_id=next_line_id,
                quantity=choice.quantity,
                gross_amount=-amount,
                tax_lines=_tax_lines(-amount, _line_rate(line)),
                description=line.description,
                description_alias=line.description_alias,
                reversed_reason=reason or "Replace item",
                reverses=line.line_id,
            )
        )
        held = line.refundable
        uncaptured = line.to_capture
        if line.captured_amount and held >= amount:
            modes.add(CAPTURED)
            payment_ids.append(_paying_payment_id(line, OperationKind.CAPTURE))
        elif not line.captured_amount and uncaptured >= amount:
            modes.add(AUTHORIZED)
            payment_ids.append(_paying_payment_id(line, OperationKind.AUTHORIZATION))
        else:
            modes.add(UNPAID)
    for i, new in enumerate(replacements):
        if new.gross_amount <= 0:
            errors.append(
                FieldError(f"replacements[{i}].gross_amount", gettext("a replacement must cost something"))
            )
        if new.quantity < 1:
            errors.append(FieldError(f"replacements[{i}].quantity", gettext("must be at least 1")))
    if errors:
        raise InvalidInput(errors)
    # One way of paying for the whole replacement; a mix is settled with the ordinary forms.
    mode = modes.pop() if len(modes) == 1 else UNPAID
    payment_id = payment_ids[0] if mode != UNPAID and len(set(payment_ids)) == 1 else ""
    if not payment_id:
        mode = UNPAID
    new_items = []
    for new in replacements:
        next_line_id += 1
        new_items.append(
            DraftItem(
                id=new.sku,
                line_id=next_line_id,
                quantity=new.quantity,
                gross_amount=new.gross_amount,
                tax_lines=_tax_lines(new.gross_amount, new.vat_rate),
                description=new.description,
            )
        )
    new_amount = sum(new.gross_amount for new in replacements)
    refund_amount = reversed_amount - new_amount if mode == CAPTURED and new_amount < reversed_amount else 0
    items = [*reversal_items, *new_items]
    if refund_amount:
        next_line_id += 1
        first = lines[chosen[0].line_id]
        items.append(
            DraftItem(
                line_id=next_line_id,
                quantity=1,
                gross_amount=refund_amount,
                tax_lines=_tax_lines(refund_amount, _line_rate(first)),
                description="Refund of the price difference",
                metadata=dict(REFUND_PURPOSE),
            )
        )
    return ReplacementQuote(
        reversed_amount=reversed_amount,
        new_amount=new_amount,
        refund_amount=refund_amount,
        mode=mode,
        payment_id=payment_id,
        items=items,
    )


def replacement_create(
    *,
    order: Order,
    reversals: list[Reversal],
    replacements: list[Replacement],
    reason: str,
    actor: Actor,
) -> DraftOrder:
    """Build the update draft and complete it, all or nothing."""
    quote = replacement_quote(order=order, reversals=reversals, replacements=replacements, reason=reason)
    document = DraftDocument(
        currency=order.currency,
        items=quote.items,
        metadata={"replacement": {"payment_id": quote.payment_id, "mode": quote.mode}},
    )
    with transaction.atomic():
        draft = draft_create(
            account=order.account,
            document=document,
            options=DraftOptions(order_id=order.order_id),
            actor=actor,
        )
        draft_complete(draft=draft, actor=actor)
    draft.refresh_from_db()
    return draft


@dataclass
class SettlementStep:
    key: str
    title: str
    permission: str
    operations: list[tuple[OperationKind, list[dict]]] = field(default_factory=list)
    done: bool = False
    ready: bool = True

    @property
    def amount(self) -> int:
        return sum(i["amount"] for i in self.operations[0][1]) if self.operations else 0


@dataclass
class Settlement:
    mode: str
    payment_id: str
    reversal_lines: list[OrderLine]
    new_lines: list[OrderLine]
    refund_line: OrderLine | None
    reversed_amount: int
    new_amount: int
    steps: list[SettlementStep]

    @property
    def difference(self) -> int:
        return self.new_amount - self.reversed_amount

    @property
    def extra_amount(self) -> int:
        return max(0, self.difference)

    def step(self, key: str) -> SettlementStep | None:
        return next((s for s in self.steps if s.key == key), None)

    @property
    def complete(self) -> bool:
        return all(s.done for s in self.steps)


def _items(pairs: list[tuple[OrderLine, int]]) -> list[dict]:
    return [{"line_id": line.line_id, "amount": amount} for line, amount in pairs if amount]


def replacement_settlement(*, order: Order, draft: DraftOrder) -> Settlement:
    """What is left to record for a completed replacement, from the order's ledger."""
    lines = [line for line in order.lines.all() if line.draft_id == draft.pk]
    info = (draft.document.get("metadata") or {}).get("replacement") or {}
    mode, payment_id = info.get("mode", UNPAID), info.get("payment_id", "")
    reversal_lines = [line for line in lines if line.is_reversal]
    refund_line = next((line for line in lines if line.is_refund_line), None)
    new_lines = [line for line in lines if not line.is_reversal and not line.is_refund_line]
    reversed_amount = -sum(line.gross_amount for line in reversal_lines)
    new_amount = sum(line.gross_amount for line in new_lines)

    # The replacement lines take the reversed amount, in order; anything above it is extra.
    covered, room = [], reversed_amount - (refund_line.gross_amount if refund_line else 0)
    for line in new_lines:
        take = min(line.gross_amount, max(room, 0))
        covered.append((line, take))
        room -= take
    extra = [(line, line.gross_amount - take) for line, take in covered]

    steps: list[SettlementStep] = []
    if mode in (CAPTURED, AUTHORIZED) and payment_id:
        positive = [*covered, *([(refund_line, refund_line.gross_amount)] if refund_line else [])]
        kinds = [OperationKind.AUTHORIZATION]
        if mode == CAPTURED:
            kinds.append(OperationKind.CAPTURE)
        operations = []
        for kind in kinds:
            operations.append((kind, _items([(line, line.gross_amount) for line in reversal_lines])))
            if _items(positive):
                operations.append((kind, _items(positive)))
        swap_done = all(
            line.authorized_amount and (mode != CAPTURED or line.captured_amount) for line in reversal_lines
        )
        steps.append(
            SettlementStep(
                key="swap",
                title=gettext("Swap the lines under %(payment_id)s") % {"payment_id": payment_id},
                permission="orders.record_operation",
                operations=operations,
                done=swap_done,
            )
        )
        if refund_line is not None:
            steps.append(
                SettlementStep(
                    key="refund",
                    title=gettext("Refund the price difference"),
                    permission="orders.record_refund",
                    operations=[(OperationKind.REFUND, _items([(refund_line, refund_line.gross_amount)]))],
                    done=refund_line.refunded_amount == refund_line.gross_amount,
                    ready=swap_done,
                )
            )
        if _items(extra):
            extra_done = all(line.authorized_amount >= line.gross_amount for line, amount in extra if amount)
            steps.append(
                SettlementStep(
                    key="extra",
                    title=gettext("Authorize the extra amount under a new payment id"),
                    permission="orders.record_operation",
                    operations=[(OperationKind.AUTHORIZATION, _items(extra))],
                    done=extra_done,
                    ready=swap_done,
                )
            )
    return Settlement(
        mode=mode,
        payment_id=payment_id,
        reversal_lines=reversal_lines,
        new_lines=new_lines,
        refund_line=refund_line,
        reversed_amount=reversed_amount,
        new_amount=new_amount,
        steps=steps,
    )


def replacement_settle(
    *,
    order: Order,
    draft: DraftOrder,
    step_key: str,
    actor: Actor,
    payment_id: str = "",
    capture: bool = True,
) -> list[PaymentOperation]:
    """Record one step of the settlement, all its operations or none of them."""
    settlement = replacement_settlement(order=order, draft=draft)
    step = settlement.step(step_key)
    if step is None or step.done or not step.ready:
        raise InvalidInput([FieldError("step", gettext("there is nothing to record for this step now"))])
    pid = settlement.payment_id
    operations = list(step.operations)
    if step_key == "extra":
        pid = (payment_id or "").strip()
        if not pid:
            raise InvalidInput(
                [FieldError("payment_id", gettext("give the payment id of the extra payment"))]
            )
        if pid == settlement.payment_id:
            raise InvalidInput(
                [
                    FieldError(
                        "payment_id",
                        gettext("the difference is a new payment: use another id than %(payment_id)s")
                        % {"payment_id": pid},
                    )
                ]
            )
        if capture:
            operations.append((OperationKind.CAPTURE, operations[0][1]))
    recorded = []
    with transaction.atomic():
        for kind, items in operations:
            recorded.append(
                operation_record(
                    order=order,
                    kind=kind,
                    items=[ItemAmount(item["line_id"], item["amount"]) for item in items],
                    payment_id=pid,
                    metadata={"replacement_draft": str(draft.pk)},
                    actor=actor,
                )
            )
    return recorded
