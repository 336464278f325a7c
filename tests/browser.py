"""Kept importable for the tests that still import from here: the browser harness lives in
tests/support/browser.py (its fixtures are registered by tests/conftest.py)."""

from tests.support.browser import SCREENSHOTS, go, sign_in

__all__ = ["SCREENSHOTS", "go", "sign_in"]
