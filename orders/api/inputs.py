"""The request bodies of the Orders API: the serializers its views validate with, and that its
OpenAPI schema is generated from.

They check everything the body alone can tell and name every field at fault, with paths like
`order.items[0].gross_amount` (`backoffice.api.errors.validated`); the checks that compare fields
(VAT against the gross, signs, line ids used twice) run in `validate()`, once the fields they
compare are valid. What needs the order's state is for the services to check, under its lock.
Valid bodies become the typed values of `orders.inputs` that the services take.

Dintero clients send `null` for what they leave out: `null` reads as the field left out, except
where a value is required.
"""

from datetime import UTC
from decimal import Decimal, InvalidOperation
from typing import Any

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework.fields import empty

from orders.inputs import (
    AMOUNT_LIMIT,
    COUNT_LIMIT,
    ID_LIMIT,
    ORDER_ID_FORMAT,
    ORDER_ID_LENGTHS,
    ORDER_ID_LIMIT,
    TEXT_LIMIT,
    DraftDocument,
    DraftItem,
    DraftOptions,
    TaxLine,
    percentage_number,
)
from orders.models import REVERSED, ItemAmount
from orders.money import is_currency, vat_contained

# Fields ------------------------------------------------------------------------------------------


class NullAsAbsent:
    # `null` is read as if the field were left out: its default, or nothing. (A comment, not a
    # docstring: the schema would show it for every serializer mixing it in.)

    def validate_empty_values(self, data):
        return super().validate_empty_values(empty if data is None else data)  # type: ignore[misc]


class MinorUnitsField(serializers.IntegerField):
    """An amount in minor units: a JSON integer (not 398.0, "39800" or true) below AMOUNT_LIMIT."""

    default_error_messages = {
        "invalid": "must be an integer in minor units, not {value!r}",
        "null": "must be an integer in minor units, not None",
        "required": "must be an integer in minor units, not None",
        "range": "{value} is out of range",
    }

    def __init__(self, **kwargs):
        super().__init__(min_value=1 - AMOUNT_LIMIT, max_value=AMOUNT_LIMIT - 1, **kwargs)

    def to_internal_value(self, data) -> int:
        # bool is an int in Python.
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid", value=data)
        if abs(data) >= AMOUNT_LIMIT:
            self.fail("range", value=data)
        return data


class CountField(serializers.IntegerField):
    """A line id or a quantity: a whole number from 1 to COUNT_LIMIT (32-bit columns)."""

    def __init__(self, *, what: str = "a positive integer", **kwargs):
        message = f"must be {what} up to {COUNT_LIMIT}, not {{value!r}}"
        kwargs["error_messages"] = {
            "invalid": message,
            "null": message.format(value=None),
            "required": message.format(value=None),
            **kwargs.get("error_messages", {}),
        }
        super().__init__(min_value=1, max_value=COUNT_LIMIT, **kwargs)

    def to_internal_value(self, data) -> int:
        if isinstance(data, bool) or not isinstance(data, int) or not 1 <= data <= COUNT_LIMIT:
            self.fail("invalid", value=data)
        return data


class OptionalCountField(NullAsAbsent, CountField):
    pass


class TextField(NullAsAbsent, serializers.CharField):
    """Text of at most `max_length` characters, kept as sent; a number is taken as its text.
    Left out, it is empty."""

    default_error_messages = {
        "invalid": "must be a string",
        "max_length": "must be at most {max_length} characters",
    }

    def __init__(self, max_length: int = TEXT_LIMIT, **kwargs):
        kwargs.setdefault("default", "")
        kwargs.setdefault("allow_blank", True)
        super().__init__(max_length=max_length, trim_whitespace=False, **kwargs)


class ObjectField(NullAsAbsent, serializers.DictField):
    """Any JSON object, kept as sent. Left out, it is empty."""

    default_error_messages = {"not_a_dict": "must be an object"}

    def __init__(self, **kwargs):
        kwargs.setdefault("default", dict)
        super().__init__(**kwargs)


@extend_schema_field({"type": "number", "minimum": 0, "maximum": 100})
class PercentageField(serializers.Field):
    """A VAT rate from 0 to 100 with at most two decimals: 25, 12.5 or "25"."""

    default_error_messages = {
        "invalid": "must be a number between 0 and 100",
        "null": "must be a number between 0 and 100",
        "required": "must be a number between 0 and 100",
        "precision": "must be a number between 0 and 100 with at most two decimals",
    }

    def to_internal_value(self, data) -> Decimal:
        if isinstance(data, bool) or not isinstance(data, int | float | str):
            self.fail("invalid")
        try:
            percentage = Decimal(str(data))
        except InvalidOperation:
            self.fail("invalid")
        if (
            not percentage.is_finite()
            or not 0 <= percentage <= 100
            or percentage != percentage.quantize(Decimal("0.01"))
        ):
            self.fail("precision")
        return percentage

    def to_representation(self, value: Decimal) -> int | float:
        return percentage_number(value)


class CurrencyField(serializers.CharField):
    """An ISO 4217 code, exactly (no spaces, upper case)."""

    default_error_messages = {
        "invalid": "{value!r} is not an ISO 4217 currency code",
        "blank": "'' is not an ISO 4217 currency code",
        "null": "None is not an ISO 4217 currency code",
        "required": "None is not an ISO 4217 currency code",
    }

    def __init__(self, **kwargs):
        super().__init__(min_length=3, max_length=3, trim_whitespace=False, **kwargs)

    def to_internal_value(self, data) -> str:
        if not is_currency(data):
            self.fail("invalid", value=data)
        return data


class OrderIdFormatField(NullAsAbsent, serializers.CharField):
    FORMAT = "must be ALPHANUMERIC_N or NUMERIC_N with N from 4 to 32, e.g. ALPHANUMERIC_9"
    default_error_messages = {"invalid": FORMAT, "blank": FORMAT}

    def __init__(self, **kwargs):
        super().__init__(trim_whitespace=False, **kwargs)

    def to_internal_value(self, data) -> str:
        match = ORDER_ID_FORMAT.fullmatch(data) if isinstance(data, str) else None
        if not match or int(match[2]) not in ORDER_ID_LENGTHS:
            self.fail("invalid")
        return data


class PaymentIdField(serializers.CharField):
    REQUIRED = "is required: the payment's id at the provider"
    default_error_messages = {
        "invalid": REQUIRED,
        "blank": REQUIRED,
        "null": REQUIRED,
        "required": REQUIRED,
        "max_length": "must be at most {max_length} characters",
    }

    def __init__(self, **kwargs):
        super().__init__(max_length=ID_LIMIT, trim_whitespace=False, **kwargs)

    def to_internal_value(self, data) -> str:
        if not isinstance(data, str) or not data.strip():
            self.fail("invalid")
        return data


class StrictBooleanField(serializers.BooleanField):
    """JSON true or false, nothing that merely reads as one ("yes", 1)."""

    default_error_messages = {"invalid": "must be true or false", "null": "must be true or false"}

    def to_internal_value(self, data) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class DateTimeInputField(NullAsAbsent, serializers.DateTimeField):
    """ISO 8601; without an offset, UTC."""

    default_error_messages = dict.fromkeys(
        ("invalid", "date", "make_aware", "overflow"), "must be an ISO 8601 date-time"
    )

    def __init__(self, **kwargs):
        super().__init__(default_timezone=UTC, **kwargs)


@extend_schema_field({"type": "string", "enum": [REVERSED]})
class ReversedField(serializers.Field):
    """The one kind of related item: "reversed"."""

    default_error_messages = dict.fromkeys(("invalid", "null", "required"), f'must be "{REVERSED}"')

    def to_internal_value(self, data) -> str:
        if data != REVERSED:
            self.fail("invalid")
        return REVERSED


# Serializers -------------------------------------------------------------------------------------


class InputSerializer(serializers.Serializer):
    # A JSON object of the body; `null` where one is required is no object either. (Docstrings
    # of input serializers are their descriptions in the schema.)

    default_error_messages = {"invalid": "must be an object"}

    def validate_empty_values(self, data):
        if data is None:
            return (False, None)  # to_internal_value refuses it as it refuses any non-object
        return super().validate_empty_values(data)


def _raise_if_any(errors: dict[str, list[str]]) -> None:
    """Errors found by comparing fields, keyed by their path below the serializer's own."""
    if errors:
        raise serializers.ValidationError(errors)


@extend_schema_serializer(component_name="TaxLine")
class TaxLineInputSerializer(InputSerializer):
    amount = MinorUnitsField()
    percentage = PercentageField()

    def validate(self, data: dict[str, Any]) -> TaxLine:
        return TaxLine(amount=data["amount"], percentage=data["percentage"])


@extend_schema_serializer(component_name="RelatedItem")
class RelatedItemInputSerializer(NullAsAbsent, InputSerializer):
    """Only reversals: `{"type": "reversed", "line_id": <the line reversed>}`."""

    # The type first: an error names it before the line.
    type = ReversedField()
    line_id = CountField()


class DraftItemListSerializer(serializers.ListSerializer):
    default_error_messages = {
        "not_a_list": "must be a list of order lines",
        "null": "must be a list of order lines",
    }

    def validate(self, items: list[DraftItem]) -> list[DraftItem]:
        errors: dict[str, list[str]] = {}
        seen: set[int] = set()
        for i, item in enumerate(items):
            if item.line_id is not None:
                if item.line_id in seen:
                    errors[f"[{i}].line_id"] = [f"line_id {item.line_id} is used twice"]
                seen.add(item.line_id)
        _raise_if_any(errors)
        return items


class DraftItemInputSerializer(InputSerializer):
    """One order line. A reversal line has a `related_item` and a negative gross amount; its
    VAT has the sign of its gross and, with one rate, is what the gross contains at that rate,
    give or take one minor unit per unit (shops round VAT per unit)."""

    line_id = OptionalCountField(required=False)
    id = TextField(ID_LIMIT)
    description = TextField()
    description_alias = TextField()
    quantity = CountField(what="a positive whole number", default=1)
    gross_amount = MinorUnitsField(error_messages={"required": "is required"})
    related_item = RelatedItemInputSerializer(required=False)
    reversed_reason = TextField()
    tax_lines = TaxLineInputSerializer(
        many=True, default=list, error_messages={"not_a_list": "must be a list", "null": "must be a list"}
    )
    metadata = ObjectField()

    class Meta:
        list_serializer_class = DraftItemListSerializer

    def validate(self, data: dict[str, Any]) -> DraftItem:
        errors: dict[str, list[str]] = {}

        def add(path: str, message: str) -> None:
            errors.setdefault(path, []).append(message)

        gross: int = data["gross_amount"]
        related = data.get("related_item")
        if related is not None and gross >= 0:
            add("gross_amount", "a reversal line must have a negative gross_amount")
        elif related is None and gross < 0:
            add("gross_amount", f'only reversal lines (related_item.type "{REVERSED}") may be negative')
        taxes: list[TaxLine] = data["tax_lines"]
        for t, tax in enumerate(taxes):
            if (gross < 0 < tax.amount) or (tax.amount < 0 <= gross):
                add(f"tax_lines[{t}].amount", "must have the same sign as the line's gross_amount")
        if taxes:
            total = sum(tax.amount for tax in taxes)
            if abs(total) > abs(gross):
                add("tax_lines", f"VAT {total} exceeds the gross amount {gross}")
            elif len(taxes) == 1:
                expected = vat_contained(gross, taxes[0].percentage)
                if abs(total - expected) > data["quantity"]:
                    rate = percentage_number(taxes[0].percentage)
                    add("tax_lines[0].amount", f"{gross} at {rate} % contains {expected} VAT, not {total}")
        _raise_if_any(errors)
        return DraftItem(
            line_id=data.get("line_id"),
            id=data["id"],
            description=data["description"],
            description_alias=data["description_alias"],
            quantity=data["quantity"],
            gross_amount=gross,
            reverses=related["line_id"] if related is not None else None,
            reversed_reason=data["reversed_reason"],
            tax_lines=taxes,
            metadata=data["metadata"],
        )


class DraftOptionsSerializer(NullAsAbsent, InputSerializer):
    generate_order_id = OrderIdFormatField(required=False, help_text="e.g. ALPHANUMERIC_9")
    order_id = TextField(
        ORDER_ID_LIMIT,
        default=empty,
        required=False,
        allow_blank=False,
        error_messages={"blank": "must name an existing order"},
        help_text="update this existing order when completed",
    )

    def validate(self, data: dict[str, Any]) -> DraftOptions:
        return DraftOptions(**data)


class DraftOrderBodySerializer(InputSerializer):
    currency = CurrencyField()
    items = DraftItemInputSerializer(many=True, default=list)
    customer = ObjectField()
    shipping_address = ObjectField()
    billing_address = ObjectField()
    metadata = ObjectField()
    store = ObjectField()
    store_id = TextField(ID_LIMIT, default=empty, required=False)
    merchant_reference = TextField(ID_LIMIT)

    def run_validation(self, data=empty):
        # A null order reads as an empty one, so the error names what it lacks.
        return super().run_validation({} if data is None else data)

    def validate(self, data: dict[str, Any]) -> DraftDocument:
        store = data["store"]
        if "store_id" in data:
            store = {**store, "id": data["store_id"]}
        return DraftDocument(
            currency=data["currency"],
            items=data["items"],
            customer=data["customer"],
            shipping_address=data["shipping_address"],
            billing_address=data["billing_address"],
            store=store,
            merchant_reference=data["merchant_reference"],
            metadata=data["metadata"],
        )


class DraftInputSerializer(InputSerializer):
    """A draft: the order it describes and, optionally, how to complete it."""

    # Validated: the `options` and `document` that `draft_create` and `draft_replace` take.

    default_error_messages = {"invalid": "the body must be a JSON object"}

    options = DraftOptionsSerializer(required=False)
    order = DraftOrderBodySerializer(source="document", error_messages={"required": "is required"})

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        return {"options": data.get("options") or DraftOptions(), "document": data["document"]}


class OperationItemListSerializer(serializers.ListSerializer):
    default_error_messages = {
        "required": "is required: a list of {{line_id, amount}}",
        "null": "is required: a list of {{line_id, amount}}",
        "not_a_list": "must be a list of {{line_id, amount}}",
        "empty": "must name at least one line",
    }

    def validate(self, items: list[ItemAmount]) -> list[ItemAmount]:
        errors: dict[str, list[str]] = {}
        seen: set[int] = set()
        for i, item in enumerate(items):
            if item.line_number in seen:
                errors[f"[{i}].line_id"] = [f"line {item.line_number} appears twice"]
            seen.add(item.line_number)
        _raise_if_any(errors)
        return items


class OperationItemInputSerializer(InputSerializer):
    """A non-zero amount on one line, with the sign of the line's gross amount."""

    default_error_messages = {"invalid": "must be an object with line_id and amount"}

    line_id = CountField()
    amount = MinorUnitsField()

    class Meta:
        list_serializer_class = OperationItemListSerializer

    def validate_amount(self, amount: int) -> int:
        if amount == 0:
            raise serializers.ValidationError("must not be zero")
        return amount

    def validate(self, data: dict[str, Any]) -> ItemAmount:
        return ItemAmount(data["line_id"], data["amount"])


class PaymentDetailsSerializer(InputSerializer):
    """The payment at the provider; whatever else it holds is kept as sent."""

    payment_id = PaymentIdField()

    def run_validation(self, data=empty):
        # Left out or null, it still lacks the payment id: the error names that.
        return super().run_validation({} if data is empty or data is None else data)

    def to_internal_value(self, data) -> dict[str, Any]:
        checked = super().to_internal_value(data)  # first: it refuses what is no object
        return {**data, **checked}


class OperationInputSerializer(InputSerializer):
    """An operation recorded at the payment provider: an amount on each of its lines."""

    # Validated: the keyword arguments of `operation_record`.

    default_error_messages = {"invalid": "the body must be a JSON object"}

    items = OperationItemInputSerializer(many=True, allow_empty=False)
    payment_details = PaymentDetailsSerializer()
    success = StrictBooleanField(default=True)
    processed_at = DateTimeInputField(required=False)
    authorization_id = TextField(ID_LIMIT)
    processed_by = TextField(ID_LIMIT)
    metadata = ObjectField()

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "payment_id": data["payment_details"]["payment_id"]}
