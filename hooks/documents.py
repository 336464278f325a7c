"""What a subscription and an attempt look like in Dintero's Hooks API, for the API's answers
and the ping event's body."""

from typing import Any

from .models import Attempt, Subscription


def _time(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def subscription_document(sub: Subscription) -> dict[str, Any]:
    """As Dintero answers one (`…/subscriptions/{hid}`): the secret's type, never its value."""
    config: dict[str, Any] = {
        "url": sub.url,
        "content_type": sub.content_type,
        "insecure_ssl": sub.insecure_ssl,
    }
    if sub.secret:
        config["secret"] = {"type": "HMAC-SHA1"}
    return {
        "id": str(sub.id),
        "config": config,
        "events": list(sub.events),
        "active": sub.active,
        "created_at": _time(sub.created_at),
        "created_by": sub.created_by,
        "updated_at": _time(sub.updated_at),
        # Added: why the worker turned the subscription off, if it did.
        "deactivated_reason": sub.deactivated_reason or None,
    }


def attempt_summary(attempt: Attempt) -> dict[str, Any]:
    """An entry of `…/deliveries`: `status` is the HTTP status the receiver answered (null when
    nothing answered)."""
    return {
        "id": str(attempt.id),
        "event_delivery": str(attempt.delivery.event_delivery),
        "created_at": _time(attempt.started_at),
        "status": attempt.status_code,
        # Added: which event, which try, and for how long (milliseconds).
        "event": attempt.delivery.event,
        "attempt": attempt.number,
        "delivery_duration": attempt.duration_ms,
        "delivery_success": attempt.success,
        # Added: where the event stands: pending (tries left), succeeded, failed, cancelled.
        "state": attempt.delivery.state,
    }


def attempt_document(attempt: Attempt, body: Any) -> dict[str, Any]:
    """`…/deliveries/{id}`: the request sent, the response received and its timing."""
    return {
        **attempt_summary(attempt),
        "url": attempt.url,
        "request": {"headers": attempt.request_headers, "body": body},
        "response": {"headers": attempt.response_headers, "body": attempt.response_body},
        "details": {
            "delivery_at": _time(attempt.started_at),
            "delivery_duration": attempt.duration_ms,
            "delivery_success": attempt.success,
        },
        "error": attempt.error or None,
    }
