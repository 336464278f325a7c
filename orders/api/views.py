"""The Orders API (`/v1/accounts/{aid}/shopping/`): thin views over the orders services."""

import json
from contextlib import contextmanager
from typing import cast

from django.db.models import TextField
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from backoffice.actor import Actor
from backoffice.api.authentication import api_client
from backoffice.api.errors import error_responses, validated, validated_as
from backoffice.api.serializers import shared
from backoffice.api.views import AccountAPIView
from backoffice.errors import InvalidInput, NotFound
from backoffice.models import Account
from orders import selectors
from orders.inputs import DraftItem, DraftOptions
from orders.locks import OrderRef
from orders.models import OperationKind
from orders.services.drafts import (
    draft_complete,
    draft_create,
    draft_delete,
    draft_item_add,
    draft_item_delete,
    draft_item_update,
    draft_replace,
)
from orders.services.events import api_request
from orders.services.operations import operation_record, order_cancel
from orders.services.status import (
    events_state,
    order_close,
    order_create,
    order_details_update,
    order_open,
    status_event_add,
)

from .filters import CheckedCursorPagination, DraftFilter, OrderFilter
from .inputs import (
    DraftInputSerializer,
    DraftItemInputSerializer,
    DraftOrderBodySerializer,
    OperationInputSerializer,
)
from .serializers import (
    DraftSerializer,
    EventSerializer,
    EventsStateField,
    OperationSerializer,
    OrderSerializer,
    order_events,
    versions,
)
from .status_inputs import CancelInputSerializer, OrderUpdateInputSerializer, StatusEventInputSerializer

ERRORS = error_responses()
REQUEST_BODY_LIMIT = 100_000


@contextmanager
def request_recorded(request: Request):
    """The request, as Dintero's events show it (`request {path, method, body}`,
    https://docs.dintero.com/api-reference/orderlist/order-events-collection), for every event
    the write makes; the body as the JSON it was, cut at `REQUEST_BODY_LIMIT` characters."""
    # A body DRF cannot parse raises its 400 here, before anything is written.
    body = json.dumps(request.data, separators=(",", ":"), ensure_ascii=False, default=str)
    token = api_request.set(
        {"path": request.path, "method": request.method or "", "body": body[:REQUEST_BODY_LIMIT]}
    )
    try:
        yield
    finally:
        api_request.reset(token)


class ShoppingAPIView(AccountAPIView):
    """An endpoint of the Shopping API: its writes record their request on the events they make."""

    def write(self, request: Request, action) -> Response:
        with request_recorded(request):
            return super().write(request, action)


INCLUDE_EVENTS = OpenApiParameter(
    "include_events",
    OpenApiTypes.BOOL,
    description="answer the order's `events` and their combined `events_state` too",
)


def _include_events(request: Request) -> bool:
    """`include_events` (Dintero's changelog, 2019-07-01): true, 1 or yes; anything else, no."""
    return request.query_params.get("include_events", "").lower() in ("true", "1", "yes")


def _list_parameters(filterset) -> list[OpenApiParameter]:
    """A list's query: its filters (Dintero's values where it has them) and its paging."""
    parameters = []
    for name, field in filterset.base_filters.items():
        choices = getattr(field, "extra", {}).get("choices")
        kind = OpenApiTypes.DATETIME if "created_at" in name else OpenApiTypes.STR
        enum = [value for value, _ in choices] if choices else None
        parameters.append(OpenApiParameter(name, kind, enum=enum, description=field.label or ""))
    return [
        *parameters,
        OpenApiParameter("limit", OpenApiTypes.INT, description="1 to 1000; a page holds at most 100"),
        OpenApiParameter(
            "starting_after", OpenApiTypes.UUID, description="the `id` of the last object you have"
        ),
        OpenApiParameter("cursor", OpenApiTypes.STR, description="as the `next` and `previous` links"),
    ]


class EnvelopeCursorPagination(CheckedCursorPagination):
    """Cursor pagination answering `{"<key>": [...], "next": url, "previous": url}`."""

    page_size = 25
    page_size_query_param = "limit"
    max_page_size = 100
    ordering = ("-created_at", "-pk")
    key = "results"

    def get_paginated_response(self, data) -> Response:
        return Response({self.key: data, "next": self.get_next_link(), "previous": self.get_previous_link()})


def _paginate(view: AccountAPIView, request: Request, queryset, serializer_class, key: str):
    paginator = EnvelopeCursorPagination()
    paginator.key = key
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)


def _actor(request: Request) -> Actor:
    return Actor(client=api_client(request))


def _draft_input(data) -> dict:
    """The `document` and `options` of a draft body."""
    return validated(DraftInputSerializer(data=data))


def _item_input(data, line_id: int | None = None) -> DraftItem:
    """A line of a draft body; on its own path, with the path's line_id. Errors name `item.…`."""
    if line_id is not None and isinstance(data, dict):
        data = {**data, "line_id": line_id}
    return validated(DraftItemInputSerializer(data=data), prefix="item")


def _order_response(order, code=status.HTTP_200_OK, *, include_events: bool = False) -> Response:
    return Response(OrderSerializer(order, context={"include_events": include_events}).data, status=code)


class DraftListView(ShoppingAPIView):
    filter_backends = [DjangoFilterBackend]
    filterset_class = DraftFilter

    @extend_schema(
        responses={
            200: inline_serializer(
                "DraftList",
                {
                    "draft_orders": DraftSerializer(many=True),
                    "next": serializers.CharField(allow_null=True),
                    "previous": serializers.CharField(allow_null=True),
                },
            ),
            **ERRORS,
        },
        operation_id="draft_orders_list",
        parameters=_list_parameters(DraftFilter),
    )
    def get(self, request: Request, aid: str) -> Response:
        drafts = selectors.draft_list(account=self.account)
        queryset = DjangoFilterBackend().filter_queryset(request, drafts, self)
        return _paginate(self, request, queryset, DraftSerializer, "draft_orders")

    @extend_schema(request=DraftInputSerializer, responses={201: DraftSerializer, **ERRORS})
    def post(self, request: Request, aid: str) -> Response:
        def create():
            draft = draft_create(account=self.account, **_draft_input(request.data), actor=_actor(request))
            return Response(DraftSerializer(draft).data, status=status.HTTP_201_CREATED)

        return self.write(request, create)


class DraftMixin:
    account: Account  # an AccountAPIView's

    def _draft(self, draft_id: str):
        return selectors.draft_get(account=self.account, draft_id=draft_id)


class OrderMixin:
    account: Account  # an AccountAPIView's

    def _order(self, order_id: str):
        return selectors.order_get(account=self.account, order_id=order_id)

    def _order_ref(self, order_id: str):
        """The order alone, for writes and lists that read nothing of its lines."""
        return selectors.order_ref(account=self.account, order_id=order_id)


class DraftDetailView(DraftMixin, ShoppingAPIView):
    @extend_schema(responses={200: DraftSerializer, **ERRORS})
    def get(self, request: Request, aid: str, draft_id: str) -> Response:
        return Response(DraftSerializer(self._draft(draft_id)).data)

    @extend_schema(request=DraftInputSerializer, responses={200: DraftSerializer, **ERRORS})
    def put(self, request: Request, aid: str, draft_id: str) -> Response:
        def replace():
            draft = self._draft(draft_id)
            draft = draft_replace(draft=draft, **_draft_input(request.data), actor=_actor(request))
            return Response(DraftSerializer(draft).data)

        return self.write(request, replace)

    @extend_schema(responses={204: None, **ERRORS})
    def delete(self, request: Request, aid: str, draft_id: str) -> Response:
        def delete():
            draft_delete(draft=self._draft(draft_id), actor=_actor(request))
            return Response(status=status.HTTP_204_NO_CONTENT)

        return self.write(request, delete)


class DraftCompleteView(DraftMixin, ShoppingAPIView):
    @extend_schema(
        request=None,
        responses={
            200: inline_serializer("CompletedDraft", {"orders": OrderSerializer(many=True)}),
            **ERRORS,
        },
    )
    def put(self, request: Request, aid: str, draft_id: str) -> Response:
        def complete():
            order = draft_complete(draft=self._draft(draft_id), actor=_actor(request))
            order = selectors.order_get(account=self.account, order_id=order.order_id)
            return Response({"orders": [OrderSerializer(order).data]})

        return self.write(request, complete)


class DraftItemsView(DraftMixin, ShoppingAPIView):
    @extend_schema(request=DraftItemInputSerializer, responses={201: DraftSerializer, **ERRORS})
    def post(self, request: Request, aid: str, draft_id: str) -> Response:
        def add():
            draft = self._draft(draft_id)
            draft_item_add(draft=draft, item=_item_input(request.data), actor=_actor(request))
            return Response(DraftSerializer(self._draft(draft_id)).data, status=status.HTTP_201_CREATED)

        return self.write(request, add)


class DraftItemDetailView(DraftMixin, ShoppingAPIView):
    @extend_schema(request=DraftItemInputSerializer, responses={200: DraftSerializer, **ERRORS})
    def put(self, request: Request, aid: str, draft_id: str, line_id: int) -> Response:
        def update():
            draft = self._draft(draft_id)
            item = _item_input(request.data, line_id)
            draft_item_update(draft=draft, line_id=line_id, item=item, actor=_actor(request))
            return Response(DraftSerializer(self._draft(draft_id)).data)

        return self.write(request, update)

    @extend_schema(responses={200: DraftSerializer, **ERRORS})
    def delete(self, request: Request, aid: str, draft_id: str, line_id: int) -> Response:
        def delete():
            draft_item_delete(draft=self._draft(draft_id), line_id=line_id, actor=_actor(request))
            return Response(DraftSerializer(self._draft(draft_id)).data)

        return self.write(request, delete)


def _order_list_schema(name: str, operation_id: str, extra: list[OpenApiParameter] | None = None):
    return extend_schema(
        operation_id=operation_id,
        parameters=[*_list_parameters(OrderFilter), INCLUDE_EVENTS, *(extra or [])],
        responses={
            200: inline_serializer(
                name,
                {
                    "orders": OrderSerializer(many=True),
                    "next": serializers.CharField(allow_null=True),
                    "previous": serializers.CharField(allow_null=True),
                },
            ),
            **ERRORS,
        },
    )


def _orders_page(view: ShoppingAPIView, request: Request, queryset) -> Response:
    queryset = DjangoFilterBackend().filter_queryset(request, queryset, view)
    include = _include_events(request)
    if include:
        queryset = queryset.prefetch_related("events")
    paginator = EnvelopeCursorPagination()
    paginator.key = "orders"
    page = paginator.paginate_queryset(queryset, request, view=view)
    data = OrderSerializer(page, many=True, context={"include_events": include}).data
    return paginator.get_paginated_response(data)


class OrderListView(ShoppingAPIView):
    filter_backends = [DjangoFilterBackend]
    filterset_class = OrderFilter

    @_order_list_schema("OrderList", "orders_list")
    def get(self, request: Request, aid: str) -> Response:
        orders = selectors.order_list(account=self.account).select_related("account")
        return _orders_page(self, request, orders)

    @extend_schema(
        operation_id="orders_create",
        request=DraftOrderBodySerializer,
        responses={201: OrderSerializer, **ERRORS},
        description="An order without a draft (Dintero's changelog, 2020-05-01): the body is a "
        "draft's `order`; completing it follows every rule of completing a draft.",
    )
    def post(self, request: Request, aid: str) -> Response:
        def create():
            document = validated(DraftOrderBodySerializer(data=request.data))
            order = order_create(
                account=self.account, document=document, options=DraftOptions(), actor=_actor(request)
            )
            return _order_response(self._order(order.order_id), status.HTTP_201_CREATED)

        return self.write(request, create)

    def _order(self, order_id: str):
        return selectors.order_get(account=self.account, order_id=order_id)


class OrderDetailView(OrderMixin, ShoppingAPIView):
    @extend_schema(parameters=[INCLUDE_EVENTS], responses={200: OrderSerializer, **ERRORS})
    def get(self, request: Request, aid: str, order_id: str) -> Response:
        return _order_response(self._order(order_id), include_events=_include_events(request))

    @extend_schema(
        operation_id="orders_update",
        request=OrderUpdateInputSerializer,
        responses={200: OrderSerializer, **ERRORS},
    )
    def put(self, request: Request, aid: str, order_id: str) -> Response:
        """The order's customer, addresses, store, references and metadata; never money or
        lines, which change by an update draft."""

        def update():
            order = self._order_ref(order_id)
            changes = validated(OrderUpdateInputSerializer(data=request.data, context={"store": order.store}))
            order_details_update(order=order, changes=changes, actor=_actor(request))
            return _order_response(self._order(order_id))

        return self.write(request, update)


class OrderStatusView(OrderMixin, ShoppingAPIView):
    def _close(self, request: Request, order_id: str) -> Response:
        def close():
            order_close(order=self._order_ref(order_id), actor=_actor(request))
            return _order_response(self._order(order_id))

        return self.write(request, close)


class OrderOpenView(OrderStatusView):
    """`POST …/orders/{order_id}/open` opens a closed order
    (https://docs.dintero.com/api-reference/orderstatus/open-order); `DELETE` on the same path
    closes an open one, as Dintero's order status endpoints pair them."""

    @extend_schema(operation_id="orders_open", request=None, responses={200: OrderSerializer, **ERRORS})
    def post(self, request: Request, aid: str, order_id: str) -> Response:
        def open_():
            order_open(order=self._order_ref(order_id), actor=_actor(request))
            return _order_response(self._order(order_id))

        return self.write(request, open_)

    @extend_schema(operation_id="orders_close", request=None, responses={200: OrderSerializer, **ERRORS})
    def delete(self, request: Request, aid: str, order_id: str) -> Response:
        return self._close(request, order_id)


class OrderCloseView(OrderStatusView):
    """`POST …/orders/{order_id}/close`: the same as `DELETE …/open`, under a verb of its own."""

    @extend_schema(operation_id="orders_close_post", request=None, responses={200: OrderSerializer, **ERRORS})
    def post(self, request: Request, aid: str, order_id: str) -> Response:
        return self._close(request, order_id)


class OrderCancelView(OrderMixin, ShoppingAPIView):
    @extend_schema(request=CancelInputSerializer, responses={200: OrderSerializer, **ERRORS})
    def post(self, request: Request, aid: str, order_id: str) -> Response:
        def cancel():
            # No body (or an empty one): no reason given.
            order = self._order_ref(order_id)
            body = {} if request.data in (None, "", b"") else request.data
            reason = validated(CancelInputSerializer(data=body))
            order_cancel(order=order, actor=_actor(request), reason=reason)
            return _order_response(self._order(order_id))

        return self.write(request, cancel)


class OrderEventsView(OrderMixin, ShoppingAPIView):
    @extend_schema(
        responses={
            200: inline_serializer(
                "EventList",
                {
                    "events": EventSerializer(many=True),
                    "state": EventsStateField(),
                },
            ),
            **ERRORS,
        }
    )
    def get(self, request: Request, aid: str, order_id: str) -> Response:
        """The order's events and their combined `state`
        (https://docs.dintero.com/api-reference/orderlist/order-events-collection)."""
        events = order_events(self._order_ref(order_id))
        return Response(
            {
                "events": EventSerializer(events, many=True, context={"versions": versions(events)}).data,
                "state": events_state(events),
            }
        )

    @extend_schema(
        operation_id="orders_events_create",
        request=StatusEventInputSerializer,
        responses={201: EventSerializer, **ERRORS},
    )
    def post(self, request: Request, aid: str, order_id: str) -> Response:
        """An order status event: what a service reports on the order
        (https://docs.dintero.com/api-reference/orderevents/create-an-order-event)."""

        def add():
            order = self._order_ref(order_id)
            data = validated(StatusEventInputSerializer(data=request.data))
            event = status_event_add(order=order, **data, actor=_actor(request))
            return Response(EventSerializer(event).data, status=status.HTTP_201_CREATED)

        return self.write(request, add)


STORE_ID = OpenApiParameter(
    "store_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="the order's `store.id`"
)


def _store_orders(account: Account, store_id: str):
    """The account's orders whose `store.id` is `store_id`, as text (index
    `order_account_store`)."""
    # As text on both sides: compared as JSON, SQLite cannot take some ids (malformed JSON).
    orders = selectors.order_list(account=account).alias(store_key=Cast(KT("store__id"), TextField()))
    return orders.filter(store_key=store_id)


class StoreOrderListView(ShoppingAPIView):
    """A store's orders: those whose `store.id` is `store_id` (Dintero's store orders,
    https://docs.dintero.com/api-reference/storeorder/get-order), filtered and paged as all
    orders are."""

    filter_backends = [DjangoFilterBackend]
    filterset_class = OrderFilter

    @_order_list_schema("StoreOrderList", "stores_orders_list", [STORE_ID])
    def get(self, request: Request, aid: str, store_id: str) -> Response:
        return _orders_page(self, request, _store_orders(self.account, store_id))


class StoreOrderDetailView(ShoppingAPIView):
    @extend_schema(
        operation_id="stores_orders_retrieve",
        parameters=[STORE_ID, INCLUDE_EVENTS],
        responses={200: OrderSerializer, **ERRORS},
    )
    def get(self, request: Request, aid: str, store_id: str, order_id: str) -> Response:
        order = _store_orders(self.account, store_id).filter(order_id=order_id).first()
        if order is None:
            raise NotFound(f"store {store_id} has no order {order_id}")
        return _order_response(order, include_events=_include_events(request))


class OperationListView(OrderMixin, ShoppingAPIView):
    """`authorizations`, `captures`, `refunds` and `cancellations` of an order."""

    kind: OperationKind
    key: str

    def get(self, request: Request, aid: str, order_id: str) -> Response:
        operations = selectors.operation_list(order=self._order_ref(order_id), kind=self.kind)
        return Response({self.key: OperationSerializer(operations, many=True).data})

    def post(self, request: Request, aid: str, order_id: str) -> Response:
        def record():
            try:
                recorded = validated_as(OperationInputSerializer, request.data)
            except InvalidInput:
                self._order_ref(order_id)  # an order that is not there is a 404 before a bad body
                raise
            operation = operation_record(
                order=OrderRef(self.account.pk, order_id),  # found as it is locked
                kind=self.kind,
                **recorded,
                actor=_actor(request),
            )
            body = shared(OperationSerializer).to_representation(operation)
            return Response(body, status=status.HTTP_201_CREATED)

        return self.write(request, record)


class OperationDetailView(OrderMixin, ShoppingAPIView):
    kind: OperationKind

    def get(self, request: Request, aid: str, order_id: str, operation_id: str) -> Response:
        operation = selectors.operation_get(
            order=self._order_ref(order_id), kind=self.kind, operation_id=operation_id
        )
        return Response(shared(OperationSerializer).to_representation(operation))


OPERATION_PATHS = {
    "authorizations": OperationKind.AUTHORIZATION,
    "captures": OperationKind.CAPTURE,
    "refunds": OperationKind.REFUND,
    "cancellations": OperationKind.CANCELLATION,
}


def operation_views(key: str) -> tuple[type[OperationListView], type[OperationDetailView]]:
    """The list/record view and the detail view for one kind, each with its own schema."""
    kind = OPERATION_PATHS[key]
    name = kind.capitalize()
    list_class = type(f"{name}ListView", (OperationListView,), {"kind": kind, "key": key})
    detail_class = type(f"{name}DetailView", (OperationDetailView,), {"kind": kind})
    list_view = extend_schema_view(
        get=extend_schema(
            operation_id=f"orders_{key}_list",
            responses={
                200: inline_serializer(f"{name}List", {key: OperationSerializer(many=True)}),
                **ERRORS,
            },
        ),
        post=extend_schema(
            operation_id=f"orders_{key}_create",
            request=OperationInputSerializer,
            responses={201: OperationSerializer, **ERRORS},
        ),
    )(cast(type[OperationListView], list_class))
    detail_view = extend_schema_view(
        get=extend_schema(
            operation_id=f"orders_{key}_retrieve", responses={200: OperationSerializer, **ERRORS}
        ),
    )(cast(type[OperationDetailView], detail_class))
    return list_view, detail_view
