"""A car behind a connector: battery, onboard charger, taper and response delay (pure)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class EVSpec:
    """What a car is: its battery, its onboard charger and how fast it follows a limit."""

    name: str = "EV"
    capacity_wh: float = 60_000.0  # usable battery
    initial_soc: float = 20.0  # % when it plugs in
    target_soc: float = 100.0  # % at which it stops drawing (SuspendedEV)
    max_current: float = 16.0  # A per phase the onboard charger (or DC battery) takes
    phases: int = 3  # 1 or 3: phases the onboard charger uses (DC: 3, on the grid side)
    min_current: float = 6.0  # A per phase below which it cannot charge
    taper_soc: float = 80.0  # % above which the accepted current falls linearly ...
    taper_floor: float = 0.1  # ... to this share of max_current at 100 %
    response_delay: float = 3.0  # s before it follows a new offered current (IEC 61851: <= 5 s)
    ramp_rate: float = 5.0  # A/s at which it rises to a higher offer, once it follows
    efficiency: float = 0.9  # share of grid energy that ends up in the battery
