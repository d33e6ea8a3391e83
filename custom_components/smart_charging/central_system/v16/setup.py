"""The setup of a 1.6 charger once it may be called: read its capabilities, set up metering.

Each step stands alone. A refusal (a status, or a CALLERROR other than a passing trouble)
is an answer: it is kept on the charger's state and not asked again on this connection.
A step that failed otherwise (no answer, InternalError...) is tried again on a later
message of the charger, after a wait that doubles with each failure.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import logging

from ..adapter import ChargerAdapter
from ..capabilities import CAPABILITY_KEYS, parse_capabilities
from ..charger_maximum import parse_vendor_maximum, vendor_keys
from ..errors import TRANSIENT_CODES, ChargerOfflineError, ChargerRejectedError, ChargerTimeoutError
from ..meter_values import (
    CURRENT_IMPORT,
    CURRENT_OFFERED,
    ENERGY_IMPORT,
    POWER_IMPORT,
    SOC,
    TEMPERATURE,
    VOLTAGE,
)
from ..session import ChargerSession
from .vocabulary import SAMPLE_INTERVAL

_LOGGER = logging.getLogger(__name__)

# What we ask chargers to sample, most important first.
WANTED_MEASURANDS = (
    ENERGY_IMPORT,
    POWER_IMPORT,
    CURRENT_IMPORT,
    CURRENT_OFFERED,
    VOLTAGE,
    SOC,
    TEMPERATURE,
)
SAMPLED_DATA = "MeterValuesSampledData"
# How a refused read of the vendor keys shows among the refused keys.
VENDOR_MAXIMUM = "GetConfiguration[vendor maximum]"
# The longest wait between two tries of a failed step (s).
MAX_RETRY_INTERVAL = 1800.0


class ChargerSetup:
    """The setup steps of one connection, what is done of them, and when to try again."""

    # Each version's setup logs under its own name.
    logger = _LOGGER

    def __init__(self, session: ChargerSession, adapter: ChargerAdapter) -> None:
        """Prepare the steps; nothing runs until `poke`."""
        self._session = session
        self._adapter = adapter
        self._steps: dict[str, Callable[[], Awaitable[None]]] = {
            "capabilities": self._read_capabilities,
            "sample_interval": self._set_sample_interval,
            "sampled_data": self._set_sampled_data,
            "vendor_maximum": self._read_vendor_maximum,
            "security": self._secure,
        }
        self._done: set[str] = set()
        self._task: asyncio.Task[None] | None = None
        self._failures = 0
        self._retry_at = 0.0

    @property
    def complete(self) -> bool:
        """Return whether every step succeeded or was refused."""
        return self._done.issuperset(self._steps)

    def poke(self) -> asyncio.Task[None] | None:
        """Run the steps still to do, unless running or waiting; return the task started."""
        loop = asyncio.get_running_loop()
        if self.complete or self._task is not None or loop.time() < self._retry_at:
            return None
        task = self._task = loop.create_task(self._run())
        task.add_done_callback(self._ended)
        return task

    def _ended(self, _task: asyncio.Task[None]) -> None:
        self._task = None

    async def _run(self) -> None:
        failed: list[str] = []
        for name, step in self._steps.items():
            if name in self._done:
                continue
            try:
                await step()
            except ChargerOfflineError:
                return  # The connection is gone; the next one starts over.
            except (ChargerTimeoutError, ChargerRejectedError) as error:
                failed.append(error.detail)
            else:
                self._done.add(name)
        if failed:
            self._failures += 1
            interval = self._session.settings.setup_retry_interval
            doubled = interval * 2 ** min(self._failures - 1, 16)
            wait = min(doubled, max(interval, MAX_RETRY_INTERVAL))
            self._retry_at = asyncio.get_running_loop().time() + wait
            # Once a connection: a charger that keeps failing would fill the log.
            log = self.logger.warning if self._failures == 1 else self.logger.debug
            log(
                "%s: setup incomplete (%s); tried again on a message after %.0f s",
                self._session.charger_id,
                "; ".join(failed),
                wait,
            )
        self._session.setup_finished()

    async def _secure(self) -> None:
        """Install a waiting password; keep the profile a TLS connection reached."""
        await self._session.install_password()
        await self._adapter.keep_security_profile(self._session.state.security_profile or 0)

    async def _change(self, key: str, value: str) -> str | None:
        """Change a key: None when accepted, else the charger's refusal."""
        try:
            await self._adapter.change_configuration(key, value)
        except ChargerRejectedError as error:
            if error.status in TRANSIENT_CODES:
                raise
            return error.status
        return None

    def _note(self, key: str, refusal: str | None) -> None:
        refused = self._session.state.refused_configuration
        if refusal is None:
            refused.pop(key, None)
        else:
            self.logger.info("%s: %s refused: %s", self._session.charger_id, key, refusal)
            refused[key] = refusal

    async def _read_capabilities(self) -> None:
        if self._session.state.capabilities is not None:
            return  # Read on an earlier connection (or before a restart).
        try:
            answer = await self._adapter.get_configuration(list(CAPABILITY_KEYS))
        except ChargerRejectedError as error:
            if error.status in TRANSIENT_CODES:
                raise
            self._note("GetConfiguration", error.status)
            return
        self._note("GetConfiguration", None)
        self._session.state.capabilities = parse_capabilities(answer["configuration_key"])
        self._session.save_capabilities()

    async def _read_vendor_maximum(self) -> None:
        # Apart from the capabilities: a charger may limit the keys per request.
        capabilities = self._session.state.capabilities
        if capabilities is None or capabilities.vendor_max_current is not None:
            return  # Read once, like the capabilities.
        connectors = capabilities.number_of_connectors or 1
        try:
            answer = await self._adapter.get_configuration(vendor_keys(connectors))
        except ChargerRejectedError as error:
            if error.status in TRANSIENT_CODES:
                raise
            self._note(VENDOR_MAXIMUM, error.status)
            capabilities.vendor_max_current = {}
        else:
            self._note(VENDOR_MAXIMUM, None)
            capabilities.vendor_max_current = parse_vendor_maximum(answer["configuration_key"])
        self._session.save_capabilities()

    async def _set_sample_interval(self) -> None:
        interval = str(self._session.settings.meter_interval)
        self._note(SAMPLE_INTERVAL, await self._change(SAMPLE_INTERVAL, interval))

    async def _set_sampled_data(self) -> None:
        # Ask for everything wanted: MeterValuesSampledData holds what the charger samples
        # now, not what it supports, so it cannot narrow the list.
        refused: dict[str, str] = {}
        if await self._change(SAMPLED_DATA, ",".join(WANTED_MEASURANDS)) is not None:
            # One unsupported measurand rejects the whole list: grow the list one at a time,
            # keeping each measurand the charger accepts; the last accepted list stays set.
            working: list[str] = []
            for measurand in WANTED_MEASURANDS:
                refusal = await self._change(SAMPLED_DATA, ",".join([*working, measurand]))
                if refusal is None:
                    working.append(measurand)
                else:
                    refused[f"{SAMPLED_DATA}[{measurand}]"] = refusal
        state = self._session.state
        state.refused_configuration = {
            key: value
            for key, value in state.refused_configuration.items()
            if not key.startswith(f"{SAMPLED_DATA}[")
        } | refused
        if refused:
            _LOGGER.info("%s: measurands refused: %s", self._session.charger_id, ", ".join(refused))
