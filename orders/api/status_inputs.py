"""The request bodies of the order status endpoints: updating an order's fields, an order status
event, cancelling an order. As `orders.api.inputs`, every field at fault is named, and nothing
a body holds is silently dropped."""

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers
from rest_framework.fields import empty

from orders.inputs import ID_LIMIT, TEXT_LIMIT
from orders.services.status import STATUS_EVENT_STATES, UPDATABLE_FIELDS

from .inputs import InputSerializer, ObjectField, TextField
from .serializers import StatusEventStateField

# What an order holds but `PUT …/orders/{order_id}` does not change, and why.
MONEY_OR_LINES = (
    "items",
    "currency",
    "gross_amount",
    "net_amount",
    "tax_amount",
    "total_discount",
    "total_manual_discount_amount",
    "authorized_amount",
    "captured_amount",
    "refunded_amount",
    "cancelled_amount",
)
NOT_MONEY = "cannot be changed here: amounts and lines change by an update draft (options.order_id)"
READ_ONLY = (
    "id",
    "order_id",
    "account_id",
    "status",
    "payment_status",
    "ledger_status",
    "created_at",
    "created_by",
    "updated_at",
    "cancelled_at",
    "cancelled_by",
    "cancelled_reason",
    "closed_at",
    "closed_by",
    "events",
)
READ_ONLY_MESSAGE = "is read-only: the order's status changes by …/open, …/cancel or closing it"


def _refuse_unknown(data: Any, known: Mapping[str, Any], what: str, special: dict[str, str]) -> None:
    if not isinstance(data, Mapping):
        return  # the serializer refuses what is no object
    errors = {
        str(name): [special.get(name, f"is not a field of {what} that we take")]
        for name in data
        if name not in known
    }
    if errors:
        raise serializers.ValidationError(errors)


class OrderUpdateInputSerializer(InputSerializer):
    """The fields of an order that change after it is made: each one sent replaces what the
    order holds (an object whole); those left out stay as they are. Never money or lines."""

    default_error_messages = {"invalid": "the body must be a JSON object"}

    customer = ObjectField(required=False, default=empty)
    shipping_address = ObjectField(required=False, default=empty)
    billing_address = ObjectField(required=False, default=empty)
    store = ObjectField(required=False, default=empty)
    store_id = TextField(ID_LIMIT, required=False, default=empty, help_text="sets `store.id`")
    merchant_reference = TextField(ID_LIMIT, required=False, default=empty)
    merchant_reference_2 = TextField(ID_LIMIT, required=False, default=empty)
    metadata = ObjectField(required=False, default=empty)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        special = dict.fromkeys(MONEY_OR_LINES, NOT_MONEY) | dict.fromkeys(READ_ONLY, READ_ONLY_MESSAGE)
        _refuse_unknown(data, self.fields, "an order that can change", special)
        return super().to_internal_value(data)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if not data:
            raise serializers.ValidationError(
                {"non_field_errors": [f"name at least one of {', '.join(UPDATABLE_FIELDS)}"]}
            )
        changes = dict(data)
        if "store_id" in changes:
            store_id = changes.pop("store_id")
            store = changes.get("store", self.context.get("store") or {})
            changes["store"] = {**store, "id": store_id}
        return changes


REQUIRED = {"required": "is required", "blank": "is required", "null": "is required"}


class StatusEventInputSerializer(InputSerializer):
    """An order status event: what a service reports on the order
    (https://docs.dintero.com/api-reference/orderevents/create-an-order-event)."""

    default_error_messages = {"invalid": "the body must be a JSON object"}

    state = StatusEventStateField(
        default="success",
        error_messages={"invalid_choice": f"must be one of {', '.join(STATUS_EVENT_STATES)}"},
    )
    service = TextField(
        ID_LIMIT, default=empty, allow_blank=False, error_messages=REQUIRED, help_text="e.g. kitchen, courier"
    )
    service_status = TextField(
        ID_LIMIT, default=empty, allow_blank=False, error_messages=REQUIRED, help_text="e.g. ready_for_pickup"
    )
    description = TextField(TEXT_LIMIT, required=False)
    metadata = ObjectField(required=False)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        _refuse_unknown(data, self.fields, "an order status event", {})
        # Dintero clients send null for what they leave out: `state` then takes its default.
        if isinstance(data, Mapping) and data.get("state", "") is None:
            data = {k: v for k, v in data.items() if k != "state"}
        return super().to_internal_value(data)


class CancelInputSerializer(InputSerializer):
    """Cancelling the whole order, optionally saying why (answered as `cancelled_reason`)."""

    default_error_messages = {"invalid": "the body must be a JSON object"}

    reason = TextField(500, required=False)
    cancelled_reason = TextField(500, required=False, help_text="Dintero's name for `reason`")

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        _refuse_unknown(data, self.fields, "a cancellation of the order", {})
        return super().to_internal_value(data)

    def validate(self, data: dict[str, Any]) -> str:
        reason, dinteros = data.get("reason") or "", data.get("cancelled_reason") or ""
        if reason and dinteros and reason != dinteros:
            raise serializers.ValidationError(
                {"cancelled_reason": ["differs from reason: give one reason, under either name"]}
            )
        return reason or dinteros
