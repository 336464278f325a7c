"""The sandbox provider: a stand-in for Dintero Checkout kept in this app's database, for demos
and tests. Its records (`models.py`), its gateway (`gateway.py`), the customer's payment page
and the staff's fault control (`views.py`, `urls.py`) live here; the rest of the app reaches it
only through `payments.gateways.gateway_for`."""
