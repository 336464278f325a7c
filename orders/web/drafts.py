"""The draft builder: new orders and update drafts, line by line, then complete."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from backoffice.access import staff_page
from backoffice.errors import DomainError, NotFound
from backoffice.models import Account
from backoffice.pages import UNPROCESSABLE, StaffRequest, done, page_or_partial
from orders.forms import DraftStartForm, LineItemForm
from orders.inputs import DraftDocument, DraftOptions
from orders.models import DraftOrder
from orders.money import format_money
from orders.selectors import draft_list
from orders.services.drafts import (
    draft_complete,
    draft_create,
    draft_delete,
    draft_item_add,
    draft_item_delete,
    draft_item_update,
)
from orders.web.common import draft_customer, draft_lines, draft_or_404, order_or_404, order_url, staff_actor


@require_GET
@staff_page("orders.build_draft")
def draft_list_page(request: StaffRequest, account: Account) -> HttpResponse:
    drafts = draft_list(account=account).filter(status="OPEN")[:100]
    rows = [
        {"draft": draft, "customer": draft_customer(draft), "lines": draft_lines(draft)} for draft in drafts
    ]
    return render(request, "orders/draft_list.html", {"drafts": rows})


@require_http_methods(["GET", "POST"])
@staff_page("orders.build_draft")
def draft_new(request: StaffRequest, account: Account) -> HttpResponse:
    form = DraftStartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            draft = draft_create(
                account=account, document=form.document(), options=form.options, actor=staff_actor(request)
            )
        except DomainError as exc:
            form.add_error(None, exc.for_staff)
        else:
            return done(request, reverse("draft-detail", args=[account.aid, draft.pk]))
    status = UNPROCESSABLE if request.method == "POST" else 200
    return render(request, "orders/draft_new.html", {"form": form}, status=status)


@require_POST
@staff_page("orders.build_draft")
def order_update_draft(request: StaffRequest, account: Account, order_id: str) -> HttpResponse:
    """Start a draft that adds lines to an existing order."""
    order = order_or_404(account, order_id)
    draft = draft_create(
        account=account,
        document=DraftDocument(currency=order.currency),
        options=DraftOptions(order_id=order.order_id),
        actor=staff_actor(request),
    )
    return done(request, reverse("draft-detail", args=[account.aid, draft.pk]))


def _draft_context(draft: DraftOrder, add_form=None, edit_line: int | None = None, edit_form=None) -> dict:
    rows = []
    for item in draft.items:
        tax = sum(t["amount"] for t in item.get("tax_lines", []))
        rates = ", ".join(f"{t['percentage']} %" for t in item.get("tax_lines", []))
        rows.append({"item": item, "tax": tax, "rates": rates})
    tax_total = sum(row["tax"] for row in rows)
    return {
        "draft": draft,
        "rows": rows,
        "tax_total": tax_total,
        "add_form": add_form or LineItemForm(currency=draft.currency, prefix="new"),
        "edit_line": edit_line,
        "edit_form": edit_form,
    }


@require_GET
@staff_page("orders.build_draft")
def draft_detail(request: StaffRequest, account: Account, draft_id: str) -> HttpResponse:
    draft = draft_or_404(account, draft_id)
    edit_line = request.GET.get("edit")
    edit_form = None
    if draft.is_open and edit_line and edit_line.isdigit():
        item = next((i for i in draft.items if i["line_id"] == int(edit_line)), None)
        if item is not None:
            edit_form = LineItemForm(
                currency=draft.currency,
                prefix="edit",
                initial=LineItemForm.initial_from(item, draft.currency),
            )
    context = _draft_context(
        draft, edit_line=int(edit_line) if edit_form and edit_line else None, edit_form=edit_form
    )
    partial = "editor" if edit_form else ""
    return page_or_partial(request, "orders/draft_detail.html", partial, context)


def _open_draft(account: Account, draft_id: str) -> DraftOrder:
    draft = draft_or_404(account, draft_id)
    if not draft.is_open:
        raise Http404("this draft is completed")
    return draft


@require_POST
@staff_page("orders.build_draft")
def draft_item_create(request: StaffRequest, account: Account, draft_id: str) -> HttpResponse:
    draft = _open_draft(account, draft_id)
    form = LineItemForm(request.POST, currency=draft.currency, prefix="new")
    if form.is_valid():
        try:
            # Without a line_id: the line is numbered when the draft completes, after the order's last.
            draft_item_add(draft=draft, item=form.item(), actor=staff_actor(request))
        except DomainError as exc:
            form.add_service_error(exc)
        else:
            if not request.htmx:
                return redirect("draft-detail", aid=account.aid, draft_id=draft.pk)
            draft.refresh_from_db()
            context = _draft_context(draft)
            context["focus_add"] = True
            return render(request, "orders/draft_detail.html#editor", context)
    return page_or_partial(
        request, "orders/draft_detail.html", "editor", _draft_context(draft, form), UNPROCESSABLE
    )


@require_POST
@staff_page("orders.build_draft")
def draft_item_change(request: StaffRequest, account: Account, draft_id: str, line_id: int) -> HttpResponse:
    draft = _open_draft(account, draft_id)
    form = LineItemForm(request.POST, currency=draft.currency, prefix="edit")
    if form.is_valid():
        try:
            draft_item_update(draft=draft, line_id=line_id, item=form.item(), actor=staff_actor(request))
        except DomainError as exc:
            form.add_service_error(exc)
        else:
            if not request.htmx:
                return redirect("draft-detail", aid=account.aid, draft_id=draft.pk)
            draft.refresh_from_db()
            return render(request, "orders/draft_detail.html#editor", _draft_context(draft))
    context = _draft_context(draft, edit_line=line_id, edit_form=form)
    return page_or_partial(request, "orders/draft_detail.html", "editor", context, UNPROCESSABLE)


@require_POST
@staff_page("orders.build_draft")
def draft_item_remove(request: StaffRequest, account: Account, draft_id: str, line_id: int) -> HttpResponse:
    draft = _open_draft(account, draft_id)
    try:
        draft_item_delete(draft=draft, line_id=line_id, actor=staff_actor(request))
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    if not request.htmx:
        return redirect("draft-detail", aid=account.aid, draft_id=draft.pk)
    draft.refresh_from_db()
    return render(request, "orders/draft_detail.html#editor", _draft_context(draft))


@require_POST
@staff_page("orders.build_draft")
def draft_complete_page(request: StaffRequest, account: Account, draft_id: str) -> HttpResponse:
    draft = _open_draft(account, draft_id)
    try:
        order = draft_complete(draft=draft, actor=staff_actor(request))
    except DomainError as exc:
        draft.refresh_from_db()
        context = {**_draft_context(draft), "complete_errors": [exc.for_staff]}
        return page_or_partial(request, "orders/draft_detail.html", "editor", context, UNPROCESSABLE)
    if draft.target_order_id:
        messages.success(request, _("Order %(order_id)s updated.") % {"order_id": order.order_id})
    else:
        messages.success(request, _("Order %(order_id)s created.") % {"order_id": order.order_id})
    return done(request, order_url(order))


@require_POST
@staff_page("orders.build_draft")
def draft_discard(request: StaffRequest, account: Account, draft_id: str) -> HttpResponse:
    draft = _open_draft(account, draft_id)
    draft_delete(draft=draft, actor=staff_actor(request))
    messages.success(request, _("Draft discarded."))
    return done(request, reverse("order-list", args=[account.aid]))


@require_GET
@staff_page()
def vat_preview(request: StaffRequest, account: Account) -> HttpResponse:
    """The VAT a line total contains, for the line forms as staff type."""
    currency = request.GET.get("currency", "NOK")
    prefix = request.GET.get("prefix", "new")
    form = LineItemForm(request.GET, currency=currency if currency.isalpha() else "NOK", prefix=prefix)
    form.is_valid()
    vat = form.vat_amount
    text = _("contains %(vat)s VAT") % {"vat": format_money(vat, form.currency)} if vat is not None else ""
    return render(request, "orders/includes/vat.html", {"text": text, "prefix": prefix})
