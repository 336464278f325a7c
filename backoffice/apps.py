from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "backoffice"
    verbose_name = "Back-office: accounts and API clients"

    def ready(self) -> None:
        from backoffice import error_pages
        from backoffice.api import schema  # noqa: F401  (registers the schema extension)

        error_pages.install()
