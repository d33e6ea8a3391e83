"""Reports a 2.0.1 station streams after a request: parts by requestId, the last without tbc.

GetChargingProfiles is answered with a status first; the profiles follow in one
ReportChargingProfiles per EVSE and charging-limit source, `tbc` on all but the last.
"""

from __future__ import annotations

import asyncio
from typing import Any


class ReportCollector:
    """Waits for the parts of the reports asked for; parts of unknown requests are ignored."""

    def __init__(self) -> None:
        """Nothing awaited yet."""
        self._awaited: dict[int, tuple[list[dict[str, Any]], asyncio.Future[None]]] = {}

    def expect(self, request_id: int) -> None:
        """Collect the parts of `request_id` from now on (before the request goes out)."""
        self._awaited[request_id] = ([], asyncio.get_running_loop().create_future())

    def add(self, request_id: int, part: dict[str, Any], *, more: bool) -> bool:
        """Take one part; return whether it belonged to a request we await."""
        awaited = self._awaited.get(request_id)
        if awaited is None:
            return False
        parts, done = awaited
        parts.append(part)
        if not more and not done.done():
            done.set_result(None)
        return True

    async def parts(self, request_id: int) -> list[dict[str, Any]]:
        """The parts of `request_id`, once the last came."""
        parts, done = self._awaited[request_id]
        await done
        return parts

    def forget(self, request_id: int) -> None:
        """Stop collecting `request_id` (the station refused, or nothing more is wanted)."""
        self._awaited.pop(request_id, None)
