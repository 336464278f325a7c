"""The countries' select is written without a template per option, exactly as Django writes it."""

import pytest
from django import forms
from django.utils import translation

from orders.forms import DraftStartForm, LongSelect, country_choices


@pytest.mark.parametrize("value", ["NO", "", None, "SE", '"><script>', ["NO", "SE"]])
@pytest.mark.parametrize("attrs", [None, {"id": "id_country", "required": True, "disabled": False}])
def test_it_writes_what_djangos_select_writes(value, attrs):
    choices = [*country_choices()[:40], ("X&Y", 'A "quoted" <name>')]
    mine = LongSelect(choices=choices).render("shipping-country", value, attrs)
    assert mine == forms.Select(choices=choices).render("shipping-country", value, attrs)
    assert mine.count("<option") == len(choices) and "<script>" not in mine


def test_grouped_choices_are_written_by_django():
    choices = [("Nordic", [("NO", "Norway"), ("SE", "Sweden")]), ("DE", "Germany")]
    assert LongSelect(choices=choices).render("c", "SE") == forms.Select(choices=choices).render("c", "SE")


def test_the_new_order_form_names_the_countries_in_the_pages_language():
    with translation.override("nb"):
        html = str(DraftStartForm()["shipping-country"])
        assert '<option value="NO" selected>Norge</option>' in html
    with translation.override("en"):
        assert '<option value="NO" selected>Norway</option>' in str(DraftStartForm()["billing-country"])
