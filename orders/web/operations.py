"""Recording payment operations from the staff pages, and cancelling a whole order."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_http_methods

from backoffice.access import staff_page
from backoffice.errors import DomainError
from backoffice.models import Account
from backoffice.pages import UNPROCESSABLE, SignedInRequest, StaffRequest, done, page_or_partial
from orders.forms import CancelForm, OperationForm, status_label
from orders.holds import Hold, held_by_line, order_holds
from orders.models import OperationKind, Order, PaymentOperation
from orders.money import format_money
from orders.services.form_tokens import FormAlreadySubmitted, form_token_consume, form_token_new
from orders.services.operations import operation_record, order_cancel
from orders.web.common import order_or_404, order_url, staff_actor

# URL word -> (operation kind, permission, button label)
OPERATIONS = {
    "authorize": (OperationKind.AUTHORIZATION, "orders.record_operation", gettext_lazy("Authorize")),
    "capture": (OperationKind.CAPTURE, "orders.record_operation", gettext_lazy("Capture")),
    "refund": (OperationKind.REFUND, "orders.record_refund", gettext_lazy("Refund")),
    "cancellation": (OperationKind.CANCELLATION, "orders.record_operation", gettext_lazy("Cancel amounts")),
}
# What is done to the items, as the form's sentences say it ("items to capture", "left to capture").
VERBS = {
    OperationKind.AUTHORIZATION: pgettext_lazy("items to …", "authorize"),
    OperationKind.CAPTURE: pgettext_lazy("items to …", "capture"),
    OperationKind.REFUND: pgettext_lazy("items to …", "refund"),
    OperationKind.CANCELLATION: pgettext_lazy("items to …", "cancel"),
}


def _suggested_payment_id(order: Order, kind: OperationKind) -> str:
    if kind == OperationKind.AUTHORIZATION:
        return ""
    source = OperationKind.CAPTURE if kind == OperationKind.REFUND else OperationKind.AUTHORIZATION
    op = (
        PaymentOperation.objects.filter(order=order, kind=source, success=True)
        .order_by("-created_at", "-id")
        .first()
    )
    return op.payment_id if op else ""


@require_http_methods(["GET", "POST"])
@login_required
def operation_record_page(request: SignedInRequest, aid: str, order_id: str, action: str) -> HttpResponse:
    if action not in OPERATIONS:
        raise Http404("no such action")
    kind, permission, label = OPERATIONS[action]
    return staff_page(permission)(_operation_record_page)(request, aid, order_id, kind, action, str(label))


def _operation_record_page(
    request: StaffRequest, account: Account, order_id: str, kind: OperationKind, action: str, label: str
) -> HttpResponse:
    order = order_or_404(account, order_id)
    lines = list(order.lines.all())
    holds = order_holds(order, kind)
    held = held_by_line(holds, kind)
    template = "orders/operation_form.html"
    if request.method == "POST":
        form = OperationForm(request.POST, order=order, kind=kind, lines=lines, held=held)
        if form.is_valid() and (form.cleaned_data["review"] or "change" in request.POST):
            # The page without JavaScript shows the total before recording; "Change" goes back.
            step = "form" if "change" in request.POST else "confirm"
            context = _context(order, form, kind, action, label, holds)
            return page_or_partial(request, template, step, {**context, "step": step}, 200)
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            try:
                with transaction.atomic():
                    form_token_consume(token=form.cleaned_data["form_token"], user=request.user)
                    operation = operation_record(
                        order=order,
                        kind=kind,
                        items=form.cleaned_data["items"],
                        payment_id=form.cleaned_data["payment_id"],
                        metadata={"reason": reason} if reason else None,
                        actor=staff_actor(request),
                    )
            except FormAlreadySubmitted as exc:
                messages.info(request, str(exc).capitalize() + ".")
                return done(request, order_url(order))
            except DomainError as exc:
                form.add_service_error(exc)
            else:
                money = format_money(operation.amount, order.currency)
                messages.success(
                    request,
                    _("%(what)s of %(amount)s recorded.") % {"what": status_label(kind), "amount": money},
                )
                return done(request, order_url(order))
        status = UNPROCESSABLE
    else:
        form = OperationForm(
            order=order,
            kind=kind,
            lines=lines,
            held=held,
            initial={"payment_id": _suggested_payment_id(order, kind), "form_token": form_token_new()},
        )
        status = 200
    context = _context(order, form, kind, action, label, holds)
    return page_or_partial(request, template, "form", context, status)


def _context(
    order: Order, form: OperationForm, kind: OperationKind, action: str, label: str, holds: list[Hold]
) -> dict[str, object]:
    return {
        "order": order,
        "form": form,
        "kind": kind,
        "verb": VERBS[kind],
        "action": action,
        "label": label,
        "holds": holds,
    }


@require_http_methods(["GET", "POST"])
@staff_page("orders.cancel_order")
def order_cancel_page(request: StaffRequest, account: Account, order_id: str) -> HttpResponse:
    order = order_or_404(account, order_id)
    form = CancelForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                order_cancel(order=order, actor=staff_actor(request), reason=form.cleaned_data["reason"])
            except DomainError as exc:
                form.add_error(None, exc.for_staff)
            else:
                messages.success(request, _("Order %(order_id)s cancelled.") % {"order_id": order.order_id})
                return done(request, order_url(order))
        status = UNPROCESSABLE
    return page_or_partial(
        request, "orders/cancel_confirm.html", "form", {"order": order, "form": form}, status
    )
