from django.apps import AppConfig


class FinanceConfig(AppConfig):
    """The read side for finance: reports, VAT, chart, export and the books check. It reads the
    orders and payments apps; neither reads it."""

    name = "finance"
