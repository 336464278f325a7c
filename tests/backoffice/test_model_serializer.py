"""`backoffice.api.serializers.ModelSerializer`: the model's fields worked out once per class, each
instance's fields its own."""

from rest_framework import serializers

from backoffice.api.serializers import ModelSerializer
from orders.api.serializers import OperationSerializer, OrderItemSerializer, OrderSerializer
from payments.api.serializers import PaymentSessionSerializer, ProviderCallSerializer


def test_each_instance_has_fields_of_its_own_as_drf_builds_them():
    first, second = OrderSerializer(), OrderSerializer()
    drf = serializers.ModelSerializer.get_fields(OrderSerializer())  # as DRF builds them, each time
    assert list(first.fields) == list(second.fields) == list(drf)
    assert [repr(f) for f in first.fields.values()] == [repr(f) for f in drf.values()]
    assert all(first.fields[name] is not second.fields[name] for name in first.fields)
    assert all(field.parent is first for field in first.fields.values())
    assert first.fields["items"].child is not second.fields["items"].child
    # A model field's validators are its own too: DRF appends to them as it binds.
    assert first.fields["created_by"].validators is not second.fields["created_by"].validators


def test_every_model_serializer_answers_as_drf_would():
    for cls in (
        OrderSerializer,
        OrderItemSerializer,
        OperationSerializer,
        ProviderCallSerializer,
        PaymentSessionSerializer,
    ):
        assert issubclass(cls, ModelSerializer)
        assert cls().fields  # the recipe is kept after the first
        ours, drf = cls().fields, serializers.ModelSerializer.get_fields(cls())
        assert [(name, repr(field)) for name, field in ours.items()] == [
            (name, repr(field)) for name, field in drf.items()
        ], cls


def test_the_recipe_is_kept_per_class():
    OrderSerializer().fields, OrderItemSerializer().fields, OperationSerializer().fields
    kept = {
        cls: cls.__dict__["_model_fields_recipe"]
        for cls in (OrderSerializer, OrderItemSerializer, OperationSerializer)
    }
    assert len({id(recipe) for recipe in kept.values()}) == 3
    assert "items" in kept[OrderSerializer] and "tax_lines" in kept[OrderItemSerializer]
