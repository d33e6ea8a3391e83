"""Which installed charging profiles a query asks the charger for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class ProfileCriteria:
    """Profiles of a purpose, a stack level and limit sources; None: any."""

    purpose: str | None = None
    stack_level: int | None = None
    sources: tuple[str, ...] = ()

    def as_request(self) -> dict[str, Any]:
        """The chargingProfile criterion of a 2.x GetChargingProfiles (snake_case)."""
        criterion: dict[str, Any] = {}
        if self.purpose is not None:
            criterion["charging_profile_purpose"] = self.purpose
        if self.stack_level is not None:
            criterion["stack_level"] = self.stack_level
        if self.sources:
            criterion["charging_limit_source"] = list(self.sources)
        return criterion
