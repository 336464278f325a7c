"""The request bodies of the Orders API: the serializers its views validate with, and that its
OpenAPI schema is generated from.

They check everything the body alone can tell and name every field at fault, with paths like
`order.items[0].gross_amount` (`backoffice.api.errors.validated`); the checks that compare fields
(VAT against the gross, signs, line ids used twice) run in `validate()`, once the fields they
compare are valid. What needs the order's state is for the services to check, under its lock.
Valid bodies become the typed values of `orders.inputs` that the services take.

Dintero clients send `null` for what they leave out: `null` reads as the field left out, except
where a value is required.

Every field Dintero documents for a draft, its order, items, tax lines and options is taken
(https://docs.dintero.com/api-reference/draftitems/add-item-to-draft,
https://docs.dintero.com/api-reference/draft/complete-a-draft-order,
https://docs.dintero.com/orders-api.html for the options); a field that is not is a 400 naming
it, never dropped. A line's VAT that does not add up is no error: it is kept with a warning
(`orders.inputs.vat_warning`).
"""

import re
from collections.abc import Mapping
from datetime import UTC
from decimal import Decimal, InvalidOperation
from typing import Any

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework.fields import empty

from orders.inputs import (
    AMOUNT_LIMIT,
    COUNT_LIMIT,
    DISCOUNT_TYPES,
    ID_LIMIT,
    ITEM_DINTERO_FIELDS,
    ORDER_ID_FORMAT,
    ORDER_ID_LENGTHS,
    ORDER_ID_LIMIT,
    TAX_LINE_DINTERO_FIELDS,
    TEXT_LIMIT,
    URL_LIMIT,
    DiscountLine,
    DraftDocument,
    DraftItem,
    DraftOptions,
    TaxLine,
    percentage_number,
    vat_warning,
)
from orders.models import REVERSED, ItemAmount
from orders.money import is_currency

# A decimal number as text, written plainly: ASCII digits, optionally a point and more of them.
DECIMAL_TEXT = re.compile(r"[0-9]+(\.[0-9]+)?")

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


class OptionalMinorUnitsField(NullAsAbsent, MinorUnitsField):
    """An amount in minor units that may be left out (or null)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)


class VersionField(NullAsAbsent, serializers.IntegerField):
    """An item's `version`: a whole number from 0, as the client counts them."""

    default_error_messages = {"invalid": f"must be a whole number from 0 to {COUNT_LIMIT}"}

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)

    def to_internal_value(self, data) -> int:
        if isinstance(data, bool) or not isinstance(data, int) or not 0 <= data <= COUNT_LIMIT:
            self.fail("invalid")
        return data


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
        # As text, the number written plainly: Decimal would also read "2_5" as 25, "١٢" as 12.
        if isinstance(data, str) and not DECIMAL_TEXT.fullmatch(data):
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


class OptionalBooleanField(NullAsAbsent, StrictBooleanField):
    """true or false, or left out (null reads as left out)."""

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)


class DecimalTextField(TextField):
    """A decimal number written as text, kept as sent: Dintero's `amount_dwh` ("5584.0440")."""

    default_error_messages = {"invalid": 'must be a decimal number as text, e.g. "5584.0440"'}

    def __init__(self, **kwargs):
        super().__init__(50, default=empty, required=False, **kwargs)

    def to_internal_value(self, data) -> str:
        text = super().to_internal_value(data)
        # Kept as sent, for the client's own books to read: plain digits only (Decimal would
        # also take "1_0", " 10", "1e3" or other scripts' digits).
        if not DECIMAL_TEXT.fullmatch(text.removeprefix("-")):
            self.fail("invalid")
        return text


def _optional_text(max_length: int = TEXT_LIMIT, **kwargs) -> TextField:
    """Text that is answered only when it was sent."""
    return TextField(max_length, default=empty, required=False, **kwargs)


class DiscountTypeField(NullAsAbsent, serializers.ChoiceField):
    def __init__(self, **kwargs):
        message = "must be one of " + ", ".join(DISCOUNT_TYPES)
        super().__init__(
            choices=DISCOUNT_TYPES,
            required=False,
            error_messages={"invalid_choice": message, "null": message},
            **kwargs,
        )


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
    # What the object is, for the message naming a field it does not have; None keeps
    # whatever else the object holds (payment_details).
    unknown_fields: str | None = "this object"
    # What we answer in the object and take back unread when a client sends it again.
    echoed_fields: tuple[str, ...] = ()

    def validate_empty_values(self, data):
        if data is None:
            return (False, None)  # to_internal_value refuses it as it refuses any non-object
        return super().validate_empty_values(data)

    def to_internal_value(self, data):
        checked = super().to_internal_value(data)  # first: it refuses what is no object
        if self.unknown_fields is not None and isinstance(data, Mapping):
            unknown = [name for name in data if name not in self.fields and name not in self.echoed_fields]
            if unknown:
                raise serializers.ValidationError(
                    {str(name): [f"is not a field of {self.unknown_fields} that we take"] for name in unknown}
                )
        return checked


class StrictInputSchema(OpenApiSerializerExtension):
    """In the schema, an input object that refuses the fields it lacks says so
    (`additionalProperties: false`), and names those of ours it takes back unread."""

    target_class = "orders.api.inputs.InputSerializer"
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        if getattr(self.target, "unknown_fields", None) is not None:
            schema["additionalProperties"] = False
            for name in getattr(self.target, "echoed_fields", ()):
                schema.setdefault("properties", {})[name] = {
                    "description": "ours, as answered on the draft: taken back unread"
                }
        return schema


def _raise_if_any(errors: dict[str, list[str]]) -> None:
    """Errors found by comparing fields, keyed by their path below the serializer's own."""
    if errors:
        raise serializers.ValidationError(errors)


@extend_schema_serializer(component_name="TaxLine")
class TaxLineInputSerializer(InputSerializer):
    """The VAT in a line's gross amount at one rate. `tax_basis`, `exempt` and the rest are
    Dintero's and kept as sent; the amount is checked against them only for a warning."""

    unknown_fields = "a tax line"

    amount = MinorUnitsField()
    percentage = PercentageField()
    tax_code = _optional_text(ID_LIMIT)
    tax_group = _optional_text(ID_LIMIT)
    exempt = OptionalBooleanField()
    included_in_price = OptionalBooleanField()
    tax_basis = OptionalMinorUnitsField()
    amount_dwh = DecimalTextField()
    tax_basis_dwh = DecimalTextField()

    def validate(self, data: dict[str, Any]) -> TaxLine:
        dintero = {name: data[name] for name in TAX_LINE_DINTERO_FIELDS if name in data}
        return TaxLine(amount=data["amount"], percentage=data["percentage"], dintero=dintero)


@extend_schema_serializer(component_name="DiscountLine")
class DiscountLineInputSerializer(InputSerializer):
    """What one discount took off the line: its gross amount is after every discount."""

    unknown_fields = "a discount line"

    amount = MinorUnitsField(error_messages={"required": "is required"})
    percentage = PercentageField(required=False)
    discount_type = DiscountTypeField()
    discount_id = _optional_text(ID_LIMIT)
    description = _optional_text()
    line_id = OptionalCountField(required=False)

    def validate(self, data: dict[str, Any]) -> DiscountLine:
        dintero = {
            name: percentage_number(data[name]) if name == "percentage" else data[name]
            for name in ("percentage", "discount_id", "description", "line_id")
            if name in data
        }
        return DiscountLine(
            amount=data["amount"], discount_type=data.get("discount_type", ""), dintero=dintero
        )


@extend_schema_serializer(component_name="RelatedItem")
class RelatedItemInputSerializer(NullAsAbsent, InputSerializer):
    """Only reversals: `{"type": "reversed", "line_id": <the line reversed>}`."""

    unknown_fields = "related_item"

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
    """One order line; its gross amount is what the customer pays for it, VAT included and
    discounts taken off. A reversal line has a `related_item` and a negative gross amount. Its
    VAT and discounts have the sign of its gross, and its VAT is at most its gross. VAT that is
    not what the gross contains at the rate (give or take one minor unit per unit), or not the
    rate of its `tax_basis`, or not 0 where `exempt`, is taken with a `vat_warning`."""

    unknown_fields = "an order item"
    # Ours, answered on a draft's items: a client sending its draft back may repeat them (the
    # warning is worked out again, the provisional mark set again).
    echoed_fields = ("vat_warning", "line_id_provisional")

    def to_internal_value(self, data):
        checked = super().to_internal_value(data)
        if data.get("line_id_provisional") is True:
            checked["line_id"] = None  # still ours to number
        return checked

    line_id = OptionalCountField(required=False)
    id = TextField(ID_LIMIT)
    external_id = _optional_text(ID_LIMIT)
    description = TextField()
    description_alias = TextField()
    quantity = CountField(what="a positive whole number", default=1)
    gross_amount = MinorUnitsField(error_messages={"required": "is required"})
    unit_gross_amount = OptionalMinorUnitsField()
    related_item = RelatedItemInputSerializer(required=False)
    reversed_reason = TextField()
    tax_lines = TaxLineInputSerializer(
        many=True, default=list, error_messages={"not_a_list": "must be a list", "null": "must be a list"}
    )
    discount_lines = DiscountLineInputSerializer(
        many=True, default=list, error_messages={"not_a_list": "must be a list", "null": "must be a list"}
    )
    eligible_for_discount = OptionalBooleanField()
    thumbnail_url = _optional_text(URL_LIMIT)
    version = VersionField()
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
        # The sign and the bound are the ledger's (the database holds them too): errors.
        for t, tax in enumerate(taxes):
            if (gross < 0 < tax.amount) or (tax.amount < 0 <= gross):
                add(f"tax_lines[{t}].amount", "must have the same sign as the line's gross_amount")
        total = sum(tax.amount for tax in taxes)
        if abs(total) > abs(gross):
            add("tax_lines", f"VAT {total} exceeds the gross amount {gross}")
        discounts: list[DiscountLine] = data["discount_lines"]
        for d, discount in enumerate(discounts):
            if (gross < 0 < discount.amount) or (discount.amount < 0 <= gross):
                add(f"discount_lines[{d}].amount", "must have the same sign as the line's gross_amount")
        # A line's discounts are summed into 64-bit columns (the line's, the order's totals):
        # they add up to no more than one amount may be.
        discounted = sum(discount.amount for discount in discounts)
        if abs(discounted) >= AMOUNT_LIMIT:
            add("discount_lines", f"the discounts add up to {discounted}, beyond {AMOUNT_LIMIT - 1}")
        unit = data.get("unit_gross_amount")
        if unit is not None and ((gross < 0 < unit) or (unit < 0 <= gross)):
            add("unit_gross_amount", "must have the same sign as the line's gross_amount")
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
            discount_lines=discounts,
            dintero={name: data[name] for name in ITEM_DINTERO_FIELDS if name in data},
            vat_warning=vat_warning(gross, data["quantity"], taxes),
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
    split_draft = OptionalBooleanField(
        help_text="false: the order takes the draft's own `order.order_id` (one order per draft)"
    )
    replace = OptionalBooleanField(
        help_text="with `order_id`: the draft holds every line the order keeps; the others are reversed"
    )
    multiple_authorizations = OptionalBooleanField(
        help_text="a new order whose authorizations each have an authorization_id, which its "
        "captures, refunds and cancellations name"
    )

    unknown_fields = "the draft's options"

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
    merchant_reference_2 = TextField(ID_LIMIT)
    shipping_option = ObjectField(default=empty, required=False)
    order_id = TextField(
        ORDER_ID_LIMIT,
        default=empty,
        required=False,
        allow_blank=False,
        error_messages={"blank": "must not be empty"},
        help_text="the order's own id, with options.split_draft false",
    )
    # The totals Dintero answers, taken when a client sends its draft back: they must be what
    # the items add up to.
    gross_amount = OptionalMinorUnitsField()
    net_amount = OptionalMinorUnitsField()
    total_discount = OptionalMinorUnitsField()
    total_manual_discount_amount = OptionalMinorUnitsField()

    unknown_fields = "a draft's order"

    def run_validation(self, data=empty):
        # A null order reads as an empty one, so the error names what it lacks.
        return super().run_validation({} if data is None else data)

    def validate_order_id(self, order_id: str) -> str:
        # `.` and `..` are path segments every HTTP client resolves away before sending
        # (RFC 3986, 5.2.4): an order of either id could never be asked for.
        if order_id in (".", "..") or any(
            c in "/?#%" or not c.isprintable() or c.isspace() for c in order_id
        ):
            raise serializers.ValidationError(
                "must have no spaces, control characters, /, ?, # or %, and not be . or ..: "
                "it is part of the order's URL"
            )
        return order_id

    def validate(self, data: dict[str, Any]) -> DraftDocument:
        items: list[DraftItem] = data["items"]
        sums = {
            "gross_amount": sum(i.gross_amount for i in items),
            "net_amount": sum(i.gross_amount - sum(t.amount for t in i.tax_lines) for i in items),
            "total_discount": sum(i.discount_amount for i in items),
            "total_manual_discount_amount": sum(i.manual_discount_amount for i in items),
        }
        _raise_if_any(
            {
                name: [f"is {data[name]}, but the items add up to {total}"]
                for name, total in sums.items()
                if name in data and data[name] != total
            }
        )
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
            merchant_reference_2=data["merchant_reference_2"],
            order_id=data.get("order_id"),
            dintero={"shipping_option": data["shipping_option"]} if "shipping_option" in data else {},
        )


class DraftInputSerializer(InputSerializer):
    """A draft: the order it describes and, optionally, how to complete it."""

    # Validated: the `options` and `document` that `draft_create` and `draft_replace` take.

    default_error_messages = {"invalid": "the body must be a JSON object"}

    unknown_fields = "a draft"

    options = DraftOptionsSerializer(required=False)
    order = DraftOrderBodySerializer(source="document", error_messages={"required": "is required"})

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        options: DraftOptions = data.get("options") or DraftOptions()
        document: DraftDocument = data["document"]
        _raise_if_any(draft_option_errors(options, document))
        return {"options": options, "document": document}


def draft_option_errors(options: DraftOptions, document: DraftDocument) -> dict[str, list[str]]:
    """The options against the order they complete, by path. A custom `order.order_id` needs
    `split_draft: false` (Dintero, 2020-08-01); `replace` needs the order it replaces."""
    errors: dict[str, list[str]] = {}
    if document.order_id is not None:
        if options.split_draft is not False:
            errors["order.order_id"] = [
                "needs options.split_draft false: a draft that may split names no order"
            ]
        elif options.order_id is not None and options.order_id != document.order_id:
            errors["order.order_id"] = [f"an update draft's order is options.order_id {options.order_id}"]
        if options.generate_order_id is not None:
            errors["options.generate_order_id"] = ["must be left out: order.order_id names the order"]
    if options.replace and options.order_id is None:
        errors["options.replace"] = ["replaces the lines of an existing order: set options.order_id"]
    if options.replace:
        for i, item in enumerate(document.items):
            if item.reverses is not None:
                errors[f"order.items[{i}].related_item"] = [
                    "a replace draft lists the lines the order keeps; the others are reversed for it"
                ]
    # false, as a client sending every option may, asks nothing of an update.
    if options.multiple_authorizations and options.order_id is not None:
        errors["options.multiple_authorizations"] = ["is chosen when the order is created, not by an update"]
    return errors


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
    unknown_fields = "an operation item"

    line_id = CountField()
    amount = MinorUnitsField()
    payout = ObjectField(
        default=empty,
        required=False,
        help_text="Dintero's payout of the item (kept as sent and answered)",
    )

    class Meta:
        list_serializer_class = OperationItemListSerializer

    def validate_amount(self, amount: int) -> int:
        if amount == 0:
            raise serializers.ValidationError("must not be zero")
        return amount

    def validate(self, data: dict[str, Any]) -> ItemAmount:
        return ItemAmount(data["line_id"], data["amount"], data.get("payout") or {})


class PaymentDetailsSerializer(InputSerializer):
    """The payment at the provider; whatever else it holds is kept as sent."""

    unknown_fields = None
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
    unknown_fields = "an operation"

    items = OperationItemInputSerializer(many=True, allow_empty=False)
    payment_details = PaymentDetailsSerializer()
    success = StrictBooleanField(default=True)
    processed_at = DateTimeInputField(required=False)
    authorization_id = TextField(ID_LIMIT)
    processed_by = TextField(ID_LIMIT)
    metadata = ObjectField()

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "payment_id": data["payment_details"]["payment_id"]}
