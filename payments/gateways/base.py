"""The gateway interface: what the payments app asks of a payment provider, and the shape of
what comes back.

A money call either returns the provider's transaction with the call's own event in it (a
confirmed success), raises `Declined` (the provider certainly did not do it), or raises
`OutcomeUnknown` (it may or may not have happened; the transaction's events tell later).
"""

from dataclasses import dataclass, field
from typing import Any, Protocol


class ProviderError(Exception):
    def __init__(self, message: str, *, status: int | None = None, body: Any = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.body = body


class Declined(ProviderError):
    """The provider answered and did not do it, or the request never left: safe to retry."""


class OutcomeUnknown(ProviderError):
    """The request may have reached the provider: timeout, reset, 5xx or an unreadable answer."""


class NotFoundAtProvider(Declined):
    """The provider has no such transaction or session."""


@dataclass(frozen=True)
class SessionLine:
    line_id: int
    item_id: str
    description: str
    quantity: int
    amount: int
    vat_amount: int
    vat: int | float


@dataclass(frozen=True)
class SessionRequest:
    merchant_reference: str
    currency: str
    lines: list[SessionLine]
    callback_url: str
    return_url: str
    # The merchant account the session is for (the sandbox keeps accounts apart by it).
    account: str = ""

    @property
    def amount(self) -> int:
        return sum(line.amount for line in self.lines)


@dataclass(frozen=True)
class CreatedSession:
    id: str
    url: str


@dataclass(frozen=True)
class TransactionEvent:
    """One event of a transaction at the provider: AUTHORIZE, CAPTURE, REFUND, VOID, ..."""

    event: str
    success: bool
    amount: int
    reference: str = ""
    items: dict[int, int] = field(default_factory=dict)


# Provider statuses meaning the customer's money is (or was) reserved.
AUTHORIZED_STATUSES = frozenset(
    {
        "AUTHORIZED",
        "PARTIALLY_CAPTURED",
        "CAPTURED",
        "PARTIALLY_CAPTURED_REFUNDED",
        "PARTIALLY_REFUNDED",
        "REFUNDED",
        "AUTHORIZATION_VOIDED",
        "PARTIALLY_CAPTURED_VOIDED",
    }
)


@dataclass(frozen=True)
class Transaction:
    id: str
    status: str
    amount: int
    currency: str
    merchant_reference: str = ""
    session_id: str = ""
    items: dict[int, int] = field(default_factory=dict)
    events: list[TransactionEvent] = field(default_factory=list)

    @property
    def is_authorized(self) -> bool:
        return self.status.upper() in AUTHORIZED_STATUSES

    def _sum(self, name: str) -> int:
        return sum(e.amount for e in self.events if e.event == name and e.success)

    @property
    def authorized(self) -> int:
        """Authorized, less what was voided: the provider's counterpart of the order's
        authorized minus cancelled."""
        if any(e.event == "AUTHORIZE" for e in self.events):
            authorized = self._sum("AUTHORIZE")
        else:
            authorized = self.amount if self.is_authorized else 0
        return authorized - self._sum("VOID")

    @property
    def captured(self) -> int:
        return self._sum("CAPTURE")

    @property
    def refunded(self) -> int:
        return self._sum("REFUND")

    def references_known(self, name: str) -> bool:
        """Whether the provider echoes our references on events of this kind."""
        return any(e.reference for e in self.events if e.event == name)

    def event_for(self, name: str, reference: str) -> TransactionEvent | None:
        """The event the provider wrote for our request with this reference, if any."""
        for event in reversed(self.events):
            if event.event == name and event.reference == reference:
                return event
        return None


class Gateway(Protocol):
    name: str

    def session_create(self, request: SessionRequest, *, reference: str) -> CreatedSession: ...

    def session_transaction_id(self, session_id: str) -> str | None:
        """The transaction that paid the session, if it was paid."""
        ...

    def session_cancel(self, session_id: str) -> None:
        """The session can no longer be paid; a transaction it authorized is voided."""
        ...

    def transaction_get(self, transaction_id: str) -> Transaction: ...

    def capture(self, transaction_id: str, *, items: dict[int, int], reference: str) -> Transaction: ...

    def refund(self, transaction_id: str, *, items: dict[int, int], reference: str) -> Transaction: ...

    def void(self, transaction_id: str, *, reference: str) -> Transaction: ...


def transaction_from_json(body: Any) -> Transaction:
    """Read a Dintero-shaped transaction; anything unreadable raises ValueError."""
    if not isinstance(body, dict):
        raise ValueError("the transaction is not a JSON object")
    tid, status, amount = body.get("id"), body.get("status"), body.get("amount")
    if not isinstance(tid, str) or not tid or not isinstance(status, str) or not isinstance(amount, int):
        raise ValueError("the transaction lacks id, status or amount")
    events = []
    for raw in body.get("events") or []:
        if not isinstance(raw, dict) or not isinstance(raw.get("event"), str):
            raise ValueError("a transaction event is malformed")
        events.append(
            TransactionEvent(
                event=raw["event"].upper(),
                success=bool(raw.get("success", False)),
                amount=int(raw.get("amount") or 0),
                reference=str(raw.get("capture_reference") or raw.get("refund_reference") or ""),
                items=_items(raw.get("items")),
            )
        )
    return Transaction(
        id=tid,
        status=status.upper(),
        amount=amount,
        currency=str(body.get("currency", "")),
        merchant_reference=str(body.get("merchant_reference", "")),
        session_id=str(body.get("session_id", "") or ""),
        items=_items(body.get("items")),
        events=events,
    )


def _items(raw: Any) -> dict[int, int]:
    out: dict[int, int] = {}
    for item in raw or []:
        if isinstance(item, dict) and "line_id" in item:
            try:
                out[int(item["line_id"])] = out.get(int(item["line_id"]), 0) + int(item.get("amount") or 0)
            except (TypeError, ValueError):
                continue
    return out


def items_body(items: dict[int, int]) -> list[dict]:
    """`{1: 39800}` -> `[{"line_id": "1", "amount": 39800}]`, as Checkout wants them."""
    return [{"line_id": str(line_id), "amount": amount} for line_id, amount in sorted(items.items())]
