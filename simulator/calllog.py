"""A log of OCPP calls that tests can wait on."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from .wakeup import Wakeup

Payload = dict[str, Any]
Predicate = Callable[[Payload], bool]


class CallLog:
    """Every call received, in order, each consumable once by `wait_for`."""

    def __init__(self) -> None:
        """Start empty."""
        self.calls: list[tuple[str, Payload]] = []
        self._consumed: set[int] = set()
        self._appended = Wakeup()

    def record(self, action: str, payload: Payload) -> None:
        """Append a handled call and wake the waiters."""
        self.calls.append((action, payload))
        self._appended.fire()

    def consume_all(self) -> None:
        """Mark every call recorded so far as consumed: later waits see only new ones."""
        self._consumed.update(range(len(self.calls)))

    def actions(self) -> list[str]:
        """Return the actions in the order they were recorded."""
        return [action for action, _ in self.calls]

    async def wait_for(
        self,
        action: str,
        timeout: float = 5.0,  # noqa: ASYNC109 - part of the requested test API
        predicate: Predicate | None = None,
    ) -> Payload:
        """Return the first unconsumed `action` payload matching `predicate`.

        Raises TimeoutError when none is recorded within `timeout` seconds.
        """
        async with asyncio.timeout(timeout):
            while True:
                found = self._take(action, predicate)
                if found is not None:
                    return found
                await self._appended.wait()

    def _take(self, action: str, predicate: Predicate | None) -> Payload | None:
        for index, (name, payload) in enumerate(self.calls):
            if index in self._consumed or name != action:
                continue
            if predicate is None or predicate(payload):
                self._consumed.add(index)
                return payload
        return None
