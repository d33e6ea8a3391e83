"""Build the library's payload dataclasses from plain snake_case values.

The `ocpp` dataclasses type nested fields as dataclasses and enums, while its
serializer takes dicts and strings as well; building through `build` keeps
`mypy --strict` quiet without converting every nested dict.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def build[T](payload_class: Callable[..., T], **fields: Any) -> T:
    """Return `payload_class(**fields)`; the JSON schema checks the values on sending."""
    return payload_class(**fields)
