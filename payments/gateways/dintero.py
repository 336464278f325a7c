"""Dintero Checkout over httpx.

Token: `POST {api}/accounts/{aid}/auth/token` with client credentials, cached until shortly
before it expires. Sessions: `POST {checkout}/sessions-profile`, `GET {checkout}/sessions/{id}`,
`POST {checkout}/sessions/{id}/cancel`. Transactions: `GET {checkout}/transactions/{id}`,
`POST .../capture`, `.../refund`, `.../void`. `{api}` and `{checkout}` end in `/v1` (see
`payments.gateways.dintero_config`, which takes Dintero's hosts with or without it).

How an answer is read (Dintero's published types, `payments.d.ts` in Dintero.Node.SDK, and
docs.dintero.com/docs/checkout/transaction-management): a 200 with a readable transaction is the
provider's word, and a capture or refund counts as done only when the transaction shows a
successful event whose `event_reference` is our reference ("captures might fail for various
reasons, so it's important to check that the response indicates a successful capture"). A 202
(`TransactionOperationAccepted`) means accepted for processing: the transaction is read once
more, and the call is done if the event is there by then; if not, its outcome stays unknown
until reconciliation finds the event. 4xx means it was not done (429 included). Timeouts after
the connection was made, resets, 5xx and unreadable bodies leave the outcome unknown. A failure
to connect means nothing was sent.
"""

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx

from .base import (
    VOIDED_STATUSES,
    CreatedSession,
    Declined,
    NotFoundAtProvider,
    OutcomeUnknown,
    ProviderError,
    SessionRequest,
    Transaction,
    TransactionEvent,
    items_body,
    transaction_from_json,
)

logger = logging.getLogger(__name__)

# Refresh a cached token this many seconds before the provider says it expires.
TOKEN_MARGIN = 30


@dataclass(frozen=True)
class DinteroConfig:
    """`api_url` and `checkout_url` end in `/v1` (`payments.gateways.versioned`)."""

    account_id: str
    client_id: str
    client_secret: str
    profile_id: str = "default"
    api_url: str = "https://api.dintero.com/v1"
    checkout_url: str = "https://checkout.dintero.com/v1"
    connect_timeout: float = 5.0
    read_timeout: float = 20.0

    @property
    def audience(self) -> str:
        return f"{self.api_url.rstrip('/')}/accounts/{self.account_id}"


_tokens: dict[tuple[str, str, str], tuple[str, float]] = {}
_tokens_lock = threading.Lock()


def tokens_forget() -> None:
    with _tokens_lock:
        _tokens.clear()


class DinteroGateway:
    name = "dintero"

    def __init__(self, config: DinteroConfig, transport: httpx.BaseTransport | None = None):
        """`transport` None: httpx's own, over the network."""
        self.config = config
        self.client = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(
                connect=config.connect_timeout,
                read=config.read_timeout,
                write=config.read_timeout,
                pool=config.connect_timeout,
            ),
            headers={"Accept": "application/json"},
        )

    # Token

    def _token(self, *, fresh: bool = False) -> str:
        key = (self.config.api_url, self.config.account_id, self.config.client_id)
        with _tokens_lock:
            cached = _tokens.get(key)
            if cached and not fresh and cached[1] > time.monotonic():
                return cached[0]
        try:
            response = self.client.post(
                f"{self.config.audience}/auth/token",
                json={"grant_type": "client_credentials", "audience": self.config.audience},
                auth=(self.config.client_id, self.config.client_secret),
            )
        except httpx.HTTPError as exc:
            # No money call was sent: the token request is harmless to repeat.
            raise Declined(f"could not get a Dintero token: {_describe(exc)}") from exc
        body = _json(response)
        if response.status_code != 200 or not isinstance(body, dict) or "access_token" not in body:
            raise Declined(
                f"Dintero refused the token request: {_error_text(response, body)}",
                status=response.status_code,
                body=body,
            )
        expires_in = int(body.get("expires_in") or 0)
        token = str(body["access_token"])
        with _tokens_lock:
            _tokens[key] = (token, time.monotonic() + max(expires_in - TOKEN_MARGIN, 0))
        return token

    def _send(self, method: str, url: str, json_body: Any = None) -> httpx.Response:
        """Send with a bearer token. A 401 means the request was not run: retry once with a
        fresh token."""
        for attempt in (1, 2):
            token = self._token(fresh=attempt == 2)
            try:
                request = self.client.build_request(
                    method, url, json=json_body, headers={"Authorization": f"Bearer {token}"}
                )
                response = self.client.send(request)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                raise Declined(f"could not reach Dintero: {_describe(exc)}") from exc
            except httpx.HTTPError as exc:
                raise OutcomeUnknown(f"no answer from Dintero: {_describe(exc)}") from exc
            if response.status_code != 401 or attempt == 2:
                return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _transaction(self, response: httpx.Response, what: str) -> Transaction:
        body = _json(response)
        status = response.status_code
        if status == 404:
            raise NotFoundAtProvider(
                f"Dintero has no such transaction ({_error_text(response, body)})", status=status, body=body
            )
        if 400 <= status < 500:
            raise Declined(
                f"Dintero refused the {what}: {_error_text(response, body)}", status=status, body=body
            )
        if status >= 500 or status < 200 or status >= 300:
            raise OutcomeUnknown(f"Dintero answered {status} to the {what}", status=status, body=body)
        try:
            return transaction_from_json(body)
        except ValueError as exc:
            raise OutcomeUnknown(
                f"unreadable answer from Dintero to the {what}: {exc}", status=status, body=body
            ) from exc

    # Sessions

    def session_create(self, request: SessionRequest, *, reference: str) -> CreatedSession:
        body = session_body(request, self.config.profile_id)
        response = self._send("POST", f"{self.config.checkout_url}/sessions-profile", body)
        data = _json(response)
        if 400 <= response.status_code < 500:
            raise Declined(
                f"Dintero refused the session: {_error_text(response, data)}",
                status=response.status_code,
                body=data,
            )
        if response.status_code not in (200, 201) or not isinstance(data, dict):
            raise OutcomeUnknown(
                f"Dintero answered {response.status_code} to the session",
                status=response.status_code,
                body=data,
            )
        if not isinstance(data.get("id"), str) or not isinstance(data.get("url"), str):
            raise OutcomeUnknown(
                "Dintero's session answer lacks id or url", status=response.status_code, body=data
            )
        return CreatedSession(id=data["id"], url=data["url"])

    def session_transaction_id(self, session_id: str) -> str | None:
        response = self._send("GET", f"{self.config.checkout_url}/sessions/{session_id}")
        data = _json(response)
        if response.status_code == 404:
            raise NotFoundAtProvider(f"Dintero has no session {session_id}", status=404, body=data)
        if response.status_code != 200 or not isinstance(data, dict):
            raise OutcomeUnknown(f"Dintero answered {response.status_code} for session {session_id}")
        tid = data.get("transaction_id")
        return tid if isinstance(tid, str) and tid else None

    def session_cancel(self, session_id: str) -> None:
        """docs.dintero.com/api-reference/session/cancel-session: "The session transaction will
        be voided in case where it is initialized or authorized"."""
        response = self._send("POST", f"{self.config.checkout_url}/sessions/{session_id}/cancel")
        data = _json(response)
        if response.status_code == 404:
            raise NotFoundAtProvider(f"Dintero has no session {session_id}", status=404, body=data)
        if 400 <= response.status_code < 500:
            raise Declined(
                f"Dintero refused to cancel session {session_id}: {_error_text(response, data)}",
                status=response.status_code,
                body=data,
            )
        if not 200 <= response.status_code < 300:
            raise OutcomeUnknown(
                f"Dintero answered {response.status_code} to cancelling session {session_id}",
                status=response.status_code,
                body=data,
            )

    # Transactions

    def transaction_get(self, transaction_id: str) -> Transaction:
        response = self._send("GET", f"{self.config.checkout_url}/transactions/{transaction_id}")
        return self._transaction(response, "transaction read")

    def _money_call(
        self, name: str, transaction_id: str, body: dict | None, reference: str, items: dict[int, int]
    ) -> Transaction:
        url = f"{self.config.checkout_url}/transactions/{transaction_id}/{name.lower()}"
        response = self._send("POST", url, body)
        if response.status_code == 202:
            return self._accepted(name, transaction_id, reference, response)
        transaction = self._transaction(response, name.lower())
        return confirm(transaction, name, reference, items=items)

    def _accepted(
        self, name: str, transaction_id: str, reference: str, response: httpx.Response
    ) -> Transaction:
        """A 202: "Request accepted for processing. The transaction will be updated with a new
        event with `correlation_request_id` set when the operation completes" (the
        `event-request-id` header names it). Done if the transaction already shows it."""
        request_id = response.headers.get("event-request-id", "")
        try:
            transaction = self.transaction_get(transaction_id)
        except ProviderError as exc:
            raise OutcomeUnknown(
                f"Dintero accepted the {name.lower()} for processing; the transaction could not be "
                f"read back ({exc.message})",
                status=202,
                body=accepted_body(request_id),
            ) from exc
        return confirm(transaction, name, reference, request_id=request_id, accepted=True)

    def capture(self, transaction_id: str, *, items: dict[int, int], reference: str) -> Transaction:
        body = {"amount": sum(items.values()), "capture_reference": reference, "items": items_body(items)}
        return self._money_call("CAPTURE", transaction_id, body, reference, items)

    def refund(self, transaction_id: str, *, items: dict[int, int], reference: str) -> Transaction:
        body = {"amount": sum(items.values()), "refund_reference": reference, "items": items_body(items)}
        return self._money_call("REFUND", transaction_id, body, reference, items)

    def void(self, transaction_id: str, *, reference: str) -> Transaction:
        return self._money_call("VOID", transaction_id, None, reference, {})


def accepted_body(request_id: str) -> dict | None:
    """What a call keeps of a 202 answer: the `event-request-id` that the event completing it
    will name (reconciliation looks for it)."""
    return {"event-request-id": request_id} if request_id else None


def confirm(
    transaction: Transaction,
    name: str,
    reference: str,
    *,
    items: dict[int, int] | None = None,
    request_id: str = "",
    accepted: bool = False,
) -> Transaction:
    """The call is done when the transaction shows its event as successful: the event whose
    `event_reference` is our reference, or that completes the request Dintero accepted
    (`correlation_request_id`). A void has no reference: a VOID event (a transaction is voided
    at most once) or a voided status confirms it. Two captures of the same amount are each
    confirmed by their own reference, never by their amount."""
    if name == "VOID":
        event = transaction.event_for("VOID", "", request_id) or _latest(transaction, "VOID")
        if event is None and transaction.status in VOIDED_STATUSES:
            return transaction
    else:
        event = transaction.event_for(name, reference, request_id)
        if event is None and not accepted:
            event = _only_unreferenced(transaction, name, items or {})
    if event is None:
        if accepted:
            raise OutcomeUnknown(
                f"Dintero accepted the {name.lower()} for processing; it is not on the transaction yet",
                status=202,
                body=accepted_body(request_id),
            )
        if transaction.initiated(name, reference, request_id):
            raise OutcomeUnknown(f"Dintero is still processing the {name.lower()} {reference}")
        raise OutcomeUnknown(f"the transaction does not show the {name.lower()} {reference}")
    if not event.success:
        detail = f": {event.error}" if event.error else ""
        raise Declined(f"Dintero reports the {name.lower()} as failed{detail}")
    return transaction


def _latest(transaction: Transaction, name: str) -> TransactionEvent | None:
    return next((e for e in reversed(transaction.events) if e.event == name), None)


def _only_unreferenced(transaction: Transaction, name: str, items: dict[int, int]) -> TransactionEvent | None:
    """For an answer whose events carry no references at all (older answers): the one event of
    this kind with exactly our amount and items, if there is exactly one. Two alike are not
    told apart: the call stays unknown, for reconciliation and then a person."""
    if transaction.references_known(name):
        return None
    amount = sum(items.values())
    alike = [
        e
        for e in transaction.events
        if e.event == name and e.amount == amount and (not e.items or e.items == items)
    ]
    return alike[0] if len(alike) == 1 else None


def session_body(request: SessionRequest, profile_id: str) -> dict:
    return {
        "url": {"return_url": request.return_url, "callback_url": request.callback_url},
        "order": {
            "amount": request.amount,
            "currency": request.currency,
            "merchant_reference": request.merchant_reference,
            "items": [
                {
                    "id": line.item_id,
                    "line_id": str(line.line_id),
                    "description": line.description,
                    "quantity": line.quantity,
                    "amount": line.amount,
                    "vat_amount": line.vat_amount,
                    "vat": line.vat,
                }
                for line in request.lines
            ],
        },
        "profile_id": profile_id,
    }


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _error_text(response: httpx.Response, body: Any) -> str:
    """Dintero's error body is `{"error": {"code", "message"}}`."""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        parts = [str(error.get(k)) for k in ("code", "message") if error.get(k)]
        if parts:
            return f"{response.status_code} " + ": ".join(parts)
    return f"{response.status_code} {response.reason_phrase}".strip()


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
