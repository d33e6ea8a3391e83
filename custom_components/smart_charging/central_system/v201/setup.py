"""The setup of a 2.0.1 station once it may be called: read its device model, set up metering.

The same rules as for 1.6 (v16.setup.ChargerSetup: each step stands alone, a refusal is
an answer, a failure is tried again later with backoff), with the device model in place
of configuration keys.
"""

from __future__ import annotations

from collections.abc import Mapping
import logging
from typing import TYPE_CHECKING, Any

from ..capabilities import INT32_MAX, INT32_MIN
from ..device_model import DeviceVariable
from ..errors import TRANSIENT_CODES, ChargerRejectedError
from ..meter_values import ENERGY_IMPORT
from ..model import Capabilities
from ..session import ChargerSession
from ..v16.setup import WANTED_MEASURANDS, ChargerSetup
from .vocabulary import (
    ALIGNED_INTERVAL,
    ALIGNED_MEASURANDS,
    PERIODS_PER_SCHEDULE,
    RATE_UNIT,
    SMART_CHARGING_ENABLED,
    STACK_LEVEL,
    TX_UPDATED_INTERVAL,
    TX_UPDATED_MEASURANDS,
)

if TYPE_CHECKING:
    from .adapter import V201Adapter

_LOGGER = logging.getLogger(__name__)

_READ = (SMART_CHARGING_ENABLED, RATE_UNIT, STACK_LEVEL, PERIODS_PER_SCHEDULE)
# Outside transactions a 2.0.1 station meters only on the clock: the energy register every
# quarter-hour keeps the Energy dashboard's figure current between sessions.
ALIGNED_EVERY_SECONDS = 900
ALIGNED_DATA = ENERGY_IMPORT
# RateUnit lists "A", "W" (some stations write "Current"/"Power").
_RATE_UNITS = {"a": "A", "current": "A", "w": "W", "power": "W"}


def _integer(value: str | None) -> int | None:
    try:
        number = None if value is None else int(value.strip())
    except ValueError:
        return None
    return number if number is None or INT32_MIN <= number <= INT32_MAX else None


def capabilities_from_variables(values: Mapping[tuple[str, str], str | None]) -> Capabilities:
    """Capabilities from the SmartChargingCtrlr variables a station answered."""
    units = frozenset(
        _RATE_UNITS[item.strip().lower()]
        for item in (values.get(RATE_UNIT) or "").split(",")
        if item.strip().lower() in _RATE_UNITS
    )
    enabled = (values.get(SMART_CHARGING_ENABLED) or "true").strip().lower() != "false"
    return Capabilities(
        smart_charging=enabled,
        remote_trigger=True,
        rate_units=units or frozenset({"A", "W"}),
        max_stack_level=_integer(values.get(STACK_LEVEL)),
        max_periods=_integer(values.get(PERIODS_PER_SCHEDULE)),
        supported_measurands=WANTED_MEASURANDS,
        vendor_max_current={},  # the EVSEs' maxima come with the inventory
    )


def _name(result: Mapping[str, Any]) -> tuple[str, str]:
    return (str(result["component"]["name"]), str(result["variable"]["name"]))


class Setup201(ChargerSetup):
    """The setup steps of one 2.0.1 connection."""

    logger = _LOGGER
    # What the station is asked to sample during transactions and on the clock.
    measurands: tuple[str, ...] = WANTED_MEASURANDS
    aligned_data = ALIGNED_DATA

    def __init__(self, session: ChargerSession, adapter: V201Adapter) -> None:
        """Prepare the steps; nothing runs until `poke`."""
        super().__init__(session, adapter)
        self._station = adapter
        self._steps = {
            "device_model": self._read_device_model,
            "sampling": self._set_sampling,
            "inventory": self._ask_inventory,
            "security": self._secure,
        }

    async def _read_device_model(self) -> None:
        if self._session.state.capabilities is not None:
            return  # Read on an earlier connection (or before a restart).
        try:
            results = await self._station.get_variables(
                [DeviceVariable(*variable) for variable in _READ]
            )
        except ChargerRejectedError as error:
            if error.status in TRANSIENT_CODES:
                raise
            self._note("GetVariables", error.status)
            return
        self._note("GetVariables", None)
        values = {
            _name(result): result.get("attribute_value")
            for result in results
            if result.get("attribute_status") == "Accepted"
        }
        self._session.state.capabilities = capabilities_from_variables(values)
        self._session.save_capabilities()

    async def _set_sampling(self) -> None:
        wanted = (
            (TX_UPDATED_INTERVAL, str(self._session.settings.meter_interval)),
            (TX_UPDATED_MEASURANDS, ",".join(self.measurands)),
            (ALIGNED_INTERVAL, str(ALIGNED_EVERY_SECONDS)),
            (ALIGNED_MEASURANDS, self.aligned_data),
        )
        try:
            results = await self._station.set_variables(
                [(DeviceVariable(*variable), value) for variable, value in wanted]
            )
        except ChargerRejectedError as error:
            if error.status in TRANSIENT_CODES:
                raise
            for variable, _ in wanted:
                self._note(".".join(variable), error.status)
            return
        measurands_refused = False
        for result in results:
            status = str(result.get("attribute_status"))
            refusal = None if status in {"Accepted", "RebootRequired"} else status
            if _name(result) == TX_UPDATED_MEASURANDS and refusal is not None:
                measurands_refused = True
            else:
                self._note(".".join(_name(result)), refusal)
        if measurands_refused:
            await self._grow_measurands()

    async def _grow_measurands(self) -> None:
        """One measurand the station lacks refuses the list: keep those it takes, one by one."""
        key = ".".join(TX_UPDATED_MEASURANDS)
        working: list[str] = []
        refused: list[str] = []
        for measurand in self.measurands:
            results = await self._station.set_variables(
                [(DeviceVariable(*TX_UPDATED_MEASURANDS), ",".join([*working, measurand]))]
            )
            statuses = {
                str(result.get("attribute_status"))
                for result in results
                if _name(result) == TX_UPDATED_MEASURANDS
            }
            if statuses and statuses <= {"Accepted", "RebootRequired"}:
                working.append(measurand)
            else:
                refused.append(measurand)
        self._note(key, None if working else "Rejected")
        if refused:
            _LOGGER.info("%s: measurands refused: %s", self._session.charger_id, ", ".join(refused))

    async def _ask_inventory(self) -> None:
        # Once: the EVSEs and their maximum arrive in NotifyReport parts (charge_point).
        capabilities = self._session.state.capabilities
        if capabilities is None or capabilities.number_of_connectors is not None:
            return
        try:
            await self._station.get_base_report()
        except ChargerRejectedError as error:
            if error.status in TRANSIENT_CODES:
                raise
            self._note("GetBaseReport", error.status)
