"""Provider calls, payment links and reconciliation findings are history: read-only here.
Sandbox faults can be set for demos."""

from django.contrib import admin

from backoffice.admin_site import AccountScoped, ReadOnly, SuperusersOnly

from .models import Mismatch, PaymentSession, ProviderCall, ReconciliationRun
from .sandbox.models import SandboxFault


class ReadOnlyAdmin(AccountScoped, ReadOnly, admin.ModelAdmin):
    account_path = "order__account"


@admin.register(ProviderCall)
class ProviderCallAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "order", "provider", "kind", "amount", "state", "payment_id", "error"]
    list_filter = ["state", "kind", "provider"]
    search_fields = ["payment_id", "order__order_id", "id"]
    list_select_related = ["order"]


@admin.register(PaymentSession)
class PaymentSessionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "order", "provider", "amount", "status", "transaction_id"]
    list_filter = ["status", "provider"]
    search_fields = ["transaction_id", "session_id", "order__order_id"]
    list_select_related = ["order"]


@admin.register(Mismatch)
class MismatchAdmin(ReadOnlyAdmin):
    list_display = ["payment_id", "order", "kind", "recorded", "at_provider", "resolved_at"]
    list_filter = ["kind", "provider", ("resolved_at", admin.EmptyFieldListFilter)]
    search_fields = ["payment_id", "order__order_id"]
    list_select_related = ["order"]


# Records of no one account, for superusers only: a reconciliation run counts every account's
# calls, and sandbox faults are set by staff on their own account's pages.
@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(SuperusersOnly, ReadOnly, admin.ModelAdmin):
    list_display = ["started_at", "finished_at", "calls_settled", "calls_unknown", "mismatches_found"]


@admin.register(SandboxFault)
class SandboxFaultAdmin(SuperusersOnly, admin.ModelAdmin):
    list_display = ["kind", "outcome", "created_at"]
