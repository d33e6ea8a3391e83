"""An edge-triggered wake-up shared by any number of waiters."""

from __future__ import annotations

import asyncio


class Wakeup:
    """Wake every current waiter on `fire()`; later waiters wait for the next one."""

    def __init__(self) -> None:
        """Start with nobody woken."""
        self._event = asyncio.Event()

    def fire(self) -> None:
        """Wake everybody waiting now."""
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self) -> None:
        """Wait for the next `fire()`."""
        await self._event.wait()

    async def wait_at_most(self, seconds: float | None) -> bool:
        """Wait for the next `fire()`; return False if `seconds` pass first (None: forever)."""
        event = self._event
        try:
            async with asyncio.timeout(seconds):
                await event.wait()
        except TimeoutError:
            return False
        return True
