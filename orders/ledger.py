"""The payment ledger's rules, in one place (spec §7): what remains to authorize, to capture
and to refund, how much of a kind a line can still take and the message when it cannot, and
the payment status derived from the totals.

The same four figures are kept per line and summed per order (`orders.models.LedgerFigures`,
whose properties delegate here), per payment id and line (`payments.planning`), and
counted with what is still under way (`orders.holds`). The database's check constraints on
lines and the finance queries say in a comment which rule here they mirror.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace

from django.db import models
from django.utils.translation import gettext_lazy


class OperationKind(models.TextChoices):
    AUTHORIZATION = "authorization"
    CAPTURE = "capture"
    REFUND = "refund"
    CANCELLATION = "cancellation"


class PaymentStatus(models.TextChoices):
    PENDING = "PENDING"
    PARTIALLY_AUTHORIZED = "PARTIALLY_AUTHORIZED"
    AUTHORIZED = "AUTHORIZED"
    PARTIALLY_CAPTURED = "PARTIALLY_CAPTURED"
    CAPTURED = "CAPTURED"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"
    REFUNDED = "REFUNDED"
    CANCELLED = "CANCELLED"


# Which running total each kind adds to.
TOTAL_OF = {
    OperationKind.AUTHORIZATION: "authorized",
    OperationKind.CAPTURE: "captured",
    OperationKind.REFUND: "refunded",
    OperationKind.CANCELLATION: "cancelled",
}


@dataclass(frozen=True)
class Figures:
    """A line's (or an order's, or a payment's on one line) gross and running totals, over
    successful operations. Amounts carry the line's sign: a reversal line's are negative."""

    gross: int = 0
    authorized: int = 0
    captured: int = 0
    refunded: int = 0
    cancelled: int = 0

    @property
    def sign(self) -> int:
        return -1 if self.gross < 0 else 1

    @property
    def to_authorize(self) -> int:
        return self.gross - self.authorized

    @property
    def to_capture(self) -> int:
        """What is authorized and neither captured nor cancelled: captures and cancellations
        share it."""
        return self.authorized - self.captured - self.cancelled

    @property
    def refundable(self) -> int:
        return self.captured - self.refunded

    def remaining(self, kind: OperationKind) -> int:
        """How much of `kind` can still be taken, in the line's own sign."""
        if kind == OperationKind.AUTHORIZATION:
            return self.to_authorize
        if kind in (OperationKind.CAPTURE, OperationKind.CANCELLATION):
            return self.to_capture
        return self.refundable

    def adding(self, kind: OperationKind, amount: int) -> "Figures":
        """These figures once `amount` of `kind` is recorded."""
        total = TOTAL_OF[kind]
        return replace(self, **{total: getattr(self, total) + amount})

    @property
    def net_paid(self) -> int:
        """What the customer has paid and kept paid: captured - refunded."""
        return self.captured - self.refunded

    @property
    def balance(self) -> int:
        """What the customer still owes (positive) or is owed back (negative): the gross less
        what was given up on it (cancelled, and refunded: a refund by item gives the items'
        money back) less what is paid. Equal to gross - cancelled - captured."""
        return self.gross - self.cancelled - self.refunded - self.net_paid

    def holding(self, kind: OperationKind, amount: int) -> "Figures":
        """These figures with `amount` that something under way may take from what `kind`
        draws on counted as taken."""
        if kind == OperationKind.CANCELLATION:
            kind = OperationKind.CAPTURE  # both draw on what is left to capture
        return self.adding(kind, amount)


def unit_amount(gross: int, quantity: int) -> int:
    """What one of a line's `quantity` units is worth: its gross divided by its quantity,
    rounded toward zero to the minor unit (in the line's sign)."""
    sign = -1 if gross < 0 else 1
    return sign * (abs(gross) // quantity) if quantity > 0 else 0


def units_available(gross: int, quantity: int, left: int) -> int:
    """How many whole units fit in `left`, what the line may still take of a kind (its
    `Figures.remaining`, less what is held): 0 .. quantity."""
    unit = abs(unit_amount(gross, quantity))
    return min(quantity, abs(left) // unit) if unit else 0


def units_amount(gross: int, quantity: int, left: int, units: int) -> int:
    """What `units` of the line's units take, pro rata: `units` times the unit's worth. The
    rounding remainder (gross - quantity * unit, less than one minor unit per unit) goes with
    the last unit: a selection of every unit still available takes what the line has left
    when that exceeds the units' worth by no more than the remainder. So units taken one by
    one, or all at once, add up to the line's gross exactly, and never exceed `left`."""
    available = units_available(gross, quantity, left)
    if not 0 <= units <= available:
        raise ValueError(f"{units} units: the line has {available} available")
    sign = -1 if gross < 0 else 1
    unit = abs(unit_amount(gross, quantity))
    amount = units * unit
    remainder = abs(gross) - quantity * unit
    if units and units == available and abs(left) - amount <= remainder:
        amount = abs(left)
    return sign * amount


_WHAT_REMAINS = {
    OperationKind.AUTHORIZATION: "the remaining to authorize",
    OperationKind.CAPTURE: "the remaining authorized",
    OperationKind.CANCELLATION: "the remaining uncaptured authorized",
    OperationKind.REFUND: "the refundable",
}


# What staff read: the same sentences, amounts as money, in the page's language.
_STAFF_EXCEEDS = {
    OperationKind.AUTHORIZATION: gettext_lazy(
        "line %(line)s: authorization %(amount)s exceeds the remaining to authorize %(left)s"
    ),
    OperationKind.CAPTURE: gettext_lazy(
        "line %(line)s: capture %(amount)s exceeds the remaining authorized %(left)s"
    ),
    OperationKind.CANCELLATION: gettext_lazy(
        "line %(line)s: cancellation %(amount)s exceeds the remaining uncaptured authorized %(left)s"
    ),
    OperationKind.REFUND: gettext_lazy("line %(line)s: refund %(amount)s exceeds the refundable %(left)s"),
}
_STAFF_PROVIDER_EXCEEDS = {
    OperationKind.REFUND: gettext_lazy(
        "line %(line)s: refund %(amount)s exceeds the refundable at the provider %(left)s"
    ),
    OperationKind.CAPTURE: gettext_lazy(
        "line %(line)s: capture %(amount)s exceeds the capturable at the provider %(left)s"
    ),
    OperationKind.CANCELLATION: gettext_lazy(
        "line %(line)s: cancellation %(amount)s exceeds the capturable at the provider %(left)s"
    ),
}


def exceeds_message(
    kind: OperationKind, line_id: int, amount: int, left: int, show: Callable[[int], str] = str
) -> str:
    """ "line 3: capture 5000 exceeds the remaining authorized 3000", the API's words; with
    `show` formatting the amounts as money, what staff read, in the page's language: "… capture
    50,00 kr exceeds … 30,00 kr"."""
    if show is str:
        return f"line {line_id}: {kind} {amount} exceeds {_WHAT_REMAINS[kind]} {left}"
    return _STAFF_EXCEEDS[kind] % {"line": line_id, "amount": show(amount), "left": show(left)}


def provider_exceeds_message(
    kind: OperationKind, line_id: int, amount: int, possible: int, show: Callable[[int], str] = str
) -> str:
    """What the provider can still be asked for, per payment id, counts what is recorded under
    it and what calls under way hold (`payments.planning`)."""
    if show is not str and kind in _STAFF_PROVIDER_EXCEEDS:
        return _STAFF_PROVIDER_EXCEEDS[kind] % {
            "line": line_id,
            "amount": show(amount),
            "left": show(possible),
        }
    what = "refundable" if kind == OperationKind.REFUND else "capturable"
    return f"line {line_id}: {kind} {show(amount)} exceeds the {what} at the provider {show(possible)}"


def limit_error(
    kind: OperationKind, line_id: int, amount: int, f: Figures, show: Callable[[int], str] = str
) -> str | None:
    """None if `amount` of `kind` fits on the line, else the message that says why not (with
    `show`, in the words staff read)."""
    left = f.remaining(kind)
    if f.sign * amount <= f.sign * left:
        return None
    return exceeds_message(kind, line_id, amount, left, show)


def payment_status(t: Figures, *, order_cancelled: bool = False) -> PaymentStatus:
    """The order's payment status from its net totals (spec §7)."""
    if t.refunded > 0:
        return PaymentStatus.REFUNDED if t.refunded >= t.captured else PaymentStatus.PARTIALLY_REFUNDED
    if t.captured > 0:
        if t.to_capture <= 0:
            return PaymentStatus.CAPTURED
        return PaymentStatus.PARTIALLY_CAPTURED
    if order_cancelled or (t.cancelled > 0 and t.cancelled >= t.authorized):
        return PaymentStatus.CANCELLED
    if t.authorized <= 0:
        return PaymentStatus.PENDING
    if t.to_authorize > 0:
        return PaymentStatus.PARTIALLY_AUTHORIZED
    return PaymentStatus.AUTHORIZED


# Dintero's vocabularies (https://docs.dintero.com/orders-api.html, changelog 2019-05-01: the
# filter values; the Order example in
# https://docs.dintero.com/api-reference/draft/complete-a-draft-order answers "open" and
# "pending"). The reference names the values but not the rule; ours, from the order's net
# totals, is in the README's API section.


class DinteroPaymentStatus(models.TextChoices):
    PENDING = "pending"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


def dintero_payment_status(t: Figures) -> DinteroPaymentStatus:
    """Dintero's `payment_status` from the net totals: paid is what is captured. R > 0: refunded
    when R ≥ C, else partially refunded; else C > 0: paid when C ≥ G - X (everything not cancelled
    is captured), else partially paid; else (nothing captured, authorized or not) pending."""
    if t.refunded > 0:
        if t.refunded >= t.captured:
            return DinteroPaymentStatus.REFUNDED
        return DinteroPaymentStatus.PARTIALLY_REFUNDED
    if t.captured > 0:
        if t.captured >= t.gross - t.cancelled:
            return DinteroPaymentStatus.PAID
        return DinteroPaymentStatus.PARTIALLY_PAID
    return DinteroPaymentStatus.PENDING


def dintero_payment_status_q(value: DinteroPaymentStatus) -> models.Q:
    """`dintero_payment_status` again as a condition on an order's total columns, for the
    list filter; tests hold the two to the same answers."""
    F, Q = models.F, models.Q
    refunded, not_refunded = Q(refunded_amount__gt=0), Q(refunded_amount__lte=0)
    captured = Q(captured_amount__gt=0)
    all_captured = Q(captured_amount__gte=F("gross_amount") - F("cancelled_amount"))
    return {
        DinteroPaymentStatus.REFUNDED: refunded & Q(refunded_amount__gte=F("captured_amount")),
        DinteroPaymentStatus.PARTIALLY_REFUNDED: refunded & Q(refunded_amount__lt=F("captured_amount")),
        DinteroPaymentStatus.PAID: not_refunded & captured & all_captured,
        DinteroPaymentStatus.PARTIALLY_PAID: not_refunded & captured & ~all_captured,
        DinteroPaymentStatus.PENDING: not_refunded & Q(captured_amount__lte=0),
    }[value]
