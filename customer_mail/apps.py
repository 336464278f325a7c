from django.apps import AppConfig


class CustomerMailConfig(AppConfig):
    name = "customer_mail"
    verbose_name = "E-mail to customers"

    def ready(self) -> None:
        from customer_mail.services.outbox import MailOutbox
        from orders.services.events import event_sink_register

        # The e-mails an event causes are written in the event's transaction.
        event_sink_register(MailOutbox())
