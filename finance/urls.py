from django.urls import path

from . import books, queues_page, views

urlpatterns = [
    path("<str:aid>/work/", queues_page.work_queues_page, name="work-queues"),
    path("<str:aid>/finance/", views.finance_report, name="finance"),
    path("<str:aid>/finance/operations/", views.finance_operations, name="finance-operations"),
    path("<str:aid>/finance/export.csv", views.finance_export, name="finance-export"),
    path("<str:aid>/finance/books/", books.books_check, name="books-check"),
    path("<str:aid>/finance/books/reconcile/", books.books_reconcile, name="books-reconcile"),
]
