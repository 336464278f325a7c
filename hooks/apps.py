from django.apps import AppConfig


class HooksConfig(AppConfig):
    name = "hooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from hooks.services.outbox import HookOutbox
        from orders.services.events import event_sink_register

        # Every order event and draft change writes the deliveries it causes, in its transaction.
        event_sink_register(HookOutbox())
