"""Installed OCPP 1.6 charging profiles and the composite schedule (pure, no I/O).

Per purpose the highest stack level whose schedule applies at the instant wins;
a profile that does not apply (outside validFrom/validTo, before its start or
past its duration) yields to the next lower stack level. TxProfile overrides
TxDefaultProfile; the result is capped by ChargePointMaxProfile.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .schedule import (
    CHARGE_POINT_MAX,
    TX_DEFAULT,
    TX_PROFILE,
    ChargingProfile,
    ProfileError,
    SchedulePeriod,
)
from .timeutil import utcnow

__all__ = [
    "CHARGE_POINT_MAX",
    "TX_DEFAULT",
    "TX_PROFILE",
    "ChargingProfile",
    "CompositePeriod",
    "Limit",
    "ProfileError",
    "ProfileStore",
]


@dataclass(frozen=True)
class Limit:
    """A charging limit: `A` per phase or `W` total, over `number_phases` phases."""

    value: float
    unit: str
    number_phases: int = 3


@dataclass(frozen=True)
class CompositePeriod:
    """One period of a composite schedule; `limit` None means unlimited."""

    start_period: int
    limit: Limit | None


@dataclass(frozen=True)
class _Amps:
    per_phase: float
    phases: int


class ProfileStore:
    """Charging profiles per connector (0 = the whole charge point)."""

    def __init__(
        self, voltage: float = 230.0, default_phases: int = 3, max_profiles: int | None = None
    ) -> None:
        """Convert W with `voltage` * phases; refuse more than `max_profiles` profiles."""
        self.voltage = voltage
        self.default_phases = default_phases
        self.max_profiles = max_profiles
        # Called before profiles are installed or cleared, e.g. to meter up to the change.
        self.before_change: Callable[[], None] | None = None
        self._installed: dict[int, list[ChargingProfile]] = {}

    def install(
        self,
        connector_id: int,
        profile: Mapping[str, Any] | ChargingProfile,
        installed_at: datetime | None = None,
    ) -> ChargingProfile:
        """Install `profile` on `connector_id`, replacing what it supersedes.

        The same chargingProfileId, or the same purpose and stack level on the
        same connector, is replaced. Raises ProfileError if it cannot be installed.
        """
        if not isinstance(profile, ChargingProfile):
            profile = ChargingProfile.from_dict(profile, installed_at or utcnow())
        if connector_id < 0:
            raise ProfileError("connectorId must not be negative")
        self._changing()
        if profile.purpose == CHARGE_POINT_MAX and connector_id != 0:
            raise ProfileError("ChargePointMaxProfile can only be set on connector 0")
        if profile.purpose == TX_PROFILE and connector_id == 0:
            raise ProfileError("TxProfile can only be set on a connector > 0")
        kept = {
            connector: [
                other
                for other in profiles
                if other.profile_id != profile.profile_id
                and not (
                    connector == connector_id
                    and other.purpose == profile.purpose
                    and other.stack_level == profile.stack_level
                )
            ]
            for connector, profiles in self._installed.items()
        }
        if self.max_profiles is not None and sum(map(len, kept.values())) >= self.max_profiles:
            raise ProfileError(f"already {self.max_profiles} charging profiles installed")
        kept.setdefault(connector_id, []).append(profile)
        self._installed = kept
        return profile

    def clear(
        self,
        *,
        profile_id: int | None = None,
        connector_id: int | None = None,
        purpose: str | None = None,
        stack_level: int | None = None,
    ) -> int:
        """Remove matching profiles and return how many went.

        With `profile_id` only the id matters; otherwise every given criterion
        must match, and no criterion at all clears everything.
        """
        self._changing()
        removed = 0
        for connector, profiles in self._installed.items():
            kept = [
                profile
                for profile in profiles
                if not _matches(profile, connector, profile_id, connector_id, purpose, stack_level)
            ]
            removed += len(profiles) - len(kept)
            self._installed[connector] = kept
        return removed

    def _changing(self) -> None:
        if self.before_change is not None:
            self.before_change()

    def profiles(self, connector_id: int | None = None) -> list[tuple[int, ChargingProfile]]:
        """Return (connector id, profile) pairs, optionally for one connector."""
        return [
            (connector, profile)
            for connector, profiles in sorted(self._installed.items())
            if connector_id is None or connector == connector_id
            for profile in profiles
        ]

    def effective_limit(
        self,
        connector_id: int,
        now: datetime,
        transaction_id: int | None = None,
        *,
        transaction_start: datetime | None = None,
        unit: str = "A",
    ) -> Limit | None:
        """Return the limit in force on `connector_id` at `now`; None means unlimited.

        `transaction_id` is the running transaction (None: none running) and
        `transaction_start` its start, where Relative schedules begin.
        """
        amps = self._effective_amps(connector_id, now, transaction_id, transaction_start)
        return None if amps is None else self._limit(amps, unit)

    def composite_schedule(
        self,
        connector_id: int,
        start: datetime,
        duration: int,
        *,
        transaction_id: int | None = None,
        transaction_start: datetime | None = None,
        unit: str = "A",
        ceiling: float | None = None,
    ) -> list[CompositePeriod]:
        """Return the limits over [start, start + duration s) as merged periods.

        `ceiling` (A per phase), e.g. the hardware maximum, caps every period
        and stands in for "unlimited".
        """
        end = start + timedelta(seconds=duration)
        points = {start} | self._change_points(connector_id, start, end, transaction_start)
        periods: list[CompositePeriod] = []
        for point in sorted(p for p in points if p < end):
            amps = self._effective_amps(connector_id, point, transaction_id, transaction_start)
            if ceiling is not None and (amps is None or amps.per_phase > ceiling):
                amps = _Amps(ceiling, amps.phases if amps else self.default_phases)
            limit = None if amps is None else self._limit(amps, unit)
            offset = int((point - start).total_seconds())
            if periods and periods[-1].limit == limit:
                continue
            if periods and periods[-1].start_period == offset:
                periods.pop()
            periods.append(CompositePeriod(offset, limit))
        return periods

    def next_change(
        self,
        connector_id: int,
        after: datetime,
        *,
        transaction_start: datetime | None = None,
        horizon: timedelta = timedelta(days=8),
    ) -> datetime | None:
        """Return the first instant after `after` where the limit may change."""
        points = self._change_points(connector_id, after, after + horizon, transaction_start)
        return min(points, default=None)

    def _change_points(
        self, connector_id: int, start: datetime, end: datetime, transaction_start: datetime | None
    ) -> set[datetime]:
        points: set[datetime] = set()
        for _, profile in self._relevant(connector_id):
            points |= profile.change_points(start, end, transaction_start)
        return points

    def _relevant(self, connector_id: int) -> list[tuple[int, ChargingProfile]]:
        if connector_id == 0:
            return self.profiles(0)
        return self.profiles(0) + self.profiles(connector_id)

    def _effective_amps(
        self,
        connector_id: int,
        at: datetime,
        transaction_id: int | None,
        transaction_start: datetime | None,
    ) -> _Amps | None:
        station = self._installed.get(0, [])
        connector = self._installed.get(connector_id, []) if connector_id > 0 else []
        limits = [self._best(_purpose(station, CHARGE_POINT_MAX), at, transaction_start)]
        if connector_id > 0:
            session: _Amps | None = None
            if transaction_id is not None:
                tx_profiles = [
                    profile
                    for profile in _purpose(connector, TX_PROFILE)
                    if profile.transaction_id in (None, transaction_id)
                ]
                session = self._best(tx_profiles, at, transaction_start)
            if session is None:
                session = self._best(_purpose(connector, TX_DEFAULT), at, transaction_start)
            if session is None:
                session = self._best(_purpose(station, TX_DEFAULT), at, transaction_start)
            limits.append(session)
        present = [limit for limit in limits if limit is not None]
        if not present:
            return None
        return min(present, key=lambda amps: amps.per_phase)

    def _best(
        self,
        candidates: Iterable[ChargingProfile],
        at: datetime,
        transaction_start: datetime | None,
    ) -> _Amps | None:
        for profile in sorted(candidates, key=lambda p: p.stack_level, reverse=True):
            period = profile.period_at(at, transaction_start)
            if period is not None:
                return self._amps(profile.rate_unit, period)
        return None

    def _amps(self, rate_unit: str, period: SchedulePeriod) -> _Amps:
        phases = period.number_phases or self.default_phases
        if rate_unit == "W":
            return _Amps(period.limit / (self.voltage * phases), phases)
        return _Amps(period.limit, phases)

    def _limit(self, amps: _Amps, unit: str) -> Limit:
        if unit == "W":
            return Limit(amps.per_phase * self.voltage * amps.phases, "W", amps.phases)
        return Limit(amps.per_phase, "A", amps.phases)


def _purpose(profiles: list[ChargingProfile], purpose: str) -> list[ChargingProfile]:
    return [profile for profile in profiles if profile.purpose == purpose]


def _matches(
    profile: ChargingProfile,
    connector: int,
    profile_id: int | None,
    connector_id: int | None,
    purpose: str | None,
    stack_level: int | None,
) -> bool:
    if profile_id is not None:
        return profile.profile_id == profile_id
    return (
        (connector_id is None or connector == connector_id)
        and (purpose is None or profile.purpose == purpose)
        and (stack_level is None or profile.stack_level == stack_level)
    )
