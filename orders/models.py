"""Drafts, orders, their lines and the append-only record of payment operations and events.

Amounts are integers in the currency's minor unit. Lines never change their amounts once on
an order; the per-line ledger figures (authorized, captured, refunded, cancelled) are cached
on the line and kept in step by the services under a lock on the order row. The check
constraints below hold the ledger rules even if a service were wrong.
"""

import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.fields.json import KT
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy

from backoffice.models import Account, ApiClient

# The ledger's vocabulary and figures; OperationKind and PaymentStatus are imported from here too.
from orders.ledger import Figures, OperationKind, PaymentStatus
from orders.money import format_money


class ActorFields(models.Model):
    """Who did it: a staff user, an API client, or the system (both empty)."""

    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_client = models.ForeignKey(
        ApiClient, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.CharField(max_length=200)

    class Meta:
        abstract = True


class DraftStatus(models.TextChoices):
    OPEN = "OPEN"
    COMPLETED = "COMPLETED"


class DraftOrder(models.Model):
    """An editable order document, stored as the JSON the API received.

    Completing it creates an order, or, when it names an existing order, appends its lines
    to that order.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="draft_orders")
    options = models.JSONField(default=dict, blank=True)
    document = models.JSONField(default=dict)
    target_order = models.ForeignKey(
        "Order", null=True, blank=True, on_delete=models.PROTECT, related_name="update_drafts"
    )
    status = models.CharField(max_length=10, choices=DraftStatus.choices, default=DraftStatus.OPEN)
    completed_order = models.ForeignKey(
        "Order", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.CharField(max_length=200)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["account", "-created_at"]),
            # The open drafts every order list shows: a few among the completed draft of every
            # order the API created, which the account's index alone would have to scan.
            models.Index(fields=["account", "-created_at"], condition=Q(status="OPEN"), name="draft_open"),
            # The admin's list of several accounts' drafts, newest first (see `order_created`).
            models.Index(fields=["-created_at", "-id"], name="draft_created"),
        ]

    def __str__(self) -> str:
        return f"draft {self.id}"

    @property
    def is_open(self) -> bool:
        return self.status == DraftStatus.OPEN

    @property
    def items(self) -> list[dict]:
        return self.document.get("items", [])

    @property
    def currency(self) -> str:
        return self.document.get("currency", "")

    @property
    def gross_amount(self) -> int:
        return sum(item.get("gross_amount", 0) for item in self.items)


class OrderStatus(models.TextChoices):
    """Answered on the API in Dintero's words (open, closed, cancelled: orders.api.vocabulary).
    A closed order takes no new update drafts, authorizations, captures or payment links; what
    is left may still be refunded or cancelled (orders.services.status)."""

    ACTIVE = "ACTIVE"
    CLOSED = "CLOSED"
    CANCELLED = "CANCELLED"


class LedgerFigures(models.Model):
    """The four running totals of the payment ledger, on a line or (summed) on an order."""

    authorized_amount = models.BigIntegerField(default=0)
    captured_amount = models.BigIntegerField(default=0)
    refunded_amount = models.BigIntegerField(default=0)
    cancelled_amount = models.BigIntegerField(default=0)
    # Each concrete model has these as its own fields (an order's sum up its lines').
    gross_amount: int
    tax_amount: int

    class Meta:
        abstract = True

    @property
    def figures(self) -> Figures:
        return Figures(
            gross=self.gross_amount,
            authorized=self.authorized_amount,
            captured=self.captured_amount,
            refunded=self.refunded_amount,
            cancelled=self.cancelled_amount,
        )

    # What is left, as the ledger's rules say (orders.ledger).

    @property
    def to_authorize(self) -> int:
        return self.figures.to_authorize

    @property
    def to_capture(self) -> int:
        return self.figures.to_capture

    @property
    def refundable(self) -> int:
        return self.figures.refundable

    @property
    def net_amount(self) -> int:
        return self.gross_amount - self.tax_amount


class Order(LedgerFigures):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No index of its own: every index of the account's orders below leads with it, and each
    # index is one more entry written by every change to an order.
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="orders", db_index=False)
    order_id = models.CharField(max_length=64)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=OrderStatus.choices, default=OrderStatus.ACTIVE)
    payment_status = models.CharField(
        max_length=24, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    customer = models.JSONField(default=dict, blank=True)
    shipping_address = models.JSONField(default=dict, blank=True)
    billing_address = models.JSONField(default=dict, blank=True)
    store = models.JSONField(default=dict, blank=True)
    merchant_reference = models.CharField(max_length=200, blank=True)
    merchant_reference_2 = models.CharField(max_length=200, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    # Dintero's other documented order fields (`shipping_option`, …), kept as sent and answered
    # as they are (orders.api.inputs.DINTERO_ORDER_FIELDS).
    dintero = models.JSONField(default=dict, blank=True)
    gross_amount = models.BigIntegerField(default=0)
    tax_amount = models.BigIntegerField(default=0)
    # Sums of the lines' discount lines, as Dintero answers them: all of them, and those of
    # discount_type "manual". Discounts are already taken off each line's gross amount.
    total_discount = models.BigIntegerField(default=0)
    total_manual_discount_amount = models.BigIntegerField(default=0)
    # Dintero's draft option: several authorizations may take the same line, each operation
    # naming the authorization it moves (`authorization_id`).
    multiple_authorizations = models.BooleanField(default=False)
    # The highest line_id ever used on the order: line ids are never reused.
    last_line_id = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # Dintero's Order: `cancelled_at/_by/_reason` and `closed_at/_by`
    # (https://docs.dintero.com/api-reference/draft/complete-a-draft-order); `_by` is the actor's
    # label, as `created_by`. Opening a closed order clears its closed fields.
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.CharField(max_length=200, blank=True)
    cancelled_reason = models.CharField(max_length=500, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.CharField(max_length=200, blank=True)
    created_by = models.CharField(max_length=200)
    # Everything the order search looks in, one value per line (order id, the customer's e-mail,
    # names and phone, the lines' SKUs and descriptions, the payment ids), kept by the services
    # that write them (orders.services.search_text): a search tests this one column of each
    # order, and one trigram index serves it (migration 0013, selectors.order_search).
    search_text = models.TextField(blank=True, default="", editable=False)
    # Not a column: the lines that reverse each line, which `selectors.reversed_by` indexes once
    # per loaded order.
    _reversed_by: dict[int, list["OrderLine"]]

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("build_draft", "Can build and complete drafts, reverse and replace items"),
            ("record_operation", "Can record authorizations, captures and cancellations"),
            ("record_refund", "Can record refunds"),
            ("cancel_order", "Can cancel orders"),
            ("add_note", "Can add notes to orders"),
            ("view_finance", "Can view finance reports and export them"),
            ("reconcile", "Can reconcile orders with the payment provider"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["account", "order_id"], name="order_id_unique_in_account"),
            models.CheckConstraint(condition=Q(status__in=OrderStatus.values), name="order_status_valid"),
            models.CheckConstraint(
                condition=Q(payment_status__in=PaymentStatus.values),
                name="order_payment_status_valid",
            ),
        ]
        indexes = [
            # Search matches whole values, case-insensitively, on these expressions, so that
            # every branch of a search is an index lookup (see selectors.order_search).
            models.Index(Lower(KT("customer__email")), name="order_customer_email"),
            models.Index(Lower(KT("customer__first_name")), name="order_customer_first_name"),
            models.Index(Lower(KT("customer__last_name")), name="order_customer_last_name"),
            models.Index(fields=["merchant_reference"], name="order_merchant_reference"),
            # The order list newest first, and its counts: with the columns its filters test
            # (currency, payment status, status) in the index, a count of a combined filter reads
            # the index alone instead of each order's row (at a million orders, cancelled EUR
            # orders of the last year, counted to 1 001: 61 ms -> 14 ms).
            models.Index(
                fields=["account", "-created_at", "-id", "currency", "payment_status", "status"],
                name="order_account_created",
            ),
            models.Index(fields=["account", "payment_status", "-created_at"], name="order_account_paystatus"),
            # The order list sorted by payment status, ties by id (orders.web.order_list): its
            # pages read in index order instead of sorting every order of the account.
            models.Index(fields=["account", "payment_status", "id"], name="order_account_paystatus_id"),
            # The order list sorted by total: by currency (ascending either way), then total, then
            # id (orders.web.order_list.page_rows): one index per direction of the total, so that
            # every page, the first or any after it, is read in index order from its cursor.
            models.Index(
                fields=["account", "currency", "gross_amount", "id"], name="order_account_gross_asc"
            ),
            models.Index(
                fields=["account", "currency", "-gross_amount", "-id"], name="order_account_gross_desc"
            ),
            # A store's orders (`GET …/shopping/stores/{store_id}/orders`): the order's `store.id`.
            models.Index(F("account"), KT("store__id"), F("created_at").desc(), name="order_account_store"),
            # The admin's list of the orders of several accounts (an administrator of more than
            # one, a superuser), newest first: the account's index orders one account's only, and
            # two accounts' orders were sorted whole (1.2 s at a million orders).
            models.Index(fields=["-created_at", "-id"], name="order_created"),
        ]

    def __str__(self) -> str:
        return self.order_id

    @property
    def is_cancelled(self) -> bool:
        return self.status == OrderStatus.CANCELLED

    @property
    def is_closed(self) -> bool:
        return self.status == OrderStatus.CLOSED

    @property
    def takes_payments(self) -> bool:
        """Open: new authorizations, captures, payment links and update drafts are possible (a
        closed order takes only refunds and cancellations of what is left)."""
        return self.status == OrderStatus.ACTIVE

    @property
    def customer_name(self) -> str:
        c = self.customer or {}
        name = " ".join(str(c.get(k, "")) for k in ("first_name", "last_name")).strip()
        return name or str(c.get("name", "") or "")

    @property
    def customer_email(self) -> str:
        return str((self.customer or {}).get("email", "") or "")


REVERSED = "reversed"

# The per-line ledger rules of the spec (orders.ledger), held again by the database, written
# once for each sign of the line's gross.
_POSITIVE_LINE = Q(
    gross_amount__gte=0,
    authorized_amount__gte=0,
    authorized_amount__lte=F("gross_amount"),
    captured_amount__gte=0,
    cancelled_amount__gte=0,
    refunded_amount__gte=0,
    refunded_amount__lte=F("captured_amount"),
)
_NEGATIVE_LINE = Q(
    gross_amount__lt=0,
    authorized_amount__lte=0,
    authorized_amount__gte=F("gross_amount"),
    captured_amount__lte=0,
    cancelled_amount__lte=0,
    refunded_amount__lte=0,
    refunded_amount__gte=F("captured_amount"),
)


class OrderLine(LedgerFigures):
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="lines")
    line_id = models.PositiveIntegerField()
    item_id = models.CharField("SKU", max_length=200, blank=True)
    description = models.CharField(max_length=500, blank=True)
    description_alias = models.CharField(max_length=500, blank=True)
    quantity = models.PositiveIntegerField()
    gross_amount = models.BigIntegerField()
    tax_amount = models.BigIntegerField(default=0)
    reversed_reason = models.CharField(max_length=500, blank=True)
    related_line = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversals"
    )
    related_type = models.CharField(max_length=20, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    # Dintero's other documented item fields (external_id, unit_gross_amount, discount_lines,
    # eligible_for_discount, thumbnail_url, version, …), kept as sent and answered as they are.
    dintero = models.JSONField(default=dict, blank=True)
    # The sums of its discount lines (all, and those of discount_type "manual"), with the sign of
    # the line's gross: what the order's total_discount and total_manual_discount_amount add up.
    discount_amount = models.BigIntegerField(default=0)
    manual_discount_amount = models.BigIntegerField(default=0)
    # Why the line's VAT does not add up, when it does not (orders.vat.vat_warning): the line is
    # taken as sent, shown with the warning and counted by the books check.
    vat_warning = models.CharField(max_length=500, blank=True)
    draft = models.ForeignKey(DraftOrder, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    # Not a column: the line's VAT rates as plain values, set by `selectors.order_page_get`.
    vat_rates: list[Decimal]

    class Meta:
        # By the order's column, not the order: ordering by the relation follows the order's own
        # ordering, a join to every order's row for each read of lines.
        ordering = ["order_id", "line_id"]
        indexes = [
            models.Index(fields=["item_id"], name="line_sku"),
            # Lines with money authorized but neither captured nor cancelled: the books check
            # starts from them when they are few (finance.stale_authorizations).
            models.Index(
                fields=["order"],
                condition=~Q(authorized_amount=F("captured_amount") + F("cancelled_amount")),
                name="line_open_authorization",
            ),
            # The few lines whose VAT does not add up: what the books check counts.
            models.Index(fields=["order"], condition=~Q(vat_warning=""), name="line_vat_warning"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["order", "line_id"], name="line_id_unique_in_order"),
            models.CheckConstraint(condition=Q(line_id__gte=1), name="line_id_positive"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="line_quantity_positive"),
            models.CheckConstraint(
                condition=(
                    Q(related_type=REVERSED, gross_amount__lt=0, related_line__isnull=False)
                    | (~Q(related_type=REVERSED) & Q(gross_amount__gte=0))
                ),
                name="line_only_reversals_negative",
            ),
            models.CheckConstraint(
                condition=(
                    Q(gross_amount__gte=0, tax_amount__gte=0, tax_amount__lte=F("gross_amount"))
                    | Q(gross_amount__lt=0, tax_amount__lte=0, tax_amount__gte=F("gross_amount"))
                ),
                name="line_tax_follows_gross",
            ),
            models.CheckConstraint(condition=_POSITIVE_LINE | _NEGATIVE_LINE, name="line_ledger_rules"),
            # Captured plus cancelled never exceeds authorized (in the line's direction).
            models.CheckConstraint(
                condition=(
                    Q(
                        gross_amount__gte=0,
                        authorized_amount__gte=F("captured_amount") + F("cancelled_amount"),
                    )
                    | Q(
                        gross_amount__lt=0,
                        authorized_amount__lte=F("captured_amount") + F("cancelled_amount"),
                    )
                ),
                name="line_capture_within_authorized",
            ),
        ]

    def __str__(self) -> str:
        """`line 2 of order T7X2K9QPL`: the order by its id, not its key."""
        return f"line {self.line_id} of order {self.order.order_id}"

    @property
    def is_reversal(self) -> bool:
        return self.related_type == REVERSED

    @property
    def is_refund_line(self) -> bool:
        return (self.metadata or {}).get("purpose") == "refund"

    @property
    def sign(self) -> int:
        return -1 if self.gross_amount < 0 else 1


class TaxLine(models.Model):
    line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="tax_lines")
    amount = models.BigIntegerField()
    percentage = models.DecimalField(max_digits=5, decimal_places=2)
    # Dintero's other documented tax line fields (tax_code, tax_group, exempt,
    # included_in_price, tax_basis, amount_dwh, tax_basis_dwh), kept as sent.
    dintero = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["line_id", "id"]  # by the column: see OrderLine
        constraints = [
            models.CheckConstraint(
                condition=Q(percentage__gte=0, percentage__lte=100), name="tax_percentage_range"
            )
        ]

    def __str__(self) -> str:
        """`79,60 kr at 25 %`: money as money."""
        money = format_money(self.amount, self.line.order.currency)
        return f"{money} at {Decimal(self.percentage).normalize():f} %"


class PaymentOperation(ActorFields):
    """A recorded authorization, capture, refund or cancellation. Never updated or deleted."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="operations")
    kind = models.CharField(max_length=20, choices=OperationKind.choices)
    success = models.BooleanField(default=True)
    amount = models.BigIntegerField()
    payment_id = models.CharField(max_length=200, blank=True)
    payment_details = models.JSONField(default=dict, blank=True)
    authorization_id = models.CharField(max_length=200, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    processed_by = models.CharField(max_length=200, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=OperationKind.values), name="operation_kind_valid")
        ]
        indexes = [
            models.Index(fields=["payment_id"], name="operation_payment_id"),
            models.Index(fields=["created_at"], name="operation_created"),
            # An order's last successful authorization, and the oldest ones first: how the
            # books check finds authorizations left open (finance.stale_authorizations).
            models.Index(
                fields=["order", "created_at"],
                condition=Q(kind="authorization", success=True),
                name="operation_auth_order",
            ),
            models.Index(
                fields=["created_at"],
                condition=Q(kind="authorization", success=True),
                name="operation_auth_created",
            ),
        ]

    def __str__(self) -> str:
        """`Refund of 99,50 kr on order T7X2K9QPL`: what the admin titles it (money as money,
        the order by its id)."""
        money = format_money(self.amount, self.order.currency)
        return f"{self.kind.capitalize()} of {money} on order {self.order.order_id}"

    @cached_property
    def item_list(self) -> list["ItemAmount"]:
        """What it moved on each line, in line order. The selectors that list operations read
        these for all of them in one query, and `operation_record` sets those it wrote; an
        operation loaded otherwise reads its own here."""
        rows = self.items.order_by("line__line_id").values_list("line__line_id", "amount", "payout")
        return [ItemAmount(line_number, amount, payout) for line_number, amount, payout in rows]


@dataclass(frozen=True, slots=True)
class ItemAmount:
    """An operation item as shown and answered: the line's number and the amount on it, and
    Dintero's `payout` of the item as sent (empty: none), which equality ignores."""

    line_number: int
    amount: int
    payout: dict = field(default_factory=dict, compare=False)


class OperationItem(models.Model):
    operation = models.ForeignKey(PaymentOperation, on_delete=models.PROTECT, related_name="items")
    line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="operation_items")
    amount = models.BigIntegerField()
    # Dintero's `payout` of an operation item, kept as sent (empty: none).
    payout = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["operation_id", "line__line_id"]  # by the operation's column: see OrderLine
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="operation_item_nonzero"),
            models.UniqueConstraint(fields=["operation", "line"], name="operation_line_once"),
        ]

    def __str__(self) -> str:
        """`100,00 kr on line 2 of order T7X2K9QPL`: money as money, the line by its number."""
        return f"{format_money(self.amount, self.line.order.currency)} on {self.line}"


class FinanceDay(models.Model):
    """The successful operation items of one local day (in settings.TIME_ZONE, from the
    operation's `created_at`), summed per account, currency, kind and VAT rate range of the
    line: what the finance page's totals and VAT table read, so they never scan the items.

    Written only by `finance_days_add` in the transaction that records the operations, as an
    increment; `vat` is the sum of the items' rounded VAT shares (`finance.item_vat()`), so it
    equals the drill-downs and the CSV to the minor unit."""

    # The unique key below leads with the account: no index of its own.
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+", db_index=False)
    day = models.DateField()
    currency = models.CharField(max_length=3)
    kind = models.CharField(max_length=20, choices=OperationKind.choices)
    rate_min = models.DecimalField(max_digits=5, decimal_places=2)
    rate_max = models.DecimalField(max_digits=5, decimal_places=2)
    amount = models.BigIntegerField(default=0)
    vat = models.BigIntegerField(default=0)
    items = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["account", "day", "currency", "kind", "rate_min", "rate_max"]
        constraints = [
            # The upsert's conflict target; its index, led by (account, day), is also the one
            # a period's figures are read through.
            models.UniqueConstraint(
                fields=["account", "day", "currency", "kind", "rate_min", "rate_max"],
                name="finance_day_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.currency} {self.kind} {self.rate_min}-{self.rate_max}: {self.amount}"


class FinanceEntry(models.Model):
    """A successful operation item as finance lists it, one row of the CSV: what the row shows,
    copied from the item's operation, order and line by the statement that adds the item to the
    rollup (`orders.services.finance_rollup`), never changed after. A month's CSV is then one
    range of one table, in time order, instead of the items joined at random to their
    operations, orders, lines and tax lines (at a million orders: 1.2 s of the month's 15 MB).
    `vat` and the rate range are those of `FinanceDay`, so the two agree to the minor unit."""

    # The index below leads with the account: no index of its own.
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+", db_index=False)
    created_at = models.DateTimeField()  # the operation's
    # The unique constraint below leads with the operation: no index of its own.
    operation = models.ForeignKey(
        PaymentOperation, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    order_id = models.CharField(max_length=64)
    currency = models.CharField(max_length=3)
    line_id = models.PositiveIntegerField()
    sku = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=20, choices=OperationKind.choices)
    amount = models.BigIntegerField()
    vat = models.BigIntegerField()
    rate_min = models.DecimalField(max_digits=5, decimal_places=2)
    rate_max = models.DecimalField(max_digits=5, decimal_places=2)
    payment_id = models.CharField(max_length=200, blank=True)
    created_by = models.CharField(max_length=200)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["operation", "line_id"], name="finance_entry_once"),
        ]
        indexes = [
            # A period of the account in the CSV's order (finance.export).
            models.Index(fields=["account", "created_at", "operation", "line_id"], name="finance_entry_time"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} of {self.amount} on line {self.line_id} of {self.order_id}"


class EventKind(models.TextChoices):
    DRAFT_COMPLETED = "draft_completed", gettext_lazy("Order created")
    ORDER_UPDATED = "order_updated", gettext_lazy("Order updated by a draft")
    AUTHORIZATION_RECORDED = "authorization_recorded", gettext_lazy("Authorization recorded")
    CAPTURE_RECORDED = "capture_recorded", gettext_lazy("Capture recorded")
    REFUND_RECORDED = "refund_recorded", gettext_lazy("Refund recorded")
    CANCELLATION_RECORDED = "cancellation_recorded", gettext_lazy("Cancellation recorded")
    OPERATION_FAILED = "operation_failed", gettext_lazy("Failed operation recorded")
    ORDER_CANCELLED = "order_cancelled", gettext_lazy("Order cancelled")
    NOTE_ADDED = "note_added", gettext_lazy("Note")
    DATA_FIXED = "data_fixed", gettext_lazy("Data fixed in admin")
    CUSTOMER_UPDATED = "customer_updated", gettext_lazy("Customer details changed")
    PROVIDER_CALL = "provider_call", gettext_lazy("Payment provider call")
    ORDER_CLOSED = "order_closed", gettext_lazy("Order closed")
    ORDER_OPENED = "order_opened", gettext_lazy("Order opened")
    ORDER_DETAILS_UPDATED = "order_details_updated", gettext_lazy("Order details changed")
    STATUS_REPORTED = "status_reported", gettext_lazy("Order status event")
    # Written by customer_mail's worker: what was e-mailed to the customer, or why not.
    CUSTOMER_EMAIL_SENT = "customer_email_sent", gettext_lazy("E-mail to the customer")
    CUSTOMER_EMAIL_FAILED = "customer_email_failed", gettext_lazy("E-mail to the customer failed")
    CUSTOMER_EMAIL_SKIPPED = "customer_email_skipped", gettext_lazy("No e-mail to the customer")


class Event(ActorFields):
    """One append-only entry in an order's timeline, written in the same transaction as the
    change it describes."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="events")
    # The event's `id` on the API, a UUID as Dintero's; the integer primary key stays ours.
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=30, choices=EventKind.choices)
    summary = models.CharField(max_length=500)
    data = models.JSONField(default=dict, blank=True)
    # Dintero's `request {path, method, body}`: the API request that made the change, when one
    # did (orders.services.events.api_request); empty for staff pages, admin and the system.
    request = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Not a column: what the event says in the order page's timeline (`orders.timeline`).
    text: str

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["order", "created_at"], name="event_order_created")]

    def __str__(self) -> str:
        return self.summary


class FormToken(models.Model):
    """A one-time token carried by a payment form in the staff pages: the unique primary key
    makes a double-submitted form record once."""

    token = models.UUIDField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    used_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["used_at"], name="form_token_used")]

    def __str__(self) -> str:
        return str(self.token)
