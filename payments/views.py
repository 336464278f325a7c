"""The payment panel of an order and the staff's actions at the provider (under the account,
`/<aid>/orders/<order_id>/payments/…`, behind the one staff access check); the provider's
callback and the customer's return page (public: their URLs are given to the provider).

The sandbox provider's payment page and fault control are in `payments/sandbox/views.py`."""

import json
import logging
from collections.abc import Callable
from uuid import UUID

from django.contrib import messages
from django.contrib.messages.storage.base import Message
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from backoffice.access import staff_page
from backoffice.actor import Actor
from backoffice.api.errors import error_body
from backoffice.errors import Conflict, DomainError, InvalidInput, NotFound
from backoffice.middleware import unstorable
from backoffice.models import Account
from backoffice.pages import StaffRequest
from orders.models import Order
from orders.money import format_money
from orders.services.form_tokens import FormAlreadySubmitted, form_token_consume, form_token_new
from payments import selectors
from payments.models import CallKind, CallState, PaymentSession, ProviderCall, SessionStatus
from payments.services.calls import provider_action
from payments.services.sessions import (
    ProviderUnavailable,
    session_authorize,
    session_create,
    session_withdraw,
)

logger = logging.getLogger(__name__)

CALLBACK = Actor(system="provider callback")
OPERATE = "orders.record_operation"
REFUND = "orders.record_refund"
PANEL_TEMPLATE = "payments/order_panel.html"
# The panel's forms, each with a one-time token of its own.
PANEL_FORMS = ("link", "withdraw", "capture", "refund", "void", "fault")


def _order(account: Account, order_id: str) -> Order:
    try:
        return selectors.panel_order_get(account=account, order_id=order_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


# Notices: what an action did, shown once on its order's panel (django.contrib.messages).


def _tag(order: Order) -> str:
    return f"payments order-{order.pk}"


def panel_notice(request: StaffRequest, order: Order, level: int, text: str) -> None:
    """Say on the order's payment panel what an action did (shown once, there only)."""
    messages.add_message(request, level, text, extra_tags=_tag(order))


def _notices_take(request: StaffRequest, order: Order) -> list[Message]:
    """The order's panel notices, used up; any other page's messages stay for their page."""
    storage = messages.get_messages(request)
    mine: list[Message] = []
    others: list[Message] = []
    for message in storage:
        (mine if message.extra_tags == _tag(order) else others).append(message)
    for message in others:
        messages.add_message(request, message.level, message.message, extra_tags=message.extra_tags)
    return mine


# The panel


def panel_context(request: StaffRequest, order: Order) -> dict:
    """What the payment panel template renders: the order, and in `pay` what the provider can
    still do on it (`selectors.panel`), what the user may do, the notices and the forms'
    one-time tokens."""
    user = request.user
    return {
        "order": order,
        "pay": {
            **selectors.panel(order),
            "can_operate": user.has_perm(OPERATE),
            "can_refund": user.has_perm(REFUND),
            "notices": _notices_take(request, order),
            "tokens": {name: form_token_new() for name in PANEL_FORMS},
            "next": _page_shown(request, order),
        },
    }


def _page_shown(request: StaffRequest, order: Order) -> str:
    """Where a form of the panel sends the user back to without script: the page the panel is
    shown on. The panel alone (what the order page loads into itself) is no page to land on."""
    panel = reverse("payments:panel", args=[order.account.aid, order.order_id])
    shown = request.htmx.current_url_abs_path if request.htmx else request.get_full_path()
    if not shown or shown.split("?")[0] == panel:
        return reverse("order-detail", args=[order.account.aid, order.order_id])
    return shown


@require_GET
@staff_page()
def order_payments(request: StaffRequest, account: Account, order_id: str) -> HttpResponse:
    """The panel on a page of its own: what the order page's panel links to."""
    order = _order(account, order_id)
    return render(request, "payments/order_page.html", panel_context(request, order))


@require_GET
@staff_page()
def order_panel(request: StaffRequest, account: Account, order_id: str) -> HttpResponse:
    """The panel alone, which the order page loads after it has shown the order."""
    order = _order(account, order_id)
    return render(request, PANEL_TEMPLATE, panel_context(request, order))


# Staff actions: one-time form token, the action, then the panel again (htmx) or a redirect.


def _form_token_take(request: StaffRequest) -> bool:
    """Use up the form's one-time token (committed at once, before any provider call)."""
    try:
        form_token_consume(token=request.POST.get("form_token", ""), user=request.user)
    except (FormAlreadySubmitted, InvalidInput):
        return False
    return True


def _back(request: StaffRequest, order: Order) -> HttpResponse:
    if request.htmx:
        return render(request, PANEL_TEMPLATE, panel_context(request, order))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = reverse("payments:order", args=[order.account.aid, order.order_id])
    return HttpResponseRedirect(target)


def staff_action(
    request: StaffRequest, account: Account, order_id: str, act: Callable[[Order], None]
) -> HttpResponse:
    """Run one staff action on the order once per form (a double click or a resubmitted page
    does nothing twice); a refusal is shown on the panel."""
    order = _order(account, order_id)
    if not _form_token_take(request):
        return _back(request, order)
    try:
        act(order)
    except DomainError as exc:
        panel_notice(request, order, messages.ERROR, exc.for_staff)
    return _back(request, order)


def _calls_notice(
    request: StaffRequest, order: Order, calls: list[ProviderCall], verb: str | Promise
) -> None:
    states = {c.state for c in calls}
    money = format_money(sum(c.amount for c in calls), order.currency)
    if states == {CallState.SUCCEEDED} and not any(c.problem for c in calls):
        text = _("%(what)s of %(amount)s done at the provider and recorded.") % {
            "what": verb,
            "amount": money,
        }
        panel_notice(request, order, messages.SUCCESS, text)
    elif CallState.UNKNOWN in states:
        panel_notice(
            request,
            order,
            messages.WARNING,
            _(
                "%(what)s of %(amount)s: the provider did not answer. The amount stays held until "
                "reconciliation finds out what happened."
            )
            % {"what": verb, "amount": money},
        )
    elif any(c.problem for c in calls):
        panel_notice(request, order, messages.ERROR, "; ".join(c.problem for c in calls if c.problem))
    else:
        refused = "; ".join(c.error for c in calls if c.error)
        panel_notice(
            request, order, messages.ERROR, _("%(what)s refused: %(why)s") % {"what": verb, "why": refused}
        )


@require_POST
@staff_page(OPERATE)
def link_send(request: StaffRequest, account: Account, order_id: str) -> HttpResponse:
    def act(order: Order) -> None:
        session = session_create(order=order, items=None, actor=Actor(user=request.user))
        if session.status == SessionStatus.OPEN:
            panel_notice(
                request, order, messages.SUCCESS, _("Payment link ready: %(url)s") % {"url": session.url}
            )
        else:
            text = _("The payment link could not be made: %(why)s") % {"why": session.problem}
            panel_notice(request, order, messages.ERROR, text)

    return staff_action(request, account, order_id, act)


@require_POST
@staff_page(OPERATE)
def link_withdraw(request: StaffRequest, account: Account, order_id: str, session_pk: UUID) -> HttpResponse:
    """Withdraw a payable link: the customer can no longer pay it."""

    def act(order: Order) -> None:
        session = get_object_or_404(PaymentSession, pk=session_pk, order=order)
        session = session_withdraw(session=session, actor=Actor(user=request.user))
        text = _("Payment link %(link)s withdrawn: it can no longer be paid.") % {"link": str(session.pk)[:8]}
        panel_notice(request, order, messages.INFO, text)

    return staff_action(request, account, order_id, act)


def _provider_view(kind: CallKind, permission: str, verb: str | Promise) -> Callable:
    """Capture, refund or cancel at the provider whatever it can still take (staff pick no
    amounts here: the order's own forms record amounts)."""

    @require_POST
    @staff_page(permission)
    def view(request: StaffRequest, account: Account, order_id: str) -> HttpResponse:
        def act(order: Order) -> None:
            calls = provider_action(order=order, kind=kind, items=None, actor=Actor(user=request.user))
            _calls_notice(request, order, calls, verb)

        return staff_action(request, account, order_id, act)

    view.__name__ = f"{kind}_at_provider"
    return view


capture = _provider_view(CallKind.CAPTURE, OPERATE, pgettext_lazy("operation", "Capture"))
refund = _provider_view(CallKind.REFUND, REFUND, pgettext_lazy("operation", "Refund"))
void = _provider_view(CallKind.VOID, OPERATE, pgettext_lazy("operation", "Cancellation"))


# The provider's side


def _callback_params(request: HttpRequest) -> dict:
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
def callback(request: HttpRequest, session_pk: UUID) -> JsonResponse:
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
def payment_return(request: HttpRequest, session_pk: UUID) -> HttpResponse:
    """Where the customer lands after paying: checks the payment like a callback would."""
    session = get_object_or_404(PaymentSession.objects.select_related("order"), pk=session_pk)
    transaction_id = request.GET.get("transaction_id") or None
    try:
        session = session_authorize(session=session, actor=CALLBACK, transaction_id=transaction_id)
    except DomainError as exc:
        logger.info("payment return for %s: %s", session_pk, exc.message)
    return render(request, "payments/return.html", {"session": session, "order": session.order})
