"""What tests observe of a simulated charger of any OCPP version: its calls, boot, clock."""

from __future__ import annotations

import asyncio
from datetime import datetime

from .calllog import CallLog, Payload, Predicate
from .timeutil import SimClock


class Observed:
    """Mixin: the calls the central system made, the accepted boot, the charger's clock."""

    call_log: CallLog
    clock: SimClock
    _accepted: asyncio.Event

    @property
    def calls(self) -> list[tuple[str, Payload]]:
        """Every call the central system made, (action, payload), once answered."""
        return self.call_log.calls

    async def wait_for_call(
        self,
        action: str,
        timeout: float = 5.0,  # noqa: ASYNC109 - part of the test API
        predicate: Predicate | None = None,
    ) -> Payload:
        """Return the payload of the first unconsumed answered `action` call."""
        return await self.call_log.wait_for(action, timeout, predicate)

    async def wait_accepted(self, timeout: float | None = 5.0) -> None:  # noqa: ASYNC109
        """Wait until the boot is accepted and the first statuses are sent."""
        async with asyncio.timeout(timeout):
            await self._accepted.wait()

    def now(self) -> datetime:
        """The charger's clock: UTC now plus whatever `advance` added."""
        return self.clock.now()
