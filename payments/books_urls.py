from django.urls import path

from . import books_views

urlpatterns = [
    path("<str:aid>/finance/books/", books_views.books_check, name="books-check"),
    path("<str:aid>/finance/books/reconcile/", books_views.books_reconcile, name="books-reconcile"),
]
