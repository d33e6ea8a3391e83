"""Typed forms of the `ocpp` library's `@on`/`@after` decorators (it ships them untyped)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from ocpp import routing


def on[F: Callable[..., Any]](action: str) -> Callable[[F], F]:
    """Register a handler for an incoming action."""
    return cast(Callable[[F], F], routing.on(action))


def after[F: Callable[..., Any]](action: str) -> Callable[[F], F]:
    """Register a hook that runs after an incoming action was answered."""
    return cast(Callable[[F], F], routing.after(action))
