"""The two kinds of simulated 2.1 station: an AC wallbox and a DC station, both bidirectional."""

from __future__ import annotations

from typing import Any

from .station import SimulatedStation21

AC_VOLTAGE = 230.0  # V per phase
AC_PHASES = 3


def ac_wallbox(station_id: str, url: str, kw: float = 11.0, **options: Any) -> SimulatedStation21:
    """A 3-phase AC_BPT wallbox: `kw` both ways (11: 16 A per phase), A and W profiles."""
    amps = round(kw * 1000 / (AC_VOLTAGE * AC_PHASES))
    return SimulatedStation21(
        station_id,
        url,
        phases=AC_PHASES,
        max_current=float(amps),
        discharge_power=kw * 1000,
        **options,
    )


def dc_station(station_id: str, url: str, kw: float = 22.0, **options: Any) -> SimulatedStation21:
    """A DC_BPT station: `kw` both ways, three phases balanced by its inverter, W profiles."""
    return SimulatedStation21(
        station_id, url, dc=True, dc_power=kw * 1000, discharge_power=kw * 1000, **options
    )
