"""OCPP 2.1 operation modes: what a schedule period tells the EVSE to do, in W per phase (pure).

Per period: `operationMode` (ChargingOnly when absent), `limit` (charging, >= 0),
`dischargeLimit` (<= 0), `setpoint` (negative: discharge) and their `_L2`/`_L3` variants.
In W a value is the sum of the phases, unless L2 and L3 are given, when it is phase L1's;
in A it is the current of each phase (as `limit` in 2.0.1).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

CHARGING_ONLY = "ChargingOnly"
CENTRAL_SETPOINT = "CentralSetpoint"
EXTERNAL_SETPOINT = "ExternalSetpoint"
EXTERNAL_LIMITS = "ExternalLimits"
IDLE = "Idle"
SUPPORTED_MODES = (CHARGING_ONLY, CENTRAL_SETPOINT, EXTERNAL_SETPOINT, EXTERNAL_LIMITS, IDLE)

Phases = tuple[float, ...]


@dataclass(frozen=True)
class Rating:
    """An EVSE: phases (DC: 1), voltage, and its maxima per phase in W (positive)."""

    phases: int
    voltage: float
    charge: float
    discharge: float
    min_charge: float = 0.0  # W per phase below which a limit pauses charging (AC: 6 A)


@dataclass(frozen=True)
class Operation:
    """What the profiles ask for now: a mode, caps per phase (W, >= 0) and a setpoint."""

    mode: str
    charge_cap: Phases
    discharge_cap: Phases
    setpoint: Phases | None = None


def phase_values(period: Mapping[str, Any], name: str, unit: str, rating: Rating) -> Phases | None:
    """A period's field (e.g. `setpoint`, with `setpoint_l2/_l3`) as W per phase, if given."""
    base = period.get(name)
    if base is None:
        return None
    used = min(int(period.get("number_phases") or rating.phases), rating.phases)
    l2, l3 = period.get(f"{name}_l2"), period.get(f"{name}_l3")
    if rating.phases == 3 and l2 is not None and l3 is not None:  # noqa: PLR2004
        values = [float(base), float(l2), float(l3)]
        return tuple(v * rating.voltage if unit == "A" else v for v in values)
    each = float(base) * rating.voltage if unit == "A" else float(base) / used
    return tuple(each if phase < used else 0.0 for phase in range(rating.phases))


def operation(
    session: tuple[Mapping[str, Any], str] | None,
    station: tuple[Mapping[str, Any], str] | None,
    rating: Rating,
) -> Operation:
    """Combine the session's period (Tx/TxDefault) and the station maximum's, with their units."""
    charge = [rating.charge] * rating.phases
    discharge = [rating.discharge] * rating.phases
    mode, setpoint = CHARGING_ONLY, None
    for source in (station, session):
        if source is None:
            continue
        period, unit = source
        _cap(charge, phase_values(period, "limit", unit, rating), 1)
        _cap(discharge, phase_values(period, "discharge_limit", unit, rating), -1)
    if session is not None:
        period, unit = session
        mode = str(period.get("operation_mode") or CHARGING_ONLY)
        setpoint = phase_values(period, "setpoint", unit, rating)
    return Operation(mode, tuple(charge), tuple(discharge), setpoint)


def _cap(caps: list[float], values: Phases | None, sign: int) -> None:
    """Lower each cap to sign * value (a negative limit counts as 0)."""
    if values is not None:
        for phase, value in enumerate(values):
            caps[phase] = max(0.0, min(caps[phase], sign * value))


def command(op: Operation, rating: Rating, *, may_discharge: bool, local: float | None) -> Phases:
    """W per phase the EVSE asks the car for (negative: discharge).

    ChargingOnly charges at the cap (none below the minimum); CentralSetpoint follows the
    setpoint; ExternalSetpoint follows the local controller's setpoint `local` (W, total;
    None: nothing); ExternalLimits lets the local controller decide within the caps
    (without one: charge at the cap); Idle transfers nothing. Without permission to
    discharge the EVSE holds 0 instead.
    """
    if op.mode == CHARGING_ONLY:
        return tuple(cap if cap >= rating.min_charge else 0.0 for cap in op.charge_cap)
    if op.mode == CENTRAL_SETPOINT:
        wanted = op.setpoint or (0.0,) * rating.phases
    elif op.mode in (EXTERNAL_SETPOINT, EXTERNAL_LIMITS) and local is not None:
        wanted = (local / rating.phases,) * rating.phases
    elif op.mode == EXTERNAL_LIMITS:
        wanted = op.charge_cap
    else:  # Idle, or an external setpoint that has not come
        wanted = (0.0,) * rating.phases
    return tuple(
        max(-(dis if may_discharge else 0.0), min(chg, value))
        for value, chg, dis in zip(wanted, op.charge_cap, op.discharge_cap, strict=True)
    )
