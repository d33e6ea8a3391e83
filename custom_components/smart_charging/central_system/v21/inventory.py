"""What a 2.1 station's NotifyReport tells of bidirectional charging (V2XChargingCtrlr)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from ..model import Capabilities, V2XSupport
from ..v201.inventory import actual_value

V2X_CONTROLLER = "V2XChargingCtrlr"


def _items(value: Any) -> frozenset[str]:
    return frozenset(item.strip() for item in str(value or "").split(",") if item.strip())


def note_v2x(capabilities: Capabilities, report_data: Iterable[Mapping[str, Any]]) -> bool:
    """Take each EVSE's V2XChargingCtrlr variables into `capabilities`; return if any changed.

    A controller reported without an EVSE stands for the whole station (EVSE 0).
    """
    changed = False
    for item in report_data:
        component = item.get("component") or {}
        if component.get("name") != V2X_CONTROLLER:
            continue
        evse_id = (component.get("evse") or {}).get("id")
        evse_id = evse_id if isinstance(evse_id, int) and evse_id > 0 else 0
        name = (item.get("variable") or {}).get("name")
        value = actual_value(item)
        support = capabilities.v2x.get(evse_id, V2XSupport())
        if name == "Enabled":
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
