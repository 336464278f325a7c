"""`/v1/accounts/{aid}/hooks/…`: Dintero's Hooks API for webhook subscriptions
(https://docs.dintero.com/api-reference/subscriptions/create-new-subscription and
https://docs.dintero.com/api-reference/subscription-deliveries/deliveries). Tokens are per
account; another account's subscription is not found."""

import json

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from backoffice.actor import Actor
from backoffice.api.errors import error_responses
from backoffice.api.views import AccountAPIView
from backoffice.errors import FieldError, InvalidInput
from backoffice.models import ApiClient
from hooks import selectors
from hooks.documents import attempt_document, attempt_summary, subscription_document
from hooks.services.subscriptions import (
    subscription_create,
    subscription_delete,
    subscription_ping,
    subscription_replace,
)

from .inputs import SubscriptionInput
from .permissions import HasHooksScope
from .serializers import DeliveryDetailSerializer, DeliverySerializer, SubscriptionSerializer

READS = error_responses(400, 401, 403, 404)
WRITES = error_responses(400, 401, 403, 404, 409, 413)
LIMIT_MAX = 100


def _actor(request: Request) -> Actor:
    client = request.user
    assert isinstance(client, ApiClient)  # HasHooksScope lets in API clients only
    return Actor(client=client)


def _spec(request: Request):
    body = SubscriptionInput(data=request.data)
    body.is_valid(raise_exception=True)
    return body.spec()


class HooksView(AccountAPIView):
    permission_classes = [HasHooksScope]


class SubscriptionListView(HooksView):
    @extend_schema(
        responses={200: SubscriptionSerializer(many=True), **READS}, operation_id="hooks_subscriptions_list"
    )
    def get(self, request: Request, aid: str) -> Response:
        return Response([subscription_document(s) for s in selectors.subscription_list(account=self.account)])

    @extend_schema(
        request=SubscriptionInput,
        responses={201: SubscriptionSerializer, **WRITES},
        operation_id="hooks_subscriptions_create",
    )
    def post(self, request: Request, aid: str) -> Response:
        spec = _spec(request)

        def create() -> Response:
            subscription = subscription_create(account=self.account, spec=spec, actor=_actor(request))
            return Response(subscription_document(subscription), status=status.HTTP_201_CREATED)

        return self.write(request, create)


class SubscriptionDetailView(HooksView):
    @extend_schema(responses={200: SubscriptionSerializer, **READS}, operation_id="hooks_subscription_get")
    def get(self, request: Request, aid: str, hid: str) -> Response:
        return Response(subscription_document(selectors.subscription_get(account=self.account, hid=hid)))

    @extend_schema(
        request=SubscriptionInput,
        responses={200: SubscriptionSerializer, **WRITES},
        operation_id="hooks_subscription_update",
    )
    def put(self, request: Request, aid: str, hid: str) -> Response:
        subscription = selectors.subscription_get(account=self.account, hid=hid)
        spec = _spec(request)

        def replace() -> Response:
            updated = subscription_replace(subscription=subscription, spec=spec, actor=_actor(request))
            return Response(subscription_document(updated))

        return self.write(request, replace)

    @extend_schema(responses={204: None, **WRITES}, operation_id="hooks_subscription_delete")
    def delete(self, request: Request, aid: str, hid: str) -> Response:
        subscription = selectors.subscription_get(account=self.account, hid=hid)

        def delete() -> Response:
            subscription_delete(subscription=subscription, actor=_actor(request))
            return Response(status=status.HTTP_204_NO_CONTENT)

        return self.write(request, delete)


class SubscriptionPingView(HooksView):
    @extend_schema(request=None, responses={204: None, **WRITES}, operation_id="hooks_subscription_ping")
    def post(self, request: Request, aid: str, hid: str) -> Response:
        """Send a `ping` event to the subscription's URL (by the worker, as every delivery)."""
        subscription = selectors.subscription_get(account=self.account, hid=hid)

        def ping() -> Response:
            subscription_ping(subscription)
            return Response(status=status.HTTP_204_NO_CONTENT)

        return self.write(request, ping)


def _limit(request: Request) -> int:
    raw = request.query_params.get("limit", str(LIMIT_MAX))
    if not raw.isdigit() or not 1 <= int(raw) <= LIMIT_MAX:
        raise InvalidInput([FieldError("limit", f"must be a whole number from 1 to {LIMIT_MAX}")])
    return int(raw)


class DeliveryListView(HooksView):
    @extend_schema(
        parameters=[
            OpenApiParameter("limit", int, description=f"at most this many, 1 to {LIMIT_MAX} (default)"),
            OpenApiParameter(
                "starting_after", str, description="the id of the last delivery of the previous page"
            ),
        ],
        responses={200: DeliverySerializer(many=True), **READS},
        operation_id="hooks_deliveries_list",
    )
    def get(self, request: Request, aid: str, hid: str) -> Response:
        """Each attempt to send an event to the subscription, newest first."""
        subscription = selectors.subscription_get(account=self.account, hid=hid)
        limit = _limit(request)
        attempts = selectors.attempt_list(subscription=subscription)
        after = request.query_params.get("starting_after")
        if after:
            last = selectors.attempt_get(subscription=subscription, attempt_id=after)
            attempts = selectors.attempts_before(attempts, last)
        return Response([attempt_summary(a) for a in attempts[:limit]])


class DeliveryDetailView(HooksView):
    @extend_schema(responses={200: DeliveryDetailSerializer, **READS}, operation_id="hooks_delivery_get")
    def get(self, request: Request, aid: str, hid: str, delivery_id: str) -> Response:
        subscription = selectors.subscription_get(account=self.account, hid=hid)
        attempt = selectors.attempt_get(subscription=subscription, attempt_id=delivery_id)
        return Response(attempt_document(attempt, json.loads(attempt.delivery.body)))
