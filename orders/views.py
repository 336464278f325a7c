"""Staff pages: thin views that parse a form, call one service and render.

Every page lives under an account (`/<aid>/...`) the user is a member of; another account's
order, or an account the user is not a member of, answers 404. Actions a role may not take
answer 403. A successful POST redirects (an htmx request gets a client redirect), a refused one
re-renders the form with the service's message next to the fields, with status 422.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from backoffice.models import Account
from orders.actor import Actor
from orders.errors import DomainError, NotFound
from orders.forms import (
    SORTS,
    CancelForm,
    DraftStartForm,
    ExtraAuthorizationForm,
    LineItemForm,
    NoteForm,
    OperationForm,
    OrderFilterForm,
    ReplaceForm,
    ReplacementLineForm,
    SettleForm,
)
from orders.holds import Hold, held_by_line, order_holds
from orders.ledger import remaining
from orders.models import DraftOrder, EventKind, OperationKind, Order, PaymentOperation
from orders.money import format_money
from orders.selectors import (
    draft_get,
    draft_list,
    event_list,
    operation_list,
    order_get,
    order_list,
    order_page_get,
    order_search,
)
from orders.services.drafts import (
    draft_complete,
    draft_create,
    draft_delete,
    draft_item_add,
    draft_item_delete,
    draft_item_update,
)
from orders.services.events import note_add
from orders.services.form_tokens import FormAlreadySubmitted, form_token_consume, form_token_new
from orders.services.operations import line_figures, operation_record, order_cancel
from orders.services.replacement import (
    Replacement,
    Reversal,
    replacement_create,
    replacement_quote,
    replacement_settle,
    replacement_settlement,
    reversible_lines,
)

PAGE_SIZE = 25
UNPROCESSABLE = 422

# URL word -> (operation kind, permission, button label)
OPERATIONS = {
    "authorize": (OperationKind.AUTHORIZATION, "orders.record_operation", "Authorize"),
    "capture": (OperationKind.CAPTURE, "orders.record_operation", "Capture"),
    "refund": (OperationKind.REFUND, "orders.record_refund", "Refund"),
    "cancellation": (OperationKind.CANCELLATION, "orders.record_operation", "Cancel amounts"),
}
REPLACEMENT_ROWS = 3


def staff_page(permission: str = "orders.view_order") -> Callable:
    """Signed in, a member of the account in the URL (else 404), holding `permission` (else 403)."""

    def decorate(view: Callable) -> Callable:
        @login_required
        @wraps(view)
        def wrapped(request, aid: str, *args, **kwargs):
            # The layout's account switcher reuses this list: one query for both.
            request.staff_accounts = list(request.user.accounts.all())
            account = next((a for a in request.staff_accounts if a.aid == aid), None)
            if account is None:
                raise Http404("no such account")
            request.account = account  # the 403 page keeps the account's navigation
            if not request.user.has_perm(permission):
                raise PermissionDenied
            if request.method == "GET" and request.session.get("account") != aid:
                request.session["account"] = aid
            return view(request, account, *args, **kwargs)

        return wrapped

    return decorate


def _actor(request) -> Actor:
    return Actor(user=request.user)


def _order(account: Account, order_id: str) -> Order:
    try:
        return order_get(account=account, order_id=order_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


def _order_page(account: Account, order_id: str) -> Order:
    try:
        return order_page_get(account=account, order_id=order_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


def _draft(account: Account, draft_id: str) -> DraftOrder:
    try:
        return draft_get(account=account, draft_id=draft_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


def _done(request, url: str) -> HttpResponse:
    """POST-redirect-GET; htmx follows it with a client redirect."""
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _page(request, template: str, partial: str, context: dict, status: int = 200) -> HttpResponse:
    """The whole page, or only the named partial when htmx asks for it."""
    name = f"{template}#{partial}" if request.htmx and partial else template
    return render(request, name, context, status=status)


def _order_url(order: Order) -> str:
    return reverse("order-detail", args=[order.account.aid, order.order_id])


# Home and the order list ----------------------------------------------------------------------


@require_GET
@login_required
def home(request) -> HttpResponse:
    accounts = list(request.user.accounts.all())
    if not accounts:
        return render(request, "orders/no_account.html", status=403)
    remembered = request.session.get("account")
    account = next((a for a in accounts if a.aid == remembered), accounts[0])
    return redirect("order-list", aid=account.aid)


COUNT_LIMIT = 1000


def _cursor_filter(queryset, sort: str, cursor: str):
    field = SORTS[sort]
    name = field.lstrip("-")
    op = "lt" if field.startswith("-") else "gt"
    queryset = queryset.order_by(field, f"{'-' if op == 'lt' else ''}pk")
    if cursor:
        try:
            value, pk = signing.loads(cursor, salt="order-list")
        except (signing.BadSignature, ValueError, TypeError):
            return queryset
        queryset = queryset.filter(Q(**{f"{name}__{op}": value}) | Q(**{name: value, f"pk__{op}": pk}))
    return queryset


def _cursor_for(order: Order, sort: str) -> str:
    value = getattr(order, SORTS[sort].lstrip("-"))
    if hasattr(value, "isoformat"):
        value = value.isoformat()
    return signing.dumps([value, str(order.pk)], salt="order-list")


@require_GET
@staff_page()
def order_list_page(request, account: Account) -> HttpResponse:
    form = OrderFilterForm(request.GET or None)
    orders = order_list(account=account).prefetch_related(None)
    if form.is_valid():
        orders = order_search(form.filter(orders), form.cleaned_data.get("q", ""), account=account)
    sort = form.sort_key
    # Counting every match of a broad filter over millions of orders costs more than the page:
    # count up to a limit and say "more than" beyond it.
    total = orders[: COUNT_LIMIT + 1].count()
    rows = list(_cursor_filter(orders, sort, request.GET.get("cursor", ""))[: PAGE_SIZE + 1])
    next_cursor = _cursor_for(rows[PAGE_SIZE - 1], sort) if len(rows) > PAGE_SIZE else ""
    drafts = draft_list(account=account).filter(status="OPEN")[:5] if not request.htmx else []
    context = {
        "form": form,
        "orders": rows[:PAGE_SIZE],
        "total": min(total, COUNT_LIMIT),
        "more_than_total": total > COUNT_LIMIT,
        "sort": sort,
        "next_cursor": next_cursor,
        "is_later_page": bool(request.GET.get("cursor")),
        "open_drafts": drafts,
        "columns": [
            ("order_id", "Order"),
            ("created", "Created"),
            (None, "Customer"),
            ("gross", "Total"),
            ("payment_status", "Payment"),
        ],
    }
    return _page(request, "orders/order_list.html", "results", context)


# The order page -------------------------------------------------------------------------------


def _order_context(request, order: Order) -> dict:
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
    holds = order_holds(order)
    return {
        "order": order,
        "lines": lines,
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
        "payment_ids": sorted({op.payment_id for op in operations if op.payment_id}),
    }


def _order_actions(request, order: Order, lines, holds: list[Hold]) -> dict:
    """What the user may do now: what their role allows, and what what is left on the lines,
    less what calls and links under way hold (`orders.holds`), leaves to do."""
    user = request.user
    active = not order.is_cancelled
    records = user.has_perm("orders.record_operation")

    def left(kind: OperationKind) -> bool:
        held = held_by_line(holds, kind)
        return any(
            line.sign * (remaining(kind, line_figures(line)) - held.get(line.line_id, 0)) > 0
            for line in lines
        )

    return {
        "authorize": active and records and left(OperationKind.AUTHORIZATION),
        "capture": active and records and left(OperationKind.CAPTURE),
        "cancellation": active and records and left(OperationKind.CANCELLATION),
        "refund": user.has_perm("orders.record_refund") and left(OperationKind.REFUND),
        # A capture or cancel under way at the provider may already have taken money.
        "cancel": active
        and user.has_perm("orders.cancel_order")
        and order.captured_amount == 0
        and not held_by_line(holds, OperationKind.CANCELLATION),
        "replace": active and user.has_perm("orders.build_draft") and bool(reversible_lines(order)),
        "update": active and user.has_perm("orders.build_draft"),
        "note": user.has_perm("orders.add_note"),
    }


@require_GET
@staff_page()
def order_detail(request, account: Account, order_id: str) -> HttpResponse:
    order = _order_page(account, order_id)
    return render(request, "orders/order_detail.html", _order_context(request, order))


@require_POST
@staff_page("orders.add_note")
def note_create(request, account: Account, order_id: str) -> HttpResponse:
    order = _order_page(account, order_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            note_add(order=order, text=form.cleaned_data["text"], actor=_actor(request))
        except DomainError as exc:
            form.add_error("text", exc.message)
        else:
            if not request.htmx:
                messages.success(request, "Note added.")
                return redirect(_order_url(order))
            context = _order_context(request, order)
            return render(request, "orders/order_detail.html#timeline", context)
    context = {**_order_context(request, order), "note_form": form}
    return _page(request, "orders/order_detail.html", "timeline", context, UNPROCESSABLE)


# Recording payment operations -----------------------------------------------------------------


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
def operation_record_page(request, aid: str, order_id: str, action: str) -> HttpResponse:
    if action not in OPERATIONS:
        raise Http404("no such action")
    kind, permission, label = OPERATIONS[action]
    return staff_page(permission)(_operation_record_page)(request, aid, order_id, kind, action, label)


def _operation_record_page(
    request, account: Account, order_id: str, kind: OperationKind, action: str, label: str
) -> HttpResponse:
    order = _order(account, order_id)
    lines = list(order.lines.all())
    holds = order_holds(order, kind)
    held = held_by_line(holds, kind)
    if request.method == "POST":
        form = OperationForm(request.POST, order=order, kind=kind, lines=lines, held=held)
        if form.is_valid():
            try:
                with transaction.atomic():
                    form_token_consume(token=form.cleaned_data["form_token"], user=request.user)
                    operation = operation_record(
                        order=order, kind=kind, payload=form.payload(), actor=_actor(request)
                    )
            except FormAlreadySubmitted as exc:
                messages.info(request, str(exc).capitalize() + ".")
                return _done(request, _order_url(order))
            except DomainError as exc:
                form.add_service_error(exc)
            else:
                money = format_money(operation.amount, order.currency)
                messages.success(request, f"{kind.capitalize()} of {money} recorded.")
                return _done(request, _order_url(order))
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
    context = {"order": order, "form": form, "kind": kind, "action": action, "label": label, "holds": holds}
    return _page(request, "orders/operation_form.html", "form", context, status)


@require_http_methods(["GET", "POST"])
@staff_page("orders.cancel_order")
def order_cancel_page(request, account: Account, order_id: str) -> HttpResponse:
    order = _order(account, order_id)
    form = CancelForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                order_cancel(order=order, actor=_actor(request), reason=form.cleaned_data["reason"])
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"Order {order.order_id} cancelled.")
                return _done(request, _order_url(order))
        status = UNPROCESSABLE
    return _page(request, "orders/cancel_confirm.html", "form", {"order": order, "form": form}, status)


# Drafts ---------------------------------------------------------------------------------------


@require_GET
@staff_page("orders.build_draft")
def draft_list_page(request, account: Account) -> HttpResponse:
    drafts = draft_list(account=account).filter(status="OPEN")[:100]
    return render(request, "orders/draft_list.html", {"drafts": drafts})


@require_http_methods(["GET", "POST"])
@staff_page("orders.build_draft")
def draft_new(request, account: Account) -> HttpResponse:
    form = DraftStartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            draft = draft_create(account=account, payload=form.payload(), actor=_actor(request))
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            return _done(request, reverse("draft-detail", args=[account.aid, draft.pk]))
    status = UNPROCESSABLE if request.method == "POST" else 200
    return render(request, "orders/draft_new.html", {"form": form}, status=status)


@require_POST
@staff_page("orders.build_draft")
def order_update_draft(request, account: Account, order_id: str) -> HttpResponse:
    """Start a draft that adds lines to an existing order."""
    order = _order(account, order_id)
    payload = {"options": {"order_id": order.order_id}, "order": {"currency": order.currency, "items": []}}
    draft = draft_create(account=account, payload=payload, actor=_actor(request))
    return _done(request, reverse("draft-detail", args=[account.aid, draft.pk]))


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
def draft_detail(request, account: Account, draft_id: str) -> HttpResponse:
    draft = _draft(account, draft_id)
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
    context = _draft_context(draft, edit_line=int(edit_line) if edit_form else None, edit_form=edit_form)
    partial = "editor" if edit_form else ""
    return _page(request, "orders/draft_detail.html", partial, context)


def _open_draft(account: Account, draft_id: str) -> DraftOrder:
    draft = _draft(account, draft_id)
    if not draft.is_open:
        raise Http404("this draft is completed")
    return draft


@require_POST
@staff_page("orders.build_draft")
def draft_item_create(request, account: Account, draft_id: str) -> HttpResponse:
    draft = _open_draft(account, draft_id)
    form = LineItemForm(request.POST, currency=draft.currency, prefix="new")
    if form.is_valid():
        try:
            # Without a line_id: the line is numbered when the draft completes, after the order's last.
            draft_item_add(draft=draft, payload=form.item(), actor=_actor(request))
        except DomainError as exc:
            form.add_service_error(exc)
        else:
            if not request.htmx:
                return redirect("draft-detail", aid=account.aid, draft_id=draft.pk)
            draft.refresh_from_db()
            context = _draft_context(draft)
            context["focus_add"] = True
            return render(request, "orders/draft_detail.html#editor", context)
    return _page(request, "orders/draft_detail.html", "editor", _draft_context(draft, form), UNPROCESSABLE)


@require_POST
@staff_page("orders.build_draft")
def draft_item_change(request, account: Account, draft_id: str, line_id: int) -> HttpResponse:
    draft = _open_draft(account, draft_id)
    form = LineItemForm(request.POST, currency=draft.currency, prefix="edit")
    if form.is_valid():
        try:
            draft_item_update(draft=draft, line_id=line_id, payload=form.item(), actor=_actor(request))
        except DomainError as exc:
            form.add_service_error(exc)
        else:
            if not request.htmx:
                return redirect("draft-detail", aid=account.aid, draft_id=draft.pk)
            draft.refresh_from_db()
            return render(request, "orders/draft_detail.html#editor", _draft_context(draft))
    context = _draft_context(draft, edit_line=line_id, edit_form=form)
    return _page(request, "orders/draft_detail.html", "editor", context, UNPROCESSABLE)


@require_POST
@staff_page("orders.build_draft")
def draft_item_remove(request, account: Account, draft_id: str, line_id: int) -> HttpResponse:
    draft = _open_draft(account, draft_id)
    try:
        draft_item_delete(draft=draft, line_id=line_id, actor=_actor(request))
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    if not request.htmx:
        return redirect("draft-detail", aid=account.aid, draft_id=draft.pk)
    draft.refresh_from_db()
    return render(request, "orders/draft_detail.html#editor", _draft_context(draft))


@require_POST
@staff_page("orders.build_draft")
def draft_complete_page(request, account: Account, draft_id: str) -> HttpResponse:
    draft = _open_draft(account, draft_id)
    try:
        order = draft_complete(draft=draft, actor=_actor(request))
    except DomainError as exc:
        draft.refresh_from_db()
        context = {**_draft_context(draft), "complete_errors": [exc.message]}
        return _page(request, "orders/draft_detail.html", "editor", context, UNPROCESSABLE)
    verb = "updated" if draft.target_order_id else "created"
    messages.success(request, f"Order {order.order_id} {verb}.")
    return _done(request, _order_url(order))


@require_POST
@staff_page("orders.build_draft")
def draft_discard(request, account: Account, draft_id: str) -> HttpResponse:
    draft = _open_draft(account, draft_id)
    draft_delete(draft=draft, actor=_actor(request))
    messages.success(request, "Draft discarded.")
    return _done(request, reverse("order-list", args=[account.aid]))


@require_GET
@staff_page()
def vat_preview(request, account: Account) -> HttpResponse:
    """The VAT a line total contains, for the line forms as staff type."""
    currency = request.GET.get("currency", "NOK")
    prefix = request.GET.get("prefix", "new")
    form = LineItemForm(request.GET, currency=currency if currency.isalpha() else "NOK", prefix=prefix)
    form.is_valid()
    vat = form.vat_amount
    text = f"contains {format_money(vat, form.currency)} VAT" if vat is not None else ""
    return render(request, "orders/includes/vat.html", {"text": text, "prefix": prefix})


# Replacing items ------------------------------------------------------------------------------


def _replace_forms(request, order: Order):
    data = request.POST if request.method == "POST" else (request.GET or None)
    form = ReplaceForm(data, reversible=reversible_lines(order))
    rows = [
        ReplacementLineForm(data, currency=order.currency, prefix=f"new-{i}") for i in range(REPLACEMENT_ROWS)
    ]
    return form, rows


def _replace_choices(form: ReplaceForm, rows: list[ReplacementLineForm]):
    """(reversals, replacements) if every form is valid, else None."""
    valid = form.is_valid()
    valid = all([row.is_valid() for row in rows]) and valid
    if not valid:
        return None
    reversals = [Reversal(line_id=lid, quantity=q) for lid, q in form.choices()]
    replacements = [
        Replacement(
            sku=row.cleaned_data["sku"],
            description=row.cleaned_data["description"],
            quantity=row.cleaned_data["quantity"],
            gross_amount=row.cleaned_data["amount"],
            vat_rate=row.cleaned_data["vat_rate"],
        )
        for row in rows
        if row.has_changed() and row.cleaned_data
    ]
    return reversals, replacements


@require_http_methods(["GET", "POST"])
@staff_page("orders.build_draft")
def replace_page(request, account: Account, order_id: str) -> HttpResponse:
    order = _order(account, order_id)
    if request.method == "GET":
        form = ReplaceForm(reversible=reversible_lines(order))
        rows = [
            ReplacementLineForm(currency=order.currency, prefix=f"new-{i}") for i in range(REPLACEMENT_ROWS)
        ]
        return render(request, "orders/replace.html", {"order": order, "form": form, "rows": rows})
    form, rows = _replace_forms(request, order)
    choices = _replace_choices(form, rows)
    quote = None
    if choices is not None:
        reversals, replacements = choices
        try:
            draft = replacement_create(
                order=order,
                reversals=reversals,
                replacements=replacements,
                reason=form.cleaned_data["reason"],
                actor=_actor(request),
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Order {order.order_id} updated: the replacement lines are on it.")
            return _done(request, reverse("replacement-detail", args=[account.aid, order.order_id, draft.pk]))
    context = {"order": order, "form": form, "rows": rows, "quote": quote}
    return render(request, "orders/replace.html", context, status=UNPROCESSABLE)


@require_GET
@staff_page("orders.build_draft")
def replace_preview(request, account: Account, order_id: str) -> HttpResponse:
    order = _order(account, order_id)
    form, rows = _replace_forms(request, order)
    choices = _replace_choices(form, rows)
    quote, problem = None, ""
    if choices is not None:
        reversals, replacements = choices
        try:
            quote = replacement_quote(order=order, reversals=reversals, replacements=replacements)
        except DomainError as exc:
            problem = "; ".join(e.message for e in exc.errors) or exc.message
    return render(
        request, "orders/replace.html#preview", {"order": order, "quote": quote, "problem": problem}
    )


def _replacement(account: Account, order: Order, draft_id: str) -> DraftOrder:
    draft = _draft(account, draft_id)
    if draft.target_order_id != order.pk or draft.is_open:
        raise Http404("no such replacement on this order")
    return draft


@require_GET
@staff_page()
def replacement_detail(request, account: Account, order_id: str, draft_id: str) -> HttpResponse:
    order = _order(account, order_id)
    draft = _replacement(account, order, draft_id)
    settlement = replacement_settlement(order=order, draft=draft)
    context = {
        "order": order,
        "draft": draft,
        "settlement": settlement,
        "settle_form": SettleForm(initial={"form_token": form_token_new()}),
        "extra_form": ExtraAuthorizationForm(initial={"form_token": form_token_new()}),
    }
    return render(request, "orders/replacement.html", context)


@require_POST
@staff_page()
def replacement_settle_step(
    request, account: Account, order_id: str, draft_id: str, step: str
) -> HttpResponse:
    order = _order(account, order_id)
    draft = _replacement(account, order, draft_id)
    settlement = replacement_settlement(order=order, draft=draft)
    plan = settlement.step(step)
    if plan is None:
        raise Http404("no such step")
    if not request.user.has_perm(plan.permission):
        raise PermissionDenied
    form_class = ExtraAuthorizationForm if step == "extra" else SettleForm
    form = form_class(request.POST)
    url = reverse("replacement-detail", args=[account.aid, order.order_id, draft.pk])
    if form.is_valid():
        try:
            with transaction.atomic():
                form_token_consume(token=form.cleaned_data["form_token"], user=request.user)
                recorded = replacement_settle(
                    order=order,
                    draft=draft,
                    step_key=step,
                    actor=_actor(request),
                    payment_id=form.cleaned_data.get("payment_id", ""),
                    capture=form.cleaned_data.get("capture", False),
                )
        except FormAlreadySubmitted as exc:
            messages.info(request, str(exc).capitalize() + ".")
            return _done(request, url)
        except DomainError as exc:
            for fe in exc.errors:
                form.add_error(fe.field if fe.field in form.fields else None, fe.message)
            if not exc.errors:
                form.add_error(None, exc.message)
        else:
            kinds = ", ".join(op.kind for op in recorded)
            messages.success(request, f"{plan.title}: recorded {kinds}.")
            return _done(request, url)
    order = _order(account, order_id)
    context = {
        "order": order,
        "draft": draft,
        "settlement": replacement_settlement(order=order, draft=draft),
        "settle_form": form if step != "extra" else SettleForm(initial={"form_token": form_token_new()}),
        "extra_form": form
        if step == "extra"
        else ExtraAuthorizationForm(initial={"form_token": form_token_new()}),
        "failed_step": step,
    }
    return render(request, "orders/replacement.html", context, status=UNPROCESSABLE)
