"""What a bidirectional car tells in its 2.1 charging needs, kept on its connector."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..limits import DEFAULT_PHASES, NOMINAL_VOLTAGE
from ..model import ConnectorState


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _total(v2x: Mapping[str, Any], name: str) -> float | None:
    """A power over every phase: the plain field is L1's where per-phase ones come too."""
    value = _number(v2x.get(name))
    if value is None:
        return None
    per_phase = [_number(v2x.get(f"{name}_l{phase}")) for phase in (2, 3)]
    return abs(value) + sum(abs(part) for part in per_phase if part is not None)


def note_v2x_needs(connector: ConnectorState, needs: Mapping[str, Any]) -> None:
    """Take the transfer modes and v2xChargingParameters of `needs` into `connector`.

    Runs after the 2.0.1 part (AC/DC parameters): where a car tells only V2X
    parameters, those give its maximum and its energy target.
    """
    connector.ev_transfer_mode = needs.get("requested_energy_transfer")
    connector.ev_transfer_modes = tuple(needs.get("available_energy_transfer") or ())
    v2x: Mapping[str, Any] = needs.get("v2x_charging_parameters") or {}
    # The spec gives discharge powers as magnitudes; a car that sends them negative means the same.
    discharge = connector.ev_max_discharge_power = _total(v2x, "max_discharge_power")
    connector.ev_min_discharge_power = _total(v2x, "min_discharge_power")
    current = _number(v2x.get("max_discharge_current"))
    connector.ev_max_discharge_current = None if current is None else abs(current)
    connector.ev_min_v2x_energy = _number(v2x.get("ev_min_v2x_energy_request"))
    connector.ev_max_v2x_energy = _number(v2x.get("ev_max_v2x_energy_request"))
    connector.ev_target_soc = _number(v2x.get("target_soc"))
    connector.ev_max_energy = _number(v2x.get("ev_max_energy_request"))
    if connector.ev_energy_amount is None:
        connector.ev_energy_amount = _number(v2x.get("ev_target_energy_request"))
    if connector.ev_max_power is None:
        connector.ev_max_power = _total(v2x, "max_charge_power")
    if connector.ev_max_current is None:
        if (charge_current := _number(v2x.get("max_charge_current"))) is not None:
            connector.ev_max_current = charge_current
        elif connector.ev_max_power is not None:
            connector.ev_max_current = connector.ev_max_power / (NOMINAL_VOLTAGE * DEFAULT_PHASES)
    if connector.ev_max_discharge_current is None and discharge is not None:
        connector.ev_max_discharge_current = discharge / (NOMINAL_VOLTAGE * DEFAULT_PHASES)
