import django_filters

from orders.models import Order, OrderStatus, PaymentStatus
from orders.selectors import order_search


class OrderFilter(django_filters.FilterSet):
    order_id = django_filters.CharFilter()
    status = django_filters.ChoiceFilter(choices=OrderStatus.choices)
    payment_status = django_filters.ChoiceFilter(choices=PaymentStatus.choices)
    currency = django_filters.CharFilter()
    payment_id = django_filters.CharFilter(method="filter_payment_id")
    created_at_gte = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_at_lte = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lte")
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
