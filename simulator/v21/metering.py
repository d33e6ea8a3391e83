"""A bidirectional EVSE's meter: two registers, power and current both ways, the setpoint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..meter import CURRENT, ENERGY, OFFERED, POWER, SOC, VOLTAGE
from ..v201.evse import Reading

EXPORT_ENERGY = "Energy.Active.Export.Register"
EXPORT_POWER = "Power.Active.Export"
EXPORT_CURRENT = "Current.Export"
SETPOINT = "Power.Active.Setpoint"
MEASURANDS = (
    ENERGY,
    EXPORT_ENERGY,
    POWER,
    EXPORT_POWER,
    CURRENT,
    EXPORT_CURRENT,
    OFFERED,
    VOLTAGE,
    SOC,
    SETPOINT,
)
_UNITS = {ENERGY: "Wh", EXPORT_ENERGY: "Wh", SOC: "Percent", VOLTAGE: "V"}
_UNITS.update(dict.fromkeys((POWER, EXPORT_POWER, SETPOINT), "W"))
_UNITS.update(dict.fromkeys((CURRENT, EXPORT_CURRENT, OFFERED), "A"))


@dataclass(frozen=True)
class BidiReading(Reading):
    """What the meter shows now: `register_wh` is the import register, `draw_a` signed.

    `phase_w`: W per phase (DC: one), negative when discharging; `setpoint`: the W the EVSE
    asks the car for. With `signed_power` Power.Active.Import goes negative when
    discharging and there is no Power.Active.Export (as some stations report it).
    """

    export_wh: float = 0.0
    phase_w: tuple[float, ...] = ()
    setpoint: float = 0.0
    signed_power: bool = False

    def samples(self, measurand: str, context: str) -> list[dict[str, Any]]:
        """The sampledValues of one measurand (none when it has no value now)."""
        total = sum(self.phase_w)
        if measurand in (CURRENT, EXPORT_CURRENT):
            sign = 1 if measurand == CURRENT else -1
            if self.dc:
                return [_sample(measurand, max(0.0, sign * total / self.voltage), context)]
            return [
                _sample(measurand, max(0.0, sign * watts / self.voltage), context, f"L{n}")
                for n, watts in enumerate(self.phase_w, start=1)
            ]
        if measurand == POWER and self.signed_power:
            return [_sample(measurand, total, context)]
        if measurand == EXPORT_POWER and self.signed_power:
            return []
        if measurand == SOC:
            return [] if self.soc is None else [_sample(SOC, self.soc, context, location="EV")]
        number = {
            ENERGY: self.register_wh,
            EXPORT_ENERGY: self.export_wh,
            POWER: max(0.0, total),
            EXPORT_POWER: max(0.0, -total),
            OFFERED: self.offered_a,
            VOLTAGE: self.voltage,
            SETPOINT: self.setpoint,
        }[measurand]
        return [_sample(measurand, number, context)]


def _sample(
    measurand: str,
    value: float,
    context: str,
    phase: str | None = None,
    location: str | None = None,
) -> dict[str, Any]:
    sample: dict[str, Any] = {
        "value": round(value, 3) + 0.0,  # no -0.0
        "context": context,
        "measurand": measurand,
        "unit_of_measure": {"unit": _UNITS[measurand]},
    }
    if phase is not None:
        sample["phase"] = phase
    if location is not None:
        sample["location"] = location
    return sample
