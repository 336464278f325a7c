"""Capture, refund and cancel at the payment provider, and record what it did on the order.

Every call is stored (pending) under the order's lock, with its amounts checked against what
the order and earlier calls still under way leave; it is marked `sending` and committed before
the request goes out, so no database transaction is open across the HTTP call. Only a
confirmed success is recorded on the order (through `operation_record`, with the provider's
transaction id as payment id), in one transaction with the call's settlement: a call is
recorded at most once. Timeouts, resets and 5xx leave the call `unknown`, holding its amounts
until `reconcile` reads the provider's transaction and settles it.
"""

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from backoffice.actor import Actor
from backoffice.errors import Conflict, DomainError, ErrorCode, FieldError, InvalidInput
from orders.holds import Hold
from orders.ledger import Figures, provider_exceeds_message
from orders.locks import order_lock
from orders.models import EventKind, Order, OrderLine
from orders.money import format_money
from orders.selectors import payment_figures
from orders.services.events import event_write
from orders.services.operations import operation_record
from payments.gateways import gateway_for
from payments.gateways.base import Declined, Gateway, OutcomeUnknown, Transaction
from payments.holds import OPERATION_KIND, payment_holds
from payments.models import CallKind, CallState, Provider, ProviderCall

from .ledger import provider_payment_ids

logger = logging.getLogger(__name__)

_VERB = {
    CallKind.SESSION: "Payment link",
    CallKind.CAPTURE: "Capture",
    CallKind.REFUND: "Refund",
    CallKind.VOID: "Cancellation",
    CallKind.EXPIRE: "Expiring payment link",
}


def call_summary(call: ProviderCall, order: Order, what: str) -> str:
    money = format_money(call.amount, order.currency) if call.amount else ""
    provider = Provider(call.provider).label
    return f"{_VERB[CallKind(call.kind)]} {money} at {provider}: {what}".replace("  ", " ")


def _event(order: Order, call: ProviderCall, actor: Actor, what: str) -> None:
    event_write(
        order=order,
        kind=EventKind.PROVIDER_CALL,
        actor=actor,
        summary=call_summary(call, order, what),
        data={
            "call_id": str(call.id),
            "provider": call.provider,
            "kind": call.kind,
            "state": call.state,
            "payment_id": call.payment_id,
            "amount": call.amount,
            "items": call.items,
            "error": call.error,
        },
    )


# Planning: which calls to make


def _clean_items(items: object) -> list[dict] | None:
    """`None`/missing means everything; else a list of {line_id, amount} with positive ints."""
    if items is None:
        return None
    if not isinstance(items, list):
        raise InvalidInput([FieldError("items", "must be a list of {line_id, amount}")])
    errors, out, seen = [], [], set()
    for i, raw in enumerate(items):
        line_id = raw.get("line_id") if isinstance(raw, dict) else None
        amount = raw.get("amount") if isinstance(raw, dict) else None
        if not isinstance(line_id, int) or isinstance(line_id, bool) or line_id < 1:
            errors.append(FieldError(f"items[{i}].line_id", "must be a positive integer"))
            continue
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            errors.append(
                FieldError(
                    f"items[{i}].amount", "must be a positive integer: the provider takes no negatives"
                )
            )
            continue
        if line_id in seen:
            errors.append(FieldError(f"items[{i}].line_id", f"line {line_id} appears twice"))
        seen.add(line_id)
        out.append({"line_id": line_id, "amount": amount})
    if errors:
        raise InvalidInput(errors)
    return out or None


@dataclass
class PlanBasis:
    """What planning a call reads: the order's lines, its per-payment ledger for the payment ids
    the provider can act on, and what calls still under way hold. Read once, it serves every
    kind."""

    lines: dict[int, OrderLine]
    ledger: dict[str, dict[int, Figures]]
    holds: list[Hold]

    def held(self, kind: CallKind) -> dict[tuple[str, int], int]:
        """Per (payment id, line id): what calls under way that collide with `kind` hold."""
        held: dict[tuple[str, int], int] = {}
        for hold in self.holds:
            if hold.payment_id and hold.collides_with(OPERATION_KIND[kind]):
                key = (hold.payment_id, hold.line_id)
                held[key] = held.get(key, 0) + hold.amount
        return held


def plan_basis(order: Order, provider: str) -> PlanBasis:
    usable = provider_payment_ids(order, provider)
    return PlanBasis(
        lines={line.line_id: line for line in order.lines.all()},
        ledger={pid: per_line for pid, per_line in payment_figures(order).items() if pid in usable},
        holds=payment_holds(order),
    )


def _plan(
    order: Order, kind: CallKind, items: list[dict] | None, provider: str, basis: PlanBasis | None = None
) -> dict[str, dict[int, int]]:
    """Per payment id, per line: the amounts to ask the provider for."""
    basis = basis or plan_basis(order, provider)
    lines = basis.lines
    if items:
        errors = [
            FieldError(f"items[{i}].line_id", f"order {order.order_id} has no line {item['line_id']}")
            for i, item in enumerate(items)
            if item["line_id"] not in lines
        ]
        errors += [
            FieldError(f"items[{i}].line_id", f"line {item['line_id']} is a reversal: record it instead")
            for i, item in enumerate(items)
            if item["line_id"] in lines and lines[item["line_id"]].gross_amount < 0
        ]
        if errors:
            raise InvalidInput(errors)
    ledger = basis.ledger
    held = basis.held(kind)

    def left(pid: str, line_id: int) -> int:
        figures = ledger[pid].get(line_id)
        if figures is None or lines[line_id].gross_amount < 0:
            return 0
        base = figures.refundable if kind == CallKind.REFUND else figures.to_capture
        return base - held.get((pid, line_id), 0)

    plan: dict[str, dict[int, int]] = {}
    if kind == CallKind.VOID:
        return _plan_void(order, items, ledger, held, lines)
    if items is None:
        for pid in ledger:
            for line_id in sorted(ledger[pid]):
                if line_id in lines and left(pid, line_id) > 0:
                    plan.setdefault(pid, {})[line_id] = left(pid, line_id)
    else:
        messages = []
        for item in items:
            wanted = item["amount"]
            for pid in ledger:
                take = min(wanted, max(left(pid, item["line_id"]), 0))
                if take > 0:
                    plan.setdefault(pid, {})[item["line_id"]] = take
                    wanted -= take
            if wanted:
                possible = item["amount"] - wanted
                messages.append(
                    provider_exceeds_message(OPERATION_KIND[kind], item["line_id"], item["amount"], possible)
                )
        if messages:
            raise Conflict("; ".join(messages), ErrorCode.LEDGER)
    if not plan:
        what = {CallKind.CAPTURE: "to capture", CallKind.REFUND: "to refund"}[kind]
        raise Conflict(f"order {order.order_id} has nothing {what} at the provider", ErrorCode.LEDGER)
    return plan


def _plan_void(order, items, ledger, held, lines) -> dict[str, dict[int, int]]:
    """The provider cancels a payment's whole remaining authorization, and only before any
    capture of it."""
    wanted_lines = {item["line_id"]: item["amount"] for item in items} if items else None
    plan: dict[str, dict[int, int]] = {}
    for pid, per_line in ledger.items():
        remaining = {
            line_id: f.to_capture
            for line_id, f in per_line.items()
            if f.to_capture > 0 and line_id in lines and lines[line_id].gross_amount > 0
        }
        if not remaining:
            continue
        if wanted_lines is not None and not set(remaining) & set(wanted_lines):
            continue
        if any(f.captured for f in per_line.values()):
            if wanted_lines is not None:
                raise Conflict(f"payment {pid} has captures: the provider cannot cancel it; refund instead")
            continue
        if any(amount for (held_pid, _line), amount in held.items() if held_pid == pid):
            raise Conflict(f"payment {pid} has a call still under way at the provider: settle it first")
        plan[pid] = remaining
    if wanted_lines is not None:
        asked = {line_id: sum(p.get(line_id, 0) for p in plan.values()) for line_id in wanted_lines}
        if asked != wanted_lines:
            raise InvalidInput(
                [
                    FieldError(
                        "items",
                        "the provider cancels a payment's whole remaining authorization: "
                        + ", ".join(f"line {lid}: {amt}" for lid, amt in sorted(asked.items())),
                    )
                ]
            )
    if not plan:
        raise Conflict(
            f"order {order.order_id} has no uncaptured authorization to cancel at the provider",
            ErrorCode.LEDGER,
        )
    return plan


def calls_create(
    *, order: Order, kind: CallKind, items: object, actor: Actor, provider: str
) -> list[ProviderCall]:
    """Store the calls (one per payment id) before anything is sent."""
    cleaned = _clean_items(items)
    with transaction.atomic():
        order = order_lock(order.pk)
        if order.is_cancelled and kind != CallKind.REFUND:
            raise Conflict(f"order {order.order_id} is cancelled", ErrorCode.ORDER_CANCELLED)
        plan = _plan(order, kind, cleaned, provider)
        calls = []
        for pid, per_line in plan.items():
            call_items = [{"line_id": lid, "amount": amt} for lid, amt in sorted(per_line.items())]
            call = ProviderCall.objects.create(
                order=order,
                provider=provider,
                kind=kind,
                payment_id=pid,
                items=call_items,
                amount=sum(per_line.values()),
                **actor.fields(),
            )
            call.request_body = {"items": call_items, "reference": str(call.id)}
            call.save(update_fields=["request_body"])
            _event(order, call, actor, "requested")
            calls.append(call)
        return calls


# Sending


def _mark_sending(call: ProviderCall) -> bool:
    """Claim the pending call for sending; False if someone else already did."""
    return bool(
        ProviderCall.objects.filter(pk=call.pk, state=CallState.PENDING).update(
            state=CallState.SENDING, sent_at=timezone.now()
        )
    )


def call_send(call: ProviderCall, *, actor: Actor, gateway: Gateway | None = None) -> ProviderCall:
    """Send one stored call and settle it with what the provider answered."""
    if not _mark_sending(call):
        call.refresh_from_db()
        return call
    gateway = gateway or gateway_for(call.provider)
    items = {item["line_id"]: item["amount"] for item in call.items}
    reference = str(call.id)
    try:
        if call.kind == CallKind.CAPTURE:
            txn = gateway.capture(call.payment_id, items=items, reference=reference)
        elif call.kind == CallKind.REFUND:
            txn = gateway.refund(call.payment_id, items=items, reference=reference)
        elif call.kind == CallKind.VOID:
            txn = gateway.void(call.payment_id, reference=reference)
        else:
            raise ValueError(f"call_send cannot send a {call.kind} call")
    except Declined as exc:
        return call_fail(call, actor=actor, error=exc.message, status=exc.status, body=exc.body)
    except OutcomeUnknown as exc:
        return call_unknown(call, actor=actor, error=exc.message, status=exc.status, body=exc.body)
    except Exception as exc:
        # Whatever broke, the request may have left: never call that a failure.
        logger.exception("provider call %s broke", call.pk)
        return call_unknown(call, actor=actor, error=f"{type(exc).__name__}: {exc}")
    return call_succeed(call, actor=actor, transaction_seen=txn, settled_by="response")


def _settle(call: ProviderCall, state: CallState, **fields) -> tuple[Order, ProviderCall] | None:
    order = order_lock(call.order_id)
    locked = ProviderCall.objects.select_for_update().get(pk=call.pk)
    if locked.state in (CallState.SUCCEEDED, CallState.FAILED):
        return None
    locked.state = state
    for name, value in fields.items():
        setattr(locked, name, value)
    if state != CallState.UNKNOWN:
        locked.settled_at = timezone.now()
    locked.save()
    return order, locked


def _trim(value: str) -> str:
    return value[:500]


def call_fail(
    call: ProviderCall,
    *,
    actor: Actor,
    error: str,
    status: int | None = None,
    body=None,
    settled_by="response",
) -> ProviderCall:
    with transaction.atomic():
        settled = _settle(
            call,
            CallState.FAILED,
            error=_trim(error),
            response_status=status,
            response_body=_jsonable(body),
            settled_by=settled_by,
        )
        if settled:
            order, call = settled
            _event(order, call, actor, f"failed — {error}")
    call.refresh_from_db()
    return call


def call_unknown(
    call: ProviderCall, *, actor: Actor, error: str, status: int | None = None, body=None
) -> ProviderCall:
    with transaction.atomic():
        settled = _settle(
            call, CallState.UNKNOWN, error=_trim(error), response_status=status, response_body=_jsonable(body)
        )
        if settled:
            order, call = settled
            _event(order, call, actor, f"outcome unknown — {error}; reconciliation will settle it")
    call.refresh_from_db()
    return call


def call_succeed(
    call: ProviderCall, *, actor: Actor, transaction_seen: Transaction | None = None, settled_by: str
) -> ProviderCall:
    """Record the confirmed success on the order, once."""
    with transaction.atomic():
        order = order_lock(call.order_id)
        locked = ProviderCall.objects.select_for_update().get(pk=call.pk)
        if locked.state == CallState.SUCCEEDED:
            return locked
        if locked.kind == CallKind.SESSION:
            raise ValueError("a session call is settled by its session")
        locked.state = CallState.SUCCEEDED
        locked.settled_at = timezone.now()
        locked.settled_by = settled_by
        locked.error = ""
        if transaction_seen is not None:
            locked.response_status = 200
            locked.response_body = {"id": transaction_seen.id, "status": transaction_seen.status}
        try:
            operation = operation_record(
                order=order,
                kind=OPERATION_KIND[CallKind(locked.kind)],
                payload={
                    "items": locked.items,
                    "payment_details": {
                        "payment_id": locked.payment_id,
                        "provider": locked.provider,
                        "provider_call": str(locked.id),
                    },
                    "success": True,
                    "processed_at": timezone.now().isoformat(),
                    "processed_by": locked.provider,
                    "metadata": {"provider_call": str(locked.id)},
                },
                actor=actor,
                settling=str(locked.id),
            )
            locked.operation = operation
            locked.save()
            _event(order, locked, actor, f"succeeded ({locked.payment_id})")
        except DomainError as exc:
            # The provider did it but the order cannot take it: keep the call, flag it.
            locked.problem = _trim(f"done at the provider but not recorded: {exc.message}")
            locked.save()
            logger.error("provider call %s succeeded but could not be recorded: %s", locked.pk, exc.message)
            _event(order, locked, actor, f"succeeded at the provider but NOT recorded — {exc.message}")
        return locked


def call_settle_unrecorded(call: ProviderCall, *, actor: Actor, settled_by: str) -> ProviderCall:
    """Settle a call that records nothing on the order (voiding what an expired payment link
    took at the provider) as succeeded."""
    with transaction.atomic():
        settled = _settle(call, CallState.SUCCEEDED, settled_by=settled_by, error="")
        if settled:
            order, call = settled
            _event(order, call, actor, "succeeded: what the expired link took was given back")
    call.refresh_from_db()
    return call


def _jsonable(body):
    if body is None or isinstance(body, dict | list | str | int | float | bool):
        return body
    return str(body)


# The whole action


def provider_action(
    *, order: Order, kind: CallKind, items: object, actor: Actor, provider: str | None = None
) -> list[ProviderCall]:
    """Capture, refund or cancel at the provider: store the calls, send them, settle them.

    Must not run inside a database transaction: the HTTP requests would hold it open.
    """
    from payments.gateways import provider_required

    if transaction.get_connection().in_atomic_block and not _allow_atomic:
        raise RuntimeError("provider calls must not be made inside a database transaction")
    provider = provider or provider_required()
    calls = calls_create(order=order, kind=kind, items=items, actor=actor, provider=provider)
    gateway = gateway_for(provider)
    return [call_send(call, actor=actor, gateway=gateway) for call in calls]


# pytest-django wraps each test in a transaction; tests that mean it set this.
_allow_atomic = False
