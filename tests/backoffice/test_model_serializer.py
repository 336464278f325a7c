"""`backoffice.api.serializers.ModelSerializer`: fields worked out once per class, never shared."""

from rest_framework import serializers

from backoffice.api.serializers import ModelSerializer
from orders.api.serializers import OperationSerializer, OrderItemSerializer, OrderSerializer


def test_each_instance_has_fields_of_its_own_as_drf_builds_them():
    first, second = OrderSerializer(), OrderSerializer()
    drf = serializers.ModelSerializer.get_fields(OrderSerializer())  # as DRF builds them, each time
    assert list(first.fields) == list(second.fields) == list(drf)
    assert [repr(f) for f in first.fields.values()] == [repr(f) for f in drf.values()]
    assert all(first.fields[name] is not second.fields[name] for name in first.fields)
    assert all(field.parent is first for field in first.fields.values())
    assert first.fields["items"].child is not second.fields["items"].child


def test_the_fields_are_kept_per_class():
    OrderSerializer().fields, OrderItemSerializer().fields, OperationSerializer().fields
    kept = {
        cls: cls.__dict__["_fields_built"]
        for cls in (OrderSerializer, OrderItemSerializer, OperationSerializer)
    }
    assert len({id(fields) for fields in kept.values()}) == 3
    assert "items" in kept[OrderSerializer] and "tax_lines" in kept[OrderItemSerializer]
    assert issubclass(OrderSerializer, ModelSerializer)
