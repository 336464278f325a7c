"""Staff actions at the payment provider, the provider's callback, the customer's return page
and the sandbox provider's payment page."""

import json
import logging

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from backoffice.actor import Actor
from backoffice.api.errors import error_body
from backoffice.errors import Conflict, DomainError, InvalidInput, NotFound
from backoffice.middleware import unstorable
from orders.models import Order
from orders.money import format_money
from orders.services.form_tokens import FormAlreadySubmitted, form_token_consume
from payments.gateways import sandbox_enabled
from payments.gateways.base import Declined
from payments.gateways.sandbox import SandboxGateway
from payments.models import (
    CallKind,
    CallState,
    PaymentSession,
    Provider,
    SandboxFault,
    SandboxFaultKind,
    SandboxFaultOutcome,
    SandboxSession,
    SandboxTransaction,
    SessionStatus,
)
from payments.services.calls import provider_action
from payments.services.sessions import (
    ProviderUnavailable,
    public_url,
    session_authorize,
    session_create,
    session_withdraw,
)

logger = logging.getLogger(__name__)

CALLBACK = Actor(system="provider callback")
NOTICE = "payments_notice"


def staff_order(request, order_pk) -> Order:
    """The order, if the user is a member of its account; anyone else's is a 404."""
    order = get_object_or_404(Order.objects.select_related("account").prefetch_related("lines"), pk=order_pk)
    user = request.user
    if not user.is_superuser and not order.account.members.filter(pk=user.pk).exists():
        raise Http404("no such order")
    return order


# One-time form tokens (orders.services.form_tokens): a double-submitted form acts once.


def _form_token_take(request) -> bool:
    """Use up the form's one-time token (committed at once, before any provider call)."""
    try:
        form_token_consume(token=request.POST.get("form_token", ""), user=request.user)
    except (FormAlreadySubmitted, InvalidInput):
        return False
    return True


def _notice(request, order: Order, level: str, text: str) -> None:
    notices = request.session.get(NOTICE, {})
    notices[str(order.pk)] = {"level": level, "text": text}
    request.session[NOTICE] = notices


def notice_pop(request, order: Order) -> dict | None:
    notices = request.session.get(NOTICE, {})
    notice = notices.pop(str(order.pk), None)
    if notice is not None:
        request.session[NOTICE] = notices
    return notice


def _back(request, order: Order) -> HttpResponse:
    if request.htmx:
        return render(request, "payments/order_panel.html", {"order": order, "request": request})
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = reverse("payments:order", args=[order.pk])
    return HttpResponseRedirect(target)


def _calls_notice(request, order: Order, calls, verb: str) -> None:
    states = {c.state for c in calls}
    money = format_money(sum(c.amount for c in calls), order.currency)
    if states == {CallState.SUCCEEDED} and not any(c.problem for c in calls):
        _notice(request, order, "success", f"{verb} of {money} done at the provider and recorded.")
    elif CallState.UNKNOWN in states:
        _notice(
            request,
            order,
            "warning",
            f"{verb} of {money}: the provider did not answer. The amount stays held until "
            "reconciliation finds out what happened.",
        )
    elif any(c.problem for c in calls):
        _notice(request, order, "error", "; ".join(c.problem for c in calls if c.problem))
    else:
        _notice(request, order, "error", f"{verb} refused: " + "; ".join(c.error for c in calls if c.error))


def _staff_action(request, order_pk, permission: str, act) -> HttpResponse:
    order = staff_order(request, order_pk)
    if not request.user.has_perm(f"orders.{permission}"):
        raise PermissionDenied
    if not _form_token_take(request):
        # Already submitted (double click, back button): do nothing twice.
        return _back(request, order)
    try:
        act(order)
    except DomainError as exc:
        _notice(request, order, "error", exc.message)
    return _back(request, order)


@require_GET
@login_required
def order_payments(request, order_pk) -> HttpResponse:
    order = staff_order(request, order_pk)
    return render(request, "payments/order_page.html", {"order": order})


@require_GET
@login_required
def order_panel(request, order_pk) -> HttpResponse:
    """The panel alone, which the order page loads after it has shown the order."""
    order = staff_order(request, order_pk)
    return render(request, "payments/order_panel.html", {"order": order})


@require_POST
@login_required
def link_send(request, order_pk) -> HttpResponse:
    def act(order: Order) -> None:
        session = session_create(order=order, actor=Actor(user=request.user))
        if session.status == SessionStatus.OPEN:
            _notice(request, order, "success", f"Payment link ready: {session.url}")
        else:
            _notice(request, order, "error", f"The payment link could not be made: {session.problem}")

    return _staff_action(request, order_pk, "record_operation", act)


def _provider_view(kind: CallKind, permission: str, verb: str):
    @require_POST
    @login_required
    def view(request, order_pk) -> HttpResponse:
        def act(order: Order) -> None:
            calls = provider_action(order=order, kind=kind, items=None, actor=Actor(user=request.user))
            _calls_notice(request, order, calls, verb)

        return _staff_action(request, order_pk, permission, act)

    view.__name__ = f"{kind}_at_provider"
    return view


@require_POST
@login_required
def link_withdraw(request, order_pk, session_pk) -> HttpResponse:
    """Withdraw a payable link: the customer can no longer pay it."""

    def act(order: Order) -> None:
        session = get_object_or_404(PaymentSession, pk=session_pk, order=order)
        session = session_withdraw(session=session, actor=Actor(user=request.user))
        _notice(
            request, order, "info", f"Payment link {str(session.pk)[:8]} withdrawn: it can no longer be paid."
        )

    return _staff_action(request, order_pk, "record_operation", act)


capture = _provider_view(CallKind.CAPTURE, "record_operation", "Capture")
refund = _provider_view(CallKind.REFUND, "record_refund", "Refund")
void = _provider_view(CallKind.VOID, "record_operation", "Cancellation")


@require_POST
@login_required
def sandbox_fault(request, order_pk) -> HttpResponse:
    """Demo control: make the sandbox's next capture, refund or cancel misbehave."""

    def act(order: Order) -> None:
        if not sandbox_enabled():
            raise Conflict("only the sandbox provider can be told to fail")
        kind, outcome = request.POST.get("kind"), request.POST.get("outcome")
        if kind not in SandboxFaultKind.values or outcome not in SandboxFaultOutcome.values:
            raise Conflict("choose a call and a failure")
        # Only this order's account's payments are affected.
        SandboxFault.objects.create(account=order.account.aid, kind=kind, outcome=outcome)
        _notice(
            request,
            order,
            "info",
            f"The sandbox's next {kind} will {SandboxFaultOutcome(outcome).label.lower()}.",
        )

    return _staff_action(request, order_pk, "record_operation", act)


# The provider's side


def _callback_params(request) -> dict:
    params = dict(request.GET.items())
    if request.method == "POST":
        if request.content_type == "application/json":
            try:
                body = json.loads(request.body or b"{}")
            except (ValueError, RecursionError):
                body = {}
            if isinstance(body, dict):
                params.update({k: v for k, v in body.items() if isinstance(v, str)})
        else:
            params.update(request.POST.items())
    return params


@csrf_exempt
@require_http_methods(["GET", "POST"])
def callback(request, session_pk) -> JsonResponse:
    """Checkout's `callback_url`. Its parameters are only a hint: the transaction is read from
    the provider before anything is recorded."""
    params = _callback_params(request)
    if any(unstorable(value) for value in params.values()):  # the query's are refused before
        message = "a parameter holds a NUL character or invalid Unicode"
        return JsonResponse(error_body("invalid_request", message), status=400)
    transaction_id = params.get("transaction_id", "")
    session = PaymentSession.objects.select_related("order").filter(pk=session_pk).first()
    if session is None:
        logger.warning(
            "payment callback for unknown payment link %s (transaction %r)", session_pk, transaction_id
        )
        return JsonResponse(error_body("not_found", f"there is no payment link {session_pk}"), status=404)
    reference = params.get("merchant_reference")
    if reference and reference != session.order.order_id:
        logger.warning("payment callback for %s names order %r, not %s", session_pk, reference, session.order)
        return JsonResponse(
            error_body("not_found", f"payment link {session_pk} is not for order {reference}"), status=404
        )
    try:
        session = session_authorize(
            session=session,
            actor=CALLBACK,
            transaction_id=transaction_id or None,
        )
    except NotFound as exc:
        logger.warning("payment callback for %s: %s", session_pk, exc.message)
        return JsonResponse(error_body("not_found", exc.message), status=404)
    except ProviderUnavailable as exc:
        logger.warning("payment callback for %s: %s", session_pk, exc.message)
        return JsonResponse(error_body("provider_unavailable", exc.message), status=503)
    except Conflict as exc:
        logger.warning("payment callback for %s refused: %s", session_pk, exc.message)
        return JsonResponse(error_body(exc.code, exc.message), status=409)
    return JsonResponse({"payment_link": str(session.pk), "status": session.status})


@require_GET
def payment_return(request, session_pk) -> HttpResponse:
    """Where the customer lands after paying: checks the payment like a callback would."""
    session = get_object_or_404(PaymentSession.objects.select_related("order"), pk=session_pk)
    transaction_id = request.GET.get("transaction_id") or None
    try:
        session = session_authorize(session=session, actor=CALLBACK, transaction_id=transaction_id)
    except DomainError as exc:
        logger.info("payment return for %s: %s", session_pk, exc.message)
    return render(request, "payments/return.html", {"session": session, "order": session.order})


@require_http_methods(["GET", "POST"])
def sandbox_page(request, session_id) -> HttpResponse:
    """The sandbox provider's payment page: one click authorizes (or declines). It exists only
    where the sandbox is the provider."""
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


def _sandbox_render(request, sandbox_session: SandboxSession, *, refused: str, status: int) -> HttpResponse:
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
