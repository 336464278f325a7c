"""Payment sessions (payment links) and the authorizations they bring.

A session asks the customer to authorize some lines of an order. When the provider says it
is paid (a callback, the customer's return, or reconciliation), the transaction is read from
the provider — never taken from the caller's word — and its authorization is recorded on the
session's lines exactly once: under the order's lock, with the session row locked and a
unique constraint on the transaction id behind it.
"""

import logging
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from orders.actor import Actor
from orders.errors import Conflict, DomainError, ErrorCode, FieldError, InvalidInput, NotFound
from orders.locks import order_lock
from orders.models import Order, OrderLine
from orders.money import vat_contained
from orders.services.operations import operation_record
from payments.gateways import default_provider, gateway_for
from payments.gateways.base import (
    Declined,
    NotFoundAtProvider,
    OutcomeUnknown,
    ProviderError,
    SessionLine,
    SessionRequest,
    Transaction,
)
from payments.models import CallKind, CallState, PaymentSession, ProviderCall, SessionStatus

from .calls import _event, _jsonable, _trim

logger = logging.getLogger(__name__)


def _vat(line: OrderLine) -> tuple[Decimal, int]:
    taxes = list(line.tax_lines.all())
    rate = taxes[0].percentage if taxes else Decimal(0)
    return rate, sum(t.amount for t in taxes)


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _session_items(order: Order, items: list[dict] | None) -> list[dict]:
    lines = {line.line_id: line for line in order.lines.all()}
    if items is None:
        return [
            {"line_id": line.line_id, "amount": line.to_authorize}
            for line in lines.values()
            if line.gross_amount > 0 and line.to_authorize > 0
        ]
    errors = []
    for i, item in enumerate(items):
        line = lines.get(item["line_id"])
        if line is None:
            errors.append(
                FieldError(f"items[{i}].line_id", f"order {order.order_id} has no line {item['line_id']}")
            )
        elif line.gross_amount < 0:
            errors.append(
                FieldError(f"items[{i}].line_id", f"line {line.line_id} is a reversal: record it instead")
            )
        elif item["amount"] > line.to_authorize:
            raise Conflict(
                f"line {line.line_id}: authorization {item['amount']} exceeds the remaining to authorize "
                f"{line.to_authorize}",
                ErrorCode.LEDGER,
            )
    if errors:
        raise InvalidInput(errors)
    return items


def _session_request(session: PaymentSession, order: Order, base_url: str) -> SessionRequest:
    lines = {line.line_id: line for line in order.lines.prefetch_related("tax_lines")}
    session_lines = []
    for item in session.items:
        line = lines[item["line_id"]]
        rate, tax = _vat(line)
        amount = item["amount"]
        session_lines.append(
            SessionLine(
                line_id=line.line_id,
                item_id=line.item_id or str(line.line_id),
                description=line.description or line.description_alias or f"line {line.line_id}",
                quantity=line.quantity,
                amount=amount,
                vat_amount=tax if amount == line.gross_amount else vat_contained(amount, rate),
                vat=_number(rate),
            )
        )
    return SessionRequest(
        merchant_reference=order.order_id,
        currency=order.currency,
        lines=session_lines,
        callback_url=base_url + reverse("payments:callback", args=[session.id]),
        return_url=base_url + reverse("payments:return", args=[session.id]),
    )


def session_create(
    *, order: Order, items: object = None, actor: Actor, base_url: str, provider: str | None = None
) -> PaymentSession:
    """A payment link for the lines still to authorize (or the given part of them). An open
    link for exactly the same amounts is answered again rather than made twice."""
    from .calls import _clean_items

    cleaned = _clean_items(items)
    provider = provider or default_provider()
    base_url = base_url.rstrip("/")
    with transaction.atomic():
        order = order_lock(order.pk)
        if order.is_cancelled:
            raise Conflict(f"order {order.order_id} is cancelled", ErrorCode.ORDER_CANCELLED)
        wanted = _session_items(order, cleaned)
        if not wanted:
            raise Conflict(f"order {order.order_id} has nothing left to authorize", ErrorCode.LEDGER)
        for open_session in PaymentSession.objects.filter(
            order=order, provider=provider, status=SessionStatus.OPEN
        ):
            if open_session.items == wanted:
                return open_session
        session = PaymentSession.objects.create(
            order=order,
            provider=provider,
            items=wanted,
            amount=sum(i["amount"] for i in wanted),
            currency=order.currency,
            **actor.fields(),
        )
        call = ProviderCall.objects.create(
            order=order,
            provider=provider,
            kind=CallKind.SESSION,
            session=session,
            items=wanted,
            amount=session.amount,
            state=CallState.SENDING,
            sent_at=timezone.now(),
            **actor.fields(),
        )
        request = _session_request(session, order, base_url)
        call.request_body = {"merchant_reference": request.merchant_reference, "items": wanted}
        call.save(update_fields=["request_body"])
        _event(order, call, actor, "requested")
    try:
        created = gateway_for(provider, base_url).session_create(request, reference=str(session.id))
    except ProviderError as exc:
        state = CallState.UNKNOWN if isinstance(exc, OutcomeUnknown) else CallState.FAILED
        with transaction.atomic():
            order = order_lock(order.pk)
            session.status = SessionStatus.FAILED
            session.problem = _trim(exc.message)
            session.save(update_fields=["status", "problem"])
            ProviderCall.objects.filter(pk=call.pk).update(
                state=state,
                error=_trim(exc.message),
                response_status=exc.status,
                response_body=_jsonable(exc.body),
                settled_at=timezone.now() if state == CallState.FAILED else None,
            )
            call.refresh_from_db()
            _event(order, call, actor, f"{state} — {exc.message}")
        return session
    with transaction.atomic():
        order = order_lock(order.pk)
        session.status = SessionStatus.OPEN
        session.session_id = created.id
        session.url = created.url
        session.save(update_fields=["status", "session_id", "url"])
        ProviderCall.objects.filter(pk=call.pk).update(
            state=CallState.SUCCEEDED,
            settled_at=timezone.now(),
            settled_by="response",
            response_body={"id": created.id, "url": created.url},
        )
        call.refresh_from_db()
        _event(order, call, actor, f"link created — {created.url}")
    return session


def _check_belongs(session: PaymentSession, txn: Transaction) -> None:
    order = session.order
    problems = []
    if txn.merchant_reference and txn.merchant_reference != order.order_id:
        problems.append(f"merchant_reference {txn.merchant_reference!r} is not order {order.order_id}")
    if txn.session_id and session.session_id and txn.session_id != session.session_id:
        problems.append(f"it paid session {txn.session_id}, not {session.session_id}")
    if txn.currency and txn.currency != session.currency:
        problems.append(f"currency {txn.currency} is not {session.currency}")
    if txn.amount != session.amount:
        problems.append(f"amount {txn.amount} is not the session's {session.amount}")
    if problems:
        raise Conflict(f"transaction {txn.id} does not belong to this payment link: " + "; ".join(problems))


def session_authorize(
    *, session: PaymentSession, actor: Actor, transaction_id: str | None = None, base_url: str = ""
) -> PaymentSession:
    """Read the session's transaction at the provider and, if it is authorized, record the
    authorization on the session's lines — once, however often or concurrently this runs."""
    if session.authorization_id:
        return session
    gateway = gateway_for(session.provider, base_url)
    try:
        if not transaction_id:
            if not session.session_id:
                raise NotFound(f"payment link {session.id} was never created at the provider")
            transaction_id = gateway.session_transaction_id(session.session_id)
            if not transaction_id:
                raise NotFound(f"payment link {session.id} has not been paid")
        txn = gateway.transaction_get(transaction_id)
    except NotFoundAtProvider as exc:
        raise NotFound(f"the provider has no transaction {transaction_id}: {exc.message}") from exc
    except (Declined, OutcomeUnknown) as exc:
        raise ProviderUnavailable(f"the provider could not be read: {exc.message}") from exc
    _check_belongs(session, txn)
    if not txn.is_authorized:
        if txn.status in ("DECLINED", "FAILED") and session.status == SessionStatus.OPEN:
            with transaction.atomic():
                order_lock(session.order_id)
                PaymentSession.objects.filter(pk=session.pk, status=SessionStatus.OPEN).update(
                    status=SessionStatus.DECLINED, problem=f"the provider reports {txn.status.lower()}"
                )
        session.refresh_from_db()
        return session
    return _record_authorization(session, txn, actor)


class ProviderUnavailable(DomainError):
    def __init__(self, message: str):
        super().__init__(message, ErrorCode.CONFLICT)


def _record_authorization(session: PaymentSession, txn: Transaction, actor: Actor) -> PaymentSession:
    try:
        with transaction.atomic():
            order = order_lock(session.order_id)
            locked = PaymentSession.objects.select_for_update().get(pk=session.pk)
            if locked.authorization_id or locked.status == SessionStatus.UNRECORDED:
                return locked
            locked.transaction_id = txn.id
            locked.authorized_at = timezone.now()
            try:
                operation = operation_record(
                    order=order,
                    kind="authorization",
                    payload={
                        "items": locked.items,
                        "payment_details": {"payment_id": txn.id, "provider": locked.provider},
                        "success": True,
                        "processed_by": locked.provider,
                        "metadata": {"payment_session": str(locked.id)},
                    },
                    actor=actor,
                )
            except DomainError as exc:
                locked.status = SessionStatus.UNRECORDED
                locked.problem = _trim(f"authorized at the provider but not recorded: {exc.message}")
                locked.save()
                logger.error("payment link %s: %s", locked.pk, locked.problem)
                return locked
            locked.authorization = operation
            locked.status = SessionStatus.AUTHORIZED
            locked.problem = ""
            locked.save()
            return locked
    except IntegrityError as exc:
        # Another session already took this transaction id: the constraint said no.
        raise Conflict(f"transaction {txn.id} is already recorded for another payment link") from exc
