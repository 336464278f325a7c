"""Capture, refund and cancel at the payment provider, and record what it did on the order.

Every call is stored (pending) under the order's lock, with its amounts checked against what
the order and earlier calls still under way leave (`payments.planning`); it is marked
`sending` and committed before the request goes out, so no database transaction is open
across the HTTP call. Only a confirmed success is recorded on the order (through
`operation_record`, with the provider's transaction id as payment id), in one transaction with
the call's settlement: a call is recorded at most once. Timeouts, resets and 5xx leave the call
`unknown`, holding its amounts until `reconcile` reads the provider's transaction and settles
it.
"""

import logging
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from backoffice.actor import Actor
from backoffice.errors import Conflict, DomainError, ErrorCode
from orders.locks import order_lock
from orders.models import ItemAmount as OrderItemAmount
from orders.models import Order
from orders.services.operations import operation_record
from orders.services.status import order_closed_check
from payments.gateways import gateway_for, provider_required
from payments.gateways.base import Declined, Gateway, OutcomeUnknown, ProviderError, Transaction
from payments.holds import OPERATION_KIND
from payments.items import ItemAmount
from payments.locks import call_lock
from payments.models import CallKind, CallState, ProviderCall
from payments.planning import calls_plan

from .journal import call_event_write, jsonable, trimmed

logger = logging.getLogger(__name__)


def multiple_authorizations_check(order: Order, what: str) -> None:
    """Refuse `what` on an order that takes multiple authorizations: each of its operations names
    the authorization it moves (`authorization_id`), which a payment link or a call at the provider
    cannot say, so what the provider did could not be recorded. A 409, before anything is asked of
    the provider; such orders' operations are recorded through the Orders API."""
    if order.multiple_authorizations:
        raise Conflict(
            f"order {order.order_id} takes multiple authorizations: each operation names its "
            f"authorization_id, which {what} cannot; record its operations through the Orders API",
            ErrorCode.CONFLICT,
        )


def calls_create(
    *, order: Order, kind: CallKind, items: list[ItemAmount] | None, actor: Actor, provider: str
) -> list[ProviderCall]:
    """Store the calls (one per payment id) before anything is sent. `items` None (or empty):
    everything the provider can still take."""
    with transaction.atomic():
        order = order_lock(order.pk)
        if order.is_cancelled and kind != CallKind.REFUND:
            raise Conflict(f"order {order.order_id} is cancelled", ErrorCode.ORDER_CANCELLED)
        if kind == CallKind.CAPTURE:
            order_closed_check(order, "new capture")
        multiple_authorizations_check(order, f"a {kind} at the provider")
        plan = calls_plan(order, kind, items or None, provider)
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
            call_event_write(order, call, actor, "requested")
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
    order, locked = call_lock(call)
    if locked.state in (CallState.SUCCEEDED, CallState.FAILED):
        return None
    locked.state = state
    for name, value in fields.items():
        setattr(locked, name, value)
    if state != CallState.UNKNOWN:
        locked.settled_at = timezone.now()
    locked.save()
    return order, locked


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
            error=trimmed(error),
            response_status=status,
            response_body=jsonable(body),
            settled_by=settled_by,
        )
        if settled:
            order, call = settled
            call_event_write(order, call, actor, f"failed — {error}")
    call.refresh_from_db()
    return call


def call_unknown(
    call: ProviderCall, *, actor: Actor, error: str, status: int | None = None, body=None
) -> ProviderCall:
    with transaction.atomic():
        settled = _settle(
            call,
            CallState.UNKNOWN,
            error=trimmed(error),
            response_status=status,
            response_body=jsonable(body),
        )
        if settled:
            order, call = settled
            call_event_write(order, call, actor, f"outcome unknown — {error}; reconciliation will settle it")
    call.refresh_from_db()
    return call


def call_succeed(
    call: ProviderCall, *, actor: Actor, transaction_seen: Transaction | None = None, settled_by: str
) -> ProviderCall:
    """Record the confirmed success on the order, once."""
    with transaction.atomic():
        order, locked = call_lock(call)
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
                items=[OrderItemAmount(i["line_id"], i["amount"]) for i in locked.items],
                payment_id=locked.payment_id,
                payment_details={
                    "payment_id": locked.payment_id,
                    "provider": locked.provider,
                    "provider_call": str(locked.id),
                },
                processed_at=timezone.now(),
                processed_by=locked.provider,
                metadata={"provider_call": str(locked.id)},
                actor=actor,
                settling=str(locked.id),
            )
            locked.operation = operation
            locked.save()
            call_event_write(order, locked, actor, f"succeeded ({locked.payment_id})")
        except DomainError as exc:
            # The provider did it but the order cannot take it: keep the call, flag it.
            locked.problem = trimmed(f"done at the provider but not recorded: {exc.message}")
            locked.save()
            logger.error("provider call %s succeeded but could not be recorded: %s", locked.pk, exc.message)
            call_event_write(
                order, locked, actor, f"succeeded at the provider but NOT recorded — {exc.message}"
            )
        return locked


def call_settle_unrecorded(
    call: ProviderCall,
    *,
    actor: Actor,
    settled_by: str,
    what: str = "succeeded: what the expired link took was given back",
) -> ProviderCall:
    """Settle a call that records nothing on the order (expiring a payment link, voiding what an
    expired one took at the provider) as succeeded."""
    with transaction.atomic():
        settled = _settle(call, CallState.SUCCEEDED, settled_by=settled_by, error="")
        if settled:
            order, call = settled
            call_event_write(order, call, actor, what)
    call.refresh_from_db()
    return call


def call_send_unrecorded(call: ProviderCall, send: Callable[[], object], *, actor: Actor, what: str) -> bool:
    """Send a call that records nothing on the order and settle it with the provider's answer:
    unknown after a timeout, failed when refused, else succeeded with `what` in the timeline.
    True when the provider did it."""
    try:
        send()
    except OutcomeUnknown as exc:
        call_unknown(call, actor=actor, error=exc.message, status=exc.status, body=exc.body)
        return False
    except ProviderError as exc:
        call_fail(call, actor=actor, error=exc.message, status=exc.status, body=exc.body)
        return False
    call_settle_unrecorded(call, actor=actor, settled_by="response", what=what)
    return True


# The whole action


def provider_action(
    *,
    order: Order,
    kind: CallKind,
    items: list[ItemAmount] | None,
    actor: Actor,
    provider: str | None = None,
    gateway: Gateway | None = None,
) -> list[ProviderCall]:
    """Capture, refund or cancel at the provider: store the calls, send them, settle them.
    `items` None: everything the provider can still take; `gateway` None: the provider's own
    (`gateway_for`).

    Must not run inside a database transaction: the HTTP requests would hold it open, and the
    calls must be committed before they are sent.
    """
    _require_no_transaction()
    provider = provider or provider_required()
    calls = calls_create(order=order, kind=kind, items=items, actor=actor, provider=provider)
    gateway = gateway or gateway_for(provider)
    return [call_send(call, actor=actor, gateway=gateway) for call in calls]


def _require_no_transaction() -> None:
    """Refuse to run inside a transaction. A durable block is exactly the one that may not be
    nested; Django lets it run inside a test case's own transaction (pytest-django's `db`),
    which wraps the test, not the code under test."""
    try:
        with transaction.atomic(durable=True, savepoint=False):
            pass
    except RuntimeError as exc:
        raise RuntimeError("provider calls must not be made inside a database transaction") from exc
