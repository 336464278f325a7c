import time


class ServerTimingMiddleware:
    """`Server-Timing: app;dur=<ms>` on every response: the time the app spent on it, shown by
    browsers' developer tools and read by the benchmark under load (apart from queueing)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        response["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
        return response
