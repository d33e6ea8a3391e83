"""A charging limit as the rest of the product asks for it, before any OCPP detail.

One operation serves the number, the switch, the services and the load balancer:
`ChargerSession.apply_limit(ChargingLimit(...))`. The adapter for the charger's OCPP
version turns it into profiles.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum

NOMINAL_VOLTAGE = 230.0
DEFAULT_PHASES = 3


class LimitUnit(StrEnum):
    """A limit in amperes per phase or in watts in total."""

    AMPERE = "A"
    WATT = "W"


@dataclass(frozen=True, slots=True, kw_only=True)
class ChargingLimit:
    """What a connector (or, with connector 0, the whole station) may draw.

    `value` 0 pauses charging without ending the transaction.
    """

    connector_id: int
    value: float
    unit: LimitUnit = LimitUnit.AMPERE
    duration: int | None = None
    phases: int = DEFAULT_PHASES
    # The charger's own fallback for when the central system is gone: installed on
    # connector 0 below every live limit, without expiry, and written only when it changes.
    safe_default: bool = False
    # OCPP 2.1 bidirectional charging: discharge at this rate (same unit as `value`,
    # a magnitude) instead of charging. Only in a live limit that expires, so a central
    # system that is gone stops every discharge within the limit's duration.
    discharge: float = 0.0

    def __post_init__(self) -> None:
        """Reject values no charger could follow."""
        if self.value < 0:
            msg = "a charging limit cannot be negative"
            raise ValueError(msg)
        if self.connector_id < 0:
            msg = "connector id cannot be negative"
            raise ValueError(msg)
        if self.duration is not None and self.duration <= 0:
            msg = "duration must be positive"
            raise ValueError(msg)
        if self.safe_default and (self.connector_id != 0 or self.duration is not None):
            msg = "a safe default is for connector 0 and never expires"
            raise ValueError(msg)
        if self.discharge < 0:
            msg = "a discharge rate is a magnitude: it cannot be negative"
            raise ValueError(msg)
        if self.discharge and (self.duration is None or self.connector_id == 0):
            msg = "a discharge is for one connector and must expire"
            raise ValueError(msg)

    @property
    def setpoint(self) -> float:
        """The signed rate: negative while discharging."""
        return -self.discharge if self.discharge else self.value

    def in_unit(self, unit: LimitUnit, voltage: float = NOMINAL_VOLTAGE) -> Decimal:
        """Return the value in `unit`, floored to the 0.1 the OCPP schema requires.

        Flooring (never rounding up) keeps the charger at or below what was asked.
        """
        return self._converted(self.value, unit, voltage)

    def discharge_in_unit(self, unit: LimitUnit, voltage: float = NOMINAL_VOLTAGE) -> Decimal:
        """Return the discharge rate in `unit`, floored like `in_unit` (never more than asked)."""
        return self._converted(self.discharge, unit, voltage)

    def _converted(self, value: float, unit: LimitUnit, voltage: float) -> Decimal:
        if unit is not self.unit:
            factor = voltage * self.phases
            value = value * factor if unit is LimitUnit.WATT else value / factor
        return Decimal(repr(value)).quantize(Decimal("0.1"), rounding=ROUND_FLOOR)
