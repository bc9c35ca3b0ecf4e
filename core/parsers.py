"""JSON coming in, one way for every door: numbers stay exact (5250.10 arrives as Decimal("5250.10"), never a
float) and nesting is bounded, so a hostile body is a 400, never a RecursionError (a 500) here or in whatever
walks the value later (serializers, JSON columns, logs)."""

import json
from decimal import Decimal
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_JSON_DEPTH = 32  # no request of ours nests deeper than a handful of levels


class MalformedJSON(ValueError):
    """Not JSON, not UTF-8, or nested deeper than MAX_JSON_DEPTH. The message is safe to show."""


def _depth(value: Any) -> int:
    """Nesting depth of parsed JSON, without recursion (a deep value must not exhaust the stack here either)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, depth)
            if depth > MAX_JSON_DEPTH:
                break
            stack.extend((child, depth + 1) for child in (node.values() if isinstance(node, dict) else node))
    return deepest


def loads_json(raw: str | bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse a request body or message: Decimal for numbers with a fraction, at most `max_depth` levels of
    objects/arrays. Raises MalformedJSON for anything else. Use this for every body that comes in (DRF's parser
    below, the HTTP bid lane, the auction socket, webhooks)."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes | bytearray) else raw
        value = json.loads(text, parse_float=Decimal)
    except RecursionError:
        raise MalformedJSON(f"JSON nested too deep (at most {max_depth} levels)") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedJSON(f"Malformed JSON: {exc}") from None
    if _depth(value) > max_depth:
        raise MalformedJSON(f"JSON nested too deep (at most {max_depth} levels)")
    return value


class DecimalJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return loads_json(stream.read().decode(encoding))
        except (MalformedJSON, UnicodeDecodeError) as exc:
            raise ParseError(str(exc)) from exc
