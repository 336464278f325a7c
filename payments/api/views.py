"""Payments at the provider, beside the Orders API: `/v1/accounts/{aid}/payments/orders/
{order_id}/sessions`, `/capture`, `/refund`, `/void`.

Each answers the provider calls it made with their states and the operations they recorded:
201 when the provider confirmed, 202 when an outcome is still unknown (reconciliation will
settle it), 502 with the error body when the provider refused.

`Idempotency-Key` is honoured as on the Orders API, but the write is not wrapped in a
database transaction: the provider is called over HTTP, and its calls are stored before they
are sent.
"""

import json
import uuid
from typing import cast

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view, inline_serializer
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from backoffice.actor import Actor
from backoffice.api.authentication import api_client
from backoffice.api.errors import error_body, validated
from backoffice.api.idempotency import idempotent
from backoffice.api.views import AccountAPIView
from backoffice.errors import Conflict, ErrorCode, FieldError, InvalidInput, NotFound
from orders import selectors
from orders.api.views import request_recorded
from orders.models import Event, EventKind, Order
from payments.items import ItemAmount
from payments.models import CallKind, CallState, PaymentSession, ProviderCall
from payments.services.calls import provider_action
from payments.services.sessions import session_create

from .serializers import (
    CallsResponseSerializer,
    ItemsInputSerializer,
    OrderSessionInputSerializer,
    OrderSessionSerializer,
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


def _actor(request: Request) -> Actor:
    return Actor(client=api_client(request))


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


# Order sessions on the shopping path (`/v1/accounts/{aid}/shopping/orders/{order_id}/sessions`),
# as Dintero's Orders API has them: https://docs.dintero.com/api-reference/ordersessions/create-a-session
# and https://docs.dintero.com/api-reference/ordersessions/get-session-details. The same payment
# links as `…/payments/orders/{order_id}/sessions`, in Dintero's shape.


def _session_requests(order: Order, sessions: list[PaymentSession]) -> dict:
    """What each session's creating request asked for besides its lines (`profile_id`, `url`,
    `metadata`), from the `request` of the event its creation wrote: no column holds them."""
    calls = {
        str(call_id): session_id
        for call_id, session_id in ProviderCall.objects.filter(
            session__in=sessions, kind=CallKind.SESSION
        ).values_list("pk", "session_id")
    }
    if not calls:
        return {}
    asked: dict = {}
    events = Event.objects.filter(order=order, kind=EventKind.PROVIDER_CALL).exclude(request={})
    for event in events.order_by("pk"):
        session_id = calls.get(str(event.data.get("call_id")))
        if session_id is None or session_id in asked:
            continue
        try:
            body = json.loads(event.request.get("body") or "{}")
        except ValueError:
            body = {}
        asked[session_id] = body if isinstance(body, dict) else {}
    return asked


def _session_body(order: Order, session: PaymentSession) -> dict:
    context = {"requests": _session_requests(order, [session])}
    return OrderSessionSerializer(session, context=context).data


def _wanted(order: Order, items: list[dict]) -> list[ItemAmount]:
    """The session's items: each line for the amount given, or all it has left to authorize."""
    lines = {line.line_id: line for line in order.lines.all()}
    errors, wanted = [], []
    for i, item in enumerate(items):
        line = lines.get(item["line_id"])
        if line is None:
            errors.append(
                FieldError(f"items[{i}].line_id", f"order {order.order_id} has no line {item['line_id']}")
            )
            continue
        if line.gross_amount < 0:
            errors.append(
                FieldError(f"items[{i}].line_id", f"line {line.line_id} is a reversal: record it instead")
            )
            continue
        amount = item.get("amount") or line.to_authorize
        if amount <= 0:
            raise Conflict(f"line {line.line_id} has nothing left to authorize", ErrorCode.LEDGER)
        wanted.append(ItemAmount(line.line_id, amount))
    if errors:
        raise InvalidInput(errors)
    return wanted


class OrderSessionsView(AccountAPIView):
    @extend_schema(
        operation_id="shopping_orders_sessions_list",
        responses={
            200: inline_serializer("OrderSessionList", {"sessions": OrderSessionSerializer(many=True)}),
            **ERRORS,
        },
    )
    def get(self, request: Request, aid: str, order_id: str) -> Response:
        order = selectors.order_ref(account=self.account, order_id=order_id)
        sessions = list(PaymentSession.objects.filter(order=order).order_by("created_at", "id"))
        context = {"requests": _session_requests(order, sessions)}
        return Response({"sessions": OrderSessionSerializer(sessions, many=True, context=context).data})

    @extend_schema(
        operation_id="shopping_orders_sessions_create",
        request=OrderSessionInputSerializer,
        responses={201: OrderSessionSerializer, 202: OrderSessionSerializer, **ERRORS},
    )
    def post(self, request: Request, aid: str, order_id: str) -> Response:
        """A payment link for the lines named; 201 once the provider made it, 202 while its
        outcome is unknown, 502 with the error body when the provider refused."""

        def act() -> Response:
            order = selectors.order_get(account=self.account, order_id=order_id)
            data = validated(OrderSessionInputSerializer(data=request.data))
            profile = settings.DINTERO_PROFILE_ID
            if data.get("profile_id") not in (None, profile):
                raise InvalidInput(
                    [FieldError("profile_id", f"sessions are made with the Checkout profile {profile!r}")]
                )
            session = session_create(order=order, items=_wanted(order, data["items"]), actor=_actor(request))
            session = PaymentSession.objects.get(pk=session.pk)
            calls = list(session.calls.all())
            return _calls_response(calls, _session_body(order, session))

        with request_recorded(request):
            return idempotent(request, self.account, act, atomic=False)


class OrderSessionDetailView(AccountAPIView):
    @extend_schema(
        operation_id="shopping_orders_sessions_retrieve", responses={200: OrderSessionSerializer, **ERRORS}
    )
    def get(self, request: Request, aid: str, order_id: str, session_id: str) -> Response:
        order = selectors.order_ref(account=self.account, order_id=order_id)
        try:
            pk = uuid.UUID(session_id)
        except ValueError:
            pk = None
        session = PaymentSession.objects.filter(order=order, pk=pk).first() if pk else None
        if session is None:
            raise NotFound(f"order {order.order_id} has no session {session_id}")
        return Response(_session_body(order, session))
