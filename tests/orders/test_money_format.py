from decimal import Decimal

from babel.numbers import format_currency
from hypothesis import given, settings
from hypothesis import strategies as st

from orders.money import exponent, format_money

LOCALES = ["nb_NO", "en_US", "sv_SE", "de_DE", "en_IN", "fr_FR"]
CURRENCIES = ["NOK", "SEK", "EUR", "USD", "JPY", "KWD"]


# No deadline: the first example of each locale waits for Babel to load that locale's data
# (seen at 0.7 s on a busy machine), which says nothing about the formatting.
@settings(deadline=None)
@given(
    amount=st.integers(-(10**14), 10**14),
    currency=st.sampled_from(CURRENCIES),
    locale=st.sampled_from(LOCALES),
)
def test_fast_formatting_equals_babel(amount, currency, locale):
    expected = format_currency(Decimal(amount).scaleb(-exponent(currency)), currency, locale=locale)
    assert format_money(amount, currency, locale) == expected


def test_norwegian_display():
    assert format_money(39800, "NOK") == "398,00\xa0kr"
    assert format_money(-123456789, "NOK") == "-1\xa0234\xa0567,89\xa0kr"
    assert format_money(1234, "JPY") == "1\xa0234\xa0JPY"
