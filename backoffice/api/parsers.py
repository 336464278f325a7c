"""The API's JSON parser: DRF's, plus the checks that keep odd bodies from becoming 500s.

A body nested too deep, or holding text that no database column can store (NUL characters,
lone UTF-16 surrogates), is refused as malformed before any view sees it.
"""

from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_DEPTH = 64


def _check(data: object) -> None:
    """Walk the parsed body without recursion; raise ParseError on what cannot be stored."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            texts = [value]
        elif isinstance(value, dict):
            texts = list(value)
        else:
            texts = []
        for text in texts:
            if "\x00" in text:
                raise ParseError("JSON parse error - text must not contain NUL (\\u0000) characters")
            try:
                text.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise ParseError(
                    "JSON parse error - text must be valid Unicode (no lone surrogates)"
                ) from exc
        children = (
            list(value.values()) if isinstance(value, dict) else value if isinstance(value, list) else []
        )
        if children and depth >= MAX_DEPTH:
            raise ParseError(f"JSON parse error - the body is nested deeper than {MAX_DEPTH} levels")
        stack.extend((child, depth + 1) for child in children)


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(f"JSON parse error - the body is nested deeper than {MAX_DEPTH} levels") from exc
        _check(data)
        return data
