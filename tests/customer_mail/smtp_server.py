"""A small SMTP server on loopback for the tests: it speaks enough of RFC 5321 for Django's SMTP
backend, keeps what it is given, and answers RCPT TO with what the test's script says."""

import socket
import socketserver
import threading
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: str


@dataclass
class Script:
    # The RCPT TO answer for the n-th message (0-based): "250 OK", "451 try later", "550 no such user".
    rcpt: Callable[[int], str] = lambda n: "250 OK"
    received: list[Received] = field(default_factory=list)
    tried: int = 0


class _Handler(socketserver.StreamRequestHandler):
    script: Script

    def _say(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        script = self.server.script  # type: ignore[attr-defined]
        self._say("220 test ESMTP")
        sender, recipients = "", []
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            command = raw.decode(errors="replace").strip()
            verb = command[:4].upper()
            if verb in ("EHLO", "HELO"):
                self._say("250 test")
            elif verb == "MAIL":
                sender, recipients = command.split(":", 1)[1].strip(" <>"), []
            elif verb == "RCPT":
                script.tried += 1
                answer = script.rcpt(script.tried - 1)
                if answer.startswith("250"):
                    recipients.append(command.split(":", 1)[1].strip(" <>"))
                self._say(answer)
                continue
            elif verb == "DATA":
                self._say("354 go on")
                lines = []
                while (line := self.rfile.readline().decode(errors="replace")) not in (".\r\n", ""):
                    lines.append(line)
                script.received.append(Received(sender, recipients, "".join(lines)))
                self._say("250 queued")
                continue
            elif verb == "QUIT":
                self._say("221 bye")
                return
            elif verb == "RSET":
                sender, recipients = "", []
            if verb in ("MAIL", "RSET", "NOOP"):
                self._say("250 OK")
            elif verb not in ("EHLO", "HELO"):
                self._say("502 not here")


class SmtpServer:
    def __init__(self, script: Script | None = None) -> None:
        self.script = script or Script()
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.script = self.script  # type: ignore[attr-defined]
        self.port = self.server.server_address[1]

    def __enter__(self) -> "SmtpServer":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
