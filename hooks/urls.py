from django.urls import path

from . import web

urlpatterns = [
    path("<str:aid>/hooks/", web.subscription_list_page, name="hooks"),
    path("<str:aid>/hooks/<str:hid>/", web.subscription_page, name="hooks-subscription"),
    path("<str:aid>/hooks/<str:hid>/activate/", web.subscription_activate_page, name="hooks-activate"),
    path(
        "<str:aid>/hooks/deliveries/<int:delivery_id>/redeliver/",
        web.delivery_redeliver_page,
        name="hooks-redeliver",
    ),
]
