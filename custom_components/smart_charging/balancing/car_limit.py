"""What a car takes at most: learned from a car that draws less than it is offered.

The connector's maximum is the charger's and the user's; the car's onboard charger may
take less (an 11 kW van on a 22 kW wallbox, a car near full). Offered more than it takes,
it leaves the rest unused while other cars wait. So once a car, given time to follow,
draws clearly less than offered, its maximum is what it draws plus a little: the rest
goes to the others. Lowering an offer is always safe; to find out whether the car takes
more again (the battery cooled, a phase came back), the limit is dropped when the car
uses all of it, and every `car_limit_probe` seconds while it is offered current.

A car is never held below its minimum current this way: a car tapering towards full
keeps the minimum, so it can finish, and a car that takes nothing at all (full, or
stopped by its own charge limit: SuspendedEV) keeps only the minimum, so it can resume.
"""

from __future__ import annotations

from .constants import IDLE_CURRENT
from .model import ConnectorInput, ConnectorMemory, EngineSettings, PhaseCurrents


def learn_car_limit(
    connector: ConnectorInput,
    memory: ConnectorMemory,
    measured: PhaseCurrents,
    phases: tuple[int, ...],
    min_current: float,
    now: float,
    settings: EngineSettings,
) -> tuple[float | None, float | None]:
    """The car's learned maximum (A per phase) and since when; (None, None): none known."""
    if not (connector.active and connector.online):
        return None, None
    drawn = max(measured[phase] for phase in phases)
    limit, since = memory.car_limit, memory.car_limit_since
    if limit is not None and since is not None:
        if drawn >= limit - settings.car_limit_headroom / 2 or (
            # Probing needs an offer: a car waiting (price mode) keeps what it taught.
            memory.sent > 0 and now - since >= settings.car_limit_probe
        ):
            return None, None  # it may take more: offer its share again
        return limit, since
    sent_at = memory.sent_at
    if sent_at is None or memory.sent <= 0:
        return None, None
    if connector.suspended and now - sent_at >= settings.response_time:
        # The charger says the car takes nothing (its draw may not be measured at all).
        return min_current, now
    if (
        had_time_to_follow(memory, connector.measured_at, now, settings.response_time)
        and drawn >= IDLE_CURRENT  # it charges (one that pauses says nothing of its maximum)
        and drawn < memory.sent - settings.car_limit_slack
    ):
        return max(min_current, drawn + settings.car_limit_headroom), now
    return None, None


def had_time_to_follow(
    memory: ConnectorMemory, measured_at: float | None, now: float, response_time: float
) -> bool:
    """When it was read, the car had had `response_time` to follow its last offer (> 0).

    A reading without a time (`measured_at` None) counts as fresh: read `now`.
    """
    if memory.sent <= 0 or memory.sent_at is None:
        return False
    read_at = now if measured_at is None else measured_at
    return read_at - memory.sent_at >= response_time
