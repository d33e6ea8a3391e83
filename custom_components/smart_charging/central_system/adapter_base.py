"""What every version's adapter does the same: serve the connection, run the setup, call.

Subclasses build their version's charge point and setup, and add the commands.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from ocpp.exceptions import OCPPError

from .connection import ConnectionClosedError
from .errors import (
    ChargerNotSupportedError,
    ChargerOfflineError,
    ChargerRejectedError,
    ChargerTimeoutError,
)
from .limits import ChargingLimit
from .session import ChargerSession

_ACCEPTED = {"Accepted", "RebootRequired"}


class ChargePointLike(Protocol):
    """The part of our `ocpp` charge points the adapter uses."""

    on_answered: Callable[[], None]

    async def start(self) -> None:
        """Serve frames until the connection closes."""

    async def call(self, payload: Any, suppress: bool = True) -> Any:
        """Send a CALL and return its result."""


class SetupLike(Protocol):
    """A version's setup: steps run after the charger's messages are answered."""

    def poke(self) -> asyncio.Task[None] | None:
        """Run what is still to do; return the task started."""


class ConnectionAdapter:
    """One connection of a charger: its lifecycle and the calls to it."""

    def __init__(
        self, session: ChargerSession, connection: Any, charge_point: ChargePointLike
    ) -> None:
        """Wrap a connection (anything with async recv/send) and its charge point."""
        self.session = session
        self._charge_point = charge_point
        self._connection = connection
        self._tasks: set[asyncio.Task[None]] = set()
        self._setup: SetupLike | None = None
        charge_point.on_answered = self._answered

    # --- lifecycle -----------------------------------------------------------------

    async def run(self) -> None:
        """Serve the connection until it closes."""
        try:
            await self._charge_point.start()
        except ConnectionClosedError:
            pass
        finally:
            # Setup still running for a closed connection has nothing left to talk to.
            tasks = list(self._tasks)
            for task in tasks:
                task.cancel()
            if tasks:
                # wait(), unlike gather(return_exceptions), leaves a real error visible.
                await asyncio.wait(tasks)

    async def close(self) -> None:
        """Close the connection."""
        await self._connection.close()

    def _answered(self) -> None:
        # Nothing goes to a charger before it may answer; then a later message retries
        # what failed.
        self.session.message_answered()
        if not self.session.ready or self._setup is None:
            return
        task = self._setup.poke()
        if task is not None:
            self._track(task)

    def _track(self, task: asyncio.Task[None]) -> None:
        """Keep a task of this connection: it is cancelled when the connection ends."""
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- direction: charge only before OCPP 2.1 ---------------------------------------

    def _check_direction(self, limit: ChargingLimit) -> None:
        """Refuse a discharge: bidirectional charging came with OCPP 2.1."""
        if limit.discharge:
            raise ChargerNotSupportedError(self.session.charger_id, "discharging (OCPP 2.1)")

    async def allow_discharge(self, connector_id: int, allowed: bool) -> None:
        """Tell the charger whether the car on a connector may discharge (2.1 only)."""

    # --- calls ---------------------------------------------------------------------

    async def _call(self, payload: Any) -> Any:
        action = type(payload).__name__
        try:
            return await self._charge_point.call(payload, suppress=False)
        except TimeoutError as error:
            raise ChargerTimeoutError(self.session.charger_id, action) from error
        except OCPPError as error:
            code = str(getattr(error, "code", "CALLERROR"))
            raise ChargerRejectedError(self.session.charger_id, action, code) from error
        except ConnectionClosedError as error:
            raise ChargerOfflineError(self.session.charger_id) from error

    async def _install_by_purpose(
        self, scope: str, purposes: Sequence[str], install: Callable[[str], Awaitable[object]]
    ) -> None:
        """Install through the first purpose the charger accepts and remember it for `scope`.

        `install(purpose)` sends the version's SetChargingProfile; the last refusal raises.
        """
        for attempt, purpose in enumerate(purposes, start=1):
            try:
                await install(purpose)
            except ChargerRejectedError:
                if attempt == len(purposes):
                    raise
            else:
                if self.session.limit_purposes.get(scope) != purpose:
                    self.session.limit_purposes[scope] = purpose
                    self.session.save_capabilities()
                return

    async def _expect(self, payload: Any, accepted: set[str] | None = None) -> str:
        result = await self._call(payload)
        status = str(result.status)
        if status not in (accepted or _ACCEPTED):
            raise ChargerRejectedError(self.session.charger_id, type(payload).__name__, status)
        return status
