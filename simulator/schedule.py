"""One OCPP 1.6 charging profile: parsing and evaluation over time (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import pairwise
import math
from typing import Any

from .timeutil import parse_iso

CHARGE_POINT_MAX = "ChargePointMaxProfile"
TX_DEFAULT = "TxDefaultProfile"
TX_PROFILE = "TxProfile"
PURPOSES = frozenset({CHARGE_POINT_MAX, TX_DEFAULT, TX_PROFILE})

ABSOLUTE = "Absolute"
RELATIVE = "Relative"
RECURRING = "Recurring"
KINDS = frozenset({ABSOLUTE, RELATIVE, RECURRING})

RECURRENCE = {"Daily": timedelta(days=1), "Weekly": timedelta(weeks=1)}
RATE_UNITS = frozenset({"A", "W"})


class ProfileError(ValueError):
    """A charging profile is malformed or cannot be installed."""


def camel_keys(data: Any) -> Any:
    """Return `data` with every snake_case dict key turned into camelCase."""
    if isinstance(data, Mapping):
        return {_camel(str(key)): camel_keys(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [camel_keys(item) for item in data]
    return data


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Decimal | float | int):
        raise ProfileError(f"{name} must be a number, got {value!r}")
    return float(value)


def _integer(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProfileError(f"{name} must be an integer, got {value!r}")
    return value


def _optional_time(value: object, name: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ProfileError(f"{name} must be a date-time string, got {value!r}")
    try:
        return parse_iso(value)
    except ValueError as err:
        raise ProfileError(f"{name} is not a date-time: {value!r}") from err


@dataclass(frozen=True)
class SchedulePeriod:
    """One chargingSchedulePeriod: `limit` in the schedule's unit from `start_period` s."""

    start_period: int
    limit: float
    number_phases: int | None = None


@dataclass(frozen=True)
class ChargingProfile:
    """A parsed csChargingProfiles object."""

    profile_id: int
    stack_level: int
    purpose: str
    kind: str
    rate_unit: str
    periods: tuple[SchedulePeriod, ...]
    installed_at: datetime
    recurrency: str | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    transaction_id: int | None = None
    duration: int | None = None
    start_schedule: datetime | None = None
    min_charging_rate: float | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], installed_at: datetime) -> ChargingProfile:
        """Parse an OCPP csChargingProfiles dict (camelCase or snake_case keys)."""
        profile = camel_keys(data)
        try:
            schedule = profile["chargingSchedule"]
            periods = tuple(
                SchedulePeriod(
                    start_period=_integer(period["startPeriod"], "startPeriod"),
                    limit=_number(period["limit"], "limit"),
                    number_phases=(
                        None
                        if period.get("numberPhases") is None
                        else _integer(period["numberPhases"], "numberPhases")
                    ),
                )
                for period in schedule["chargingSchedulePeriod"]
            )
            parsed = cls(
                profile_id=_integer(profile["chargingProfileId"], "chargingProfileId"),
                stack_level=_integer(profile["stackLevel"], "stackLevel"),
                purpose=str(profile["chargingProfilePurpose"]),
                kind=str(profile["chargingProfileKind"]),
                rate_unit=str(schedule["chargingRateUnit"]),
                periods=periods,
                installed_at=installed_at,
                recurrency=profile.get("recurrencyKind"),
                valid_from=_optional_time(profile.get("validFrom"), "validFrom"),
                valid_to=_optional_time(profile.get("validTo"), "validTo"),
                transaction_id=(
                    None
                    if profile.get("transactionId") is None
                    else _integer(profile["transactionId"], "transactionId")
                ),
                duration=(
                    None
                    if schedule.get("duration") is None
                    else _integer(schedule["duration"], "duration")
                ),
                start_schedule=_optional_time(schedule.get("startSchedule"), "startSchedule"),
                min_charging_rate=(
                    None
                    if schedule.get("minChargingRate") is None
                    else _number(schedule["minChargingRate"], "minChargingRate")
                ),
            )
        except (KeyError, TypeError, AttributeError) as err:
            raise ProfileError(f"malformed charging profile: {err!r}") from err
        parsed.check()
        return parsed

    def check(self) -> None:
        """Raise ProfileError unless the profile is consistent."""
        if self.purpose not in PURPOSES:
            raise ProfileError(f"unknown chargingProfilePurpose {self.purpose!r}")
        if self.kind not in KINDS:
            raise ProfileError(f"unknown chargingProfileKind {self.kind!r}")
        if self.kind == RECURRING and self.recurrency not in RECURRENCE:
            raise ProfileError("a Recurring profile needs recurrencyKind Daily or Weekly")
        if self.rate_unit not in RATE_UNITS:
            raise ProfileError(f"unknown chargingRateUnit {self.rate_unit!r}")
        if self.stack_level < 0:
            raise ProfileError("stackLevel must not be negative")
        if not self.periods or self.periods[0].start_period != 0:
            raise ProfileError("the first schedule period must start at 0")
        starts = [period.start_period for period in self.periods]
        if any(later <= earlier for earlier, later in pairwise(starts)):
            raise ProfileError("schedule periods must have increasing startPeriod")
        if any(period.limit < 0 for period in self.periods):
            raise ProfileError("limits must not be negative")
        if self.duration is not None and self.duration <= 0:
            raise ProfileError("duration must be positive")

    def is_valid_at(self, at: datetime) -> bool:
        """Whether `at` lies within validFrom/validTo."""
        if self.valid_from is not None and at < self.valid_from:
            return False
        return self.valid_to is None or at < self.valid_to

    def schedule_start(self, at: datetime, transaction_start: datetime | None) -> datetime | None:
        """Return when the schedule (occurrence) applying at `at` started.

        None means the schedule has not started yet.
        """
        if self.kind == RECURRING:
            return self._occurrence_start(at)
        if self.kind == ABSOLUTE and self.start_schedule is not None:
            return self.start_schedule
        # Relative, or Absolute without startSchedule ("relative to start of charging").
        if transaction_start is not None:
            return transaction_start
        return self.installed_at if self.kind == ABSOLUTE else at

    def period_at(
        self, at: datetime, transaction_start: datetime | None = None
    ) -> SchedulePeriod | None:
        """Return the period in force at `at`, or None when the profile does not apply."""
        if not self.is_valid_at(at):
            return None
        start = self.schedule_start(at, transaction_start)
        if start is None:
            return None
        offset = (at - start).total_seconds()
        if offset < 0 or (self.duration is not None and offset >= self.duration):
            return None
        current: SchedulePeriod | None = None
        for period in self.periods:
            if period.start_period > offset:
                break
            current = period
        return current

    def change_points(
        self, start: datetime, end: datetime, transaction_start: datetime | None = None
    ) -> set[datetime]:
        """Return the instants in (start, end] where this profile may change its answer."""
        points = {moment for moment in (self.valid_from, self.valid_to) if moment is not None}
        for occurrence in self._occurrences(start, end, transaction_start):
            points.add(occurrence)
            points.update(occurrence + timedelta(seconds=p.start_period) for p in self.periods)
            if self.duration is not None:
                points.add(occurrence + timedelta(seconds=self.duration))
        return {point for point in points if start < point <= end}

    def _occurrences(
        self, start: datetime, end: datetime, transaction_start: datetime | None
    ) -> list[datetime]:
        if self.kind != RECURRING:
            if self.kind == RELATIVE and transaction_start is None:
                return []  # without a transaction it restarts at every instant
            fixed = self.schedule_start(start, transaction_start)
            return [] if fixed is None else [fixed]
        length = RECURRENCE[self.recurrency or ""]
        anchor = self._anchor(start)
        first = math.floor((start - anchor) / length)
        last = math.floor((end - anchor) / length)
        occurrences = [anchor + index * length for index in range(first, last + 1)]
        if self.start_schedule is not None:
            occurrences = [o for o in occurrences if o >= self.start_schedule]
        return occurrences

    def _anchor(self, at: datetime) -> datetime:
        if self.start_schedule is not None:
            return self.start_schedule
        midnight = at.replace(hour=0, minute=0, second=0, microsecond=0)
        if self.recurrency == "Weekly":
            return midnight - timedelta(days=midnight.weekday())
        return midnight

    def _occurrence_start(self, at: datetime) -> datetime | None:
        if self.start_schedule is not None and at < self.start_schedule:
            return None
        length = RECURRENCE[self.recurrency or ""]
        anchor = self._anchor(at)
        return anchor + math.floor((at - anchor) / length) * length
