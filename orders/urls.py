from django.urls import path

from . import views

order = "<str:aid>/orders/<str:order_id>/"
draft = "<str:aid>/drafts/<uuid:draft_id>/"

urlpatterns = [
    path("", views.home, name="home"),
    path("<str:aid>/orders/", views.order_list_page, name="order-list"),
    path(order, views.order_detail, name="order-detail"),
    path(f"{order}notes/", views.note_create, name="order-note"),
    path(f"{order}cancel/", views.order_cancel_page, name="order-cancel"),
    path(f"{order}update/", views.order_update_draft, name="order-update"),
    path(f"{order}replace/", views.replace_page, name="order-replace"),
    path(f"{order}replace/preview/", views.replace_preview, name="order-replace-preview"),
    path(f"{order}replacements/<uuid:draft_id>/", views.replacement_detail, name="replacement-detail"),
    path(
        f"{order}replacements/<uuid:draft_id>/<str:step>/",
        views.replacement_settle_step,
        name="replacement-settle",
    ),
    path(f"{order}<str:action>/", views.operation_record_page, name="order-operation"),
    path("<str:aid>/drafts/", views.draft_list_page, name="draft-list"),
    path("<str:aid>/drafts/new/", views.draft_new, name="draft-new"),
    path(draft, views.draft_detail, name="draft-detail"),
    path(f"{draft}items/", views.draft_item_create, name="draft-item-add"),
    path(f"{draft}items/<int:line_id>/", views.draft_item_change, name="draft-item-update"),
    path(f"{draft}items/<int:line_id>/delete/", views.draft_item_remove, name="draft-item-delete"),
    path(f"{draft}complete/", views.draft_complete_page, name="draft-complete"),
    path(f"{draft}discard/", views.draft_discard, name="draft-discard"),
    path("<str:aid>/vat/", views.vat_preview, name="vat-preview"),
]
