"""Pure rules of the payment ledger: the derived payment status and the per-line limits."""

from dataclasses import dataclass

from .models import OperationKind, PaymentStatus


@dataclass(frozen=True)
class Totals:
    gross: int
    authorized: int
    captured: int
    refunded: int
    cancelled: int


def payment_status(t: Totals, *, order_cancelled: bool = False) -> PaymentStatus:
    """The order's payment status from its net totals (spec §7)."""
    if t.refunded > 0:
        return PaymentStatus.REFUNDED if t.refunded >= t.captured else PaymentStatus.PARTIALLY_REFUNDED
    if t.captured > 0:
        if t.captured >= t.authorized - t.cancelled:
            return PaymentStatus.CAPTURED
        return PaymentStatus.PARTIALLY_CAPTURED
    if order_cancelled or (t.cancelled > 0 and t.cancelled >= t.authorized):
        return PaymentStatus.CANCELLED
    if t.authorized <= 0:
        return PaymentStatus.PENDING
    if t.authorized < t.gross:
        return PaymentStatus.PARTIALLY_AUTHORIZED
    return PaymentStatus.AUTHORIZED


@dataclass(frozen=True)
class LineFigures:
    gross: int
    authorized: int
    captured: int
    refunded: int
    cancelled: int

    @property
    def sign(self) -> int:
        return -1 if self.gross < 0 else 1


def remaining(kind: OperationKind, f: LineFigures) -> int:
    """How much of `kind` the line can still take, in the line's own sign."""
    if kind == OperationKind.AUTHORIZATION:
        return f.gross - f.authorized
    if kind in (OperationKind.CAPTURE, OperationKind.CANCELLATION):
        return f.authorized - f.captured - f.cancelled
    return f.captured - f.refunded


_WHAT_REMAINS = {
    OperationKind.AUTHORIZATION: "the remaining to authorize",
    OperationKind.CAPTURE: "the remaining authorized",
    OperationKind.CANCELLATION: "the remaining uncaptured authorized",
    OperationKind.REFUND: "the refundable",
}


def limit_error(kind: OperationKind, line_id: int, amount: int, f: LineFigures) -> str | None:
    """None if `amount` of `kind` fits on the line, else the message that says why not."""
    left = remaining(kind, f)
    if f.sign * amount <= f.sign * left:
        return None
    return f"line {line_id}: {kind} {amount} exceeds {_WHAT_REMAINS[kind]} {left}"
