"""Kept importable for the tests that still import from here: see tests/support/admin_forms.py."""

from tests.support.admin_forms import form_data

__all__ = ["form_data"]
