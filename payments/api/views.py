"""Payments at the provider, beside the Orders API: `/v1/accounts/{aid}/payments/orders/
{order_id}/sessions`, `/capture`, `/refund`, `/void`.

Each answers the provider calls it made with their states and the operations they recorded:
201 when the provider confirmed, 202 when an outcome is still unknown (reconciliation will
settle it), 502 with the error body when the provider refused.

`Idempotency-Key` is honoured as on the Orders API, but the write is not wrapped in a
database transaction: the provider is called over HTTP, and its calls are stored before they
are sent.
"""

from typing import cast

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from backoffice.actor import Actor
from backoffice.api.authentication import api_client
from backoffice.api.errors import error_body
from backoffice.api.idempotency import idempotent
from backoffice.api.views import AccountAPIView
from backoffice.errors import FieldError, InvalidInput
from orders import selectors
from payments.items import ItemAmount
from payments.models import CallKind, CallState, PaymentSession, ProviderCall
from payments.services.calls import provider_action
from payments.services.sessions import session_create

from .serializers import (
    CallsResponseSerializer,
    ItemsInputSerializer,
    ProviderCallSerializer,
    SessionResponseSerializer,
)

ERRORS = {
    code: OpenApiResponse(description=text)
    for code, text in {
        400: "invalid input (error body)",
        401: "no or bad token",
        403: "missing scope",
        404: "unknown order, or another account's",
        409: "conflict with the order's ledger or calls still under way",
        502: "the provider refused (error body, with the calls)",
    }.items()
}


def _items(request: Request) -> list[ItemAmount] | None:
    """The items the body asks for, as `ItemsInputSerializer` validates them; None: everything
    (no body is an empty one). Refused input is an `InvalidInput`, as the services' own: under
    an Idempotency-Key its 400 is kept and replayed like theirs."""
    body = {} if request.data in (None, "", b"") else request.data
    serializer = ItemsInputSerializer(data=body)
    if not serializer.is_valid():
        raise InvalidInput(
            [
                FieldError("" if field == api_settings.NON_FIELD_ERRORS_KEY else field, str(message))
                for field, messages in serializer.errors.items()
                for message in messages
            ]
        )
    return serializer.validated_data["items"]


def _calls(calls: list[ProviderCall]) -> list[dict]:
    fresh = list(
        ProviderCall.objects.filter(pk__in=[c.pk for c in calls])
        .select_related("operation")
        .order_by("created_at", "id")
    )
    selectors.operation_items_attach([c.operation for c in fresh if c.operation])
    # A list serializer's data is a list: the stubs type `data` as one object's, many or not.
    return ProviderCallSerializer(fresh, many=True).data  # type: ignore[return-value]


def _calls_response(calls: list[ProviderCall], extra: dict | None = None) -> Response:
    body = {**(extra or {}), "calls": _calls(calls)}
    states = {c.state for c in calls}
    if states & {CallState.UNKNOWN, CallState.SENDING, CallState.PENDING}:
        return Response(body, status=status.HTTP_202_ACCEPTED)
    if states == {CallState.FAILED}:
        message = "; ".join(c.error for c in calls if c.error) or "the provider refused"
        return Response(
            {**error_body("provider_failed", message), **body}, status=status.HTTP_502_BAD_GATEWAY
        )
    return Response(body, status=status.HTTP_201_CREATED)


class ProviderActionView(AccountAPIView):
    kind: CallKind

    def post(self, request: Request, aid: str, order_id: str) -> Response:
        def act() -> Response:
            order = selectors.order_get(account=self.account, order_id=order_id)
            calls = provider_action(
                order=order, kind=self.kind, items=_items(request), actor=Actor(client=api_client(request))
            )
            return _calls_response(calls)

        return idempotent(request, self.account, act, atomic=False)


def _action_view(kind: CallKind, name: str) -> type[ProviderActionView]:
    view = cast(
        type[ProviderActionView],
        type(f"{name.capitalize()}AtProviderView", (ProviderActionView,), {"kind": kind}),
    )
    return extend_schema_view(
        post=extend_schema(
            operation_id=f"payments_orders_{name}",
            request=ItemsInputSerializer,
            responses={201: CallsResponseSerializer, 202: CallsResponseSerializer, **ERRORS},
        )
    )(view)


CaptureView = _action_view(CallKind.CAPTURE, "capture")
RefundView = _action_view(CallKind.REFUND, "refund")
VoidView = _action_view(CallKind.VOID, "void")


class SessionsView(AccountAPIView):
    @extend_schema(
        operation_id="payments_orders_sessions",
        request=ItemsInputSerializer,
        responses={201: SessionResponseSerializer, **ERRORS},
    )
    def post(self, request: Request, aid: str, order_id: str) -> Response:
        def act() -> Response:
            order = selectors.order_get(account=self.account, order_id=order_id)
            session = session_create(
                order=order,
                items=_items(request),
                actor=Actor(client=api_client(request)),
            )
            session = PaymentSession.objects.get(pk=session.pk)
            calls = list(session.calls.all())
            body = {"session": SessionResponseSerializer().fields["session"].to_representation(session)}
            return (
                _calls_response(calls, body)
                if calls
                else Response({**body, "calls": []}, status=status.HTTP_200_OK)
            )

        return idempotent(request, self.account, act, atomic=False)
