"""The Orders API (`/v1/accounts/{aid}/shopping/`): thin views over the orders services."""

from typing import cast

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from backoffice.actor import Actor
from backoffice.api.authentication import api_client
from backoffice.api.errors import error_responses, validated
from backoffice.api.views import AccountAPIView
from backoffice.models import Account
from orders import selectors
from orders.inputs import DraftItem
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
from orders.services.operations import operation_record, order_cancel

from .filters import CheckedCursorPagination, DraftFilter, OrderFilter
from .inputs import DraftInputSerializer, DraftItemInputSerializer, OperationInputSerializer
from .serializers import DraftSerializer, EventSerializer, OperationSerializer, OrderSerializer

ERRORS = error_responses()


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


def _order_response(order, code=status.HTTP_200_OK) -> Response:
    return Response(OrderSerializer(order).data, status=code)


class DraftListView(AccountAPIView):
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


class DraftDetailView(DraftMixin, AccountAPIView):
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


class DraftCompleteView(DraftMixin, AccountAPIView):
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


class DraftItemsView(DraftMixin, AccountAPIView):
    @extend_schema(request=DraftItemInputSerializer, responses={201: DraftSerializer, **ERRORS})
    def post(self, request: Request, aid: str, draft_id: str) -> Response:
        def add():
            draft = self._draft(draft_id)
            draft_item_add(draft=draft, item=_item_input(request.data), actor=_actor(request))
            return Response(DraftSerializer(self._draft(draft_id)).data, status=status.HTTP_201_CREATED)

        return self.write(request, add)


class DraftItemDetailView(DraftMixin, AccountAPIView):
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


class OrderListView(AccountAPIView):
    filter_backends = [DjangoFilterBackend]
    filterset_class = OrderFilter

    @extend_schema(
        operation_id="orders_list",
        parameters=_list_parameters(OrderFilter),
        responses={
            200: inline_serializer(
                "OrderList",
                {
                    "orders": OrderSerializer(many=True),
                    "next": serializers.CharField(allow_null=True),
                    "previous": serializers.CharField(allow_null=True),
                },
            ),
            **ERRORS,
        },
    )
    def get(self, request: Request, aid: str) -> Response:
        queryset = DjangoFilterBackend().filter_queryset(
            request, selectors.order_list(account=self.account).select_related("account"), self
        )
        return _paginate(self, request, queryset, OrderSerializer, "orders")


class OrderDetailView(OrderMixin, AccountAPIView):
    @extend_schema(responses={200: OrderSerializer, **ERRORS})
    def get(self, request: Request, aid: str, order_id: str) -> Response:
        return _order_response(self._order(order_id))


class OrderCancelView(OrderMixin, AccountAPIView):
    @extend_schema(request=None, responses={200: OrderSerializer, **ERRORS})
    def post(self, request: Request, aid: str, order_id: str) -> Response:
        def cancel():
            reason = request.data.get("reason", "") if isinstance(request.data, dict) else ""
            order_cancel(order=self._order_ref(order_id), actor=_actor(request), reason=str(reason))
            return _order_response(self._order(order_id))

        return self.write(request, cancel)


class OrderEventsView(OrderMixin, AccountAPIView):
    @extend_schema(
        responses={
            200: inline_serializer("EventList", {"events": EventSerializer(many=True)}),
            **ERRORS,
        }
    )
    def get(self, request: Request, aid: str, order_id: str) -> Response:
        events = selectors.event_list(order=self._order_ref(order_id))
        return Response({"events": EventSerializer(events, many=True).data})


class OperationListView(OrderMixin, AccountAPIView):
    """`authorizations`, `captures`, `refunds` and `cancellations` of an order."""

    kind: OperationKind
    key: str

    def get(self, request: Request, aid: str, order_id: str) -> Response:
        operations = selectors.operation_list(order=self._order_ref(order_id), kind=self.kind)
        return Response({self.key: OperationSerializer(operations, many=True).data})

    def post(self, request: Request, aid: str, order_id: str) -> Response:
        def record():
            order = self._order_ref(order_id)
            operation = operation_record(
                order=order,
                kind=self.kind,
                **validated(OperationInputSerializer(data=request.data)),
                actor=_actor(request),
            )
            return Response(OperationSerializer(operation).data, status=status.HTTP_201_CREATED)

        return self.write(request, record)


class OperationDetailView(OrderMixin, AccountAPIView):
    kind: OperationKind

    def get(self, request: Request, aid: str, order_id: str, operation_id: str) -> Response:
        operation = selectors.operation_get(
            order=self._order_ref(order_id), kind=self.kind, operation_id=operation_id
        )
        return Response(OperationSerializer(operation).data)


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
