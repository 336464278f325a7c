from django.urls import path

from .web import customer, drafts, operations, order_list, order_page, replacement

order = "<str:aid>/orders/<str:order_id>/"
draft = "<str:aid>/drafts/<uuid:draft_id>/"

urlpatterns = [
    path("", order_list.home, name="home"),
    path("<str:aid>/orders/", order_list.order_list_page, name="order-list"),
    path(order, order_page.order_detail, name="order-detail"),
    path(f"{order}notes/", order_page.note_create, name="order-note"),
    path(f"{order}customer/", customer.customer_edit, name="order-customer"),
    path(f"{order}cancel/", operations.order_cancel_page, name="order-cancel"),
    path(f"{order}update/", drafts.order_update_draft, name="order-update"),
    path(f"{order}replace/", replacement.replace_page, name="order-replace"),
    path(f"{order}replace/preview/", replacement.replace_preview, name="order-replace-preview"),
    path(f"{order}replacements/<uuid:draft_id>/", replacement.replacement_detail, name="replacement-detail"),
    path(
        f"{order}replacements/<uuid:draft_id>/<str:step>/",
        replacement.replacement_settle_step,
        name="replacement-settle",
    ),
    path(f"{order}<str:action>/", operations.operation_record_page, name="order-operation"),
    path("<str:aid>/drafts/", drafts.draft_list_page, name="draft-list"),
    path("<str:aid>/drafts/new/", drafts.draft_new, name="draft-new"),
    path(draft, drafts.draft_detail, name="draft-detail"),
    path(f"{draft}items/", drafts.draft_item_create, name="draft-item-add"),
    path(f"{draft}items/<int:line_id>/", drafts.draft_item_change, name="draft-item-update"),
    path(f"{draft}items/<int:line_id>/delete/", drafts.draft_item_remove, name="draft-item-delete"),
    path(f"{draft}complete/", drafts.draft_complete_page, name="draft-complete"),
    path(f"{draft}discard/", drafts.draft_discard, name="draft-discard"),
    path("<str:aid>/vat/", drafts.vat_preview, name="vat-preview"),
]
