"""OCPP 2.0.1 charging profiles: acceptance rules and storage on top of the 1.6 ProfileStore."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..profiles import ProfileStore
from ..schedule import CHARGE_POINT_MAX, RELATIVE, TX_DEFAULT, TX_PROFILE, ChargingProfile

STATION_MAX = "ChargingStationMaxProfile"
EXTERNAL = "ChargingStationExternalConstraints"
# 2.0.1 purpose -> the 1.6 purpose the shared ProfileStore evaluates.
PURPOSE_TO_16 = {STATION_MAX: CHARGE_POINT_MAX, TX_DEFAULT: TX_DEFAULT, TX_PROFILE: TX_PROFILE}


@dataclass(frozen=True)
class Capabilities:
    """What SetChargingProfile may use on this station."""

    evse_count: int
    rate_units: frozenset[str]
    max_stack_level: int
    max_periods: int


def refusal(
    evse_id: int,
    profile: Mapping[str, Any],
    capabilities: Capabilities,
    transaction_id: str | None,
) -> str | None:
    """Why SetChargingProfile must be Rejected (None: it may be installed).

    `profile` is the snake_case chargingProfile, `transaction_id` the one running on the EVSE.
    """
    purpose, kind = profile["charging_profile_purpose"], profile["charging_profile_kind"]
    schedule = profile["charging_schedule"][0]
    checks = (
        (not 0 <= evse_id <= capabilities.evse_count, f"no EVSE {evse_id}"),
        (purpose not in PURPOSE_TO_16, f"{purpose} cannot be set"),
        (purpose == STATION_MAX and evse_id != 0, f"{STATION_MAX} needs evseId 0"),
        (purpose == STATION_MAX and kind == RELATIVE, f"{STATION_MAX} cannot be Relative"),
        (purpose == TX_PROFILE and evse_id == 0, "TxProfile needs evseId > 0"),
        (purpose == TX_PROFILE and transaction_id is None, "no transaction on the EVSE"),
        (
            purpose == TX_PROFILE and profile.get("transaction_id") != transaction_id,
            "TxProfile needs the running transactionId",
        ),
        (
            kind != RELATIVE and schedule.get("start_schedule") is None,
            f"a {kind} profile needs startSchedule",
        ),
        (
            schedule["charging_rate_unit"] not in capabilities.rate_units,
            f"chargingRateUnit {schedule['charging_rate_unit']} not supported",
        ),
        (
            profile["stack_level"] > capabilities.max_stack_level,
            f"stackLevel above {capabilities.max_stack_level}",
        ),
        (
            len(schedule["charging_schedule_period"]) > capabilities.max_periods,
            f"more than {capabilities.max_periods} periods",
        ),
    )
    return next((reason for failed, reason in checks if failed), None)


def to_16(profile: Mapping[str, Any], installed_at: datetime) -> ChargingProfile:
    """Parse a snake_case 2.0.1 chargingProfile (its first schedule) as the 1.6 model.

    The transactionId is left out: TxProfiles are checked on install and cleared
    when their transaction ends. Raises ProfileError when malformed.
    """
    schedule = profile["charging_schedule"][0]
    data = {
        "charging_profile_id": profile["id"],
        "stack_level": profile["stack_level"],
        "charging_profile_purpose": PURPOSE_TO_16[profile["charging_profile_purpose"]],
        "charging_profile_kind": profile["charging_profile_kind"],
        "recurrency_kind": profile.get("recurrency_kind"),
        "valid_from": profile.get("valid_from"),
        "valid_to": profile.get("valid_to"),
        "charging_schedule": {
            key: schedule.get(key)
            for key in (
                "charging_rate_unit",
                "charging_schedule_period",
                "start_schedule",
                "duration",
                "min_charging_rate",
            )
        },
    }
    return ChargingProfile.from_dict(data, installed_at)


class ProfileBook:
    """Installed profiles per EVSE (0: the station), evaluated by the 1.6 ProfileStore."""

    def __init__(self, voltage: float, phases: int) -> None:
        """Convert W to A with `voltage` * phases."""
        self.store = ProfileStore(voltage, phases)
        self._originals: dict[int, tuple[int, dict[str, Any]]] = {}  # id -> (evse, profile)

    def install(self, evse_id: int, profile: Mapping[str, Any], now: datetime) -> None:
        """Install a snake_case 2.0.1 profile, replacing the one(s) it supersedes."""
        self.store.install(evse_id, to_16(self.store_view(profile), now))
        self._originals[int(profile["id"])] = (evse_id, dict(profile))
        self._sync()

    def store_view(self, profile: Mapping[str, Any]) -> Mapping[str, Any]:
        """The profile as the 1.6 store evaluates it (a later version maps its periods here)."""
        return profile

    def clear(
        self,
        *,
        profile_id: int | None = None,
        evse_id: int | None = None,
        purpose: str | None = None,
        stack_level: int | None = None,
    ) -> int:
        """Remove matching profiles (2.0.1 purpose names); return how many went."""
        removed = self.store.clear(
            profile_id=profile_id,
            connector_id=evse_id,
            purpose=None if purpose is None else PURPOSE_TO_16.get(purpose, purpose),
            stack_level=stack_level,
        )
        self._sync()
        return removed

    def purge(self, now: datetime) -> None:
        """Drop profiles past their validTo or an Absolute schedule's end."""
        for _, profile in self.store.profiles():
            if _expired(profile, now):
                self.store.clear(profile_id=profile.profile_id)
        self._sync()

    def find(
        self,
        evse_id: int | None,
        ids: Iterable[int] | None = None,
        purpose: str | None = None,
        stack_level: int | None = None,
    ) -> dict[int, list[dict[str, Any]]]:
        """The installed 2.0.1 profiles matching GetChargingProfiles' criteria, per EVSE."""
        wanted = None if ids is None else set(ids)
        found: dict[int, list[dict[str, Any]]] = {}
        for profile_id, (evse, profile) in sorted(self._originals.items()):
            if (
                (evse_id is None or evse == evse_id)
                and (wanted is None or profile_id in wanted)
                and (purpose is None or profile["charging_profile_purpose"] == purpose)
                and (stack_level is None or profile["stack_level"] == stack_level)
            ):
                found.setdefault(evse, []).append(profile)
        return found

    def _sync(self) -> None:
        """Forget the originals of profiles the store replaced or removed."""
        kept = {(evse, profile.profile_id) for evse, profile in self.store.profiles()}
        self._originals = {
            profile_id: entry
            for profile_id, entry in self._originals.items()
            if (entry[0], profile_id) in kept
        }


def _expired(profile: ChargingProfile, now: datetime) -> bool:
    if profile.valid_to is not None and profile.valid_to <= now:
        return True
    return (
        profile.kind == "Absolute"
        and profile.start_schedule is not None
        and profile.duration is not None
        and profile.start_schedule + timedelta(seconds=profile.duration) <= now
    )
