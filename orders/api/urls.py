from django.urls import path
from drf_spectacular.utils import extend_schema

from . import views

urlpatterns = [
    path("draft_orders", views.DraftListView.as_view()),
    path("draft_orders/<str:draft_id>", views.DraftDetailView.as_view()),
    path("draft_orders/<str:draft_id>/complete", views.DraftCompleteView.as_view()),
    path("draft_orders/<str:draft_id>/items", views.DraftItemsView.as_view()),
    path("draft_orders/<str:draft_id>/items/<int:line_id>", views.DraftItemDetailView.as_view()),
    path("orders", views.OrderListView.as_view()),
    path("orders/<str:order_id>", views.OrderDetailView.as_view()),
    path("orders/<str:order_id>/cancel", views.OrderCancelView.as_view()),
    path("orders/<str:order_id>/open", views.OrderOpenView.as_view()),
    path("orders/<str:order_id>/close", views.OrderCloseView.as_view()),
    path("orders/<str:order_id>/events", views.OrderEventsView.as_view()),
    path("stores/<str:store_id>/orders", views.StoreOrderListView.as_view()),
    path("stores/<str:store_id>/orders/<str:order_id>", views.StoreOrderDetailView.as_view()),
]

for key in views.OPERATION_PATHS:
    list_view, detail_view = views.operation_views(key)
    urlpatterns += [
        path(f"orders/<str:order_id>/{key}", list_view.as_view()),
        path(f"orders/<str:order_id>/{key}/<str:operation_id>", detail_view.as_view()),
    ]
# Older Dintero documents name the refund endpoint in the singular.
# It is left out of the schema: the plural path documents the same operation.
SingularRefundView = extend_schema(exclude=True)(views.operation_views("refunds")[0])
urlpatterns.append(path("orders/<str:order_id>/refund", SingularRefundView.as_view()))
