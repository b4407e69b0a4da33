"""JSON from outside (an uploaded line, a form field), parsed without a way to crash on it.

The standard parser recurses once per level of nesting, so a few thousand brackets raise
RecursionError; it turns a 5,000-digit number into a ValueError of its own, `1e999` into
infinity (which PostgreSQL's JSON refuses), and `"\\ud800"` into a string no database can
store. `loads` refuses each of these with a `json.JSONDecodeError` that says where, the
error every caller already handles for malformed JSON.
"""

import json
import math
import re
from typing import Any

MAX_DEPTH = 64
MAX_INT_DIGITS = 32

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")


class _Refused(ValueError):
    def __init__(self, message: str, fragment: str = "") -> None:
        super().__init__(message)
        self.fragment = fragment


def _int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise _Refused(f"a number of {len(digits.lstrip('-')):,} digits is too long", digits)
    return int(digits)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"the number {text[:40]} is out of range", text)
    return value


def _constant(name: str):
    raise _Refused(f"{name} is not a JSON value", name)


def _depth_error(text: str, max_depth: int) -> json.JSONDecodeError | None:
    if text.count("[") + text.count("{") <= max_depth:
        return None
    # Brackets inside strings do not nest: blank the strings out, keeping every position.
    blanked = _STRING.sub(lambda match: " " * len(match.group()), text)
    depth = 0
    for match in _BRACKET.finditer(blanked):
        depth += 1 if match.group() in "[{" else -1
        if depth > max_depth:
            return json.JSONDecodeError(f"nested more than {max_depth} levels deep", text, match.start())
    return None


def _has_lone_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def loads(text: str | bytes, *, max_depth: int = MAX_DEPTH, lone_surrogates: bool = False) -> Any:
    """`json.loads`, refusing deep nesting, long or infinite numbers and lone surrogates.

    `lone_surrogates=True` leaves them in, for a caller that refuses them itself naming the field.
    """
    if isinstance(text, bytes | bytearray):
        text = text.decode("utf-8")
    if error := _depth_error(text, max_depth):
        raise error
    try:
        value = json.loads(text, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except _Refused as error:
        raise json.JSONDecodeError(str(error), text, max(text.find(error.fragment), 0)) from None
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", text, 0) from None
    if not lone_surrogates and _SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(value):
        position = _SURROGATE_ESCAPE.search(text).start()
        raise json.JSONDecodeError("a \\u escape names half of a surrogate pair", text, position)
    return value
