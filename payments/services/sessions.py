"""Payment sessions (payment links) and the authorizations they bring.

A session asks the customer to authorize some lines of an order. When the provider says it
is paid (a callback, the customer's return, or reconciliation), the transaction is read from
the provider — never taken from the caller's word — and its authorization is recorded on the
session's lines exactly once: under the order's lock, with the session row locked and a
unique constraint on the transaction id behind it.
"""

import logging
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from backoffice.actor import Actor
from backoffice.errors import Conflict, DomainError, ErrorCode, FieldError, InvalidInput, NotFound
from orders.holds import holds_described
from orders.ledger import limit_error
from orders.locks import order_lock
from orders.models import EventKind, OperationKind, Order, OrderLine
from orders.models import ItemAmount as OrderItemAmount
from orders.money import format_money, vat_contained
from orders.services.events import event_write
from orders.services.operations import operation_record
from orders.services.status import order_closed_check
from payments.gateways import gateway_for, provider_required
from payments.gateways.base import (
    NOT_AUTHORIZED_STATUSES,
    Declined,
    NotFoundAtProvider,
    OutcomeUnknown,
    ProviderError,
    SessionLine,
    SessionRequest,
    Transaction,
)
from payments.holds import session_holds
from payments.items import ItemAmount
from payments.locks import session_lock
from payments.models import (
    PAYABLE,
    CallKind,
    CallState,
    PaymentSession,
    Provider,
    ProviderCall,
    SessionStatus,
)

from .calls import call_send_unrecorded, multiple_authorizations_check
from .journal import call_event_write, jsonable, trimmed

logger = logging.getLogger(__name__)


def _vat(line: OrderLine) -> tuple[Decimal, int]:
    taxes = list(line.tax_lines.all())
    rate = taxes[0].percentage if taxes else Decimal(0)
    return rate, sum(t.amount for t in taxes)


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def public_url() -> str:
    """This app's address as customers and the provider reach it: links, callbacks and return
    pages are built from the setting, never from a request's Host header."""
    return settings.PUBLIC_URL.rstrip("/")


def _session_items(
    order: Order, items: list[dict] | None, payable: list[PaymentSession]
) -> tuple[list[dict], PaymentSession | None]:
    """What a new link asks for, or the payable link that already asks for exactly that.

    Links the customer can still pay hold what they ask for (spec: at most one payable link
    covers any amount), so a new one asks only for what is left to authorize beyond them."""
    lines = {line.line_id: line for line in order.lines.all()}
    if items is None:
        wanted = [
            {"line_id": line.line_id, "amount": line.to_authorize}
            for line in lines.values()
            if line.gross_amount > 0 and line.to_authorize > 0
        ]
    else:
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
        if errors:
            raise InvalidInput(errors)
        wanted = sorted(items, key=lambda i: i["line_id"])
    for session in payable:
        if sorted(session.items, key=lambda i: i["line_id"]) == wanted:
            return wanted, session
    holds = [hold for session in payable for hold in session_holds(session)]
    held: dict[int, int] = {}
    for hold in holds:
        held[hold.line_id] = held.get(hold.line_id, 0) + hold.amount
    if items is None:
        rest = [
            {"line_id": i["line_id"], "amount": i["amount"] - held.get(i["line_id"], 0)}
            for i in wanted
            if i["amount"] > held.get(i["line_id"], 0)
        ]
        if wanted and not rest:
            raise Conflict(
                f"order {order.order_id}: everything left to authorize is on payment links the customer "
                f"can still pay ({holds_described(holds, OperationKind.AUTHORIZATION)})",
                ErrorCode.LEDGER,
            )
        return rest, None
    messages = []
    for item in wanted:
        line = lines[item["line_id"]]
        figures = line.figures.holding(OperationKind.AUTHORIZATION, held.get(line.line_id, 0))
        message = limit_error(OperationKind.AUTHORIZATION, line.line_id, item["amount"], figures)
        if message:
            if held.get(line.line_id):
                message += f" ({holds_described(holds, OperationKind.AUTHORIZATION, line.line_id)})"
            messages.append(message)
    if messages:
        raise Conflict("; ".join(messages), ErrorCode.LEDGER)
    return wanted, None


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
        account=order.account.aid,
    )


def session_create(
    *, order: Order, items: list[ItemAmount] | None = None, actor: Actor, provider: str | None = None
) -> PaymentSession:
    """A payment link for the lines still to authorize (or the given part of them).

    Its amounts are held from the moment it is stored (`creating`, before the provider is
    asked), so concurrent requests cannot make two links for the same money: a request for
    exactly what a payable link asks answers that link (a 409 while it is still being made),
    and one that would overlap it is a 409 naming it. `items` None (or empty): all that is
    left to authorize."""
    cleaned = [item.as_json() for item in items] if items else None
    provider = provider or provider_required()
    base_url = public_url()
    with transaction.atomic():
        order = order_lock(order.pk)
        if order.is_cancelled:
            raise Conflict(f"order {order.order_id} is cancelled", ErrorCode.ORDER_CANCELLED)
        order_closed_check(order, "new payment link")
        multiple_authorizations_check(order, "a payment link")
        payable = list(PaymentSession.objects.filter(order=order, status__in=PAYABLE))
        wanted, same = _session_items(order, cleaned, payable)
        if same is not None:
            if same.status == SessionStatus.CREATING:
                raise Conflict(
                    f"payment link {same.pk} for these amounts is being created at the provider; "
                    "ask again in a moment",
                    ErrorCode.CONFLICT,
                )
            return same
        if not wanted:
            raise Conflict(f"order {order.order_id} has nothing left to authorize", ErrorCode.LEDGER)
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
        call_event_write(order, call, actor, "requested")
    try:
        created = gateway_for(provider, base_url).session_create(request, reference=str(session.id))
    except ProviderError as exc:
        state = CallState.UNKNOWN if isinstance(exc, OutcomeUnknown) else CallState.FAILED
        with transaction.atomic():
            order = order_lock(order.pk)
            PaymentSession.objects.filter(pk=session.pk, status__in=PAYABLE).update(
                status=SessionStatus.FAILED, problem=trimmed(exc.message)
            )
            session.refresh_from_db()
            ProviderCall.objects.filter(pk=call.pk).update(
                state=state,
                error=trimmed(exc.message),
                response_status=exc.status,
                response_body=jsonable(exc.body),
                settled_at=timezone.now() if state == CallState.FAILED else None,
            )
            call.refresh_from_db()
            call_event_write(order, call, actor, f"{state} — {exc.message}")
        return session
    with transaction.atomic():
        order, session = session_lock(session)
        session.session_id = created.id
        session.url = created.url
        # The order may have been cancelled while the provider made the link: then it stays
        # expired, and the provider is told at once.
        withdrawn = session.status == SessionStatus.EXPIRED
        if not withdrawn:
            session.status = SessionStatus.OPEN
        session.save(update_fields=["status", "session_id", "url"])
        ProviderCall.objects.filter(pk=call.pk).update(
            state=CallState.SUCCEEDED,
            settled_at=timezone.now(),
            settled_by="response",
            response_body={"id": created.id, "url": created.url},
        )
        call.refresh_from_db()
        call_event_write(order, call, actor, f"link created — {created.url}")
    if withdrawn:
        links_expire_at_provider([session], actor=actor)
        session.refresh_from_db()
    return session


# Expiring links


def sessions_expire(
    *, order: Order, actor: Actor, why: str, sessions: list[PaymentSession] | None = None
) -> list[PaymentSession]:
    """Make the order's payable links (or the given ones) unpayable, under the order's lock
    (the caller holds it). The provider is told afterwards by `links_expire_at_provider`,
    outside the transaction; a link paid before that is voided by reconciliation."""
    pks = [s.pk for s in sessions] if sessions is not None else None
    query = PaymentSession.objects.select_for_update().filter(order=order, status__in=PAYABLE)
    if pks is not None:
        query = query.filter(pk__in=pks)
    expired = list(query.order_by("created_at", "id"))
    now = timezone.now()
    for session in expired:
        session.status = SessionStatus.EXPIRED
        session.expired_at = now
        session.problem = trimmed(f"expired: {why}")
        session.save(update_fields=["status", "expired_at", "problem"])
        event_write(
            order=order,
            kind=EventKind.PROVIDER_CALL,
            actor=actor,
            summary=f"Payment link {str(session.pk)[:8]} expired: {why}",
            data={"payment_session": str(session.pk), "status": session.status, "reason": why},
        )
    return expired


def session_withdraw(*, session: PaymentSession, actor: Actor) -> PaymentSession:
    """Staff withdraw a payable link (to send another, or because the customer will not pay)."""
    with transaction.atomic():
        order = order_lock(session.order_id)
        expired = sessions_expire(order=order, actor=actor, why="withdrawn", sessions=[session])
        if not expired:
            session.refresh_from_db()
            raise Conflict(f"payment link {session.pk} is {session.status}: it cannot be withdrawn")
    links_expire_at_provider(expired, actor=actor)
    session.refresh_from_db()
    return session


def links_expire_at_provider(sessions: list[PaymentSession], *, actor: Actor) -> None:
    """Tell the provider that expired links can no longer be paid (Dintero: cancel session,
    which also voids a transaction it initialized or authorized —
    docs.dintero.com/api-reference/session/cancel-session). Each is a provider call; one that
    fails or times out stays for reconciliation to try again."""
    for session in sessions:
        session.refresh_from_db()
        if session.status != SessionStatus.EXPIRED or session.expired_at_provider or not session.session_id:
            continue
        with transaction.atomic():
            order = order_lock(session.order_id)
            call = ProviderCall.objects.create(
                order=order,
                provider=session.provider,
                kind=CallKind.EXPIRE,
                session=session,
                payment_id=session.transaction_id,
                state=CallState.SENDING,
                sent_at=timezone.now(),
                request_body={"session_id": session.session_id},
                **actor.fields(),
            )
        gateway = gateway_for(session.provider, public_url())
        done = call_send_unrecorded(
            call,
            partial(gateway.session_cancel, session.session_id),
            actor=actor,
            what="the provider will take no payment on it",
        )
        if done:
            PaymentSession.objects.filter(pk=session.pk).update(expired_at_provider=timezone.now())


def _check_belongs(session: PaymentSession, txn: Transaction) -> None:
    order = session.order
    problems = []
    if txn.merchant_reference and txn.merchant_reference != order.order_id:
        problems.append(f"merchant_reference {txn.merchant_reference!r} is not order {order.order_id}")
    if txn.session_id and session.session_id and txn.session_id != session.session_id:
        problems.append(f"it paid session {txn.session_id}, not {session.session_id}")
    if txn.currency and txn.currency != session.currency:
        problems.append(f"currency {txn.currency} is not {session.currency}")
    # An amount other than the link's is no reason to refuse the transaction: what the provider
    # authorized is recorded per line where its items allow it (`_authorized_items`).
    if problems:
        raise Conflict(f"transaction {txn.id} does not belong to this payment link: " + "; ".join(problems))


def session_authorize(
    *, session: PaymentSession, actor: Actor, transaction_id: str | None = None
) -> PaymentSession:
    """Read the session's transaction at the provider and, if it is authorized, record the
    authorization on the session's lines — once, however often or concurrently this runs."""
    if session.authorization_id:
        return session
    gateway = gateway_for(session.provider, public_url())
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
    if session.status == SessionStatus.EXPIRED:
        # Paid after it expired (before the provider heard): nothing is recorded, and what the
        # provider authorized is given back.
        if txn.is_authorized and txn.authorized > 0:
            _expired_payment_void(session, txn, actor)
        session.refresh_from_db()
        return session
    if txn.is_on_hold:
        _on_hold_note(session, txn, actor)
        session.refresh_from_db()
        return session
    if not txn.is_authorized:
        if txn.status in NOT_AUTHORIZED_STATUSES and session.status == SessionStatus.OPEN:
            _declined_write(session, txn, actor)
        session.refresh_from_db()
        return session
    return _record_authorization(session, txn, actor)


def _on_hold_note(session: PaymentSession, txn: Transaction, actor: Actor) -> None:
    """`ON_HOLD` is not an authorization: "a payment that is pending approval, where the
    transaction will later be updated with a final payment status AUTHORIZED or FAILED"
    (Checkout API, the session's `url.return_url`). Nothing is recorded; the link stays open,
    its amount still held. Dintero calls the callback again when the status changes, and
    reconciliation reads every open link on each run, so whichever comes first records the
    authorization, or marks the link declined. Noted once, on the link and in the timeline."""
    note = trimmed(
        f"on hold at the provider (transaction {txn.id}), pending approval: "
        "recorded when the provider authorizes it"
    )
    with transaction.atomic():
        order, locked = session_lock(session)
        if locked.status != SessionStatus.OPEN or locked.problem == note:
            return
        locked.problem = note
        locked.save(update_fields=["problem"])
        event_write(
            order=order,
            kind=EventKind.PROVIDER_CALL,
            actor=actor,
            summary=(
                f"Payment link {str(locked.pk)[:8]}: the payment of "
                f"{format_money(txn.amount, locked.currency)} is on hold at "
                f"{Provider(locked.provider).label}, pending approval; nothing is recorded until "
                "it is authorized"
            ),
            data={
                "payment_session": str(locked.pk),
                "status": locked.status,
                "transaction_id": txn.id,
                "transaction_status": txn.status,
            },
        )


def _declined_write(session: PaymentSession, txn: Transaction, actor: Actor) -> None:
    """The provider did not authorize the payment (declined, or failed after being on hold):
    the link is declined, and what it held is free again."""
    with transaction.atomic():
        order, locked = session_lock(session)
        if locked.status != SessionStatus.OPEN:
            return
        locked.status = SessionStatus.DECLINED
        locked.problem = f"the provider reports {txn.status.lower()}"
        locked.save(update_fields=["status", "problem"])
        event_write(
            order=order,
            kind=EventKind.PROVIDER_CALL,
            actor=actor,
            summary=(
                f"Payment link {str(locked.pk)[:8]}: {Provider(locked.provider).label} reports the "
                f"payment {txn.status.lower()} (transaction {txn.id}); nothing was authorized"
            ),
            data={
                "payment_session": str(locked.pk),
                "status": locked.status,
                "transaction_id": txn.id,
                "transaction_status": txn.status,
            },
        )


class ProviderUnavailable(DomainError):
    def __init__(self, message: str):
        super().__init__(message, ErrorCode.CONFLICT)


def _record_authorization(session: PaymentSession, txn: Transaction, actor: Actor) -> PaymentSession:
    try:
        with transaction.atomic():
            order, locked = session_lock(session)
            expired = locked.status == SessionStatus.EXPIRED
            if locked.authorization_id or locked.status == SessionStatus.UNRECORDED or expired:
                pass
            else:
                _authorization_write(order, locked, txn, actor)
        if expired:
            # It expired (the order was cancelled) while the customer paid: give it back.
            _expired_payment_void(locked, txn, actor)
            locked.refresh_from_db()
        return locked
    except IntegrityError as exc:
        # Another session already took this transaction id: the constraint said no.
        raise Conflict(f"transaction {txn.id} is already recorded for another payment link") from exc


def _authorized_items(
    order: Order, session: PaymentSession, txn: Transaction
) -> tuple[list[OrderItemAmount], str]:
    """What of the provider's authorization is recorded, per line, or why none of it can be.

    The provider may authorize another amount than the link asked: Checkout adds the shipping
    option the customer chose to the transaction's items ("moved to the list of items in the
    transaction" — docs.dintero.com/docs/checkout/transaction-management), and discounts lower
    an item's amount. The order's books must say what the provider holds, so the authorization
    is recorded as the transaction's items have it, line by line, when each item is a line of
    this order and the items add up to the amount; whether each line may take it (and what
    other links and calls hold) is `operation_record`'s to say. Otherwise nothing is recorded
    and the reason is returned: the link becomes `unrecorded` for a person, with the
    transaction id kept on it."""

    def money(amount: int) -> str:
        return format_money(amount, session.currency)

    if not txn.items and not txn.other_items:
        if txn.amount == session.amount:
            return [OrderItemAmount(i["line_id"], i["amount"]) for i in session.items], ""
        return [], (
            f"the provider authorized {money(txn.amount)}, not the {money(session.amount)} the link "
            "asked, and lists no items to say for which lines"
        )
    if txn.other_items:
        others = ", ".join(
            f"{line_id} {money(amount)}" for line_id, amount in sorted(txn.other_items.items())
        )
        return [], (
            f"the provider authorized {money(txn.amount)}, with items that are no line of order "
            f"{order.order_id} ({others}), such as shipping chosen in Checkout"
        )
    missing = sorted(set(txn.items) - set(order.lines.values_list("line_id", flat=True)))
    if missing:
        return [], f"the provider's items name lines order {order.order_id} does not have: " + ", ".join(
            str(line_id) for line_id in missing
        )
    total = sum(txn.items.values())
    if total != txn.amount:
        return [], f"the provider's items add up to {money(total)}, not its amount {money(txn.amount)}"
    items = [OrderItemAmount(line_id, amount) for line_id, amount in sorted(txn.items.items()) if amount]
    if not items:
        return [], "the provider authorized nothing on any line"
    return items, ""


def _authorization_write(order: Order, locked: PaymentSession, txn: Transaction, actor: Actor) -> None:
    locked.transaction_id = txn.id
    locked.authorized_at = timezone.now()
    items, problem = _authorized_items(order, locked, txn)
    operation = None
    if not problem:
        try:
            operation = operation_record(
                order=order,
                kind=OperationKind.AUTHORIZATION,
                items=items,
                payment_id=txn.id,
                payment_details={"payment_id": txn.id, "provider": locked.provider},
                processed_by=locked.provider,
                metadata={"payment_session": str(locked.id)},
                actor=actor,
                settling=str(locked.id),
            )
        except DomainError as exc:
            problem = exc.message
    provider = Provider(locked.provider).label
    data = {
        "payment_session": str(locked.pk),
        "transaction_id": txn.id,
        "asked": locked.amount,
        "authorized": txn.amount,
    }
    if operation is None:
        # The money is at the provider and not in the books: the link keeps the transaction id,
        # reconciliation reports it, and a person decides.
        locked.status = SessionStatus.UNRECORDED
        locked.problem = trimmed(f"authorized at the provider but not recorded: {problem}")
        locked.save()
        logger.error("payment link %s: %s", locked.pk, locked.problem)
        event_write(
            order=order,
            kind=EventKind.PROVIDER_CALL,
            actor=actor,
            summary=(
                f"Payment link {str(locked.pk)[:8]}: {format_money(txn.amount, locked.currency)} authorized "
                f"at {provider} (transaction {txn.id}) but NOT recorded: {problem}"
            ),
            data={**data, "status": locked.status},
        )
        return
    locked.authorization = operation
    locked.status = SessionStatus.AUTHORIZED
    locked.problem = ""
    locked.save()
    asked = {i["line_id"]: i["amount"] for i in locked.items}
    recorded = {i.line_number: i.amount for i in items}
    if recorded != asked:

        def per_line(amounts: dict[int, int]) -> str:
            return ", ".join(
                f"line {line_id} {format_money(amount, locked.currency)}"
                for line_id, amount in sorted(amounts.items())
            )

        event_write(
            order=order,
            kind=EventKind.PROVIDER_CALL,
            actor=actor,
            summary=(
                f"Payment link {str(locked.pk)[:8]}: {provider} authorized "
                f"{format_money(txn.amount, locked.currency)} ({per_line(recorded)}) where the link "
                f"asked {format_money(locked.amount, locked.currency)} ({per_line(asked)}); recorded "
                "as the provider authorized it"
            ),
            data={
                **data,
                "status": locked.status,
                "items": [{"line_id": k, "amount": v} for k, v in sorted(recorded.items())],
            },
        )


def _expired_payment_void(session: PaymentSession, txn: Transaction, actor: Actor) -> None:
    """Void what the provider authorized on an expired link: nothing of it was recorded on the
    order, so the void records nothing either; the call and an event say what happened."""
    if txn.authorized <= 0 or txn.captured > 0:
        return
    with transaction.atomic():
        order, locked = session_lock(session)
        if locked.calls.filter(kind=CallKind.VOID).exclude(state=CallState.FAILED).exists():
            return  # already voided, or being voided
        if not locked.transaction_id:
            locked.transaction_id = txn.id
            locked.save(update_fields=["transaction_id"])
        call = ProviderCall.objects.create(
            order=order,
            provider=locked.provider,
            kind=CallKind.VOID,
            session=locked,
            payment_id=txn.id,
            items=[{"line_id": line_id, "amount": amount} for line_id, amount in sorted(txn.items.items())],
            amount=txn.authorized,
            state=CallState.SENDING,
            sent_at=timezone.now(),
            request_body={"reference": str(locked.pk), "expired_link": True},
            **actor.fields(),
        )
        call_event_write(order, call, actor, "requested: the link had expired when it was paid")
    gateway = gateway_for(locked.provider, public_url())
    call_send_unrecorded(
        call,
        lambda: gateway.void(txn.id, reference=str(call.pk)),
        actor=actor,
        what="succeeded: the payment on an expired link was given back",
    )
