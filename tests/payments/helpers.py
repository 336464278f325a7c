from backoffice.actor import Actor
from payments.models import PaymentSession
from payments.sandbox.gateway import SandboxGateway
from payments.services.sessions import session_authorize, session_create

STAFF = Actor(system="tests")
BASE = "http://testserver"


def sandbox_paid(order, items=None) -> PaymentSession:
    """A payment link paid in the sandbox and its authorization recorded."""
    session = session_create(order=order, items=items, actor=STAFF)
    txn = SandboxGateway(BASE).session_pay(session.session_id)
    return session_authorize(session=session, actor=STAFF, transaction_id=txn.id)
