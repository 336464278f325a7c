from django.urls import path

from . import finance_views

urlpatterns = [
    path("<str:aid>/finance/", finance_views.finance_report, name="finance"),
    path("<str:aid>/finance/operations/", finance_views.finance_operations, name="finance-operations"),
    path("<str:aid>/finance/export.csv", finance_views.finance_export, name="finance-export"),
]
