"""What the Orders API answers. The request bodies it validates are in `orders.api.inputs`."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from backoffice.api.serializers import ModelSerializer
from orders.inputs import ITEM_DINTERO_FIELDS, TAX_LINE_DINTERO_FIELDS
from orders.ledger import DinteroPaymentStatus, PaymentStatus, dintero_payment_status
from orders.models import DraftOrder, Event, EventKind, Order, OrderLine, PaymentOperation
from orders.selectors import reversed_by
from orders.services.status import EVENTS_STATES, STATUS_EVENT_STATES, events_state

from .vocabulary import DRAFT_STATUS, ORDER_STATUS, DinteroDraftStatus, DinteroOrderStatus


@extend_schema_field(OpenApiTypes.NUMBER)
class NumberField(serializers.Field):
    """A VAT percentage as a JSON number: 25, or 12.5."""

    def to_representation(self, value):
        return int(value) if value == value.to_integral_value() else float(value)


@extend_schema_field(OpenApiTypes.OBJECT)
class ObjectAnswerField(serializers.JSONField):
    """A JSON object answered as it was kept."""


class MappedChoiceField(serializers.ChoiceField):
    """A stored state answered in Dintero's word for it (`orders.api.vocabulary`)."""

    def __init__(self, mapping: dict, **kwargs) -> None:
        self.mapping = mapping
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value):
        return str(self.mapping[value])


class DinteroPaymentStatusField(serializers.ChoiceField):
    """Dintero's `payment_status`, derived from the order's net totals (`orders.ledger`)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(choices=DinteroPaymentStatus.choices, source="*", read_only=True, **kwargs)

    def to_representation(self, value):
        return str(dintero_payment_status(value.figures))


class TaxLineSerializer(serializers.Serializer):
    """A tax line; Dintero's other fields of it only when they were sent
    (https://docs.dintero.com/api-reference/draftitems/add-item-to-draft)."""

    amount = serializers.IntegerField()
    percentage = NumberField()
    tax_code = serializers.CharField(required=False)
    tax_group = serializers.CharField(required=False)
    exempt = serializers.BooleanField(required=False)
    included_in_price = serializers.BooleanField(required=False)
    tax_basis = serializers.IntegerField(required=False)
    amount_dwh = serializers.CharField(required=False)
    tax_basis_dwh = serializers.CharField(required=False)

    def to_representation(self, instance) -> dict:
        return {
            "amount": instance.amount,
            "percentage": NumberField().to_representation(instance.percentage),
            **{name: instance.dintero[name] for name in TAX_LINE_DINTERO_FIELDS if name in instance.dintero},
        }


class DiscountLineSerializer(serializers.Serializer):
    amount = serializers.IntegerField()
    discount_type = serializers.CharField(required=False)
    percentage = serializers.FloatField(required=False)
    discount_id = serializers.CharField(required=False)
    description = serializers.CharField(required=False)
    line_id = serializers.IntegerField(required=False)


class RelatedItemSerializer(serializers.Serializer):
    line_id = serializers.IntegerField()
    type = serializers.CharField()


class OrderItemSerializer(ModelSerializer):
    """An order line. Dintero's item fields we keep as sent (`external_id`,
    `unit_gross_amount`, `discount_lines`, `eligible_for_discount`, `thumbnail_url`,
    `version`) and `vat_warning` are answered only when set."""

    id = serializers.CharField(source="item_id")
    net_amount = serializers.IntegerField()
    tax_lines = TaxLineSerializer(many=True)
    related_item = serializers.SerializerMethodField()
    reversed_by = serializers.SerializerMethodField()
    is_refund_line = serializers.BooleanField()
    # Answered only when set: fields a response may lack, not read-only ones (which
    # drf-spectacular marks required).
    external_id = serializers.CharField(required=False)
    unit_gross_amount = serializers.IntegerField(required=False)
    discount_lines = DiscountLineSerializer(many=True, required=False)
    eligible_for_discount = serializers.BooleanField(required=False)
    thumbnail_url = serializers.CharField(required=False)
    version = serializers.IntegerField(required=False)
    vat_warning = serializers.CharField(
        required=False,
        help_text="why the line's VAT does not add up; the line was taken as sent",
    )
    DINTERO_FIELDS = (*ITEM_DINTERO_FIELDS, "discount_lines")

    def to_representation(self, instance: OrderLine) -> dict:
        data = super().to_representation(instance)
        for name in (*self.DINTERO_FIELDS, "vat_warning"):
            data.pop(name, None)
        data |= {name: instance.dintero[name] for name in self.DINTERO_FIELDS if name in instance.dintero}
        if instance.vat_warning:
            data["vat_warning"] = instance.vat_warning
        return data

    class Meta:
        model = OrderLine
        fields = [
            "line_id",
            "id",
            "description",
            "description_alias",
            "quantity",
            "gross_amount",
            "net_amount",
            "tax_amount",
            "tax_lines",
            "reversed_reason",
            "related_item",
            "reversed_by",
            "is_refund_line",
            "metadata",
            "authorized_amount",
            "captured_amount",
            "refunded_amount",
            "cancelled_amount",
            "created_at",
            "external_id",
            "unit_gross_amount",
            "discount_lines",
            "eligible_for_discount",
            "thumbnail_url",
            "version",
            "vat_warning",
        ]

    @extend_schema_field(RelatedItemSerializer(allow_null=True))
    def get_related_item(self, line: OrderLine) -> dict | None:
        related = line.related_line
        if related is None:
            return None
        return {"line_id": related.line_id, "type": line.related_type}

    def get_reversed_by(self, line: OrderLine) -> list[int]:
        return [r.line_id for r in reversed_by(line)]


class OrderSerializer(ModelSerializer):
    items = OrderItemSerializer(source="lines", many=True)
    net_amount = serializers.IntegerField()
    account_id = serializers.CharField(source="account.aid")
    status = MappedChoiceField(ORDER_STATUS, choices=DinteroOrderStatus.choices)
    payment_status = DinteroPaymentStatusField()
    ledger_status = serializers.ChoiceField(
        source="payment_status",
        choices=PaymentStatus.choices,
        read_only=True,
        help_text="our finer payment state: what is authorized, captured, refunded or cancelled",
    )
    # Dintero's order fields we keep as sent, answered when set.
    # Answered only when set, so the schema must not call them required: declared as fields a
    # response may lack (not read-only ones, which drf-spectacular marks required).
    shipping_option = ObjectAnswerField(source="dintero.shipping_option", required=False)
    multiple_authorizations = serializers.BooleanField(
        required=False, help_text="true when the order's operations name their authorization (a draft option)"
    )

    class Meta:
        model = Order
        fields = [
            "id",
            "order_id",
            "account_id",
            "currency",
            "status",
            "payment_status",
            "ledger_status",
            "gross_amount",
            "net_amount",
            "tax_amount",
            "authorized_amount",
            "captured_amount",
            "refunded_amount",
            "cancelled_amount",
            "items",
            "customer",
            "shipping_address",
            "billing_address",
            "store",
            "merchant_reference",
            "merchant_reference_2",
            "shipping_option",
            "total_discount",
            "total_manual_discount_amount",
            "multiple_authorizations",
            "metadata",
            "created_at",
            "updated_at",
            "created_by",
            "cancelled_at",
            "cancelled_by",
            "cancelled_reason",
            "closed_at",
            "closed_by",
        ]

    # Dintero's Order answers these only once they are set
    # (https://docs.dintero.com/api-reference/draft/complete-a-draft-order).
    OMITTED_WHEN_UNSET = (
        "cancelled_at",
        "cancelled_by",
        "cancelled_reason",
        "closed_at",
        "closed_by",
        "merchant_reference_2",
        "shipping_option",
        "multiple_authorizations",
    )

    def to_representation(self, instance: Order) -> dict:
        data = super().to_representation(instance)
        for name in self.OMITTED_WHEN_UNSET:
            if data.get(name) in (None, "") or data.get(name) is False:
                data.pop(name, None)
        # `include_events` (Dintero's changelog, 2019-07-01, https://docs.dintero.com/orders-api.html):
        # the order's events and their combined state.
        if self.context.get("include_events"):
            events = order_events(instance)
            data["events"] = EventSerializer(events, many=True, context={"versions": versions(events)}).data
            data["events_state"] = events_state(events)
        return data


def draft_totals(items: list[dict]) -> dict[str, int]:
    """A draft's totals as Dintero answers them on its `order`: what its items add up to."""
    discounts = [d for item in items for d in item.get("discount_lines") or []]
    gross = sum(item["gross_amount"] for item in items)
    return {
        "gross_amount": gross,
        "net_amount": gross - sum(t["amount"] for item in items for t in item.get("tax_lines") or []),
        "total_discount": sum(d["amount"] for d in discounts),
        "total_manual_discount_amount": sum(
            d["amount"] for d in discounts if d.get("discount_type") == "manual"
        ),
    }


class DraftSerializer(ModelSerializer):
    order = serializers.JSONField(source="document")
    order_id = serializers.SerializerMethodField()
    status = MappedChoiceField(DRAFT_STATUS, choices=DinteroDraftStatus.choices)

    class Meta:
        model = DraftOrder
        fields = [
            "id",
            "status",
            "options",
            "order",
            "order_id",
            "created_at",
            "updated_at",
            "completed_at",
            "created_by",
        ]

    def to_representation(self, instance: DraftOrder) -> dict:
        data = super().to_representation(instance)
        data["order"] = {**data["order"], **draft_totals(instance.items)}
        return data

    def get_order_id(self, draft: DraftOrder) -> str | None:
        """The order this draft created or updated, once completed."""
        order = draft.completed_order or draft.target_order
        return order.order_id if order else None


class OperationItemSerializer(serializers.Serializer):
    """An `ItemAmount`."""

    line_id = serializers.IntegerField(source="line_number")
    amount = serializers.IntegerField()
    payout = serializers.DictField(required=False, help_text="Dintero's payout of the item, when sent")

    def to_representation(self, instance) -> dict:
        data = super().to_representation(instance)
        if not data.get("payout"):
            data.pop("payout", None)
        return data


class OperationSerializer(ModelSerializer):
    type = serializers.CharField(source="kind")
    items = OperationItemSerializer(many=True, source="item_list")

    class Meta:
        model = PaymentOperation
        fields = [
            "id",
            "type",
            "amount",
            "items",
            "payment_details",
            "success",
            "authorization_id",
            "processed_at",
            "processed_by",
            "metadata",
            "created_at",
            "created_by",
        ]
        extra_kwargs = {"authorization_id": {"required": False}, "processed_at": {"required": False}}

    # Dintero leaves these out of an operation unless they were set.
    OMITTED_WHEN_UNSET = ("authorization_id", "processed_at", "processed_by")

    def to_representation(self, instance: PaymentOperation) -> dict:
        data = super().to_representation(instance)
        for name in self.OMITTED_WHEN_UNSET:
            if data.get(name) in (None, ""):
                data.pop(name, None)
        return data


# A pattern, not an enum: the schema's enums are named by their field, and `state` has others
# (the webhook deliveries').
@extend_schema_field({"type": "string", "pattern": f"^({'|'.join(STATUS_EVENT_STATES)})$"})
class StatusEventStateField(serializers.ChoiceField):
    """An order status event's `state`: error, failure, success or pending."""

    def __init__(self, **kwargs) -> None:
        super().__init__(choices=list(STATUS_EVENT_STATES), **kwargs)


@extend_schema_field({"type": "string", "pattern": f"^({'|'.join(EVENTS_STATES)})$"})
class EventsStateField(serializers.CharField):
    """The combined state of an order's events: failure, pending or success."""


class EventRequestSerializer(serializers.Serializer):
    path = serializers.CharField()
    method = serializers.CharField()
    body = serializers.CharField(help_text="the request's body as sent (JSON text)")


def order_events(order: Order) -> list[Event]:
    """The order's events in their order: prefetched with the order (`include_events` on a
    list) or read now."""
    cached = getattr(order, "_prefetched_objects_cache", {}).get("events")
    events = list(cached) if cached is not None else list(order.events.order_by("created_at", "id"))
    return sorted(events, key=lambda e: (e.created_at, e.pk))


def versions(events: list[Event]) -> dict[int, int]:
    """Each event's `version`: the order's version when the request was made, counted as the
    changes the order had had then, the event's own included (1 for the first)."""
    return {event.pk: n for n, event in enumerate(events, start=1)}


@extend_schema_serializer(component_name="OrderEvent")
class EventSerializer(serializers.Serializer):
    """An order event as Dintero models one
    (https://docs.dintero.com/api-reference/orderlist/order-events-collection): an api-event
    (`request`, `draft_id` when a draft made the change) or a service-event, an order status
    event (`state`, `service`, `service_status`, `description`, `metadata`:
    https://docs.dintero.com/api-reference/orderevents/create-an-order-event). `type`, `summary`
    and `data` are ours: what happened, in words and as stored."""

    id = serializers.UUIDField(source="uuid")
    event_type = serializers.ChoiceField(choices=["api-event", "service-event"])
    created_at = serializers.DateTimeField()
    created_by = serializers.CharField()
    version = serializers.IntegerField()
    request = EventRequestSerializer(required=False)
    draft_id = serializers.CharField(required=False)
    state = StatusEventStateField(required=False)
    service = serializers.CharField(required=False)
    service_status = serializers.CharField(required=False)
    description = serializers.CharField(required=False)
    metadata = serializers.DictField(required=False)
    type = serializers.CharField(source="kind")
    summary = serializers.CharField()
    # A declared field, taken off the class by DRF's metaclass: `.data` stays the serializer's.
    data = serializers.DictField()  # type: ignore[assignment]

    def to_representation(self, instance: Event) -> dict:
        versions_known = self.context.get("versions") or {}
        version = versions_known.get(instance.pk)
        if version is None:
            version = Event.objects.filter(order_id=instance.order_id, pk__lte=instance.pk).count()
        reported = instance.kind == EventKind.STATUS_REPORTED
        body: dict = {
            "id": str(instance.uuid),
            "event_type": "service-event" if reported else "api-event",
            "created_at": serializers.DateTimeField().to_representation(instance.created_at),
            "created_by": instance.created_by,
            "version": version,
        }
        if instance.request:
            body["request"] = instance.request
        if instance.data.get("draft_id"):
            body["draft_id"] = str(instance.data["draft_id"])
        if reported:
            for name in ("state", "service", "service_status", "description", "metadata"):
                if instance.data.get(name) not in (None, ""):
                    body[name] = instance.data[name]
        body |= {"type": instance.kind, "summary": instance.summary, "data": instance.data}
        return body
