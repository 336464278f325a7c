"""The sandbox provider's pages: the customer's payment page (public, as Dintero's checkout
would be), and the staff's control that makes its next call misbehave (on the order's payment
panel, behind the staff access check). Both exist only where the sandbox is the provider."""

import logging

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from backoffice.access import staff_page
from backoffice.errors import Conflict, DomainError
from backoffice.models import Account
from backoffice.pages import StaffRequest
from orders.models import Order
from orders.money import format_money
from payments.gateways import sandbox_enabled
from payments.gateways.base import Declined
from payments.models import PaymentSession, Provider
from payments.services.sessions import public_url, session_authorize
from payments.views import CALLBACK, OPERATE, panel_notice, staff_action

from .gateway import SandboxGateway
from .models import SandboxFault, SandboxFaultKind, SandboxFaultOutcome, SandboxSession, SandboxTransaction

logger = logging.getLogger(__name__)


@require_http_methods(["GET", "POST"])
def sandbox_page(request: HttpRequest, session_id: str) -> HttpResponse:
    """The sandbox provider's payment page: one click authorizes (or declines)."""
    if not sandbox_enabled():
        raise Http404("no such page")
    sandbox_session = get_object_or_404(SandboxSession, pk=session_id)
    gateway = SandboxGateway(public_url())
    if request.method == "POST":
        try:
            txn = gateway.session_pay(session_id, decline=request.POST.get("action") == "decline")
        except Declined as exc:
            return _sandbox_render(request, sandbox_session, refused=exc.message, status=410)
        # What Dintero does next: call the merchant's callback, then send the customer back.
        session = PaymentSession.objects.filter(provider=Provider.SANDBOX, session_id=session_id).first()
        if session is not None:
            try:
                session_authorize(session=session, actor=CALLBACK, transaction_id=txn.id)
            except DomainError as exc:
                logger.warning("sandbox callback for %s: %s", session_id, exc.message)
        if sandbox_session.return_url:
            sep = "&" if "?" in sandbox_session.return_url else "?"
            return redirect(
                f"{sandbox_session.return_url}{sep}transaction_id={txn.id}&merchant_reference="
                f"{sandbox_session.body['order']['merchant_reference']}"
            )
        return redirect(request.path)
    refused = "This payment link has expired." if sandbox_session.cancelled_at else ""
    return _sandbox_render(request, sandbox_session, refused=refused, status=410 if refused else 200)


def _sandbox_render(
    request: HttpRequest, sandbox_session: SandboxSession, *, refused: str, status: int
) -> HttpResponse:
    order = sandbox_session.body["order"]
    txn = SandboxTransaction.objects.filter(session=sandbox_session).first()
    return render(
        request,
        "payments/sandbox_page.html",
        {
            "sandbox_session": sandbox_session,
            "checkout": order,
            "amount": format_money(order["amount"], order["currency"]),
            "items": [{**i, "money": format_money(i["amount"], order["currency"])} for i in order["items"]],
            "transaction": txn,
            "refused": refused,
        },
        status=status,
    )


# What the panel's choice says the next call will do, as its form words it.
_WILL = {
    SandboxFaultOutcome.DECLINE: "be declined",
    SandboxFaultOutcome.TIMEOUT: "time out after doing it",
    SandboxFaultOutcome.TIMEOUT_UNDONE: "time out without doing it",
}


@require_POST
@staff_page(OPERATE)
def sandbox_fault(request: StaffRequest, account: Account, order_id: str) -> HttpResponse:
    """Demo control: make the sandbox's next capture, refund or cancel misbehave."""

    def act(order: Order) -> None:
        if not sandbox_enabled():
            raise Conflict("only the sandbox provider can be told to fail")
        kind, outcome = request.POST.get("kind"), request.POST.get("outcome")
        if kind not in SandboxFaultKind.values or outcome not in SandboxFaultOutcome.values:
            raise Conflict("choose a call and a failure")
        # Only this order's account's payments are affected.
        SandboxFault.objects.create(account=order.account.aid, kind=kind, outcome=outcome)
        call, will = {"void": "cancel"}.get(kind, kind), _WILL[SandboxFaultOutcome(outcome)]
        panel_notice(request, order, messages.INFO, f"The sandbox's next {call} will {will}.")

    return staff_action(request, account, order_id, act)
