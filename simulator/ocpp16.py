"""Typed facade over the untyped `ocpp` library (OCPP 1.6J side).

The library ships no type information; every `type: ignore` for it lives here so
the rest of the package stays `mypy --strict` clean with or without a project
override for `ocpp.*`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar, cast

from ocpp.exceptions import OCPPError  # type: ignore[import-untyped, unused-ignore]
from ocpp.routing import on as _on  # type: ignore[import-untyped, unused-ignore]
from ocpp.v16 import (  # type: ignore[import-untyped, unused-ignore]
    ChargePoint as _ChargePoint,
    call,
    call_result,
    datatypes,
    enums,
)

__all__ = [
    "ChargePoint",
    "Connection",
    "OCPPError",
    "call",
    "call_result",
    "datatypes",
    "enums",
    "on",
]

_Handler = TypeVar("_Handler", bound=Callable[..., Any])


def on(action: str) -> Callable[[_Handler], _Handler]:
    """Mark a method as the handler of `action` (typed `ocpp.routing.on`)."""
    decorator = _on(action)  # type: ignore[no-untyped-call, unused-ignore]
    return cast("Callable[[_Handler], _Handler]", decorator)


class Connection(Protocol):
    """What the library needs from a transport: whole text frames in and out."""

    async def recv(self) -> str:
        """Return the next text frame."""
        ...

    async def send(self, message: str) -> None:
        """Send one text frame."""
        ...


class ChargePoint(_ChargePoint):  # type: ignore[misc, unused-ignore]
    """`ocpp.v16.ChargePoint` with typed entry points."""

    def __init__(
        self, charge_point_id: str, connection: Connection, response_timeout: float = 30
    ) -> None:
        """Bind the library's router to `connection`."""
        super().__init__(charge_point_id, connection, response_timeout)  # type: ignore[no-untyped-call, unused-ignore]

    async def request(self, payload: object) -> Any:
        """Send a call and return the typed call result; a CallError raises OCPPError."""
        return await self.call(payload, suppress=False)  # type: ignore[no-untyped-call, unused-ignore]

    async def serve(self) -> None:
        """Receive and route frames until the connection raises."""
        await self.start()  # type: ignore[no-untyped-call, unused-ignore]
