import json
from collections.abc import Mapping
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from backoffice.api.serializers import ModelSerializer
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


class ProviderCallSerializer(ModelSerializer):
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


class PaymentSessionSerializer(ModelSerializer):
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


# Order sessions on the shopping path, as Dintero's Orders API has them:
# https://docs.dintero.com/api-reference/ordersessions/create-a-session and
# https://docs.dintero.com/api-reference/ordersessions/get-session-details.

METADATA_LIMIT = 10_000
SESSION_LINE_ID_MESSAGE = "must be the line_id of a line of the order (a positive integer, or its digits)"


@extend_schema_field(
    {"oneOf": [{"type": "integer", "minimum": 1}, {"type": "string", "pattern": "^[0-9]+$"}]}
)
class SessionLineIdField(serializers.Field):
    """Dintero writes a session item's `line_id` as a string; ours are integers: either is taken."""

    default_error_messages = {"invalid": SESSION_LINE_ID_MESSAGE}

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, str) and data.isascii() and data.isdigit() and len(data) <= 10:
            data = int(data)
        if not isinstance(data, int) or not 1 <= data <= 2**31 - 1:
            self.fail("invalid")
        return data

    def to_representation(self, value: int) -> int:
        return value


class OrderSessionItemSerializer(serializers.Serializer):
    line_id = SessionLineIdField()
    amount = PositiveIntegerField(
        AMOUNT_MESSAGE, required=False, help_text="ours: part of the line; left out, all it has left"
    )


class OrderSessionUrlSerializer(serializers.Serializer):
    return_url = serializers.URLField(required=False, max_length=1000)
    callback_url = serializers.URLField(required=False, max_length=1000)
    merchant_terms_url = serializers.URLField(required=False, max_length=1000)


class OrderSessionInputSerializer(serializers.Serializer):
    """A session for some of the order's lines: each line once, for what it has left to
    authorize (or the `amount` given). `profile_id` must be the Checkout profile this
    deployment makes sessions with; `url` and `metadata` are kept with the session's request on
    the order's timeline and answered back; the customer returns to our return page, and the
    authorization is recorded on the order, which the order's webhooks announce."""

    OPTIONAL = ("profile_id", "url", "processed_at", "metadata")

    items = OrderSessionItemSerializer(many=True, allow_empty=False)
    profile_id = serializers.CharField(required=False, max_length=200)
    url = OrderSessionUrlSerializer(required=False)
    processed_at = serializers.DateTimeField(required=False)
    metadata = serializers.DictField(required=False)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, Mapping):
            raise serializers.ValidationError({"non_field_errors": [BODY_MESSAGE]})
        # Dintero clients send null for what they leave out.
        data = {k: v for k, v in data.items() if not (v is None and k in self.OPTIONAL)}
        unknown = [name for name in data if name not in self.fields]
        if unknown:
            raise serializers.ValidationError(
                {str(name): ["is not a field of an order session that we take"] for name in unknown}
            )
        value = super().to_internal_value(data)
        seen: set[int] = set()
        for i, item in enumerate(value["items"]):
            if item["line_id"] in seen:
                raise serializers.ValidationError(
                    {f"items[{i}].line_id": [f"line {item['line_id']} appears twice"]}
                )
            seen.add(item["line_id"])
        # Answered back from the request its event keeps: no more than that keeps whole.
        if len(json.dumps(value.get("metadata") or {}, default=str)) > METADATA_LIMIT:
            raise serializers.ValidationError(
                {"metadata": [f"must be at most {METADATA_LIMIT} characters as JSON"]}
            )
        return value


class OrderSessionLinkSerializer(serializers.Serializer):
    href = serializers.CharField()
    rel = serializers.CharField()


class OrderSessionItemOutSerializer(serializers.Serializer):
    line_id = serializers.IntegerField()
    amount = serializers.IntegerField()


class OrderSessionSerializer(serializers.Serializer):
    """A session as Dintero answers one: `id`, `items`, `amount`, `created_at`, `created_by`,
    `processed_at` (when it was authorized), `metadata` and `_links` (the payment link, rel
    `session_url`); ours besides: `status`, `provider`, `session_id` (the provider's),
    `currency` and `problem`."""

    id = serializers.UUIDField()
    items = OrderSessionItemOutSerializer(many=True)
    amount = serializers.IntegerField()
    currency = serializers.CharField()
    created_at = serializers.DateTimeField()
    created_by = serializers.CharField()
    processed_at = serializers.DateTimeField(source="authorized_at", allow_null=True)
    metadata = serializers.DictField(required=False)
    url = OrderSessionUrlSerializer(required=False)
    profile_id = serializers.CharField(required=False)
    _links = OrderSessionLinkSerializer(many=True)
    status = serializers.CharField()
    provider = serializers.CharField()
    session_id = serializers.CharField()
    problem = serializers.CharField()

    def to_representation(self, instance: PaymentSession) -> dict:
        asked = (self.context.get("requests") or {}).get(instance.pk) or {}
        body = {
            "id": str(instance.pk),
            "items": [{"line_id": i["line_id"], "amount": i["amount"]} for i in instance.items],
            "amount": instance.amount,
            "currency": instance.currency,
            "created_at": serializers.DateTimeField().to_representation(instance.created_at),
            "created_by": instance.created_by,
            "processed_at": serializers.DateTimeField().to_representation(instance.authorized_at)
            if instance.authorized_at
            else None,
            "metadata": asked.get("metadata") or {},
        }
        for name in ("url", "profile_id"):
            if asked.get(name):
                body[name] = asked[name]
        body["_links"] = [{"href": instance.url, "rel": "session_url"}] if instance.url else []
        body |= {
            "status": instance.status,
            "provider": instance.provider,
            "session_id": instance.session_id,
            "problem": instance.problem,
        }
        return body
