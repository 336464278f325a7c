"""An emulator of Dintero's documented HTTP behaviour, as an httpx transport.

Token: `POST {api}/accounts/{aid}/auth/token` (Basic client credentials, JSON body with
grant_type and audience). Checkout: `POST /sessions-profile`, `GET /sessions/{id}`,
`GET /transactions/{id}`, `POST /transactions/{id}/capture|refund|void`. Errors answer
`{"error": {"code", "message"}}`. Faults can be queued per operation to see what the client
makes of a lost connection, a timeout after the provider did it, a 5xx, and so on.
"""

import base64
import itertools
import json
from dataclasses import dataclass, field

import httpx

API = "https://api.dintero.test/v1"
CHECKOUT = "https://checkout.dintero.test/v1"
AID = "T11223344"
CLIENT_ID = "emulator-client"
CLIENT_SECRET = "emulator-secret"

# What each fault does: (raise or answer, whether the provider applied the request first).
FAULTS = {
    "connect_error": (lambda req: httpx.ConnectError("connection refused", request=req), False),
    "connect_timeout": (lambda req: httpx.ConnectTimeout("connect timed out", request=req), False),
    "read_timeout": (lambda req: httpx.ReadTimeout("read timed out", request=req), True),
    "reset": (lambda req: httpx.ReadError("[Errno 104] Connection reset by peer", request=req), True),
    500: (500, False),
    502: (502, True),
    503: (503, False),
    429: (429, False),
    400: (400, False),
    "malformed": ("malformed", True),
}


def error(status: int, code: str, message: str) -> httpx.Response:
    return httpx.Response(status, json={"error": {"code": code, "message": message}})


@dataclass
class Emulator:
    tokens: list[str] = field(default_factory=list)
    sessions: dict[str, dict] = field(default_factory=dict)
    transactions: dict[str, dict] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    faults: dict[str, list] = field(default_factory=dict)
    # Answer money calls with 202 and apply them only when `complete_pending()` runs.
    asynchronous: bool = False
    pending: list = field(default_factory=list)
    expires_in: int = 3600
    issued: int = 0
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def fault(self, operation: str, fault) -> None:
        self.faults.setdefault(operation, []).append(fault)

    def bodies(self, path_end: str) -> list:
        return [
            json.loads(r.content) if r.content else None
            for r in self.requests
            if r.url.path.endswith(path_end)
        ]

    # Test helpers on the provider's side

    def pay(self, session_id: str, status: str = "AUTHORIZED") -> str:
        session = self.sessions[session_id]
        order = session["order"]
        tid = f"{AID}.{next(self._ids):06d}"
        self.transactions[tid] = {
            "id": tid,
            "session_id": session_id,
            "merchant_reference": order["merchant_reference"],
            "amount": order["amount"],
            "currency": order["currency"],
            "status": status,
            "items": [{"line_id": i["line_id"], "amount": i["amount"]} for i in order["items"]],
            "events": [
                {"event": "INITIALIZE", "success": True, "amount": order["amount"]},
                {"event": "AUTHORIZE", "success": status == "AUTHORIZED", "amount": order["amount"]},
            ],
        }
        session["transaction_id"] = tid
        return tid

    def authorized_transaction(self, merchant_reference: str, items: dict[int, int], currency="NOK") -> str:
        """A transaction authorized outside any session we made (e.g. by a shop's checkout)."""
        sid = f"S{next(self._ids):06d}"
        self.sessions[sid] = {
            "order": {
                "merchant_reference": merchant_reference,
                "amount": sum(items.values()),
                "currency": currency,
                "items": [{"line_id": str(k), "amount": v} for k, v in items.items()],
            }
        }
        return self.pay(sid)

    def figures(self, tid: str) -> dict[str, int]:
        txn = self.transactions[tid]

        def total(name):
            return sum(e["amount"] for e in txn["events"] if e["event"] == name and e["success"])

        return {
            "authorized": total("AUTHORIZE") - total("VOID"),
            "captured": total("CAPTURE"),
            "refunded": total("REFUND"),
        }

    def complete_pending(self) -> None:
        for apply in self.pending:
            apply()
        self.pending.clear()

    # HTTP

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        url = str(request.url)
        if url.startswith(f"{API}/accounts/") and url.endswith("/auth/token"):
            return self._token(request)
        if not url.startswith(CHECKOUT):
            return error(404, "not_found", f"no route {url}")
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
            return error(401, "unauthorized", "missing or invalid token")
        parts = url[len(CHECKOUT) :].strip("/").split("/")
        if request.method == "POST" and parts == ["sessions-profile"]:
            return self._session_create(request)
        if request.method == "GET" and len(parts) == 2 and parts[0] == "sessions":
            session = self.sessions.get(parts[1])
            if session is None:
                return error(404, "not_found", "session not found")
            return httpx.Response(200, json={"id": parts[1], "transaction_id": session.get("transaction_id")})
        if parts[0] != "transactions" or len(parts) not in (2, 3):
            return error(404, "not_found", f"no route {url}")
        txn = self.transactions.get(parts[1])
        if txn is None:
            return error(404, "not_found", f"transaction {parts[1]} not found")
        if request.method == "GET" and len(parts) == 2:
            return httpx.Response(200, json=txn)
        if request.method == "POST" and len(parts) == 3 and parts[2] in ("capture", "refund", "void"):
            return self._money(request, txn, parts[2])
        return error(405, "method_not_allowed", "method not allowed")

    def _token(self, request: httpx.Request) -> httpx.Response:
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return error(401, "unauthorized", "bad client credentials")
        body = json.loads(request.content)
        if body != {"grant_type": "client_credentials", "audience": f"{API}/accounts/{AID}"}:
            return error(400, "bad_request", f"bad token request {body}")
        self.issued += 1
        token = f"token-{self.issued}"
        self.tokens.append(token)
        return httpx.Response(
            200, json={"access_token": token, "token_type": "Bearer", "expires_in": self.expires_in}
        )

    def _session_create(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        order = body.get("order", {})
        if order.get("amount") != sum(i["amount"] for i in order.get("items", [])):
            return error(400, "bad_request", "order.amount must equal the sum of items[].amount")
        if not body.get("url", {}).get("callback_url"):
            return error(400, "bad_request", "url.callback_url is required")
        sid = f"S{next(self._ids):06d}"
        self.sessions[sid] = {**body}
        return httpx.Response(200, json={"id": sid, "url": f"https://checkout.dintero.test/v1/view/{sid}"})

    def _money(self, request: httpx.Request, txn: dict, operation: str) -> httpx.Response:
        body = json.loads(request.content) if request.content else {}
        queued = self.faults.get(operation) or []
        fault = queued.pop(0) if queued else None
        action, applies = FAULTS[fault] if fault is not None else (None, True)
        refusal = self._check(txn, operation, body)
        if refusal is not None:
            return refusal
        if fault is not None and not applies:
            if callable(action):
                raise action(request)
            if action == 429:
                return error(429, "too_many_requests", "slow down")
            if action == 400:
                return error(400, "bad_request", "the request was refused")
            return httpx.Response(action, text="Service unavailable")

        def apply():
            self._apply(txn, operation, body)

        if self.asynchronous and fault is None:
            self.pending.append(apply)
            return httpx.Response(202, json={"id": txn["id"], "status": txn["status"]})
        apply()
        if callable(action):
            raise action(request)
        if action == 502:
            return httpx.Response(502, text="<html>Bad gateway</html>")
        if action == "malformed":
            return httpx.Response(200, text="<html>oops</html>")
        return httpx.Response(200, json=txn)

    def _check(self, txn: dict, operation: str, body: dict) -> httpx.Response | None:
        figures = self.figures(txn["id"])
        if txn["status"] == "AUTHORIZATION_VOIDED" and operation != "refund":
            return error(400, "bad_request", "transaction is voided")
        if operation == "void":
            if figures["captured"]:
                return error(400, "bad_request", "cannot void a captured transaction")
            return None
        items = body.get("items") or []
        if body.get("amount") != sum(i["amount"] for i in items):
            return error(400, "bad_request", "amount must equal the sum of items")
        left = (
            figures["authorized"] - figures["captured"]
            if operation == "capture"
            else figures["captured"] - figures["refunded"]
        )
        if body["amount"] > left:
            return error(400, "bad_request", f"{operation} {body['amount']} exceeds {left}")
        return None

    def _apply(self, txn: dict, operation: str, body: dict) -> None:
        figures = self.figures(txn["id"])
        if operation == "void":
            amount = figures["authorized"] - figures["captured"]
            txn["events"].append({"event": "VOID", "success": True, "amount": amount})
            txn["status"] = "AUTHORIZATION_VOIDED"
            return
        name = operation.upper()
        reference_key = f"{operation}_reference"
        # Dintero treats a repeated reference as the same request.
        if any(e.get(reference_key) == body.get(reference_key) for e in txn["events"] if e["event"] == name):
            return
        txn["events"].append(
            {
                "event": name,
                "success": True,
                "amount": body["amount"],
                "items": body["items"],
                reference_key: body.get(reference_key),
            }
        )
        figures = self.figures(txn["id"])
        if operation == "capture":
            txn["status"] = (
                "CAPTURED" if figures["captured"] >= figures["authorized"] else "PARTIALLY_CAPTURED"
            )
        else:
            txn["status"] = "REFUNDED" if figures["refunded"] >= figures["captured"] else "PARTIALLY_REFUNDED"
