"""The client's address, the same for every limit (staff sign-in lock-outs, the token endpoint)."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str | None:
    """REMOTE_ADDR, or with NUM_PROXIES trusted proxies in front, the address the outermost of
    them saw (DRF's rule). Only a valid IP address is taken: anything else in X-Forwarded-For
    falls back to REMOTE_ADDR, so a forged header can neither crash nor dodge a limit."""
    remote = request.META.get("REMOTE_ADDR")
    proxies = settings.REST_FRAMEWORK.get("NUM_PROXIES") or 0
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",")]
        candidate = hops[-min(proxies, len(hops))]
        if _is_ip(candidate):
            return candidate
    return remote if remote and _is_ip(remote) else None


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
