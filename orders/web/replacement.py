"""Replace item: reverse lines and add replacements in one step, then settle the difference."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from backoffice.access import staff_page
from backoffice.errors import DomainError
from backoffice.models import Account
from backoffice.pages import UNPROCESSABLE, StaffRequest, done
from orders.forms import ExtraAuthorizationForm, ReplaceForm, ReplacementLineForm, SettleForm, status_label
from orders.models import DraftOrder, Order
from orders.services.form_tokens import FormAlreadySubmitted, form_token_consume, form_token_new
from orders.services.replacement import (
    Replacement,
    Reversal,
    replacement_create,
    replacement_quote,
    replacement_settle,
    replacement_settlement,
    reversible_lines,
)
from orders.web.common import draft_or_404, order_or_404, staff_actor

REPLACEMENT_ROWS = 3


def _replace_forms(request: StaffRequest, order: Order):
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
def replace_page(request: StaffRequest, account: Account, order_id: str) -> HttpResponse:
    order = order_or_404(account, order_id)
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
                actor=staff_actor(request),
            )
        except DomainError as exc:
            form.add_error(None, exc.for_staff)
        else:
            messages.success(
                request,
                _("Order %(order_id)s updated: the replacement lines are on it.")
                % {"order_id": order.order_id},
            )
            return done(request, reverse("replacement-detail", args=[account.aid, order.order_id, draft.pk]))
    context = {"order": order, "form": form, "rows": rows, "quote": quote}
    return render(request, "orders/replace.html", context, status=UNPROCESSABLE)


@require_GET
@staff_page("orders.build_draft")
def replace_preview(request: StaffRequest, account: Account, order_id: str) -> HttpResponse:
    order = order_or_404(account, order_id)
    form, rows = _replace_forms(request, order)
    choices = _replace_choices(form, rows)
    quote, problem = None, ""
    if choices is not None:
        reversals, replacements = choices
        try:
            quote = replacement_quote(order=order, reversals=reversals, replacements=replacements)
        except DomainError as exc:
            problem = "; ".join(e.for_staff for e in exc.errors) or exc.for_staff
    return render(
        request, "orders/replace.html#preview", {"order": order, "quote": quote, "problem": problem}
    )


def _replacement(account: Account, order: Order, draft_id: str) -> DraftOrder:
    draft = draft_or_404(account, draft_id)
    if draft.target_order_id != order.pk or draft.is_open:
        raise Http404("no such replacement on this order")
    return draft


@require_GET
@staff_page()
def replacement_detail(request: StaffRequest, account: Account, order_id: str, draft_id: str) -> HttpResponse:
    order = order_or_404(account, order_id)
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
    request: StaffRequest, account: Account, order_id: str, draft_id: str, step: str
) -> HttpResponse:
    order = order_or_404(account, order_id)
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
                    actor=staff_actor(request),
                    payment_id=form.cleaned_data.get("payment_id", ""),
                    capture=form.cleaned_data.get("capture", False),
                )
        except FormAlreadySubmitted as exc:
            messages.info(request, str(exc).capitalize() + ".")
            return done(request, url)
        except DomainError as exc:
            for fe in exc.errors:
                form.add_error(fe.field if fe.field in form.fields else None, fe.for_staff)
            if not exc.errors:
                form.add_error(None, exc.for_staff)
        else:
            kinds = ", ".join(status_label(op.kind).lower() for op in recorded)
            messages.success(
                request, _("%(step)s: recorded %(kinds)s.") % {"step": plan.title, "kinds": kinds}
            )
            return done(request, url)
    order = order_or_404(account, order_id)
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
