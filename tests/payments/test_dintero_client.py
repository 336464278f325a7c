"""The Dintero Checkout client against the emulator: tokens, exact bodies, answers, errors."""

import httpx
import pytest

from payments.gateways import gateway_for, versioned
from payments.gateways.base import Declined, NotFoundAtProvider, OutcomeUnknown, SessionLine, SessionRequest
from payments.gateways.dintero import DinteroConfig, DinteroGateway, tokens_forget
from payments.items import ItemAmount
from payments.models import CallKind, CallState, SessionStatus
from payments.services.calls import provider_action
from payments.services.sessions import session_authorize, session_create
from tests.support.orders import make_order

from . import dintero_emulator as emu
from .helpers import BASE, STAFF


def _request(lines=None) -> SessionRequest:
    return SessionRequest(
        merchant_reference="ABC123XYZ",
        currency="NOK",
        lines=lines or [SessionLine(1, "175938", "Stablestol for utendørsbruk", 2, 39800, 7960, 25)],
        callback_url="https://shop.test/callback",
        return_url="https://shop.test/accept",
    )


def test_token_is_requested_once_and_reused(emulator):
    gateway = gateway_for("dintero")
    gateway.session_create(_request(), reference="r1")
    gateway_for("dintero").session_create(_request(), reference="r2")
    token_requests = [r for r in emulator.requests if r.url.path.endswith("/auth/token")]
    assert len(token_requests) == 1
    request = token_requests[0]
    assert str(request.url) == f"{emu.API}/accounts/{emu.AID}/auth/token"
    assert request.headers["Authorization"].startswith("Basic ")
    assert emulator.bodies("/auth/token") == [
        {"grant_type": "client_credentials", "audience": f"{emu.API}/accounts/{emu.AID}"}
    ]
    sessions = [r for r in emulator.requests if r.url.path.endswith("/sessions-profile")]
    assert {r.headers["Authorization"] for r in sessions} == {"Bearer token-1"}


def test_expired_token_is_renewed(emulator):
    emulator.expires_in = 10  # shorter than the safety margin: never reused
    gateway = gateway_for("dintero")
    gateway.session_create(_request(), reference="r1")
    gateway.session_create(_request(), reference="r2")
    assert len(emulator.tokens) == 2


def test_a_revoked_token_is_replaced_once(emulator):
    gateway = gateway_for("dintero")
    gateway.session_create(_request(), reference="r1")
    emulator.tokens.remove("token-1")
    gateway.session_create(_request(), reference="r2")
    assert emulator.tokens == ["token-2"]


def test_bad_credentials_are_a_clear_refusal(emulator, settings):
    settings.DINTERO_CLIENT_SECRET = "wrong"
    tokens_forget()
    with pytest.raises(Declined, match="401 unauthorized: bad client credentials"):
        gateway_for("dintero").transaction_get("T1")


def test_session_body_is_exactly_the_documented_one(emulator):
    created = gateway_for("dintero").session_create(_request(), reference="r1")
    assert created.url == f"https://checkout.dintero.test/v1/view/{created.id}"
    assert emulator.bodies("/sessions-profile") == [
        {
            "url": {"return_url": "https://shop.test/accept", "callback_url": "https://shop.test/callback"},
            "order": {
                "amount": 39800,
                "currency": "NOK",
                "merchant_reference": "ABC123XYZ",
                "items": [
                    {
                        "id": "175938",
                        "line_id": "1",
                        "description": "Stablestol for utendørsbruk",
                        "quantity": 2,
                        "amount": 39800,
                        "vat_amount": 7960,
                        "vat": 25,
                    }
                ],
            },
            "profile_id": "default",
        }
    ]


def test_session_for_an_order_names_the_order_and_our_callback(emulator, account):
    order = make_order(account)
    session = session_create(order=order, actor=STAFF)
    assert session.status == SessionStatus.OPEN
    [body] = emulator.bodies("/sessions-profile")
    assert body["order"]["merchant_reference"] == order.order_id
    assert body["order"]["amount"] == sum(i["amount"] for i in body["order"]["items"]) == order.gross_amount
    assert body["url"]["callback_url"] == f"{BASE}/payments/callback/{session.pk}"
    assert body["url"]["return_url"] == f"{BASE}/payments/return/{session.pk}"
    assert session.url == f"https://checkout.dintero.test/v1/view/{session.session_id}"


def test_session_refused_by_dintero_is_failed(emulator, account, monkeypatch):
    order = make_order(account)
    monkeypatch.setattr(
        emulator, "_session_create", lambda r: emu.error(400, "bad_request", "profile unknown")
    )
    session = session_create(order=order, actor=STAFF)
    assert session.status == SessionStatus.FAILED
    assert "profile unknown" in session.problem
    assert session.calls.get().state == CallState.FAILED


def _authorized_order(emulator, account):
    order = make_order(account)
    session = session_create(order=order, actor=STAFF)
    tid = emulator.pay(session.session_id)
    session = session_authorize(session=session, actor=STAFF, transaction_id=tid)
    assert session.status == SessionStatus.AUTHORIZED
    return order, tid


def test_capture_refund_void_bodies_are_exact(emulator, account):
    order, tid = _authorized_order(emulator, account)
    [capture] = provider_action(
        order=order, kind=CallKind.CAPTURE, items=[ItemAmount(line_id=1, amount=30000)], actor=STAFF
    )
    [refund] = provider_action(order=order, kind=CallKind.REFUND, items=None, actor=STAFF)
    assert emulator.bodies(f"/transactions/{tid}/capture") == [
        {"amount": 30000, "capture_reference": str(capture.id), "items": [{"line_id": "1", "amount": 30000}]}
    ]
    assert emulator.bodies(f"/transactions/{tid}/refund") == [
        {"amount": 30000, "refund_reference": str(refund.id), "items": [{"line_id": "1", "amount": 30000}]}
    ]
    assert capture.state == refund.state == CallState.SUCCEEDED

    order2, tid2 = _authorized_order(emulator, account)
    [void] = provider_action(order=order2, kind=CallKind.VOID, items=None, actor=STAFF)
    void_requests = [r for r in emulator.requests if r.url.path.endswith(f"/transactions/{tid2}/void")]
    assert [r.content for r in void_requests] == [b""]
    assert void.state == CallState.SUCCEEDED
    assert void.operation.amount == 39800


def test_error_bodies_are_read(emulator, account):
    order, tid = _authorized_order(emulator, account)
    emulator.transactions[tid]["status"] = "AUTHORIZATION_VOIDED"
    [call] = provider_action(order=order, kind=CallKind.CAPTURE, items=None, actor=STAFF)
    assert call.state == CallState.FAILED
    message = "cannot capture a transaction that is AUTHORIZATION_VOIDED"
    assert call.error == f"Dintero refused the capture: 400 bad_request: {message}"
    assert call.response_status == 400
    assert call.response_body == {"error": {"code": "bad_request", "message": message}}


def test_unknown_transaction_is_not_found(emulator):
    with pytest.raises(NotFoundAtProvider):
        gateway_for("dintero").transaction_get("T11223344.nope")


def test_explicit_timeouts():
    gateway = DinteroGateway(DinteroConfig("T11223344", "c", "s", connect_timeout=3, read_timeout=15))
    assert gateway.client.timeout == httpx.Timeout(connect=3, read=15, write=15, pool=3)


def test_read_failure_is_unknown_not_failed(emulator):
    def boom(request):
        if request.url.path.endswith("/auth/token"):
            return emulator.handle(request)
        raise httpx.ReadTimeout("slow", request=request)

    gateway = DinteroGateway(gateway_for("dintero").config, transport=httpx.MockTransport(boom))
    with pytest.raises(OutcomeUnknown):
        gateway.transaction_get("T1")


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("https://api.dintero.com", "https://api.dintero.com/v1"),
        ("https://api.dintero.com/", "https://api.dintero.com/v1"),
        ("https://api.dintero.com/v1", "https://api.dintero.com/v1"),
        ("https://api.dintero.com/v1/", "https://api.dintero.com/v1"),
        (" https://checkout.dintero.com ", "https://checkout.dintero.com/v1"),
    ],
)
def test_dintero_urls_are_taken_with_or_without_v1(setting, expected):
    assert versioned(setting) == expected


@pytest.mark.parametrize("suffix", ["", "/", "/v1", "/v1/"], ids=["bare", "slash", "v1", "v1-slash"])
def test_dintero_is_reached_with_or_without_v1_in_the_settings(emulator, account, settings, suffix):
    """Dintero's SDKs take the bare hosts; the reference pages write them with /v1: both work,
    and the token's audience is the same either way."""
    settings.DINTERO_API_URL = emu.API_HOST + suffix
    settings.DINTERO_CHECKOUT_URL = emu.CHECKOUT_HOST + suffix
    gateway = gateway_for("dintero")
    assert (gateway.config.api_url, gateway.config.checkout_url) == (emu.API, emu.CHECKOUT)

    order, tid = _authorized_order(emulator, account)
    [capture] = provider_action(order=order, kind=CallKind.CAPTURE, items=None, actor=STAFF)

    assert capture.state == CallState.SUCCEEDED
    assert [str(r.url) for r in emulator.requests if r.url.path.endswith("/auth/token")] == [
        f"{emu.API}/accounts/{emu.AID}/auth/token"
    ]
    assert emulator.bodies("/auth/token")[0]["audience"] == f"{emu.API}/accounts/{emu.AID}"
    posted = {f"{r.url.scheme}://{r.url.host}{r.url.path}" for r in emulator.requests if r.method == "POST"}
    assert posted >= {f"{emu.CHECKOUT}/sessions-profile", f"{emu.CHECKOUT}/transactions/{tid}/capture"}
