"""The order page: totals, lines, operations, timeline and what the user may do now; notes."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from backoffice.access import staff_page
from backoffice.errors import DomainError
from backoffice.models import Account
from backoffice.pages import UNPROCESSABLE, StaffRequest, page_or_partial
from orders.forms import NoteForm
from orders.holds import Hold, held_by_line, order_holds
from orders.inputs import line_vat_warning_shown
from orders.models import EventKind, OperationKind, Order
from orders.selectors import customer_summary, draft_list, event_list, operation_list
from orders.services.events import note_add
from orders.services.replacement import replacement_settlement, reversible_lines
from orders.timeline import event_summary
from orders.web.common import order_page_or_404, order_url, staff_actor


def _order_context(request: StaffRequest, order: Order) -> dict:
    operations = operation_list(order=order)
    events = list(event_list(order=order))
    # Replacements are drafts completed onto the order: an order never updated has none.
    updated = any(e.kind == EventKind.ORDER_UPDATED for e in events)
    drafts = (
        draft_list(account=order.account).filter(target_order=order, status="COMPLETED") if updated else []
    )
    replacements = [d for d in drafts if (d.document.get("metadata") or {}).get("replacement")]
    settlements = [(draft, replacement_settlement(order=order, draft=draft)) for draft in replacements]
    lines = list(order.lines.all())
    by_id = {line.line_id: line for line in lines}
    for event in events:
        event.text = event_summary(event, by_id, order.currency)
    holds = order_holds(order)
    return {
        "order": order,
        "lines": lines,
        # Lines taken with VAT that does not add up (orders.inputs.vat_warning).
        "vat_warnings": [
            (line.line_id, line_vat_warning_shown(line, order.currency)) for line in lines if line.vat_warning
        ],
        "holds": [h for h in holds if h.kind != OperationKind.AUTHORIZATION or not order.is_cancelled],
        "held": {
            "to_authorize": sum(held_by_line(holds, OperationKind.AUTHORIZATION).values()),
            "to_capture": sum(held_by_line(holds, OperationKind.CAPTURE).values()),
            "refundable": sum(held_by_line(holds, OperationKind.REFUND).values()),
        },
        "operations": operations,
        "events": events,
        "notes": [e for e in events if e.kind == EventKind.NOTE_ADDED],
        "settlements": settlements,
        "note_form": NoteForm(),
        "can": _order_actions(request, order, lines, holds),
        "customer": customer_summary(order),
        "addresses": [
            (_("Shipping address"), order.shipping_address),
            (_("Billing address"), order.billing_address),
        ],
        "payment_ids": sorted({op.payment_id for op in operations if op.payment_id}),
    }


def _order_actions(request: StaffRequest, order: Order, lines, holds: list[Hold]) -> dict:
    """What the user may do now: what their role allows, and what what is left on the lines,
    less what calls and links under way hold (`orders.holds`), leaves to do."""
    user = request.user
    active = not order.is_cancelled
    takes_payments = order.takes_payments  # not cancelled, not closed
    records = user.has_perm("orders.record_operation")

    def left(kind: OperationKind) -> bool:
        held = held_by_line(holds, kind)
        return any(
            line.sign * (line.figures.remaining(kind) - held.get(line.line_id, 0)) > 0 for line in lines
        )

    return {
        "authorize": takes_payments and records and left(OperationKind.AUTHORIZATION),
        "capture": takes_payments and records and left(OperationKind.CAPTURE),
        "cancellation": active and records and left(OperationKind.CANCELLATION),
        "refund": user.has_perm("orders.record_refund") and left(OperationKind.REFUND),
        # A capture or cancel under way at the provider may already have taken money.
        "cancel": active
        and user.has_perm("orders.cancel_order")
        and order.captured_amount == 0
        and not held_by_line(holds, OperationKind.CANCELLATION),
        "replace": takes_payments and user.has_perm("orders.build_draft") and bool(reversible_lines(order)),
        "update": takes_payments and user.has_perm("orders.build_draft"),
        "note": user.has_perm("orders.add_note"),
        "customer": user.has_perm("orders.build_draft"),
    }


@require_GET
@staff_page()
def order_detail(request: StaffRequest, account: Account, order_id: str) -> HttpResponse:
    order = order_page_or_404(account, order_id)
    return render(request, "orders/order_detail.html", _order_context(request, order))


@require_POST
@staff_page("orders.add_note")
def note_create(request: StaffRequest, account: Account, order_id: str) -> HttpResponse:
    order = order_page_or_404(account, order_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            note_add(order=order, text=form.cleaned_data["text"], actor=staff_actor(request))
        except DomainError as exc:
            form.add_error("text", exc.for_staff)
        else:
            if not request.htmx:
                messages.success(request, _("Note added."))
                return redirect(order_url(order))
            context = _order_context(request, order)
            return render(request, "orders/order_detail.html#timeline", context)
    context = {**_order_context(request, order), "note_form": form}
    return page_or_partial(request, "orders/order_detail.html", "timeline", context, UNPROCESSABLE)
