from rest_framework.throttling import ScopedRateThrottle

from backoffice import rate_limit
from backoffice.client_address import client_address


class AtomicScopedRateThrottle(ScopedRateThrottle):
    """DRF's per-scope, per-address rate (`DEFAULT_THROTTLE_RATES`), counted atomically in the
    shared store (backoffice/rate_limit.py): a limit that holds under concurrent requests and
    across app servers. A refused request counts too, and does not extend the window."""

    def allow_request(self, request, view) -> bool:
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        if self.num_requests is None or self.duration is None:  # only for no rate, seen above
            return True
        address = client_address(request) or "unknown"
        hits, self._wait = rate_limit.hit(f"throttle:{self.scope}:{address}", self.duration)
        return hits <= self.num_requests

    def wait(self) -> float:
        return self._wait
