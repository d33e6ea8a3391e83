"""A fast yes/no check of an OCPP payload against its JSON schema, ahead of jsonschema.

jsonschema builds a validator object per property it descends into; a 2.0.1
TransactionEvent with nine samples takes about 0.7 ms that way, most of a message's cost.
The OCPP schemas use a small part of draft 4, which compiles to plain closures that say
whether a payload is valid some ten times faster. Only a "no" goes on to jsonschema (through
the library), so every error a charger gets is still the library's, word for word.

A schema using anything outside that part compiles to nothing and is always left to
jsonschema; `tests/central_system/test_schema_check.py` checks both agree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

type Check = Callable[[Any], bool]


class NotCompilable(Exception):  # noqa: N818 - a verdict, not a failure
    """The schema uses a keyword (or a form of one) this module does not compile."""


# Keywords that never change whether a payload is valid (draft 4 without a format checker,
# as the `ocpp` library builds its validators). `additionalItems` only counts next to a
# list of `items`, which does not compile.
_ANNOTATIONS = frozenset(
    {"$schema", "$id", "id", "title", "description", "comment", "javaType", "default", "format"}
    | {"definitions", "additionalItems"}
)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# Draft 4's types: an integer is an int (never 1.0), and a bool is neither number.
_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda value: isinstance(value, dict),
    "array": lambda value: isinstance(value, list),
    "string": lambda value: isinstance(value, str),
    "boolean": lambda value: isinstance(value, bool),
    "null": lambda value: value is None,
    "integer": lambda value: isinstance(value, int) and not isinstance(value, bool),
    "number": _is_number,
}


def compile_schema(schema: Mapping[str, Any]) -> Check:
    """A function telling whether a payload satisfies `schema`; NotCompilable if it can't."""
    if not isinstance(schema, Mapping):  # a boolean schema, say
        raise NotCompilable(f"schema {schema!r}")
    checks = [_keyword(name, value, schema) for name, value in schema.items()]
    active = tuple(check for check in checks if check is not None)
    if not active:
        return lambda _: True
    return _all_of(active)


def _all_of(checks: tuple[Check, ...]) -> Check:
    """One check passing where all `checks` pass, without a generator per call."""
    head, *rest = checks
    if not rest:
        return head
    tail = _all_of(tuple(rest))
    return lambda value: head(value) and tail(value)


def _keyword(name: str, value: Any, schema: Mapping[str, Any]) -> Check | None:
    if name in _ANNOTATIONS:
        return None
    if name in ("exclusiveMinimum", "exclusiveMaximum"):
        return None  # read with minimum / maximum
    builder = _BUILDERS.get(name)
    if builder is None:
        raise NotCompilable(name)
    return builder(value, schema)


def _type(types: Any, _: Mapping[str, Any]) -> Check:
    names = [types] if isinstance(types, str) else list(types)
    if not names or any(name not in _TYPES for name in names):
        raise NotCompilable(f"type {types!r}")
    tests = tuple(_TYPES[name] for name in names)
    if len(tests) == 1:
        return tests[0]
    return lambda value: any(test(value) for test in tests)


def _properties(properties: Any, _: Mapping[str, Any]) -> Check:
    if not isinstance(properties, dict):
        raise NotCompilable("properties")
    compiled = tuple((name, compile_schema(sub)) for name, sub in properties.items())

    def check(value: Any) -> bool:
        if not isinstance(value, dict):
            return True
        for name, sub in compiled:  # noqa: SIM110 - a loop is faster than all() here
            if name in value and not sub(value[name]):
                return False
        return True

    return check


def _additional_properties(allowed: Any, schema: Mapping[str, Any]) -> Check | None:
    if allowed is True:
        return None
    if allowed is not False or "patternProperties" in schema:
        raise NotCompilable("additionalProperties")
    known = frozenset(schema.get("properties", {}))
    return lambda value: not isinstance(value, dict) or known.issuperset(value)


def _required(names: Any, _: Mapping[str, Any]) -> Check:
    required = frozenset(names)
    return lambda value: not isinstance(value, dict) or required.issubset(value)


def _enum(values: Any, _: Mapping[str, Any]) -> Check:
    # jsonschema's equality tells 1 from True; for strings it is plain ==.
    if not values or not all(isinstance(item, str) for item in values):
        raise NotCompilable("enum")
    allowed = frozenset(values)
    return lambda value: isinstance(value, str) and value in allowed


def _max_length(limit: Any, _: Mapping[str, Any]) -> Check:
    return lambda value: not isinstance(value, str) or len(value) <= limit


def _min_length(limit: Any, _: Mapping[str, Any]) -> Check:
    return lambda value: not isinstance(value, str) or len(value) >= limit


def _items(items: Any, _: Mapping[str, Any]) -> Check:
    if not isinstance(items, dict):
        raise NotCompilable("items")
    sub = compile_schema(items)

    def check(value: Any) -> bool:
        if not isinstance(value, list):
            return True
        for item in value:  # noqa: SIM110 - a loop is faster than all() here
            if not sub(item):
                return False
        return True

    return check


def _max_items(limit: Any, _: Mapping[str, Any]) -> Check:
    return lambda value: not isinstance(value, list) or len(value) <= limit


def _min_items(limit: Any, _: Mapping[str, Any]) -> Check:
    return lambda value: not isinstance(value, list) or len(value) >= limit


def _minimum(limit: Any, schema: Mapping[str, Any]) -> Check:
    if not _is_number(limit):
        raise NotCompilable("minimum")
    # Written as jsonschema's test, so NaN (which json.loads reads) passes as it does there.
    if schema.get("exclusiveMinimum", False):
        return lambda value: not _is_number(value) or not value <= limit
    return lambda value: not _is_number(value) or not value < limit


def _maximum(limit: Any, schema: Mapping[str, Any]) -> Check:
    if not _is_number(limit):
        raise NotCompilable("maximum")
    if schema.get("exclusiveMaximum", False):
        return lambda value: not _is_number(value) or not value >= limit
    return lambda value: not _is_number(value) or not value > limit


_BUILDERS: dict[str, Callable[[Any, Mapping[str, Any]], Check | None]] = {
    "type": _type,
    "properties": _properties,
    "additionalProperties": _additional_properties,
    "required": _required,
    "enum": _enum,
    "maxLength": _max_length,
    "minLength": _min_length,
    "items": _items,
    "maxItems": _max_items,
    "minItems": _min_items,
    "minimum": _minimum,
    "maximum": _maximum,
}
