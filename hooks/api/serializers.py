"""The answers of the Hooks API, described for the OpenAPI schema (the documents themselves are
built by hooks/documents.py)."""

from rest_framework import serializers


class SecretSerializer(serializers.Serializer):
    type = serializers.CharField()


class ConfigSerializer(serializers.Serializer):
    url = serializers.CharField()
    content_type = serializers.CharField()
    secret = SecretSerializer(required=False)
    insecure_ssl = serializers.IntegerField()


class SubscriptionSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    config = ConfigSerializer()
    events = serializers.ListField(child=serializers.CharField())
    active = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    created_by = serializers.CharField()
    updated_at = serializers.DateTimeField()
    deactivated_reason = serializers.CharField(allow_null=True)


class DeliverySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    event_delivery = serializers.UUIDField()
    created_at = serializers.DateTimeField()
    status = serializers.IntegerField(allow_null=True, help_text="the HTTP status the receiver answered")
    event = serializers.CharField()
    attempt = serializers.IntegerField()
    delivery_duration = serializers.IntegerField(help_text="milliseconds")
    delivery_success = serializers.BooleanField()
    state = serializers.CharField(help_text="pending (tries left), succeeded, failed or cancelled")


class _RequestSerializer(serializers.Serializer):
    headers = serializers.DictField(child=serializers.CharField())
    body = serializers.JSONField()


class _ResponseSerializer(serializers.Serializer):
    headers = serializers.DictField(child=serializers.CharField())
    body = serializers.CharField()


class _DetailsSerializer(serializers.Serializer):
    delivery_at = serializers.DateTimeField()
    delivery_duration = serializers.IntegerField()
    delivery_success = serializers.BooleanField()


class DeliveryDetailSerializer(DeliverySerializer):
    url = serializers.CharField()
    request = _RequestSerializer()
    response = _ResponseSerializer()
    details = _DetailsSerializer()
    error = serializers.CharField(allow_null=True)
