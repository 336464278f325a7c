"""Form fields shared by the staff pages and the admin."""

from django import forms
from django.forms.fields import InvalidJSONInput

from backoffice.api.parsers import loads


class StorableJSONField(forms.JSONField):
    """A JSON field that refuses, as a field error, what the database cannot store: numbers
    that are not finite (`NaN`, `1e309`), NUL characters, lone surrogates, deep nesting. The
    same rules as the API's parser."""

    def to_python(self, value):
        if isinstance(value, str) and value not in self.empty_values and not self.disabled:
            try:
                loads(value)
            except ValueError as exc:
                raise forms.ValidationError(f"Enter JSON that can be stored: {exc}", code="invalid") from exc
        return super().to_python(value)

    def bound_data(self, data, initial):
        if isinstance(data, str) and not self.disabled:
            try:
                loads(data)
            except ValueError:  # shown back as typed, next to its error
                return InvalidJSONInput(data)
        return super().bound_data(data, initial)
