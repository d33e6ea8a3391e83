"""What a 2.1 station's NotifyReport tells of bidirectional charging.

Per EVSE: its V2XChargingCtrlr (enabled, operation and energy transfer modes), whether its
ISO15118Ctrlr is enabled, and the most it discharges (the EVSE's DischargePower maxLimit).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from ..model import Capabilities, V2XSupport
from ..v201.inventory import actual_value

# The library's v21 enums have no component or variable names (v201's ControllerComponentName).
V2X_CONTROLLER = "V2XChargingCtrlr"
ISO15118_CONTROLLER = "ISO15118Ctrlr"
EVSE = "EVSE"
DISCHARGE_POWER = "DischargePower"
_READ = {V2X_CONTROLLER, ISO15118_CONTROLLER, EVSE}


def _items(value: Any) -> frozenset[str]:
    return frozenset(item.strip() for item in str(value or "").split(",") if item.strip())


def note_v2x(capabilities: Capabilities, report_data: Iterable[Mapping[str, Any]]) -> bool:
    """Take each EVSE's V2XChargingCtrlr variables into `capabilities`; return if any changed.

    A controller reported without an EVSE stands for the whole station (EVSE 0).
    """
    changed = False
    for item in report_data:
        component = item.get("component") or {}
        controller = component.get("name")
        if controller not in _READ:
            continue
        evse_id = (component.get("evse") or {}).get("id")
        evse_id = evse_id if isinstance(evse_id, int) and evse_id > 0 else 0
        name = (item.get("variable") or {}).get("name")
        value = actual_value(item)
        support = capabilities.v2x.get(evse_id, V2XSupport())
        if controller == EVSE:
            if name != DISCHARGE_POWER or not evse_id:
                continue
            limit = (item.get("variable_characteristics") or {}).get("max_limit")
            support = replace(support, max_discharge_power=None if limit is None else float(limit))
        elif controller == ISO15118_CONTROLLER:
            if name != "Enabled":
                continue
            support = replace(support, iso15118=str(value).strip().lower() == "true")
        elif name == "Enabled":
            support = replace(support, enabled=str(value).strip().lower() == "true")
        elif name == "SupportedOperationModes":
            support = replace(support, operation_modes=_items(value))
        elif name == "SupportedEnergyTransferModes":
            support = replace(support, transfer_modes=_items(value))
        else:
            continue
        changed |= capabilities.v2x.get(evse_id) != support
        capabilities.v2x[evse_id] = support
    return changed
