"""What a 2.0.1 station's NotifyReport tells of its EVSEs: how many, their maxima, connectors."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..capabilities import MAX_CONNECTORS
from ..limits import DEFAULT_PHASES, NOMINAL_VOLTAGE
from ..model import Capabilities

EVSE = "EVSE"
CONNECTOR = "Connector"
CONNECTOR_TYPE = "ConnectorType"
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
    """Take a report part's EVSEs and connectors into `capabilities`; return if any changed."""
    report = list(report_data)
    connectors = _note_connectors(capabilities, report)
    return _note_evses(capabilities, report) or connectors


def actual_value(item: Mapping[str, Any]) -> Any:
    """The Actual value of a reported variable (the first attribute is Actual by default)."""
    attributes: list[Mapping[str, Any]] = item.get("variable_attribute") or []
    for attribute in attributes:
        if attribute.get("type", "Actual") == "Actual":
            return attribute.get("value")
    return None


def _note_connectors(capabilities: Capabilities, report: list[Mapping[str, Any]]) -> bool:
    """Each EVSE's connector types (Connector components' ConnectorType)."""
    changed = False
    for item in report:
        component = item.get("component") or {}
        evse = component.get("evse") or {}
        evse_id, connector_id = evse.get("id"), evse.get("connector_id")
        variable = (item.get("variable") or {}).get("name")
        if component.get("name") != CONNECTOR or variable != CONNECTOR_TYPE:
            continue
        kind = actual_value(item)
        if not (isinstance(evse_id, int) and isinstance(connector_id, int) and kind):
            continue
        if evse_id < 1:
            continue
        types = capabilities.connector_types.setdefault(evse_id, {})
        changed |= types.get(connector_id) != str(kind)
        types[connector_id] = str(kind)
    return changed


def _note_evses(capabilities: Capabilities, report: list[Mapping[str, Any]]) -> bool:
    """Each EVSE's maximum, and how many EVSEs there are.

    The maximum goes into `vendor_max_current` in A per phase (the station's own setting,
    like a 1.6 vendor key), from W at the nominal voltage and the EVSE's phases.
    """
    powers: dict[int, float] = {}
    phases: dict[int, int] = {}
    for item in report:
        component = item.get("component") or {}
        evse = (component.get("evse") or {}).get("id")
        if component.get("name") != EVSE or not isinstance(evse, int):
            continue
        if not 1 <= evse <= MAX_CONNECTORS:
            continue
        name = (item.get("variable") or {}).get("name")
        if name == POWER:
            limit = _number((item.get("variable_characteristics") or {}).get("max_limit"))
            if limit is not None:
                powers[evse] = limit
        elif name == SUPPLY_PHASES:
            count = _number(actual_value(item))
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
