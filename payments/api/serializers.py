from rest_framework import serializers

from orders.api.serializers import OperationSerializer
from payments.models import PaymentSession, ProviderCall


class ItemSerializer(serializers.Serializer):
    line_id = serializers.IntegerField(min_value=1)
    amount = serializers.IntegerField(min_value=1)


class ItemsInputSerializer(serializers.Serializer):
    """No items: everything the provider can still take."""

    items = ItemSerializer(many=True, required=False)


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
