"""OCPP 2.1 charging profiles on the 2.0.1 ProfileBook: acceptance, and the period in force.

The shared 1.6 store decides which profile and period apply when (stack levels, purposes,
validity, recurrence); it sees each 2.1 period as a charge limit (Idle: 0; without a
`limit`: the EVSE's maximum). The 2.1 fields of the winning period are read back from the
profile as the CSMS sent it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from ..schedule import CHARGE_POINT_MAX, TX_DEFAULT, TX_PROFILE, ChargingProfile
from ..v201.profiles import STATION_MAX, ProfileBook
from .operation import CENTRAL_SETPOINT, CHARGING_ONLY, IDLE, SUPPORTED_MODES

_PHASE_FIELDS = ("limit", "discharge_limit", "setpoint")
Source = tuple[Mapping[str, Any], str]  # (snake_case period, chargingRateUnit)


def _periods(profile: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list(profile["charging_schedule"][0]["charging_schedule_period"])


def refusal(profile: Mapping[str, Any], *, dc: bool) -> str | None:
    """Why a 2.1 profile's periods cannot be followed here (None: they can)."""
    for period in _periods(profile):
        mode = period.get("operation_mode") or CHARGING_ONLY
        limit, low, setpoint = (period.get(k) for k in _PHASE_FIELDS)
        phased = [k for k in _PHASE_FIELDS for n in (2, 3) if period.get(f"{k}_l{n}") is not None]
        halves = [
            (period.get(f"{k}_l2") is None) != (period.get(f"{k}_l3") is None)
            for k in _PHASE_FIELDS
        ]
        checks = (
            (mode not in SUPPORTED_MODES, f"operationMode {mode} not supported"),
            (
                profile["charging_profile_purpose"] == STATION_MAX and mode != CHARGING_ONLY,
                f"{STATION_MAX} takes limits only",
            ),
            (mode == CHARGING_ONLY and limit is None, "ChargingOnly needs a limit"),
            (mode == CENTRAL_SETPOINT and setpoint is None, "CentralSetpoint needs a setpoint"),
            (
                setpoint is not None and limit is not None and setpoint > limit,
                "setpoint above limit",
            ),
            (
                setpoint is not None and low is not None and setpoint < low,
                "setpoint below dischargeLimit",
            ),
            (dc and bool(phased), "no per-phase values on a DC EVSE"),
            (any(halves), "per-phase values need both L2 and L3"),
        )
        reason = next((why for failed, why in checks if failed), None)
        if reason is not None:
            return reason
    return None


class ProfileBook21(ProfileBook):
    """2.1 profiles per EVSE; `charge_max` (by unit) stands in for an absent limit."""

    def __init__(self, voltage: float, phases: int, charge_max: Mapping[str, float]) -> None:
        """Convert W with `voltage` * phases; `charge_max`: the EVSE's maximum in A and W."""
        super().__init__(voltage, phases)
        self.charge_max = dict(charge_max)

    def store_view(self, profile: Mapping[str, Any]) -> Mapping[str, Any]:
        """Each period as a charge limit: Idle 0, no limit the maximum, negative 0."""
        schedule = profile["charging_schedule"][0]
        unit = schedule["charging_rate_unit"]
        periods = []
        for period in _periods(profile):
            limit = period.get("limit")
            if (period.get("operation_mode") or CHARGING_ONLY) == IDLE:
                limit = 0.0
            elif limit is None:
                limit = self.charge_max.get(unit, 0.0)
            periods.append(
                {
                    "start_period": period["start_period"],
                    "limit": max(0.0, float(limit)),
                    "number_phases": period.get("number_phases"),
                }
            )
        view = {**schedule, "charging_schedule_period": periods}
        return {**profile, "charging_schedule": [view]}

    def sources_at(
        self, evse_id: int, at: datetime, *, running: bool, started: datetime | None
    ) -> tuple[Source | None, Source | None]:
        """(session period, station maximum period) in force on the EVSE at `at`."""
        station = self._best(0, CHARGE_POINT_MAX, at, started)
        session = self._best(evse_id, TX_PROFILE, at, started) if running else None
        session = session or self._best(evse_id, TX_DEFAULT, at, started)
        session = session or self._best(0, TX_DEFAULT, at, started)
        return session, station

    def _best(
        self, evse_id: int, purpose: str, at: datetime, started: datetime | None
    ) -> Source | None:
        candidates: Iterable[ChargingProfile] = (
            profile
            for evse, profile in self.store.profiles(evse_id)
            if evse == evse_id and profile.purpose == purpose
        )
        for profile in sorted(candidates, key=lambda p: p.stack_level, reverse=True):
            period = profile.period_at(at, started)
            if period is not None:
                return self._original(evse_id, profile.profile_id, period.start_period)
        return None

    def _original(self, evse_id: int, profile_id: int, start: int) -> Source:
        [original] = self.find(evse_id, [profile_id])[evse_id]
        schedule = original["charging_schedule"][0]
        period = next(p for p in _periods(original) if p["start_period"] == start)
        return period, str(schedule["charging_rate_unit"])
