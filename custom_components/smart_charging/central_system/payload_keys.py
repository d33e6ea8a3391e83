"""A CALL's payload keys in snake_case, as the `ocpp` library spells them, with a cache.

The library converts every key with two regular expressions on every frame, about a
third of what a meter-value message costs us. The same few dozen keys come again and
again, so each is converted once by the library's own function and remembered.
"""

from __future__ import annotations

from functools import lru_cache
from types import MappingProxyType
from typing import Any

from ocpp.charge_point import camel_to_snake_case

# Keys are bounded by the schemas, except inside free-form objects (2.0.1 customData).
_CACHED_KEYS = 2048


@lru_cache(maxsize=_CACHED_KEYS)
def _snake_key(key: str) -> str:
    converted: dict[str, Any] = camel_to_snake_case({key: None})
    return next(iter(converted))


def _snake(data: Any) -> Any:
    if isinstance(data, dict):
        return {_snake_key(key): _snake(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_snake(item) for item in data]
    return data


def snake_case_payload(payload: Any) -> Any:
    """`payload` converted as the library would, in a read-only mapping it passes through.

    The library converts only dicts and lists and hands anything else to the handler as
    it is; a handler's `**payload` takes any mapping.
    """
    converted = _snake(payload)
    return MappingProxyType(converted) if isinstance(converted, dict) else converted
