from collections.abc import Mapping
from typing import Any

from rest_framework import serializers

from orders.api.serializers import OperationSerializer
from payments.items import ItemAmount
from payments.models import PaymentSession, ProviderCall

LINE_ID_MESSAGE = "must be a positive integer"
AMOUNT_MESSAGE = "must be a positive integer: the provider takes no negatives"
ITEMS_MESSAGE = "must be a list of {line_id, amount}"
BODY_MESSAGE = "the body must be a JSON object"


class PositiveIntegerField(serializers.IntegerField):
    """A JSON integer of 1 or more, with one message for whatever else it is: the provider
    takes whole minor units, so no strings, fractions or booleans either."""

    def __init__(self, message: str, **kwargs: Any) -> None:
        reasons = ("required", "null", "invalid", "min_value", "max_string_length")
        super().__init__(min_value=1, error_messages=dict.fromkeys(reasons, message), **kwargs)

    def to_internal_value(self, data: Any) -> int:
        if not isinstance(data, int) or isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


class ItemSerializer(serializers.Serializer):
    line_id = PositiveIntegerField(LINE_ID_MESSAGE)
    amount = PositiveIntegerField(AMOUNT_MESSAGE)

    def to_internal_value(self, data: Any) -> ItemAmount:
        try:
            return ItemAmount(**super().to_internal_value(data))
        except serializers.ValidationError as exc:
            # One error per item: an amount is judged only on a line that is one.
            detail = exc.detail if isinstance(exc.detail, dict) else {}
            field = "line_id" if "line_id" in detail else "amount"
            raise serializers.ValidationError({field: detail.get(field, [AMOUNT_MESSAGE])}) from exc


class ItemsInputSerializer(serializers.Serializer):
    """The body of the payments actions. No items (absent, null or empty): everything the
    provider can still take (for a link: all that is left to authorize); else each line once,
    with a positive amount. Errors name the item by its place: `items[1].amount`."""

    items = ItemSerializer(many=True, required=False)

    def to_internal_value(self, data: Any) -> dict[str, list[ItemAmount] | None]:
        if not isinstance(data, Mapping):
            raise serializers.ValidationError({"non_field_errors": [BODY_MESSAGE]})
        raw = data.get("items")
        if raw is None:
            return {"items": None}
        if not isinstance(raw, list):
            raise serializers.ValidationError({"items": [ITEMS_MESSAGE]})
        errors: dict[str, Any] = {}
        items: list[ItemAmount] = []
        seen: set[int] = set()
        for i, entry in enumerate(raw):
            if not isinstance(entry, Mapping):
                errors[f"items[{i}].line_id"] = [LINE_ID_MESSAGE]
                continue
            try:
                item = ItemSerializer().run_validation(entry)
            except serializers.ValidationError as exc:
                detail = exc.detail if isinstance(exc.detail, dict) else {"line_id": exc.detail}
                for field, messages in detail.items():
                    errors[f"items[{i}].{field}"] = messages
                continue
            if item.line_id in seen:
                errors[f"items[{i}].line_id"] = [f"line {item.line_id} appears twice"]
            seen.add(item.line_id)
            items.append(item)
        if errors:
            raise serializers.ValidationError(errors)
        return {"items": items or None}


class ProviderCallSerializer(serializers.ModelSerializer):
    operation = OperationSerializer(allow_null=True)

    class Meta:
        model = ProviderCall
        fields = [
            "id",
            "kind",
            "state",
            "provider",
            "payment_id",
            "amount",
            "items",
            "error",
            "problem",
            "operation",
            "created_at",
            "created_by",
            "sent_at",
            "settled_at",
            "settled_by",
        ]


class PaymentSessionSerializer(serializers.ModelSerializer):
    class Meta:
        model = PaymentSession
        fields = [
            "id",
            "status",
            "provider",
            "url",
            "session_id",
            "amount",
            "currency",
            "items",
            "transaction_id",
            "problem",
            "created_at",
            "authorized_at",
        ]


class CallsResponseSerializer(serializers.Serializer):
    calls = ProviderCallSerializer(many=True)


class SessionResponseSerializer(serializers.Serializer):
    session = PaymentSessionSerializer()
    calls = ProviderCallSerializer(many=True)
