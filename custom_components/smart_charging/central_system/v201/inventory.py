"""What a 2.0.1 station's NotifyReport tells about its EVSEs: how many, and how much each takes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..limits import DEFAULT_PHASES, NOMINAL_VOLTAGE
from ..model import Capabilities

EVSE = "EVSE"
# The EVSE's maximum power is the Power variable's maxLimit (W); its phases SupplyPhases.
POWER = "Power"
SUPPLY_PHASES = "SupplyPhases"
_PHASES = {1, 2, 3}
# Below this no IEC 61851 car charges: no maximum (A).
LOWEST_CHARGING_CURRENT = 6.0


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def note_report(capabilities: Capabilities, report_data: Iterable[Mapping[str, Any]]) -> bool:
    """Take the EVSEs of a report part into `capabilities`; return whether anything changed.

    The maximum goes into `vendor_max_current` in A per phase (the station's own setting,
    like a 1.6 vendor key), from W at the nominal voltage and the EVSE's phases.
    """
    powers: dict[int, float] = {}
    phases: dict[int, int] = {}
    for item in report_data:
        component = item.get("component") or {}
        evse = (component.get("evse") or {}).get("id")
        if component.get("name") != EVSE or not isinstance(evse, int) or evse < 1:
            continue
        name = (item.get("variable") or {}).get("name")
        if name == POWER:
            limit = _number((item.get("variable_characteristics") or {}).get("max_limit"))
            if limit is not None:
                powers[evse] = limit
        elif name == SUPPLY_PHASES:
            attributes: list[Mapping[str, Any]] = item.get("variable_attribute") or []
            count = _number(attributes[0].get("value")) if attributes else None
            if count is not None and int(count) in _PHASES:
                phases[evse] = int(count)
        powers.setdefault(evse, 0.0)  # an EVSE, its maximum maybe in another item
    if not powers:
        return False
    known = capabilities.number_of_connectors or 0
    capabilities.number_of_connectors = max(known, *powers)
    maxima = dict(capabilities.vendor_max_current or {})
    for evse, power in powers.items():
        if power > 0:
            amps = round(power / (NOMINAL_VOLTAGE * phases.get(evse, DEFAULT_PHASES)), 1)
            if amps >= LOWEST_CHARGING_CURRENT:
                maxima[evse] = amps
    capabilities.vendor_max_current = maxima
    return True
