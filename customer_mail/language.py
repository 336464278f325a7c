"""Which language a customer is written to in: Norwegian Bokmål (`nb`) or English (`en`).

From the first of these that says:

1. a `locale` (or `language`) the integrator put in the order's `metadata` or `customer`
   (Dintero's checkout locales: `no`, `nb`, `nb-NO`, `nn`, `en`, `en-GB`, …);
2. the country of the billing address, else of the shipping address: `NO` is Norwegian, any
   other country English;
3. the setting CUSTOMER_MAIL_DEFAULT_LANGUAGE (`nb` unless set).
"""

from typing import Any

from django.conf import settings

from orders.models import Order

from .models import Language

# How amounts are written in each language: 1 234,50 kr; in English as Europe writes it, with
# the currency code a reader abroad knows: 1,234.50 NOK.
MONEY_LOCALES = {Language.NB: "nb_NO", Language.EN: "en_150"}

_NORWEGIAN = {"no", "nb", "nn"}


def language_from_locale(value: Any) -> Language | None:
    """`nb-NO`, `no_NO`, `nn`, `NO` -> nb; `en`, `en-GB` -> en; anything else: None."""
    if not isinstance(value, str) or not value.strip():
        return None
    code = value.strip().replace("_", "-").split("-")[0].lower()
    if code in _NORWEGIAN:
        return Language.NB
    if code == "en":
        return Language.EN
    return None


def customer_language(order: Order) -> Language:
    for source in (order.metadata or {}, order.customer or {}):
        for key in ("locale", "language"):
            language = language_from_locale(source.get(key))
            if language is not None:
                return language
    for address in (order.billing_address or {}, order.shipping_address or {}):
        country = address.get("country")
        if isinstance(country, str) and country.strip():
            return Language.NB if country.strip().upper() == "NO" else Language.EN
    return Language(settings.CUSTOMER_MAIL_DEFAULT_LANGUAGE)
