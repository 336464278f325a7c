"""Reconciliation: settle provider calls whose outcome is unknown by reading the provider's
transaction, pick up payment links paid without a callback, then compare what the order's
books say per payment id with what the provider shows. Findings are kept as `Mismatch` rows
(open until a later run no longer finds them) for the finance pages.
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from uuid import UUID

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from backoffice.actor import Actor
from backoffice.errors import DomainError
from orders.models import Order
from orders.selectors import payment_figures
from payments.gateways import gateway_for
from payments.gateways.base import NotFoundAtProvider, ProviderError, Transaction
from payments.models import (
    IN_FLIGHT,
    CallKind,
    CallState,
    Mismatch,
    MismatchKind,
    PaymentSession,
    ProviderCall,
    ReconciliationRun,
    SessionStatus,
)

from .calls import call_fail, call_settle_unrecorded, call_succeed
from .sessions import links_expire_at_provider, session_authorize

logger = logging.getLogger(__name__)

RECONCILE = Actor(system="reconcile")
_EVENT = {CallKind.CAPTURE: "CAPTURE", CallKind.REFUND: "REFUND", CallKind.VOID: "VOID"}
# How long after it expired a link is still checked for a late payment (Dintero's sessions
# expire on their own well before this).
EXPIRED_LINKS_WATCHED = timedelta(days=30)


@dataclass
class Finding:
    order: Order
    provider: str
    payment_id: str
    kind: MismatchKind
    recorded: int | None = None
    at_provider: int | None = None
    detail: str = ""


@dataclass
class Report:
    run: ReconciliationRun
    settled: list[ProviderCall] = field(default_factory=list)
    still_unknown: list[ProviderCall] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def needs_person(self) -> bool:
        return bool(self.still_unknown or self.findings)


def call_settle(call: ProviderCall, txn: Transaction | None) -> ProviderCall:
    """Settle one in-flight call from the provider's transaction (None: the provider has no
    such transaction). Stays unknown when the transaction cannot tell."""
    if call.state == CallState.PENDING:
        return call_fail(call, actor=RECONCILE, error="never sent", settled_by="reconcile")
    if call.kind == CallKind.SESSION:
        return call_fail(
            call, actor=RECONCILE, error="no answer to the session request", settled_by="reconcile"
        )
    if call.kind == CallKind.EXPIRE:
        # Expiring a link is safe to repeat: this attempt is closed, and the expired links
        # step below asks again.
        return call_fail(call, actor=RECONCILE, error="no answer; asked again", settled_by="reconcile")
    if txn is None:
        return call_fail(
            call, actor=RECONCILE, error="the provider has no such transaction", settled_by="reconcile"
        )
    name = _EVENT[CallKind(call.kind)]
    # A call Dintero answered 202 kept the `event-request-id` its completing event will name.
    kept = call.response_body if call.response_status == 202 and isinstance(call.response_body, dict) else {}
    request_id = str(kept.get("event-request-id") or "")
    if name == "VOID":
        event = txn.event_for("VOID", "", request_id) or next(
            (e for e in reversed(txn.events) if e.event == "VOID"), None
        )
    else:
        # Found by its `event_reference` (our call's id), never by its amount.
        event = txn.event_for(name, str(call.id), request_id)
    if event is not None and event.success:
        if call.session_id:
            # Giving back what an expired link took: nothing was recorded, so nothing is.
            return call_settle_unrecorded(call, actor=RECONCILE, settled_by="reconcile")
        return call_succeed(call, actor=RECONCILE, transaction_seen=txn, settled_by="reconcile")
    if event is not None:
        detail = f": {event.error}" if event.error else ""
        return call_fail(
            call,
            actor=RECONCILE,
            error=f"the provider shows the {name.lower()} failed{detail}",
            settled_by="reconcile",
        )
    if call.response_status == 202 or txn.initiated(name, str(call.id), request_id):
        # Accepted for processing and not finished yet: its event comes later.
        return call
    if name != "VOID" and not txn.references_known(name) and any(e.event == name for e in txn.events):
        # The provider does not echo references: which event is ours is for a person to say.
        return call
    return call_fail(
        call, actor=RECONCILE, error=f"the provider never did the {name.lower()}", settled_by="reconcile"
    )


def _recorded(order: Order, payment_id: str) -> dict[str, int]:
    """The order's books for one payment, as the provider counts them: authorized net of
    cancellations (a void lowers the provider's authorized amount), captured, refunded."""
    per_line = payment_figures(order).get(payment_id, {}).values()
    return {
        "authorized": sum(f.authorized - f.cancelled for f in per_line),
        "captured": sum(f.captured for f in per_line),
        "refunded": sum(f.refunded for f in per_line),
    }


def _compare(order: Order, provider: str, payment_id: str, txn: Transaction) -> list[Finding]:
    recorded = _recorded(order, payment_id)
    at_provider = {"authorized": txn.authorized, "captured": txn.captured, "refunded": txn.refunded}
    return [
        Finding(order, provider, payment_id, MismatchKind(what), recorded[what], at_provider[what])
        for what in ("authorized", "captured", "refunded")
        if recorded[what] != at_provider[what]
    ]


def _payments(scope: Q) -> set[tuple[str, str, UUID]]:
    """(provider, payment id, order pk) of every payment the app took or called about."""
    out = set()
    for row in (
        PaymentSession.objects.filter(scope)
        .exclude(transaction_id="")
        .values_list("provider", "transaction_id", "order_id")
    ):
        out.add(row)
    for row in (
        ProviderCall.objects.filter(scope)
        .exclude(payment_id="")
        .values_list("provider", "payment_id", "order_id")
    ):
        out.add(row)
    return out


def reconcile(
    *,
    orders: Iterable[Order] | None = None,
    min_age: timedelta = timedelta(minutes=2),
    progress: Callable[[Iterable, str], Iterable] = lambda items, label: items,
) -> Report:
    """One reconciliation run over all orders (or the given ones)."""
    run = ReconciliationRun.objects.create()
    report = Report(run=run)
    order_scope = list(orders) if orders is not None else None
    scope = Q(order__in=order_scope) if order_scope is not None else Q()
    cutoff = timezone.now() - min_age
    gateways: dict[str, object] = {}

    def gateway(provider: str):
        if provider not in gateways:
            gateways[provider] = gateway_for(provider)
        return gateways[provider]

    transactions: dict[tuple[str, str], Transaction | ProviderError | None] = {}

    def read(provider: str, payment_id: str) -> Transaction | ProviderError | None:
        key = (provider, payment_id)
        if key not in transactions:
            try:
                transactions[key] = gateway(provider).transaction_get(payment_id)
            except NotFoundAtProvider:
                transactions[key] = None
            except ProviderError as exc:
                transactions[key] = exc
        return transactions[key]

    # 1. Calls still in flight.
    calls = list(
        ProviderCall.objects.filter(scope, state__in=IN_FLIGHT, created_at__lte=cutoff)
        .select_related("order")
        .order_by("created_at")
    )
    for call in progress(calls, "settling calls"):
        txn = (
            None
            if call.kind in (CallKind.SESSION, CallKind.EXPIRE) or call.state == CallState.PENDING
            else read(call.provider, call.payment_id)
        )
        if isinstance(txn, ProviderError):
            report.still_unknown.append(call)
            continue
        transactions.pop((call.provider, call.payment_id), None)  # read it fresh for the books
        settled = call_settle(call, txn)
        (report.settled if not settled.in_flight else report.still_unknown).append(settled)

    # 2. Payment links paid without a callback.
    sessions = list(PaymentSession.objects.filter(scope, status=SessionStatus.OPEN, created_at__lte=cutoff))
    for session in progress(sessions, "checking payment links"):
        try:
            session_authorize(session=session, actor=RECONCILE)
        except DomainError:
            continue

    # 2b. Expired links: make sure the provider will take no payment on them, and give back
    # whatever it authorized on one all the same (Dintero's cancel session voids it too).
    expired = list(
        PaymentSession.objects.filter(
            scope, status=SessionStatus.EXPIRED, expired_at__gte=timezone.now() - EXPIRED_LINKS_WATCHED
        ).exclude(session_id="")
    )
    for session in progress(expired, "checking expired payment links"):
        links_expire_at_provider([session], actor=RECONCILE)
        try:
            session_authorize(session=session, actor=RECONCILE)
        except DomainError:
            continue

    # 3. The books against the provider, per payment id.
    for call in ProviderCall.objects.filter(scope, state__in=IN_FLIGHT).select_related("order"):
        if call not in report.still_unknown:
            report.still_unknown.append(call)
    for call in report.still_unknown:
        report.findings.append(
            Finding(
                call.order,
                call.provider,
                call.payment_id or str(call.id),
                MismatchKind.UNKNOWN_CALL,
                detail=f"{call.kind} {call.amount} ({call.id}) is still {call.state}: {call.error}"[:500],
            )
        )
    for call in ProviderCall.objects.filter(scope, state=CallState.SUCCEEDED).exclude(problem=""):
        report.findings.append(
            Finding(call.order, call.provider, call.payment_id, MismatchKind.UNRECORDED, detail=call.problem)
        )
    unrecorded = list(
        PaymentSession.objects.filter(scope, status=SessionStatus.UNRECORDED).select_related("order")
    )
    payments = sorted(_payments(scope))
    orders_by_pk = {o.pk: o for o in Order.objects.filter(pk__in={p[2] for p in payments})}
    for provider, payment_id, order_pk in progress(payments, "comparing payments"):
        report.run.payments_checked += 1
        txn = read(provider, payment_id)
        order = orders_by_pk[order_pk]
        if isinstance(txn, ProviderError):
            report.findings.append(
                Finding(order, provider, payment_id, MismatchKind.UNREADABLE, detail=txn.message[:500])
            )
        elif txn is not None:
            report.findings.extend(_compare(order, provider, payment_id, txn))
    # A payment authorized on a link but not recorded is reported until the books agree with
    # the provider on it: a person recorded it on the order, or voided it at the provider.
    disagreeing = {
        (f.provider, f.payment_id)
        for f in report.findings
        if f.kind in (MismatchKind.AUTHORIZED, MismatchKind.UNREADABLE)
    }
    for session in unrecorded:
        key = (session.provider, session.transaction_id)
        if not session.transaction_id or key in disagreeing or read(*key) is None:
            report.findings.append(
                Finding(
                    session.order,
                    session.provider,
                    session.transaction_id,
                    MismatchKind.UNRECORDED,
                    detail=session.problem,
                )
            )
    _store(report, order_scope)
    return report


def _store(report: Report, order_scope: list[Order] | None) -> None:
    run = report.run
    with transaction.atomic():
        seen = set()
        for f in report.findings:
            key = (f.provider, f.payment_id, f.kind)
            if key in seen:
                continue
            seen.add(key)
            mismatch = Mismatch.objects.filter(
                provider=f.provider, payment_id=f.payment_id, kind=f.kind, resolved_at__isnull=True
            ).first()
            if mismatch is None:
                mismatch = Mismatch(
                    order=f.order, provider=f.provider, payment_id=f.payment_id, kind=f.kind, first_run=run
                )
            mismatch.recorded, mismatch.at_provider, mismatch.detail = f.recorded, f.at_provider, f.detail
            mismatch.last_run = run
            mismatch.save()
        # Open findings this run did not see again are settled.
        gone = Mismatch.objects.filter(resolved_at__isnull=True).exclude(last_run=run)
        if order_scope is not None:
            gone = gone.filter(order__in=order_scope)
        gone.update(resolved_at=timezone.now())
        run.finished_at = timezone.now()
        run.calls_settled = len(report.settled)
        run.calls_unknown = len(report.still_unknown)
        run.mismatches_found = len(seen)
        run.save()
