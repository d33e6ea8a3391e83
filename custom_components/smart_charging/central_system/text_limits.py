"""The longest texts a protocol version takes in the commands users send."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields


@dataclass(frozen=True, slots=True)
class TextLimits:
    """Maximum lengths (characters) of user-given texts, per field."""

    configuration_key: int
    configuration_value: int
    vendor_id: int
    message_id: int


def widest(limits: Iterable[TextLimits]) -> TextLimits:
    """Return, field by field, the longest limit of any version."""
    every = list(limits)
    return TextLimits(
        **{
            field.name: max(getattr(each, field.name) for each in every)
            for field in fields(TextLimits)
        }
    )
