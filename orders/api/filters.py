"""Filters and paging of the API's lists. What a client sends is checked here, so that a value no
query can take (a tampered cursor, a date beyond what the database can hold) is a 400."""

import base64
import datetime as dt
from urllib.parse import parse_qs

import django_filters
from django import forms
from django.utils.dateparse import parse_datetime
from django_filters.fields import IsoDateTimeField
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination

from orders.models import Order, OrderStatus, PaymentStatus
from orders.selectors import order_search


def _storable(value: dt.datetime) -> bool:
    """Whether an aware date-time converts to UTC, as every database takes it (year 1 at +05:00
    does not)."""
    try:
        value.astimezone(dt.UTC)
    except OverflowError:
        return False
    return True


class _DateTimeField(IsoDateTimeField):
    def to_python(self, value):
        value = super().to_python(value)
        if value is not None and not _storable(value):
            raise forms.ValidationError("is out of range")
        return value


class BoundedIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = _DateTimeField


class OrderFilter(django_filters.FilterSet):
    order_id = django_filters.CharFilter()
    status = django_filters.ChoiceFilter(choices=OrderStatus.choices)
    payment_status = django_filters.ChoiceFilter(choices=PaymentStatus.choices)
    currency = django_filters.CharFilter()
    payment_id = django_filters.CharFilter(method="filter_payment_id")
    created_at_gte = BoundedIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_at_lte = BoundedIsoDateTimeFilter(field_name="created_at", lookup_expr="lte")
    search = django_filters.CharFilter(
        method="filter_search", help_text="order id, customer name or e-mail, SKU or payment id"
    )

    class Meta:
        model = Order
        fields = []

    def filter_payment_id(self, queryset, name, value):
        return queryset.filter(pk__in=Order.objects.filter(operations__payment_id=value).values("pk"))

    def filter_search(self, queryset, name, value):
        return order_search(queryset, value, account=self.request.user.account)


INVALID_CURSOR = "is not a cursor this API handed out: start again without it"


class CheckedCursorPagination(CursorPagination):
    """DRF's cursor pagination, ordered by `created_at`, whose cursors are checked before use.

    A cursor is base64 text the client can change; DRF decodes its offset and direction but
    hands its position (a `created_at`) straight to the query, where anything but a date-time
    fails. Every cursor that cannot have come from this API is a 400."""

    ordering = ("-created_at", "-pk")

    def decode_cursor(self, request):
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is not None:
            # Exactly what encode_cursor writes: strict base64 of an o/r/p query string.
            try:
                tokens = parse_qs(base64.b64decode(encoded.encode("ascii"), validate=True).decode("ascii"))
            except ValueError:  # binascii.Error and UnicodeError among them
                tokens = {}
            if not tokens or set(tokens) - {"o", "r", "p"} or any(len(v) > 1 for v in tokens.values()):
                raise ValidationError({self.cursor_query_param: INVALID_CURSOR})
        try:
            cursor = super().decode_cursor(request)
        except NotFound as exc:
            raise ValidationError({self.cursor_query_param: INVALID_CURSOR}) from exc
        if cursor is not None and cursor.position is not None:
            try:
                position = parse_datetime(cursor.position)
            except ValueError:  # well formed, but no such date
                position = None
            if position is None or position.tzinfo is None or not _storable(position):
                raise ValidationError({self.cursor_query_param: INVALID_CURSOR})
        return cursor
