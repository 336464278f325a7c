"""A webhook receiver on loopback: a threaded HTTP server that records every request and answers
as the test says (a status per try, or a pause first)."""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def event(self) -> str:
        return self.headers.get("event", "")

    @property
    def delivery(self) -> str:
        return self.headers.get("event-delivery", "")


# (request, how many requests with this event-delivery came before) -> (status, seconds to wait first)
Script = Callable[[Received, int], tuple[int, float]]


def always(status: int = 200) -> Script:
    return lambda request, seen: (status, 0.0)


@dataclass
class Receiver:
    script: Script = field(default_factory=always)
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = Received(
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length),
                    at=time.monotonic(),
                )
                with receiver.lock:
                    seen = sum(1 for r in receiver.received if r.delivery == request.delivery)
                    receiver.received.append(request)
                status, pause = receiver.script(request, seen)
                if pause:
                    time.sleep(pause)
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(f"answered {status}".encode())

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def events(self, name: str | None = None) -> list[Received]:
        with self.lock:
            return [r for r in self.received if name is None or r.event == name]

    def wait_for(self, condition: Callable[[], bool], timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; received {[(r.event, r.delivery) for r in self.events()]}")
            time.sleep(0.05)
