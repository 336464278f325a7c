"""The API's JSON parser: DRF's, plus the checks that keep odd bodies from becoming 500s.

Refused as malformed (400) before any view sees them:

* numbers that are not finite: the literals `NaN`, `Infinity` and `-Infinity`, and numbers too
  large for a float (`1e309` would become infinity), which no JSON column can store;
* integers of more digits than Python converts (4300);
* text that no database column can store: NUL characters (`\\u0000`) and lone UTF-16
  surrogates (`"\\ud800"`), in values and in keys;
* a body nested deeper than MAX_DEPTH, or not UTF-8.

`loads()` applies the same rules wherever else JSON is typed in (the admin's JSON fields).
"""

import json
import math

from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_DEPTH = 64


class UnstorableJSON(ValueError):
    """JSON that parses, but that no JSON column can store."""


def _refuse_constant(name: str):
    raise UnstorableJSON(f"{name} is not a number JSON allows")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise UnstorableJSON(f"the number {text[:40]} is too large")
    return value


def loads(text: str | bytes) -> object:
    """`json.loads`, refusing with a ValueError what the database cannot store."""
    try:
        data = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError as exc:
        raise UnstorableJSON(f"the JSON is nested deeper than {MAX_DEPTH} levels") from exc
    _check(data)
    return data


def _check(data: object) -> None:
    """Walk the parsed JSON without recursion; raise UnstorableJSON on what cannot be stored."""
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
                raise UnstorableJSON("text must not contain NUL (\\u0000) characters")
            try:
                text.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise UnstorableJSON("text must be valid Unicode (no lone surrogates)") from exc
        children = (
            list(value.values()) if isinstance(value, dict) else value if isinstance(value, list) else []
        )
        if children and depth >= MAX_DEPTH:
            raise UnstorableJSON(f"the JSON is nested deeper than {MAX_DEPTH} levels")
        stack.extend((child, depth + 1) for child in children)


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})  # type: ignore[attr-defined]  # DRF 3.18's, not in its stubs yet
        try:
            # The body is already bounded by DATA_UPLOAD_MAX_MEMORY_SIZE (backoffice.middleware).
            return loads(stream.read().decode(encoding))
        except ValueError as exc:  # UnicodeDecodeError, JSONDecodeError and UnstorableJSON
            raise ParseError(f"JSON parse error - {exc}") from exc
