"""Turn OCPP sampled values into normalised readings on a connector.

Handles every unit the spec allows (Wh, kWh, W, kW, A, V, Percent, Celsius, K,
Fahrenheit, var, kvar, varh, kvarh), phases written as "L1" or "L1-N", values sent as
strings (1.6) or numbers (2.x), and per-phase power or current with no total. A value
whose unit does not fit its measurand is left out (see `units`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
import logging
import math
from typing import Any

from .model import ConnectorState, PhaseValues
from .timestamps import parse_timestamp
from .units import unit_fits

_LOGGER = logging.getLogger(__name__)

ENERGY_IMPORT = "Energy.Active.Import.Register"
ENERGY_EXPORT = "Energy.Active.Export.Register"
POWER_IMPORT = "Power.Active.Import"
POWER_EXPORT = "Power.Active.Export"
CURRENT_IMPORT = "Current.Import"
CURRENT_EXPORT = "Current.Export"
CURRENT_OFFERED = "Current.Offered"
POWER_OFFERED = "Power.Offered"
VOLTAGE = "Voltage"
SOC = "SoC"
TEMPERATURE = "Temperature"
FREQUENCY = "Frequency"

# Factor and base unit for every unit of measure the spec lists.
_SCALE: dict[str, tuple[float, str]] = {
    "Wh": (1.0, "Wh"),
    "kWh": (1000.0, "Wh"),
    "varh": (1.0, "varh"),
    "kvarh": (1000.0, "varh"),
    "W": (1.0, "W"),
    "kW": (1000.0, "W"),
    "var": (1.0, "var"),
    "kvar": (1000.0, "var"),
    "A": (1.0, "A"),
    "V": (1.0, "V"),
    "Percent": (1.0, "Percent"),
    "Celsius": (1.0, "Celsius"),
    "Celcius": (1.0, "Celsius"),
}
_DEFAULT_UNIT = {
    ENERGY_IMPORT: "Wh",
    ENERGY_EXPORT: "Wh",
    POWER_IMPORT: "W",
    POWER_EXPORT: "W",
    POWER_OFFERED: "W",
    CURRENT_IMPORT: "A",
    CURRENT_EXPORT: "A",
    CURRENT_OFFERED: "A",
    VOLTAGE: "V",
    SOC: "Percent",
    TEMPERATURE: "Celsius",
}
# The finest resolution kept per base unit (decimals): values are rounded to it, or to the
# resolution they were sent with if coarser, so 7.36 kW is 7360 W, not 7360.000000000001.
_MAX_DECIMALS = {"Wh": 1, "varh": 1, "W": 1, "var": 1, "A": 2, "V": 1, "Percent": 1, "Celsius": 1}
_DEFAULT_MAX_DECIMALS = 3
_UNFIT_MARK = " (unit does not fit: ignored)"
_PHASE_INDEX = {"L1": 0, "L1-N": 0, "L2": 1, "L2-N": 1, "L3": 2, "L3-N": 2}


@dataclass(slots=True, frozen=True)
class Sample:
    """One sampled value, parsed and converted to its base unit."""

    measurand: str
    value: float
    unit: str
    phase: str | None
    location: str | None
    context: str | None
    # How many decimals the value carries in its base unit (not part of its identity).
    decimals: int = field(default=_DEFAULT_MAX_DECIMALS, compare=False)


def parse_sample(raw: Mapping[str, Any]) -> Sample | None:
    """Parse one sampledValue (snake_case keys).

    None when it is not numeric or its unit does not fit its measurand.
    """
    sample = _read_sample(raw)
    if sample is None or not unit_fits(sample.measurand, sample.unit):
        return None
    return _to_base_unit(sample)


def _read_sample(raw: Mapping[str, Any]) -> Sample | None:
    """The sampled value as sent (a missing unit is the measurand's default)."""
    measurand = str(raw.get("measurand") or ENERGY_IMPORT)
    if raw.get("format") == "SignedData":
        return None
    # 2.x: the unit and a power-of-ten multiplier in unitOfMeasure.
    measure = raw.get("unit_of_measure")
    measure = measure if isinstance(measure, Mapping) else {}
    try:
        exact = Decimal(str(raw["value"]).strip()).scaleb(int(measure.get("multiplier") or 0))
    except (KeyError, ArithmeticError, ValueError):
        return None
    if not exact.is_finite() or not math.isfinite(float(exact)):
        return None
    exponent = exact.as_tuple().exponent
    return Sample(
        measurand=measurand,
        value=float(exact),
        decimals=max(0, -exponent) if isinstance(exponent, int) else 0,
        unit=raw.get("unit") or measure.get("unit") or _DEFAULT_UNIT.get(measurand, ""),
        phase=raw.get("phase"),
        location=raw.get("location"),
        context=raw.get("context"),
    )


def _to_base_unit(sample: Sample) -> Sample:
    value, unit, decimals = sample.value, sample.unit, sample.decimals
    if unit == "Fahrenheit":
        value, unit, decimals = (value - 32) * 5 / 9, "Celsius", decimals + 1
    elif unit == "K":
        value, unit, decimals = value - 273.15, "Celsius", max(decimals, 2)
    elif unit in _SCALE:
        factor, unit = _SCALE[unit]
        value *= factor
        decimals -= round(math.log10(factor))
    decimals = max(0, min(decimals, _MAX_DECIMALS.get(unit, _DEFAULT_MAX_DECIMALS)))
    return replace(sample, value=round(value, decimals), unit=unit, decimals=decimals)


def _raw_key(sample: Sample) -> str:
    return f"{sample.measurand}/{sample.phase or '-'}/{sample.location or '-'}"


@dataclass(slots=True)
class MeterReading:
    """The readings of one meterValue element, ready to apply to a connector."""

    timestamp: datetime | None
    samples: list[Sample]
    # Values left out because their unit does not fit their measurand, as sent.
    unfit: list[Sample] = field(default_factory=list)

    def total(self, measurand: str) -> float | None:
        """Return the unphased value, else the sum of the phases."""
        phased: list[Sample] = []
        for sample in self._preferred(measurand):
            if sample.phase is None:
                return sample.value
            if sample.phase in _PHASE_INDEX:
                phased.append(sample)
        if not phased:
            return None
        decimals = max(sample.decimals for sample in phased)
        return round(sum(sample.value for sample in phased), decimals)

    def phases(self, measurand: str) -> PhaseValues | None:
        """Return the per-phase values (phase-to-neutral), or None if none were sent."""
        values: list[float | None] = [None, None, None]
        for sample in self._preferred(measurand):
            index = _PHASE_INDEX.get(sample.phase or "")
            if index is not None:
                values[index] = sample.value
        if all(value is None for value in values):
            return None
        return PhaseValues(*values)

    def _preferred(self, measurand: str) -> list[Sample]:
        """Samples of a measurand, preferring the outlet over the inlet and the EV."""
        matching = [sample for sample in self.samples if sample.measurand == measurand]
        for location in ("Outlet", None, "Inlet", "Body", "EV", "Cable"):
            chosen = [sample for sample in matching if sample.location == location]
            if chosen:
                return chosen
        return matching


def parse_meter_values(meter_value: Iterable[Mapping[str, Any]]) -> list[MeterReading]:
    """Parse a MeterValues/StopTransaction `meter_value` list, oldest first."""
    readings: list[MeterReading] = []
    for element in meter_value:
        reading = MeterReading(parse_timestamp(element.get("timestamp")), [])
        for raw in element.get("sampled_value") or []:
            sample = _read_sample(raw)
            if sample is None:
                continue
            if unit_fits(sample.measurand, sample.unit):
                reading.samples.append(_to_base_unit(sample))
            else:
                reading.unfit.append(sample)
        readings.append(reading)
    readings.sort(key=lambda reading: (reading.timestamp is None, reading.timestamp))
    return readings


def apply_reading(
    connector: ConnectorState, reading: MeterReading, session_ended: datetime | None = None
) -> float | None:
    """Update a connector's live values; return the energy register reading (Wh) if any.

    Readings older than the newest already applied, or taken until `session_ended` (the
    end of the connector's last session: a reading of it replayed after its stop), only
    contribute their energy register (which the register guard judges by timestamp).
    """
    for sample in reading.unfit:
        _note_unfit(connector, sample)
    energy = reading.total(ENERGY_IMPORT)
    taken = reading.timestamp
    is_stale = taken is not None and (
        (connector.meter_timestamp is not None and taken < connector.meter_timestamp)
        or (session_ended is not None and taken <= session_ended)
    )
    if is_stale:
        return energy
    for sample in reading.samples:
        connector.raw_measurements[_raw_key(sample)] = f"{sample.value:g} {sample.unit}".strip()
    if reading.timestamp is not None:
        connector.meter_timestamp = reading.timestamp
    _apply_totals(connector, reading)
    _apply_phases(connector, reading)
    return energy


def _note_unfit(connector: ConnectorState, sample: Sample) -> None:
    """Show an unfit value in the diagnostics; log a measurand and unit the first time only."""
    mark = f" {sample.unit}{_UNFIT_MARK}"
    seen = any(
        key.startswith(f"{sample.measurand}/") and text.endswith(mark)
        for key, text in connector.raw_measurements.items()
    )
    connector.raw_measurements[_raw_key(sample)] = f"{sample.value:g}{mark}"
    if not seen:
        _LOGGER.warning(
            "Connector %s: %s sent in %s, a unit that does not fit it; such values are ignored",
            connector.connector_id,
            sample.measurand,
            sample.unit,
        )


def _net(imported: float | None, exported: float | None) -> float | None:
    """Import minus export: negative while a car discharges.

    Some stations show a discharge as a negative import instead: that is already net.
    """
    if exported is None or (imported is not None and imported < 0):
        return imported
    return (imported or 0.0) - exported


def _apply_totals(connector: ConnectorState, reading: MeterReading) -> None:
    if (power := _net(reading.total(POWER_IMPORT), reading.total(POWER_EXPORT))) is not None:
        connector.power = power
    if (offered := reading.total(CURRENT_OFFERED)) is not None:
        connector.current_offered = offered
    if (power_offered := reading.total(POWER_OFFERED)) is not None:
        connector.power_offered = power_offered
    if (soc := reading.total(SOC)) is not None:
        connector.soc = soc
    if (temperature := reading.total(TEMPERATURE)) is not None:
        connector.temperature = temperature
    if (frequency := reading.total(FREQUENCY)) is not None:
        connector.frequency = frequency


def _apply_phases(connector: ConnectorState, reading: MeterReading) -> None:
    # Current: per phase where given; the headline value is the highest phase,
    # which is what "charging at 16 A" means on both 1- and 3-phase cars.
    # While discharging (export), negative: the phase that gives most is the headline.
    if (currents := _net_phases(reading)) is not None:
        connector.current_phases = currents
        known = currents.known()
        connector.current_import = max(known) if max(known) > 0 else min(known)
    elif (
        current := _net(reading.total(CURRENT_IMPORT), reading.total(CURRENT_EXPORT))
    ) is not None:
        connector.current_import = current
    if (voltages := reading.phases(VOLTAGE)) is not None:
        connector.voltage_phases = voltages
        known = voltages.known()
        connector.voltage = round(sum(known) / len(known), _MAX_DECIMALS["V"])
    elif (voltage := reading.total(VOLTAGE)) is not None:
        connector.voltage = voltage


def _net_phases(reading: MeterReading) -> PhaseValues | None:
    imported, exported = reading.phases(CURRENT_IMPORT), reading.phases(CURRENT_EXPORT)
    if exported is None:
        return imported
    pairs = zip((imported or PhaseValues()).as_tuple(), exported.as_tuple(), strict=True)
    return PhaseValues(*(None if i is None and e is None else _net(i, e) for i, e in pairs))


def stop_flow(connector: ConnectorState) -> None:
    """The session is over: nothing flows until the next reading says otherwise.

    Chargers rarely send a last MeterValues of 0 after StopTransaction; without this,
    power and current would show the session's last values until the next session (and
    the load balancer would count a car that has left).
    """
    if connector.power is not None:
        connector.power = 0.0
    if connector.current_import is not None:
        connector.current_import = 0.0
    phases = connector.current_phases
    connector.current_phases = PhaseValues(
        *(None if value is None else 0.0 for value in phases.as_tuple())
    )
