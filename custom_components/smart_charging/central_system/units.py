"""Which units of measure fit which measurand (OCPP 1.6 Measurand and UnitOfMeasure).

A value in a unit that does not fit its measurand (power in Wh, say) cannot be
converted into anything meaningful, so it is left out.
"""

from __future__ import annotations

_ACTIVE_ENERGY = frozenset({"Wh", "kWh"})
_REACTIVE_ENERGY = frozenset({"varh", "kvarh"})
_ACTIVE_POWER = frozenset({"W", "kW"})
_REACTIVE_POWER = frozenset({"var", "kvar"})
_CURRENT = frozenset({"A"})
# "Celcius" is in the 1.6 schema's enum as well.
_TEMPERATURE = frozenset({"Celsius", "Celcius", "Fahrenheit", "K"})
_DIMENSIONLESS: frozenset[str] = frozenset()

FITTING_UNITS: dict[str, frozenset[str]] = {
    "Energy.Active.Import.Register": _ACTIVE_ENERGY,
    "Energy.Active.Export.Register": _ACTIVE_ENERGY,
    "Energy.Active.Import.Interval": _ACTIVE_ENERGY,
    "Energy.Active.Export.Interval": _ACTIVE_ENERGY,
    "Energy.Reactive.Import.Register": _REACTIVE_ENERGY,
    "Energy.Reactive.Export.Register": _REACTIVE_ENERGY,
    "Energy.Reactive.Import.Interval": _REACTIVE_ENERGY,
    "Energy.Reactive.Export.Interval": _REACTIVE_ENERGY,
    "Power.Active.Import": _ACTIVE_POWER,
    "Power.Active.Export": _ACTIVE_POWER,
    "Power.Offered": _ACTIVE_POWER,
    "Power.Reactive.Import": _REACTIVE_POWER,
    "Power.Reactive.Export": _REACTIVE_POWER,
    "Current.Import": _CURRENT,
    "Current.Export": _CURRENT,
    "Current.Offered": _CURRENT,
    "Voltage": frozenset({"V"}),
    "Frequency": frozenset({"Hertz", "Hz"}),
    "Temperature": _TEMPERATURE,
    "SoC": frozenset({"Percent"}),
    "Power.Factor": _DIMENSIONLESS,
    "RPM": _DIMENSIONLESS,
}


def unit_fits(measurand: str, unit: str) -> bool:
    """Return whether `unit` fits `measurand`; no unit, or a measurand not listed, always does."""
    if not unit:
        return True
    fitting = FITTING_UNITS.get(measurand)
    return fitting is None or unit in fitting
