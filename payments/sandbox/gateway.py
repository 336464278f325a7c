"""The sandbox provider: a stand-in for Dintero Checkout kept in this app's database, with the
same rules (capture at most what is authorized, refund at most what is captured, void only
before any capture). Its session URL opens a payment page in this app where one click
authorizes. `SandboxFault` rows make the next capture, refund or void decline or time out.
"""

import secrets

from django.db import transaction as db_transaction
from django.urls import reverse
from django.utils import timezone

from payments.gateways.base import (
    CreatedSession,
    Declined,
    NotFoundAtProvider,
    OutcomeUnknown,
    SessionRequest,
    Transaction,
    items_body,
    transaction_from_json,
)
from payments.gateways.dintero import session_body

from .models import SandboxFault, SandboxFaultOutcome, SandboxSession, SandboxTransaction


def _new_id(prefix: str) -> str:
    return f"{prefix}.{secrets.token_urlsafe(16)}"


def transaction_json(txn: SandboxTransaction) -> dict:
    """The sandbox transaction as Dintero shows one."""
    return {
        "id": txn.id,
        "session_id": txn.session_id,
        "merchant_reference": txn.merchant_reference,
        "amount": txn.amount,
        "currency": txn.currency,
        "status": txn.status,
        "items": txn.items,
        "events": txn.events,
        "created_at": txn.created_at.isoformat(),
    }


class SandboxGateway:
    name = "sandbox"

    def __init__(self, base_url: str = ""):
        self.base_url = base_url.rstrip("/")

    # Sessions

    def session_create(self, request: SessionRequest, *, reference: str) -> CreatedSession:
        session = SandboxSession.objects.create(
            id=_new_id("SBXS"),
            account=request.account,
            body=session_body(request, "sandbox"),
            callback_url=request.callback_url,
            return_url=request.return_url,
        )
        return CreatedSession(
            id=session.id, url=self.base_url + reverse("payments:sandbox-page", args=[session.id])
        )

    def session_transaction_id(self, session_id: str) -> str | None:
        session = SandboxSession.objects.filter(pk=session_id).first()
        if session is None:
            raise NotFoundAtProvider(f"the sandbox has no session {session_id}", status=404)
        txn = SandboxTransaction.objects.filter(session=session).first()
        return txn.id if txn else None

    def session_cancel(self, session_id: str) -> None:
        """As Dintero: the session can no longer be paid, and a transaction it authorized (with
        nothing captured) is voided."""
        with db_transaction.atomic():
            session = SandboxSession.objects.select_for_update().filter(pk=session_id).first()
            if session is None:
                raise NotFoundAtProvider(f"the sandbox has no session {session_id}", status=404)
            if session.cancelled_at is None:
                session.cancelled_at = timezone.now()
                session.save(update_fields=["cancelled_at"])
            txn = SandboxTransaction.objects.select_for_update().filter(session=session).first()
            if txn is not None and txn.status == "AUTHORIZED":
                _apply(txn, "VOID", {}, f"cancel {session_id}")
                txn.save(update_fields=["status", "events"])

    def session_pay(self, session_id: str, *, decline: bool = False) -> SandboxTransaction:
        """The customer's click on the sandbox page: authorize (or decline) the whole session.
        Paying a session twice answers its one transaction; a cancelled one takes no payment."""
        with db_transaction.atomic():
            session = SandboxSession.objects.select_for_update().get(pk=session_id)
            existing = SandboxTransaction.objects.filter(session=session).first()
            if existing is not None:
                return existing
            if session.cancelled_at is not None:
                raise Declined("this payment link has expired: it can no longer be paid", status=400)
            order = session.body["order"]
            now = timezone.now().isoformat()
            status = "DECLINED" if decline else "AUTHORIZED"
            return SandboxTransaction.objects.create(
                id=_new_id("SBX"),
                session=session,
                merchant_reference=order["merchant_reference"],
                amount=order["amount"],
                currency=order["currency"],
                status=status,
                items=[{"line_id": i["line_id"], "amount": i["amount"]} for i in order["items"]],
                events=[
                    {"event": "INITIALIZE", "success": True, "amount": order["amount"], "created_at": now},
                    {
                        "event": "AUTHORIZE",
                        "success": not decline,
                        "amount": order["amount"],
                        "transaction_status": status,
                        "created_at": now,
                    },
                ],
            )

    # Transactions

    def transaction_get(self, transaction_id: str) -> Transaction:
        txn = SandboxTransaction.objects.filter(pk=transaction_id).first()
        if txn is None:
            raise NotFoundAtProvider(f"the sandbox has no transaction {transaction_id}", status=404)
        return transaction_from_json(transaction_json(txn))

    def capture(self, transaction_id: str, *, items: dict[int, int], reference: str) -> Transaction:
        return self._money_call("CAPTURE", transaction_id, items, reference)

    def refund(self, transaction_id: str, *, items: dict[int, int], reference: str) -> Transaction:
        return self._money_call("REFUND", transaction_id, items, reference)

    def void(self, transaction_id: str, *, reference: str) -> Transaction:
        return self._money_call("VOID", transaction_id, {}, reference)

    def _money_call(
        self, name: str, transaction_id: str, items: dict[int, int], reference: str
    ) -> Transaction:
        fault = _fault_take(name.lower(), _account_of(transaction_id))
        if fault == SandboxFaultOutcome.DECLINE:
            raise Declined(f"the sandbox declined the {name.lower()} (as it was told to)", status=400)
        if fault == SandboxFaultOutcome.TIMEOUT_UNDONE:
            raise OutcomeUnknown(f"the sandbox timed out before the {name.lower()} (as it was told to)")
        with db_transaction.atomic():
            txn = SandboxTransaction.objects.select_for_update().filter(pk=transaction_id).first()
            if txn is None:
                raise NotFoundAtProvider(f"the sandbox has no transaction {transaction_id}", status=404)
            if not any(e.get("reference") == reference for e in txn.events if reference):
                _apply(txn, name, items, reference)
                txn.save(update_fields=["status", "events"])
        if fault == SandboxFaultOutcome.TIMEOUT:
            raise OutcomeUnknown(f"the sandbox timed out after the {name.lower()} (as it was told to)")
        return self.transaction_get(transaction_id)


def _account_of(transaction_id: str) -> str:
    return (
        SandboxTransaction.objects.filter(pk=transaction_id)
        .values_list("session__account", flat=True)
        .first()
        or ""
    )


def _fault_take(kind: str, account: str) -> str | None:
    """The next fault set for this kind of call on this account's payments: one account's
    faults never reach another's."""
    if not account:
        return None
    with db_transaction.atomic():
        fault = (
            SandboxFault.objects.select_for_update()
            .filter(kind=kind, account=account)
            .order_by("created_at", "id")
            .first()
        )
        if fault is None:
            return None
        outcome = fault.outcome
        fault.delete()
        return outcome


def _figures(txn: SandboxTransaction) -> dict[str, dict[int, int]]:
    figures: dict[str, dict[int, int]] = {"CAPTURE": {}, "REFUND": {}}
    for event in txn.events:
        if event.get("success") and event["event"] in figures:
            for item in event.get("items", []):
                line = int(item["line_id"])
                figures[event["event"]][line] = figures[event["event"]].get(line, 0) + item["amount"]
    return figures


def _apply(txn: SandboxTransaction, name: str, items: dict[int, int], reference: str) -> None:
    """Dintero's rules, refusing like Dintero does with a 400."""
    authorized = {int(i["line_id"]): i["amount"] for i in txn.items}
    figures = _figures(txn)
    captured, refunded = figures["CAPTURE"], figures["REFUND"]
    total_captured, total_refunded = sum(captured.values()), sum(refunded.values())
    voided = txn.status == "AUTHORIZATION_VOIDED"
    if txn.status == "DECLINED" or (voided and name != "REFUND"):
        raise Declined(f"the sandbox transaction is {txn.status.lower()}: no {name.lower()}", status=400)
    now = timezone.now().isoformat()
    if name == "VOID":
        if total_captured:
            raise Declined("the sandbox cannot void a transaction with captures: refund instead", status=400)
        txn.status = "AUTHORIZATION_VOIDED"
        txn.events = [
            *txn.events,
            {"event": "VOID", "success": True, "amount": txn.amount, "created_at": now},
        ]
        return
    for line_id, amount in items.items():
        if amount <= 0:
            raise Declined(f"line {line_id}: the sandbox takes only positive amounts", status=400)
        if name == "CAPTURE":
            left = authorized.get(line_id, 0) - captured.get(line_id, 0)
        else:
            left = captured.get(line_id, 0) - refunded.get(line_id, 0)
        if amount > left:
            what = "authorized" if name == "CAPTURE" else "captured"
            raise Declined(f"line {line_id}: {name.lower()} {amount} exceeds the {what} {left}", status=400)
    amount = sum(items.values())
    key = "capture_reference" if name == "CAPTURE" else "refund_reference"
    if name == "CAPTURE":
        total_captured += amount
        txn.status = "CAPTURED" if total_captured >= txn.amount else "PARTIALLY_CAPTURED"
    else:
        total_refunded += amount
        full = total_refunded >= total_captured
        if total_captured >= txn.amount:
            txn.status = "REFUNDED" if full else "PARTIALLY_REFUNDED"
        else:
            txn.status = "PARTIALLY_CAPTURED_REFUNDED"
    txn.events = [
        *txn.events,
        {
            "event": name,
            "success": True,
            "amount": amount,
            key: reference,
            "reference": reference,
            "items": items_body(items),
            "transaction_status": txn.status,
            "created_at": now,
        },
    ]
