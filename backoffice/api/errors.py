"""One error body for the whole API:
`{"error": {"code", "message", "errors": [{"field", "message"}]}}`."""

import logging
from collections.abc import Mapping

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.settings import api_settings

from backoffice.errors import DomainError, ErrorCode, FieldError, InvalidInput, NotFound

from .serializers import shared

logger = logging.getLogger(__name__)

_STATUS = {InvalidInput: 400, NotFound: 404}


class _FieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField(allow_blank=True)
    message = serializers.CharField()


class _ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    # A declared field: DRF's metaclass takes it out of the class, so it leaves `Serializer.errors` be.
    errors = _FieldErrorSerializer(many=True)  # type: ignore[assignment]


class ErrorBodySerializer(serializers.Serializer):
    error = _ErrorSerializer()


_MEANING = {
    400: "invalid input",
    401: "no or bad credentials",
    403: "missing scope",
    404: "unknown, or another account's",
    409: "conflict with the order's state or its ledger, or a reused Idempotency-Key",
    413: "a request body over the API_MAX_BODY_BYTES limit (1 MiB by default)",
    429: "too many requests",
}


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """The documented error answers of an endpoint, all with the error body."""
    return {
        code: OpenApiResponse(ErrorBodySerializer, description=_MEANING[code])
        for code in codes or (400, 401, 403, 404, 409, 413)
    }


def error_body(code: str, message: str, errors: list[dict] | None = None) -> dict:
    return {"error": {"code": code, "message": message, "errors": errors or []}}


def domain_error_response(exc: DomainError) -> Response:
    status_code = _STATUS.get(type(exc), 409)
    return Response(
        error_body(exc.code, exc.message, [{"field": e.field, "message": e.message} for e in exc.errors]),
        status=status_code,
    )


def _path(prefix: str, key: object) -> str:
    """`order` + `items` -> `order.items`; `order.items` + 0 -> `order.items[0]`. Keys that are
    paths themselves (`[1].line_id`, `tax_lines[0].amount`, from a serializer's `validate()`)
    join the same way."""
    if key == api_settings.NON_FIELD_ERRORS_KEY:
        return prefix
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    key = str(key)
    if not prefix or key.startswith("["):
        return prefix + key
    return f"{prefix}.{key}"


def _flatten(detail, prefix: str = "") -> list[dict]:
    """DRF's nested error detail as the spec's flat list, one entry per message, each naming
    its field by path: `order.items[0].tax_lines[0].amount`."""
    if isinstance(detail, dict):
        out = []
        for key, value in detail.items():
            out += _flatten(value, _path(prefix, key))
        return out
    if isinstance(detail, list):
        out = []
        for index, value in enumerate(detail):
            # A list of objects is a list serializer's errors (one per item, {} if it is fine).
            out += _flatten(value, _path(prefix, index) if isinstance(value, dict) else prefix)
        return out
    return [{"field": prefix, "message": str(detail)}]


def field_errors(detail, prefix: str = "") -> list[FieldError]:
    return [FieldError(e["field"], e["message"]) for e in _flatten(detail, prefix)]


def validated(serializer: serializers.Serializer, *, prefix: str = ""):
    """The serializer's validated data; if the input is invalid, an InvalidInput (400) naming
    every field at fault by its path, under `prefix` if given. A domain error, so that a write
    under an Idempotency-Key keeps the refusal like any other answer."""
    if not serializer.is_valid():
        raise InvalidInput(field_errors(serializer.errors, prefix))
    return serializer.validated_data


def validated_as(serializer_class: type[serializers.Serializer], data, *, prefix: str = ""):
    """As `validated(serializer_class(data=data))`, on the thread's shared instance of the class
    (`backoffice.api.serializers.shared`), for the writes that every integrator makes. A body that
    is no JSON object goes the long way, for DRF's own wording of what is wrong with it."""
    if not isinstance(data, Mapping):
        return validated(serializer_class(data=data), prefix=prefix)
    try:
        return shared(serializer_class).run_validation(data)
    except exceptions.ValidationError as exc:
        # What `is_valid` keeps as the serializer's errors, for an object's fields.
        raise InvalidInput(field_errors(exc.detail, prefix)) from None


_CODES = {
    400: ErrorCode.INVALID,
    401: "unauthorized",
    403: "forbidden",
    404: ErrorCode.NOT_FOUND,
    405: "method_not_allowed",
    406: "not_acceptable",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DomainError):
        return domain_error_response(exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None
    code = _CODES.get(exc.status_code, "error")
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        message = "; ".join(f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors)
    else:
        errors, message = [], str(exc.detail)
    response = Response(error_body(code, message, errors), status=exc.status_code)
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    wait = getattr(exc, "wait", None)  # Throttled's
    if wait:
        response["Retry-After"] = str(int(wait))
    return response


def api_not_found(request, exception=None) -> JsonResponse:
    return JsonResponse(
        error_body(ErrorCode.NOT_FOUND, f"no such resource: {request.path}"),
        status=status.HTTP_404_NOT_FOUND,
    )


def api_server_error(request) -> JsonResponse:
    return JsonResponse(error_body("server_error", "an unexpected error occurred"), status=500)
