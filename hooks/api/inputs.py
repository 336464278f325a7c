"""The subscription body of Dintero's Hooks API (https://docs.dintero.com/api-reference/
subscriptions/create-new-subscription), checked whole, every field at fault named by its path.

`config.secret` is `{"type": "HMAC-SHA1", "value": "..."}`. On PUT, a secret without its value
(as GET shows it) or no secret at all keeps the one stored, and `null` removes it. Fields the
API answers (`id`, `created_at`, …) may be sent back and are ignored; Dintero's `fields` and
`exclude_fields` masks are not implemented and are refused by name, as is any other field.
"""

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from hooks.events import SUBSCRIBABLE
from hooks.network import refused_reason
from hooks.services.subscriptions import KEEP, SubscriptionSpec

SECRET_LIMIT = 200
URL_LIMIT = 2000
READ_ONLY = {"id", "created_at", "created_by", "updated_at", "deleted_at", "deleted_by", "deactivated_reason"}
NOT_IMPLEMENTED = {"fields", "exclude_fields"}


class StrictBooleanField(serializers.BooleanField):
    """A JSON true or false, not "yes" or 1."""

    def to_internal_value(self, data) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


@extend_schema_field({"type": "integer", "enum": [0, 1]})
class InsecureSslField(serializers.Field):
    """Dintero's `insecure_ssl`: 0 checks the receiver's certificate, 1 does not."""

    default_error_messages = {"invalid": "must be 0 or 1"}

    def to_internal_value(self, data) -> int:
        if data in (0, 1) and not isinstance(data, float):
            return int(data)
        self.fail("invalid")

    def to_representation(self, value) -> int:
        return int(value)


def _no_extra(data: Any, allowed: set[str]) -> None:
    if not isinstance(data, dict):
        return
    errors = {}
    for key in data:
        if key in NOT_IMPLEMENTED:
            errors[key] = f"{key} is not supported here: deliveries carry the whole payload"
        elif key not in allowed:
            errors[key] = "is not a field of a subscription"
    if errors:
        raise serializers.ValidationError(errors)


class SecretInput(serializers.Serializer):
    type = serializers.ChoiceField(
        choices=["HMAC-SHA1"], error_messages={"invalid_choice": 'must be "HMAC-SHA1"'}
    )
    value = serializers.CharField(
        required=False, trim_whitespace=False, min_length=1, max_length=SECRET_LIMIT
    )

    def to_internal_value(self, data):
        _no_extra(data, {"type", "value"})
        return super().to_internal_value(data)


class ConfigInput(serializers.Serializer):
    url = serializers.CharField(max_length=URL_LIMIT, trim_whitespace=False)
    content_type = serializers.ChoiceField(
        choices=["application/json"],
        default="application/json",
        error_messages={"invalid_choice": 'must be "application/json"'},
    )
    secret = SecretInput(required=False, allow_null=True)
    insecure_ssl = InsecureSslField(default=0)

    def to_internal_value(self, data):
        _no_extra(data, {"url", "content_type", "secret", "insecure_ssl"})
        return super().to_internal_value(data)

    def validate_url(self, value: str) -> str:
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 - a port out of range raises here
        except ValueError as exc:
            raise serializers.ValidationError(f"is not a URL: {exc}") from exc
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise serializers.ValidationError("must be an absolute http or https URL")
        if any(c.isspace() or ord(c) < 32 for c in value):
            raise serializers.ValidationError("must not contain spaces or control characters")
        reason = None if settings.HOOKS_ALLOW_PRIVATE_NETWORKS else refused_reason(parts.hostname)
        if reason:
            raise serializers.ValidationError(
                f"deliveries do not go to loopback or private addresses: {reason}"
            )
        return value


class SubscriptionInput(serializers.Serializer):
    config = ConfigInput()
    events = serializers.ListField(
        child=serializers.CharField(), allow_empty=False, max_length=len(SUBSCRIBABLE) * 4
    )
    active = StrictBooleanField(default=True)

    def to_internal_value(self, data):
        _no_extra(data, {"config", "events", "active"} | READ_ONLY)
        return super().to_internal_value(data)

    def validate_events(self, value: list[str]) -> list[str]:
        unknown = [e for e in value if e not in SUBSCRIBABLE]
        if unknown:
            raise serializers.ValidationError(
                f"{', '.join(unknown)}: not an event of this API; choose from {', '.join(SUBSCRIBABLE)}"
            )
        return list(dict.fromkeys(value))

    def spec(self) -> SubscriptionSpec:
        data = self.validated_data
        config = data["config"]
        if "secret" not in config:
            secret: object = KEEP
        elif config["secret"] is None:
            secret = ""
        else:
            secret = config["secret"].get("value", KEEP)
        return SubscriptionSpec(
            url=config["url"],
            content_type=config["content_type"],
            events=data["events"],
            active=data["active"],
            insecure_ssl=config["insecure_ssl"],
            secret=secret,
        )
