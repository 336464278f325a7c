"""Reads: querysets already joined and prefetched for what their callers show."""

import uuid

from django.db.models import Prefetch, Q, QuerySet

from backoffice.models import Account

from .errors import NotFound
from .models import DraftOrder, Event, OperationKind, Order, OrderLine, PaymentOperation


def _lines_prefetch() -> Prefetch:
    return Prefetch(
        "lines",
        queryset=OrderLine.objects.select_related("related_line")
        .prefetch_related("tax_lines", "reversals")
        .order_by("line_id"),
    )


def order_list(*, account: Account) -> QuerySet[Order]:
    return Order.objects.filter(account=account).prefetch_related(_lines_prefetch())


def order_get(*, account: Account, order_id: str) -> Order:
    order = order_list(account=account).filter(order_id=order_id).first()
    if order is None:
        raise NotFound(f"there is no order {order_id}")
    return order


def order_search(queryset: QuerySet[Order], text: str) -> QuerySet[Order]:
    """Order id, customer name or e-mail, SKU or payment id."""
    text = text.strip()
    if not text:
        return queryset
    match = (
        Q(order_id__iexact=text)
        | Q(order_id__istartswith=text)
        | Q(customer__email__iexact=text)
        | Q(customer__first_name__icontains=text)
        | Q(customer__last_name__icontains=text)
        | Q(merchant_reference__iexact=text)
        | Q(lines__item_id__iexact=text)
        | Q(operations__payment_id__iexact=text)
    )
    return queryset.filter(pk__in=queryset.filter(match).values("pk"))


def operation_list(*, order: Order, kind: OperationKind | None = None) -> QuerySet[PaymentOperation]:
    qs = order.operations.prefetch_related("items__line").order_by("created_at", "id")
    return qs.filter(kind=kind) if kind else qs


def operation_get(*, order: Order, kind: OperationKind, operation_id: str) -> PaymentOperation:
    pk = _uuid(operation_id)
    operation = operation_list(order=order, kind=kind).filter(pk=pk).first() if pk else None
    if operation is None:
        raise NotFound(f"order {order.order_id} has no {kind} {operation_id}")
    return operation


def event_list(*, order: Order) -> QuerySet[Event]:
    return order.events.select_related("actor_user", "actor_client").order_by("created_at", "id")


def draft_list(*, account: Account) -> QuerySet[DraftOrder]:
    return DraftOrder.objects.filter(account=account).select_related("target_order", "completed_order")


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def draft_get(*, account: Account, draft_id: str) -> DraftOrder:
    pk = _uuid(draft_id)
    draft = draft_list(account=account).filter(pk=pk).first() if pk else None
    if draft is None:
        raise NotFound(f"there is no draft order {draft_id}")
    return draft
