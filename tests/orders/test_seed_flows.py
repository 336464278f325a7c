"""The seeds' flows end to end through HTTP, with the seeds' bodies verbatim."""

from tests.factories import SEED_DRAFT


def op(lines, payment_id="PID_123"):
    return {"items": [{"amount": a, "line_id": line} for line, a in lines],
            "payment_details": {"payment_id": payment_id}, "success": True}


def new_order(api) -> dict:
    draft = api.call("post", "draft_orders", SEED_DRAFT)
    assert draft.status_code == 201, draft.content
    done = api.call("put", f"draft_orders/{draft.json()['id']}/complete")
    assert done.status_code == 200, done.content
    return done.json()["orders"][0]


def test_lifecycle_authorize_capture_refund(api):
    order = new_order(api)
    oid = order["order_id"]
    assert len(oid) == 9 and oid.isalnum() and oid.upper() == oid
    assert order["payment_status"] == "PENDING"
    body = {"items": [{"amount": 39800, "line_id": 1}],
            "payment_details": {"payment_id": "transaction_id"}, "success": True}
    for kind, status in [("authorizations", "AUTHORIZED"), ("captures", "CAPTURED"),
                         ("refunds", "REFUNDED")]:
        response = api.call("post", f"orders/{oid}/{kind}", body)
        assert response.status_code == 201, response.content
        assert api.call("get", f"orders/{oid}").json()["payment_status"] == status
    line = api.call("get", f"orders/{oid}").json()["items"][0]
    assert (line["authorized_amount"], line["captured_amount"], line["refunded_amount"]) == (
        39800, 39800, 39800)
