from django.urls import path

from . import views

urlpatterns = [
    path("subscriptions", views.SubscriptionListView.as_view()),
    path("subscriptions/<str:hid>", views.SubscriptionDetailView.as_view()),
    path("subscriptions/<str:hid>/ping", views.SubscriptionPingView.as_view()),
    path("subscriptions/<str:hid>/deliveries", views.DeliveryListView.as_view()),
    path("subscriptions/<str:hid>/deliveries/<str:delivery_id>", views.DeliveryDetailView.as_view()),
]
