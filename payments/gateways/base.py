"""The gateway interface: what the payments app asks of a payment provider, and the shape of
what comes back.

A money call either returns the provider's transaction with the call's own event in it (a
confirmed success), raises `Declined` (the provider certainly did not do it), or raises
`OutcomeUnknown` (it may or may not have happened; the transaction's events tell later).

The transaction and its events are read as Dintero's Checkout API has them (the `Transaction`
and `TransactionEvent` schemas of Dintero's published types, `src/generated/payments.d.ts` in
github.com/Dintero/Dintero.Node.SDK, and docs.dintero.com/docs/checkout/transaction-management).
"""

from dataclasses import dataclass, field
from typing import Any, Protocol, TypeGuard


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
    """One event of a transaction at the provider: AUTHORIZE, CAPTURE, REFUND, VOID, and the
    INITIATE_CAPTURE / INITIATE_REFUND / INITIATE_VOID of an operation accepted for later.

    `reference` is Dintero's `event_reference`: "for captures, this is `capture_reference`; for
    refunds, `refund_reference`" (TransactionEvent). `request_id` is the event's own id, and
    `correlation_request_id` names the INITIATE_ event (by its `request_id`, which the 202
    answer gave as `event-request-id`) that an event completes."""

    event: str
    success: bool
    amount: int
    reference: str = ""
    items: dict[int, int] = field(default_factory=dict)
    request_id: str = ""
    correlation_request_id: str = ""
    transaction_status: str = ""
    error: str = ""


# Provider statuses meaning the customer's money is (or was) reserved. Dintero's `Transaction.
# status` enum has all but PARTIALLY_CAPTURED_VOIDED, which is accepted should an answer carry
# it. Not among them: INITIATED, ON_HOLD (pending approval), DECLINED, FAILED, UNKNOWN.
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
# "A transaction with status ON_HOLD must be handled as a payment that is pending approval,
# where the transaction will later be updated with a final payment status AUTHORIZED or
# FAILED" (Session `url.return_url`, payments.d.ts).
ON_HOLD = "ON_HOLD"
# The statuses a payment that was not authorized ends in.
NOT_AUTHORIZED_STATUSES = frozenset({"DECLINED", "FAILED"})
VOIDED_STATUSES = frozenset({"AUTHORIZATION_VOIDED", "PARTIALLY_CAPTURED_VOIDED"})


@dataclass(frozen=True)
class Transaction:
    id: str
    status: str
    amount: int
    currency: str
    merchant_reference: str = ""
    session_id: str = ""
    # What the provider authorized per order line (`items[].line_id` that are our line numbers).
    items: dict[int, int] = field(default_factory=dict)
    # Items whose `line_id` is none of our line numbers, e.g. the shipping option chosen in
    # Checkout ("moved to the list of items in the transaction" — transaction-management).
    other_items: dict[str, int] = field(default_factory=dict)
    events: list[TransactionEvent] = field(default_factory=list)

    @property
    def is_authorized(self) -> bool:
        return self.status.upper() in AUTHORIZED_STATUSES

    @property
    def is_on_hold(self) -> bool:
        return self.status.upper() == ON_HOLD

    def _sum(self, name: str) -> int:
        return sum(e.amount for e in self.events if e.event == name and e.success)

    @property
    def authorized(self) -> int:
        """Authorized, less what was voided: the provider's counterpart of the order's
        authorized minus cancelled. Nothing while the payment is not authorized (on hold,
        declined), whatever its events say."""
        if not self.is_authorized:
            return 0
        if any(e.event == "AUTHORIZE" for e in self.events):
            authorized = self._sum("AUTHORIZE")
        else:
            authorized = self.amount
        return authorized - self._sum("VOID")

    @property
    def captured(self) -> int:
        return self._sum("CAPTURE")

    @property
    def refunded(self) -> int:
        return self._sum("REFUND")

    def references_known(self, name: str) -> bool:
        """Whether the provider echoes references on events of this kind."""
        return any(e.reference for e in self.events if e.event == name)

    def _initiated_ids(self, name: str, reference: str, request_id: str) -> set[str]:
        ids = {request_id} if request_id else set()
        for event in self.events:
            ours = (reference and event.reference == reference) or event.request_id == request_id
            if event.event == f"INITIATE_{name}" and event.request_id and ours:
                ids.add(event.request_id)
        return ids

    def event_for(self, name: str, reference: str, request_id: str = "") -> TransactionEvent | None:
        """The event the provider wrote for our request, if any: the one whose
        `event_reference` is our reference or, for an operation it accepted for later (202),
        the one completing it (`correlation_request_id` = the `event-request-id` it answered,
        or the `request_id` of the INITIATE_ event carrying our reference)."""
        if reference:
            for event in reversed(self.events):
                if event.event == name and event.reference == reference:
                    return event
        initiated = self._initiated_ids(name, reference, request_id)
        if initiated:
            for event in reversed(self.events):
                if event.event == name and event.correlation_request_id in initiated:
                    return event
        return None

    def initiated(self, name: str, reference: str, request_id: str = "") -> bool:
        """Whether the provider shows our request accepted and not finished yet (its
        INITIATE_ event, and no event completing it)."""
        ids = self._initiated_ids(name, reference, request_id)
        shown = any(e.event == f"INITIATE_{name}" and e.request_id in ids for e in self.events)
        return shown and self.event_for(name, reference, request_id) is None


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
    if not isinstance(tid, str) or not tid or not isinstance(status, str) or not _is_int(amount):
        raise ValueError("the transaction lacks id, status or amount")
    raw_events = body.get("events") or []
    if not isinstance(raw_events, list):
        raise ValueError("the transaction's events are not a list")
    events = [_event(raw) for raw in raw_events]
    items, other_items = _items(body.get("items"))
    return Transaction(
        id=tid,
        status=status.upper(),
        amount=amount,
        currency=str(body.get("currency", "")),
        merchant_reference=str(body.get("merchant_reference", "")),
        session_id=str(body.get("session_id", "") or ""),
        items=items,
        other_items=other_items,
        events=events,
    )


def _event(raw: Any) -> TransactionEvent:
    if not isinstance(raw, dict) or not isinstance(raw.get("event"), str):
        raise ValueError("a transaction event is malformed")
    amount = raw.get("amount") or 0
    if not _is_int(amount):
        raise ValueError("a transaction event's amount is not a whole number")
    error = raw.get("error")
    # `event_reference` is Dintero's; `capture_reference` / `refund_reference` on an event are
    # read too, for answers (and the sandbox) that carry the request's own field names.
    reference = raw.get("event_reference") or raw.get("capture_reference") or raw.get("refund_reference")
    return TransactionEvent(
        event=raw["event"].upper(),
        success=raw.get("success") is True,
        amount=amount,
        reference=str(reference or ""),
        items=_items(raw.get("items"))[0],
        request_id=str(raw.get("request_id") or ""),
        correlation_request_id=str(raw.get("correlation_request_id") or ""),
        transaction_status=str(raw.get("transaction_status") or "").upper(),
        error=str(error.get("message") or "") if isinstance(error, dict) else "",
    )


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _items(raw: Any) -> tuple[dict[int, int], dict[str, int]]:
    """Items by our line number, and the items whose `line_id` is not one of ours."""
    ours: dict[int, int] = {}
    others: dict[str, int] = {}
    if not isinstance(raw, list):
        return ours, others
    for item in raw:
        if not isinstance(item, dict) or item.get("line_id") in (None, ""):
            continue
        amount = item.get("amount") or 0
        if not _is_int(amount):
            continue
        line_id = str(item["line_id"])
        if line_id.isdigit() and not line_id.startswith("0"):
            ours[int(line_id)] = ours.get(int(line_id), 0) + amount
        else:
            others[line_id] = others.get(line_id, 0) + amount
    return ours, others


def items_body(items: dict[int, int]) -> list[dict]:
    """`{1: 39800}` -> `[{"line_id": "1", "amount": 39800}]`, as Checkout wants them."""
    return [{"line_id": str(line_id), "amount": amount} for line_id, amount in sorted(items.items())]
