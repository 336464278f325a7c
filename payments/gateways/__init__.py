"""Which provider executes payments: the one `PAYMENTS_PROVIDER` names; unset, Dintero Checkout
when it is configured, else the sandbox where `PAYMENTS_SANDBOX` allows it (by default only in
development) and none in production.

`gateway_for` is where a gateway is put together; everything that talks to a provider gets its
gateway from there (or is handed one)."""

import httpx
from django.conf import settings

from backoffice.errors import Conflict
from payments.models import Provider

from .base import Gateway
from .dintero import DinteroConfig, DinteroGateway


def versioned(url: str) -> str:
    """Dintero's address as the client calls it, ending in `/v1`. Dintero's SDKs take the bare
    hosts (`https://api.dintero.com`, `https://checkout.dintero.com`: Dintero.Node.SDK's
    `src/client.ts`) while its reference pages write `https://api.dintero.com/v1/...`: the
    settings may say either, with or without a trailing slash."""
    base = url.strip().rstrip("/")
    return base if base.endswith("/v1") else f"{base}/v1"


def dintero_config() -> DinteroConfig | None:
    if not (settings.DINTERO_ACCOUNT_ID and settings.DINTERO_CLIENT_ID and settings.DINTERO_CLIENT_SECRET):
        return None
    return DinteroConfig(
        account_id=settings.DINTERO_ACCOUNT_ID,
        client_id=settings.DINTERO_CLIENT_ID,
        client_secret=settings.DINTERO_CLIENT_SECRET,
        profile_id=settings.DINTERO_PROFILE_ID,
        api_url=versioned(settings.DINTERO_API_URL),
        checkout_url=versioned(settings.DINTERO_CHECKOUT_URL),
        connect_timeout=settings.DINTERO_CONNECT_TIMEOUT,
        read_timeout=settings.DINTERO_READ_TIMEOUT,
    )


def default_provider() -> Provider | None:
    chosen = settings.PAYMENTS_PROVIDER
    if chosen:
        return Provider(chosen)
    if dintero_config() is not None:
        return Provider.DINTERO
    return Provider.SANDBOX if settings.PAYMENTS_SANDBOX else None


def sandbox_enabled() -> bool:
    return default_provider() == Provider.SANDBOX


def provider_required() -> Provider:
    provider = default_provider()
    if provider is None:
        raise Conflict(
            "no payment provider is configured: set DINTERO_ACCOUNT_ID, DINTERO_CLIENT_ID and "
            "DINTERO_CLIENT_SECRET (or PAYMENTS_PROVIDER=sandbox for a demo)"
        )
    return provider


def dintero_transport() -> httpx.BaseTransport | None:
    """The HTTP transport Dintero is reached through: None is httpx's own, over the network.
    The one place to reach Dintero some other way (the tests put an emulator here)."""
    return None


def gateway_for(provider: str, base_url: str = "") -> Gateway:
    """The gateway of a provider; `base_url` is this app's public address (sandbox links)."""
    if provider == Provider.DINTERO:
        config = dintero_config()
        if config is None:
            raise LookupError(
                "Dintero is not configured: set DINTERO_ACCOUNT_ID, _CLIENT_ID and _CLIENT_SECRET"
            )
        return DinteroGateway(config, transport=dintero_transport())
    # Imported here: the sandbox's gateway builds on this package's interface (`base`).
    from payments.sandbox.gateway import SandboxGateway

    return SandboxGateway(base_url or settings.PUBLIC_URL)
