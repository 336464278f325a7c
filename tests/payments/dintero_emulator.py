"""An emulator of Dintero Checkout's documented HTTP behaviour, as an httpx transport.

Written from what Dintero publishes, not from its code:

* the generated Checkout types in Dintero's Node SDK (github.com/Dintero/Dintero.Node.SDK,
  `src/generated/payments.d.ts`): the `Transaction` (`status` enum with `ON_HOLD` and
  `PARTIALLY_CAPTURED_REFUNDED`, `items`, `events`), the `TransactionEvent` (`event`, `success`,
  `transaction_status`, `amount`, `items`, `request_id`, `correlation_request_id`, `error`, and
  `event_reference`: "for captures, this is `capture_reference`; for refunds,
  `refund_reference`"), the capture / refund / void operations answering 200 with the
  transaction or 202 `TransactionOperationAccepted` with the `event-request-id` header ("the
  transaction will be updated with a new event with `correlation_request_id` set when the
  operation completes"), and `POST /sessions/{session_id}/cancel` ("the session transaction
  will be voided in case where it is initialized or authorized. Cancel is not allowed in case
  where the current transaction state is not initialized or authorized");
* docs.dintero.com: docs/checkout/transaction-management (capture and refund bodies, "the
  amount to capture cannot be higher than the authorized amount", "a transaction can only be
  voided if it has not been captured", the shipping option moved to the transaction's items),
  docs/integrations/support/transaction-statuses (the statuses and what each allows),
  api-reference/authenticate/get-token, docs/errors (`{"error": {"code", "message"}}`).

Token: `POST {api}/v1/accounts/{aid}/auth/token`. Checkout: `POST /v1/sessions-profile`,
`GET /v1/sessions/{id}`, `POST /v1/sessions/{id}/cancel`, `GET /v1/transactions/{id}`,
`POST /v1/transactions/{id}/capture|refund|void`.

What a test can make the provider do: pay a session as authorized, declined or `ON_HOLD`
(`pay`), with other amounts than asked (a discount, a shipping option); release or decline a
payment on hold (`hold_release`, `hold_decline`); answer captures, refunds or voids with 202 and
finish them after some reads of the transaction, or only when told (`accept_later`,
`complete_pending`), successfully or not; and fail a call in the ways a network fails
(`fault`).
"""

import base64
import itertools
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

API_HOST = "https://api.dintero.test"
CHECKOUT_HOST = "https://checkout.dintero.test"
API = f"{API_HOST}/v1"
CHECKOUT = f"{CHECKOUT_HOST}/v1"
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

# What each status allows (docs/integrations/support/transaction-statuses).
CAPTURABLE = {"AUTHORIZED", "PARTIALLY_CAPTURED", "PARTIALLY_CAPTURED_REFUNDED"}
REFUNDABLE = {"PARTIALLY_CAPTURED", "PARTIALLY_CAPTURED_REFUNDED", "CAPTURED", "PARTIALLY_REFUNDED"}
VOIDABLE = {"AUTHORIZED"}
# Cancelling a session voids its transaction only in these (checkout_session_cancel_post).
CANCELLABLE = {"INITIATED", "AUTHORIZED"}


def error(status: int, code: str, message: str) -> httpx.Response:
    return httpx.Response(status, json={"error": {"code": code, "message": message}})


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class Pending:
    """An operation answered 202: its INITIATE_ event is on the transaction, the event that
    completes it comes later."""

    transaction_id: str
    operation: str
    body: dict
    request_id: str
    # GETs of the transaction still to answer without it; None: only `complete_pending`.
    reads_left: int | None
    succeed: bool


@dataclass
class Emulator:
    tokens: list[str] = field(default_factory=list)
    sessions: dict[str, dict] = field(default_factory=dict)
    transactions: dict[str, dict] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    faults: dict[str, list] = field(default_factory=dict)
    # operation -> (reads before it shows, whether it succeeds): answered 202 (`accept_later`).
    later: dict[str, tuple[int | None, bool]] = field(default_factory=dict)
    pending: list[Pending] = field(default_factory=list)
    # Whether the event completing a 202 carries `event_reference` (Dintero's types say it
    # does); False leaves only its `correlation_request_id` to tell whose it is.
    reference_on_completion: bool = True
    expires_in: int = 3600
    issued: int = 0
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def transport(self) -> httpx.MockTransport:
        # Looked up per request, so a test may wrap `handle` after the gateway was made.
        return httpx.MockTransport(lambda request: self.handle(request))

    def fault(self, operation: str, fault) -> None:
        self.faults.setdefault(operation, []).append(fault)

    def accept_later(self, *operations: str, after_reads: int | None = None, succeed: bool = True) -> None:
        """Answer these operations (capture, refund, void) with 202 from now on. The event that
        completes one appears on the transaction after `after_reads` reads of it (0: on the
        next read), or, with None, only when `complete_pending` runs; `succeed` False completes
        it as failed."""
        for operation in operations or ("capture", "refund", "void"):
            self.later[operation] = (after_reads, succeed)

    def answer_now(self) -> None:
        """Back to answering 200."""
        self.later.clear()

    def bodies(self, path_end: str) -> list:
        return [
            json.loads(r.content) if r.content else None
            for r in self.requests
            if r.url.path.endswith(path_end)
        ]

    # The provider's side: what a customer, an acquirer or Dintero does

    def pay(
        self,
        session_id: str,
        status: str = "AUTHORIZED",
        *,
        items: dict[str, int] | None = None,
        shipping: int = 0,
    ) -> str:
        """The customer pays the session. `status`: AUTHORIZED, ON_HOLD (pending approval), or
        DECLINED / FAILED. `items`: what is authorized per `line_id` where it is not what the
        session asked (a discount); `shipping`: a shipping option chosen in Checkout, which
        Dintero moves into the transaction's items."""
        session = self.sessions[session_id]
        if session.get("cancelled_at"):
            raise ValueError(f"session {session_id} is cancelled: it cannot be paid")
        order = session["order"]
        tid = f"{AID}.{next(self._ids):06d}{uuid.uuid4().hex[:10]}"
        lines = [
            {**i, "amount": (items or {}).get(i["line_id"], i["amount"])}
            for i in order["items"]
            if items is None or i["line_id"] in items
        ]
        if shipping:
            lines.append(
                {
                    "id": "bring-pick-up-00001",
                    "line_id": "bring-pick-up-00001-location-0a1f6b",
                    "description": "Standard",
                    "quantity": 1,
                    "amount": shipping,
                    "vat": 25,
                    "vat_amount": shipping // 5,
                }
            )
        amount = sum(i["amount"] for i in lines)
        txn = {
            "id": tid,
            "session_id": session_id,
            "merchant_reference": order["merchant_reference"],
            "amount": amount,
            "currency": order["currency"],
            "payment_product": "dintero_psp",
            "payment_product_type": "dintero_psp.creditcard",
            "channel": "ecommerce",
            "status": "INITIATED",
            "items": lines,
            "events": [],
            "url": {"callback_url": session.get("url", {}).get("callback_url", "")},
            "metadata": {"session:profile_id": session.get("profile_id", "default")},
            "created_at": _now(),
            "updated_at": _now(),
        }
        self.transactions[tid] = txn
        self._event(txn, "INITIALIZE", True, amount, status="INITIATED")
        if status == "ON_HOLD":
            txn["status"] = "ON_HOLD"
            txn["events"][-1]["transaction_status"] = "ON_HOLD"
        elif status == "AUTHORIZED":
            self._event(txn, "AUTHORIZE", True, amount, status="AUTHORIZED")
        else:
            self._event(txn, "AUTHORIZE", False, amount, status=status, error="the payment was declined")
        session["transaction_id"] = tid
        return tid

    def hold_release(self, tid: str) -> None:
        """The payment on hold is approved: the transaction becomes AUTHORIZED."""
        txn = self.transactions[tid]
        assert txn["status"] == "ON_HOLD", txn["status"]
        self._event(txn, "AUTHORIZE", True, txn["amount"], status="AUTHORIZED")

    def hold_decline(self, tid: str, status: str = "FAILED") -> None:
        """The payment on hold is not approved: FAILED (or DECLINED)."""
        txn = self.transactions[tid]
        assert txn["status"] == "ON_HOLD", txn["status"]
        self._event(txn, "AUTHORIZE", False, txn["amount"], status=status, error="not approved")

    def backoffice_void(self, tid: str) -> None:
        """A person voids the transaction in Dintero's Backoffice."""
        txn = self.transactions[tid]
        assert self._check(txn, "void", {}) is None, txn["status"]
        self._apply(txn, "void", {})

    def authorized_transaction(self, merchant_reference: str, items: dict[int, int], currency="NOK") -> str:
        """A transaction authorized outside any session we made (e.g. by a shop's checkout)."""
        sid = f"{AID}.S{next(self._ids):06d}"
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

    def complete_pending(self, reference: str | None = None) -> None:
        """Finish the operations answered 202 (only the one with this reference, if given)."""
        for pending in list(self.pending):
            if reference is None or self._reference(pending.body) == reference:
                self._complete(pending)

    # HTTP

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        url = request.url
        host = f"{url.scheme}://{url.host}"
        parts = url.path.strip("/").split("/")
        if parts[:1] != ["v1"]:
            return error(404, "not_found", f"no route {url}")
        parts = parts[1:]
        if host == API_HOST:
            if request.method == "POST" and parts == ["accounts", AID, "auth", "token"]:
                return self._token(request)
            return error(404, "not_found", f"no route {url}")
        if host != CHECKOUT_HOST:
            return error(404, "not_found", f"no route {url}")
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
            return error(401, "unauthorized", "missing or invalid token")
        if request.method == "POST" and parts == ["sessions-profile"]:
            return self._session_create(request)
        if parts[:1] == ["sessions"] and len(parts) in (2, 3):
            session = self.sessions.get(parts[1])
            if session is None:
                return error(404, "not_found", "session not found")
            if request.method == "GET" and len(parts) == 2:
                return httpx.Response(200, json=self._session_json(parts[1]))
            if request.method == "POST" and parts[2:] == ["cancel"]:
                return self._session_cancel(parts[1])
            return error(405, "method_not_allowed", "method not allowed")
        if parts[:1] != ["transactions"] or len(parts) not in (2, 3):
            return error(404, "not_found", f"no route {url}")
        txn = self.transactions.get(parts[1])
        if txn is None:
            return error(404, "not_found", f"transaction {parts[1]} not found")
        if request.method == "GET" and len(parts) == 2:
            self._read(txn)
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

    # Sessions

    def _session_create(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        order = body.get("order", {})
        if order.get("amount") != sum(i["amount"] for i in order.get("items", [])):
            return error(400, "bad_request", "order.amount must equal the sum of items[].amount")
        if not body.get("url", {}).get("callback_url"):
            return error(400, "bad_request", "url.callback_url is required")
        sid = f"{AID}.S{next(self._ids):06d}"
        self.sessions[sid] = {**body, "created_at": _now()}
        return httpx.Response(200, json={"id": sid, "url": f"{CHECKOUT_HOST}/v1/view/{sid}"})

    def _session_json(self, sid: str) -> dict:
        session = self.sessions[sid]
        out = {
            "id": sid,
            "created_at": session.get("created_at", _now()),
            "order": session.get("order", {}),
            "url": session.get("url", {}),
        }
        if session.get("transaction_id"):
            out["transaction_id"] = session["transaction_id"]
        if session.get("cancelled_at"):
            out["cancelled_at"] = session["cancelled_at"]
        return out

    def _session_cancel(self, sid: str) -> httpx.Response:
        session = self.sessions[sid]
        txn = self.transactions.get(session.get("transaction_id") or "")
        if txn is not None:
            if txn["status"] not in CANCELLABLE:
                return error(
                    400, "bad_request", f"cannot cancel a session whose transaction is {txn['status']}"
                )
            if txn["status"] == "AUTHORIZED":
                self._apply(txn, "void", {})
        session.setdefault("cancelled_at", _now())
        return httpx.Response(200, json=self._session_json(sid))

    # Transactions

    def _event(self, txn: dict, name: str, success: bool, amount: int, *, status: str = "", **extra) -> dict:
        event = {
            "id": str(uuid.uuid4()),
            "event": name,
            "success": success,
            "amount": amount,
            "created_at": _now(),
            "request_id": uuid.uuid4().hex,
            **{k: v for k, v in extra.items() if k != "error"},
        }
        if not success:
            event["error"] = {
                "code": "declined",
                "message": extra.get("error") or f"the {name.lower()} failed",
            }
        if success and status:
            txn["status"] = status
        elif not success and name == "AUTHORIZE":
            txn["status"] = status or "DECLINED"
        event["transaction_status"] = txn["status"]
        txn["events"].append(event)
        txn["updated_at"] = event["created_at"]
        return event

    def _read(self, txn: dict) -> None:
        """A read of the transaction: operations answered 202 finish when their time comes."""
        for pending in list(self.pending):
            if pending.transaction_id != txn["id"] or pending.reads_left is None:
                continue
            if pending.reads_left == 0:
                self._complete(pending)
            else:
                pending.reads_left -= 1

    @staticmethod
    def _reference(body: dict) -> str:
        return body.get("capture_reference") or body.get("refund_reference") or ""

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
        if fault is None and operation in self.later:
            return self._accept(txn, operation, body)
        self._apply(txn, operation, body)
        if callable(action):
            raise action(request)
        if action == 502:
            return httpx.Response(502, text="<html>Bad gateway</html>")
        if action == "malformed":
            return httpx.Response(200, text="<html>oops</html>")
        return httpx.Response(200, json=txn)

    def _accept(self, txn: dict, operation: str, body: dict) -> httpx.Response:
        """202 `TransactionOperationAccepted`: the INITIATE_ event now, the rest later."""
        reads, succeed = self.later[operation]
        extra = {"items": body["items"]} if body.get("items") else {}
        if self._reference(body):
            extra["event_reference"] = self._reference(body)
        initiated = self._event(txn, f"INITIATE_{operation.upper()}", True, body.get("amount", 0), **extra)
        self.pending.append(Pending(txn["id"], operation, body, initiated["request_id"], reads, succeed))
        return httpx.Response(202, json=txn, headers={"event-request-id": initiated["request_id"]})

    def _complete(self, pending: Pending) -> None:
        self.pending.remove(pending)
        txn = self.transactions[pending.transaction_id]
        refusal = self._check(txn, pending.operation, pending.body)
        if pending.succeed and refusal is None:
            self._apply(txn, pending.operation, pending.body, correlation_request_id=pending.request_id)
            return
        name = pending.operation.upper()
        extra = {"correlation_request_id": pending.request_id}
        if self._reference(pending.body) and self.reference_on_completion:
            extra["event_reference"] = self._reference(pending.body)
        self._event(txn, name, False, pending.body.get("amount", 0), error="refused by the acquirer", **extra)

    def _check(self, txn: dict, operation: str, body: dict) -> httpx.Response | None:
        figures = self.figures(txn["id"])
        if operation == "void":
            if txn["status"] not in VOIDABLE:
                return error(400, "bad_request", f"cannot void a transaction that is {txn['status']}")
            return None
        allowed = CAPTURABLE if operation == "capture" else REFUNDABLE
        if txn["status"] not in allowed:
            return error(400, "bad_request", f"cannot {operation} a transaction that is {txn['status']}")
        amount = body.get("amount")
        if not isinstance(amount, int) or amount <= 0:
            return error(400, "bad_request", "amount must be a positive integer")
        items = body.get("items") or []
        if items and amount != sum(i["amount"] for i in items):
            return error(400, "bad_request", "amount must equal the sum of items")
        left = (
            figures["authorized"] - figures["captured"]
            if operation == "capture"
            else figures["captured"] - figures["refunded"]
        )
        if amount > left:
            return error(400, "bad_request", f"{operation} {amount} exceeds {left}")
        return None

    def _apply(self, txn: dict, operation: str, body: dict, **extra) -> None:
        figures = self.figures(txn["id"])
        if operation == "void":
            self._event(
                txn,
                "VOID",
                True,
                figures["authorized"] - figures["captured"],
                status="AUTHORIZATION_VOIDED",
                **extra,
            )
            return
        if body.get("items"):
            extra["items"] = body["items"]
        if self._reference(body) and (self.reference_on_completion or "correlation_request_id" not in extra):
            extra["event_reference"] = self._reference(body)
        amount = body["amount"]
        captured = figures["captured"] + (amount if operation == "capture" else 0)
        refunded = figures["refunded"] + (amount if operation == "refund" else 0)
        # docs/integrations/support/transaction-statuses: "part captured and part refunded on
        # the same order" while some is left to capture, else (partially) refunded.
        if refunded == 0:
            status = "CAPTURED" if captured >= figures["authorized"] else "PARTIALLY_CAPTURED"
        elif captured < figures["authorized"]:
            status = "PARTIALLY_CAPTURED_REFUNDED"
        else:
            status = "REFUNDED" if refunded >= captured else "PARTIALLY_REFUNDED"
        self._event(txn, operation.upper(), True, amount, status=status, **extra)
