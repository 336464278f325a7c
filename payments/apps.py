import logging

from django.apps import AppConfig
from django.conf import settings
from django.core import checks

logger = logging.getLogger("payments")


class PaymentsConfig(AppConfig):
    name = "payments"

    def ready(self) -> None:
        from orders.holds import hold_source_register
        from payments.gateways import sandbox_enabled
        from payments.services.hold_source import PaymentHolds

        # Every operation recorded on an order counts what this app's calls and links hold.
        hold_source_register(PaymentHolds())
        checks.register(sandbox_in_production, checks.Tags.security)
        if sandbox_enabled() and not settings.DEBUG:
            logger.warning(SANDBOX_WARNING)


SANDBOX_WARNING = (
    "the sandbox is the payment provider with DEBUG off: it takes no real money and anyone with a "
    "payment link can pay it. Configure DINTERO_* settings, or unset PAYMENTS_PROVIDER/PAYMENTS_SANDBOX."
)


def sandbox_in_production(app_configs, **kwargs) -> list[checks.CheckMessage]:
    from payments.gateways import sandbox_enabled

    if sandbox_enabled() and not settings.DEBUG:
        return [checks.Warning(SANDBOX_WARNING, id="payments.W001")]
    return []
