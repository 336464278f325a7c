"""Admin for data fixes. Customer details, addresses, descriptions and metadata can be edited,
each save going through a service that writes a `data_fixed` event on the order. Money —
line amounts, tax lines, operations, their items, events — is read-only and never deletable:
amounts are corrected by reversal lines, never rewritten."""

from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy

from backoffice.actor import Actor
from backoffice.admin_site import AccountFilter, AccountScoped, CurrencyFilter, member_account_ids
from backoffice.admin_site import ReadOnly as ReadOnlyHistory
from backoffice.forms import StorableJSONField
from backoffice.models import Account
from orders.models import (
    REVERSED,
    DraftOrder,
    Event,
    OperationItem,
    Order,
    OrderLine,
    PaymentOperation,
    TaxLine,
)
from orders.money import format_money
from orders.selectors import search_condition
from orders.services.fixes import LINE_FIXABLE, ORDER_FIXABLE, line_data_fix, order_data_fix

MONEY_NOTE = gettext_lazy(
    "Amounts, tax lines and payment operations are money history: they cannot be edited or "
    "deleted here. To correct an amount, use “Replace item” on the order page (or a draft with "
    "options.order_id through the API): it adds a reversal line and a replacement, with a refund "
    "or an extra authorization for the difference."
)


def money(amount: int | None, currency: str) -> str:
    if amount is None:
        return "—"
    return format_money(amount, currency, getattr(settings, "DISPLAY_LOCALE", "nb_NO"))


class LedgerColumns:
    """The money columns of an order or a line, in its currency."""

    def currency_of(self, obj) -> str:
        return obj.currency

    @admin.display(description=gettext_lazy("gross"), ordering="gross_amount")
    def gross(self, obj):
        return money(obj.gross_amount, self.currency_of(obj))

    @admin.display(description=gettext_lazy("VAT"))
    def tax(self, obj):
        return money(obj.tax_amount, self.currency_of(obj))

    @admin.display(description=gettext_lazy("authorized"))
    def authorized(self, obj):
        return money(obj.authorized_amount, self.currency_of(obj))

    @admin.display(description=gettext_lazy("captured"), ordering="captured_amount")
    def captured(self, obj):
        return money(obj.captured_amount, self.currency_of(obj))

    @admin.display(description=gettext_lazy("refunded"), ordering="refunded_amount")
    def refunded(self, obj):
        return money(obj.refunded_amount, self.currency_of(obj))

    @admin.display(description=gettext_lazy("cancelled"))
    def cancelled(self, obj):
        return money(obj.cancelled_amount, self.currency_of(obj))


if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[Any]
else:
    _ModelAdmin = object


class ReadOnly(ReadOnlyHistory, _ModelAdmin):
    """Money history: read-only, with a note pointing to the reversal flow on its change page.
    (Inlines, which have no change page of their own, are `ReadOnlyHistory`.)"""

    change_form_template = "admin/orders/money_change_form.html"

    # Where the admin has an `amount_display`, its change page shows it in the amount's place:
    # money as money (`398,00 kr`), never in minor units.
    def get_readonly_fields(self, request, obj=None):
        shown = ["amount_display"] if hasattr(self, "amount_display") else []
        return [*super().get_readonly_fields(request, obj), *shown]

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if "amount" in fields and "amount_display" in fields:
            fields.remove("amount_display")
            fields[fields.index("amount")] = "amount_display"
        return fields

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "money_note": MONEY_NOTE}
        return super().changeform_view(request, object_id, form_url, extra_context)


class FixForm(forms.ModelForm):
    fix_reason = forms.CharField(
        label=gettext_lazy("Reason for the fix"),
        required=False,
        max_length=300,
        help_text=gettext_lazy("Shown in the order's timeline with your name and the changed fields."),
    )


class LineInline(LedgerColumns, ReadOnlyHistory, admin.TabularInline):
    model = OrderLine
    fields = (
        "line_link",
        "item_id",
        "description",
        "quantity",
        "gross",
        "tax",
        "authorized",
        "captured",
        "refunded",
        "cancelled",
        "related_line",
    )
    readonly_fields = fields
    extra = 0
    show_change_link = False
    verbose_name_plural = "Lines (amounts are read-only: see the note above)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order", "related_line__order")

    @admin.display(description=gettext_lazy("line"))
    def line_link(self, line):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:orders_orderline_change", args=[line.pk]), line.line_id
        )

    def currency_of(self, line) -> str:
        return line.order.currency


class OperationInline(ReadOnlyHistory, admin.TabularInline):
    model = PaymentOperation
    fields = ("created_at", "kind", "success", "amount_display", "payment_id", "created_by")
    readonly_fields = fields
    extra = 0
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order")

    @admin.display(description=gettext_lazy("amount"))
    def amount_display(self, op):
        return money(op.amount, op.order.currency)


class EventInline(ReadOnlyHistory, admin.TabularInline):
    model = Event
    fields = ("created_at", "kind", "summary", "created_by")
    readonly_fields = fields
    extra = 0


class FixableLedgerAdmin(LedgerColumns, admin.ModelAdmin):
    """An order or a line in the admin: never added or deleted there; its money shown read-only;
    its `fixable` fields saved through a data-fix service that writes the order's timeline."""

    fixable: tuple[str, ...]
    # JSON the database cannot store (NaN, 1e309, NUL...) is a field error, as on the API.
    formfield_overrides = {models.JSONField: {"form_class": StorableJSONField}}

    def data_fix(self, obj, changes: dict, actor: Actor, reason: str):
        raise NotImplementedError

    def has_add_permission(self, request) -> bool:
        # Orders come from completed drafts, and lines only with them.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        changes = {f: form.cleaned_data[f] for f in form.changed_data if f in self.fixable}
        fixed = self.data_fix(obj, changes, Actor(user=request.user), form.cleaned_data.get("fix_reason", ""))
        for field in self.fixable:
            setattr(obj, field, getattr(fixed, field))


@admin.register(Order)
class OrderAdmin(AccountScoped, FixableLedgerAdmin):
    form = FixForm
    list_display = [
        "order_id",
        "account",
        "created_at",
        "customer_name",
        "currency",
        "gross",
        "captured",
        "refunded",
        "status",
        "payment_status",
    ]
    list_filter = [
        "status",
        "payment_status",
        ("currency", CurrencyFilter),
        ("account", AccountFilter),
        "created_at",
    ]
    # Searched as the order list searches (`order_search`): by any part of an order id, e-mail,
    # name, phone, SKU, description or payment id, along its indexes; `icontains` of each field
    # read every order (11 s for a surname at a million orders).
    search_fields = ["order_id"]
    search_help_text = gettext_lazy("Any part of an order id, e-mail, name, phone, SKU or payment id")
    list_select_related = ["account"]
    inlines = [LineInline, OperationInline, EventInline]

    def get_search_results(self, request, queryset, search_term):
        if not search_term.split():
            return queryset, False
        ids = member_account_ids(request)
        accounts = Account.objects.all() if ids is None else Account.objects.filter(pk__in=ids)
        matching = Q(pk__in=[])
        for account in accounts:
            matching |= Q(account=account) & search_condition(search_term, account=account)
        return queryset.filter(matching), False

    readonly_fields = [
        "id",
        "account",
        "order_id",
        "currency",
        "status",
        "payment_status",
        "gross",
        "tax",
        "authorized",
        "captured",
        "refunded",
        "cancelled",
        "created_at",
        "updated_at",
        "cancelled_at",
        "created_by",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "order_id",
                    "id",
                    "account",
                    "status",
                    "payment_status",
                    "created_at",
                    "created_by",
                    "updated_at",
                    "cancelled_at",
                ]
            },
        ),
        (
            "Customer and addresses (editable: each save is written to the order's timeline)",
            {"fields": [*ORDER_FIXABLE, "fix_reason"]},
        ),
        (
            "Money (read-only)",
            {
                "fields": ["currency", "gross", "tax", "authorized", "captured", "refunded", "cancelled"],
                "description": MONEY_NOTE,
            },
        ),
    ]

    fixable = ORDER_FIXABLE

    def data_fix(self, obj, changes: dict, actor: Actor, reason: str):
        return order_data_fix(order=obj, changes=changes, actor=actor, reason=reason)


class LineMoney:
    """The amount of a row on a line (a tax line, an operation item) in its order's currency.
    (The admins' lists read the line and order with each row by `list_select_related`.)"""

    @admin.display(description=gettext_lazy("amount"), ordering="amount")
    def amount_display(self, row):
        return money(row.amount, row.line.order.currency)


class LineMoneyInline(LineMoney, ReadOnlyHistory, admin.TabularInline):
    """An inline of such rows, each read with its line and order."""

    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("line__order")


class TaxLineInline(LineMoneyInline):
    model = TaxLine
    fields = ("amount_display", "percentage")
    readonly_fields = fields


class ReversalFilter(admin.SimpleListFilter):
    """Reversal lines or the others (`related_type` holds "reversed" or nothing): Django's
    values filter read the value of every line to offer these two."""

    title = gettext_lazy("reversal")
    parameter_name = "reversal"

    def lookups(self, request, model_admin):
        return [("yes", gettext_lazy("Reversal lines")), ("no", gettext_lazy("Other lines"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(related_type=REVERSED)
        if self.value() == "no":
            return queryset.exclude(related_type=REVERSED)
        return queryset


@admin.register(OrderLine)
class OrderLineAdmin(AccountScoped, FixableLedgerAdmin):
    account_path = "order__account"
    form = FixForm
    list_display = [
        "__str__",
        "order",
        "line_id",
        "item_id",
        "description",
        "quantity",
        "gross",
        "captured",
        "refunded",
        "related_type",
    ]
    list_filter = [
        ReversalFilter,
        ("order__currency", CurrencyFilter),
        ("order__account", AccountFilter),
    ]
    # Whole values, along their indexes (a part of a SKU is the order list's search).
    search_fields = ["=order__order_id", "=item_id"]
    list_select_related = ["order"]
    # The newest lines first, along the primary key (the newest orders' lines, joined to every
    # order to sort them, took 1.3 s at a million orders).
    ordering = ["-id"]
    inlines = [TaxLineInline]
    readonly_fields = [
        "order",
        "line_id",
        "item_id",
        "quantity",
        "gross",
        "tax",
        "authorized",
        "captured",
        "refunded",
        "cancelled",
        "reversed_reason",
        "related_line",
        "related_type",
        "created_at",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "order",
                    "line_id",
                    "item_id",
                    "quantity",
                    "related_line",
                    "related_type",
                    "reversed_reason",
                    "created_at",
                ]
            },
        ),
        (
            "Descriptions and metadata (editable: each save is written to the order's timeline)",
            {"fields": [*LINE_FIXABLE, "fix_reason"]},
        ),
        (
            "Money (read-only)",
            {
                "fields": ["gross", "tax", "authorized", "captured", "refunded", "cancelled"],
                "description": MONEY_NOTE,
            },
        ),
    ]

    fixable = LINE_FIXABLE

    def data_fix(self, obj, changes: dict, actor: Actor, reason: str):
        return line_data_fix(line=obj, changes=changes, actor=actor, reason=reason)

    def currency_of(self, line) -> str:
        return line.order.currency


@admin.register(TaxLine)
class TaxLineAdmin(LineMoney, AccountScoped, ReadOnly, admin.ModelAdmin):
    account_path = "line__order__account"
    list_display = ["line", "amount_display", "percentage"]
    list_filter = [("line__order__currency", CurrencyFilter)]
    search_fields = ["=line__order__order_id"]
    list_select_related = ["line__order"]
    ordering = ["-id"]  # the newest first, along the primary key (see the lines')


class OperationItemInline(LineMoneyInline):
    model = OperationItem
    fields = ("line", "amount_display")
    readonly_fields = fields


@admin.register(PaymentOperation)
class PaymentOperationAdmin(AccountScoped, ReadOnly, admin.ModelAdmin):
    account_path = "order__account"
    list_display = ["created_at", "order", "kind", "success", "amount_display", "payment_id", "created_by"]
    list_filter = [
        "kind",
        "success",
        ("order__currency", CurrencyFilter),
        ("order__account", AccountFilter),
        "created_at",
    ]
    search_fields = ["=payment_id", "=order__order_id", "=id", "=created_by"]
    list_select_related = ["order"]
    inlines = [OperationItemInline]

    @admin.display(description=gettext_lazy("amount"), ordering="amount")
    def amount_display(self, op):
        return money(op.amount, op.order.currency)


@admin.register(OperationItem)
class OperationItemAdmin(LineMoney, AccountScoped, ReadOnly, admin.ModelAdmin):
    account_path = "operation__order__account"
    list_display = ["operation", "line", "amount_display"]
    list_filter = ["operation__kind", ("operation__order__currency", CurrencyFilter)]
    search_fields = ["=operation__payment_id", "=operation__order__order_id"]
    list_select_related = ["operation__order", "line__order"]
    ordering = ["operation__created_at", "operation__id", "line__line_id"]  # as the operations


@admin.register(Event)
class EventAdmin(AccountScoped, ReadOnly, admin.ModelAdmin):
    account_path = "order__account"
    list_display = ["created_at", "order", "kind", "summary", "created_by"]
    list_filter = ["kind", "created_at"]
    search_fields = ["=order__order_id", "=created_by"]
    list_select_related = ["order"]
    # The newest first, along the primary key: events are written in time order, and their
    # `created_at` has no index of its own (4.8 s at a million orders).
    ordering = ["-id"]


@admin.register(DraftOrder)
class DraftOrderAdmin(AccountScoped, ReadOnly, admin.ModelAdmin):
    """Drafts are edited through the API or the staff pages, where they are validated."""

    list_display = [
        "id",
        "account",
        "status",
        "currency",
        "gross",
        "target_order",
        "created_at",
        "created_by",
    ]
    list_filter = ["status", ("account", AccountFilter), "created_at"]
    search_fields = ["=id", "=target_order__order_id", "=completed_order__order_id", "=created_by"]
    list_select_related = ["account", "target_order"]

    @admin.display(description=gettext_lazy("gross"))
    def gross(self, draft):
        try:
            return money(draft.gross_amount, draft.currency)
        except Exception:  # a draft may still hold an invalid currency or amount
            return "—"
