"""A scenario's bidirectional charger, live: an OCPP 2.1 station whose cars are the visits'.

The live demo runs each bidirectional `ChargerPlan` as a `SimulatedStation21` (`ac_wallbox`, or
`dc_station` for `dc = true`) connected to the central system. When a visit arrives, its car is
put on the EVSE as a `V2XCar` and the transaction starts: Authorize, TransactionEvent Started and
NotifyEVChargingNeeds with the car's V2X needs (SoC, target, departure). When it leaves, the
transaction ends. The plant reads the EVSE's signed draw: negative while the car discharges.

Time: OCPP and the cars' power stay on real time while the site runs `speed` times faster, as for
the 1.6 chargers. So that a bidirectional car's state of charge moves at the site's pace (and its
departure target stays reachable within the real minutes of a fast stay), its battery is scaled
by 1/`speed`: at 60x a 77 kWh car has 1.3 kWh, and an hour of the site's discharge at 3 kW (one
real minute) takes the same share of it as the full battery would lose in that hour. Likewise the
departure it tells: the integration starts charging for a departure `DEADLINE_BUFFER` (15 min) of
real time early, which at 60x would be 15 hours of the site, longer than the stay. So the car
tells its departure that much later, less the buffer on the site's clock (15 s at 60x): it is
still full in time, and discharges meanwhile as it would at 1x.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import timedelta
import logging

from simulator.background import LINK_ERRORS
from simulator.timeutil import SimClock
from simulator.v21 import SimulatedStation21, V2XCar, ac_wallbox, dc_station
from simulator.v21.kinds import AC_PHASES

from .model import ChargerPlan, Visit
from .plant import PhaseCurrents, wanted_ev

_LOGGER = logging.getLogger(__name__)
_MAX_V2X_SOC = 90.0  # % the car cycles up to (V2XCar's default)
# s of real time the integration keeps in hand before a departure (the engine's
# `EngineSettings.deadline_buffer`, balancing/model.py).
DEADLINE_BUFFER = 900.0


def station_kw(plan: ChargerPlan, voltage: float) -> float:
    """The power in kW the plan's station transfers either way: its maximum on its phases."""
    phases = AC_PHASES if plan.dc else plan.phases
    return max(plan.max_current) * voltage * phases / 1000


def build_station(
    plan: ChargerPlan, url: str, voltage: float, clock: SimClock | None = None
) -> SimulatedStation21:
    """The OCPP 2.1 station of a bidirectional plan (not yet connected; `clock`: real time)."""
    kw = station_kw(plan, voltage)
    if plan.dc:
        return dc_station(
            plan.charger_id, url, kw, evses=plan.connectors, model=plan.model, clock=clock
        )
    if plan.phases == AC_PHASES:
        return ac_wallbox(
            plan.charger_id, url, kw, evses=plan.connectors, model=plan.model, clock=clock
        )
    return SimulatedStation21(
        plan.charger_id,
        url,
        phases=plan.phases,
        max_current=max(plan.max_current),
        discharge_power=kw * 1000,
        evses=plan.connectors,
        model=plan.model,
        clock=clock,
    )


def told_stay(visit: Visit, t: float, speed: float) -> timedelta:
    """How long after plugging in at site time `t` the car says it leaves (real time).

    It really leaves when the site reaches `visit.depart`, `speed` site seconds per real second
    from now; it tells the integration's deadline buffer later, less that buffer's site time.
    """
    stay = max(0.0, visit.depart - t) / speed
    return timedelta(seconds=stay + DEADLINE_BUFFER * (1 - 1 / speed))


def visit_car(
    visit: Visit, station: SimulatedStation21, *, voltage: float, scale: float, stay: timedelta
) -> V2XCar:
    """The visit's car as a V2XCar for `station`: battery times `scale`, leaving after `stay`.

    Its maxima are the scenario car's on the grid side (A per phase times its phases); its own
    discharge floor is the car's `min_soc` (the driver's reserve is a setting in HA). A car
    without V2X keys only charges.
    """
    ev = wanted_ev(visit)
    v2x = visit.v2x
    charge_w = ev.max_current * voltage * ev.phases
    discharge_w = 0.0 if v2x is None else v2x.max_discharge_current * voltage * ev.phases
    floor = 0.0 if v2x is None else v2x.min_soc
    return V2XCar(
        capacity_kwh=ev.capacity_wh / 1000 * scale,
        soc=ev.initial_soc,
        target_soc=ev.target_soc,
        max_power=charge_w,
        max_current=charge_w / (station.voltage * station.phases),
        max_discharge_power=discharge_w,
        min_v2x_soc=floor,
        max_v2x_soc=max(_MAX_V2X_SOC, floor),
        charge_efficiency=ev.efficiency,
        discharge_efficiency=ev.efficiency if v2x is None else v2x.discharge_efficiency,
        response_delay=ev.response_delay,
        bidirectional=v2x is not None,
        stay=stay,
    )


class BidiStation:
    """A bidirectional plan's station on the site (the plant's `SiteStation`)."""

    def __init__(
        self,
        plan: ChargerPlan,
        url: str,
        *,
        voltage: float,
        speed: float,
        clock: SimClock | None = None,
    ) -> None:
        """The station of `plan` for the central system at `url`; the site runs `speed`x.

        The station keeps its own `clock` (real time by default), as the 1.6 chargers do.
        """
        self.plan = plan
        self.voltage = voltage
        self.speed = speed
        self.station = build_station(plan, url, voltage, clock)

    def __repr__(self) -> str:
        """Name the station in logs."""
        return repr(self.station)

    # --- the plant's view ----------------------------------------------------------------

    @property
    def connectors(self) -> Mapping[int, object]:
        """The EVSEs, by id."""
        return self.station.evses

    def catch_up(self) -> None:
        """Meter every EVSE up to now (the station runs on real time)."""
        for evse_id in self.station.evses:
            self.station.energy_wh(evse_id)

    def energy_wh(self, connector_id: int) -> float:
        """The EVSE's import register, Wh."""
        return self.station.energy_wh(connector_id)

    def phases(self, connector_id: int) -> tuple[int, ...]:
        """Grid phases the EVSE draws and feeds on: all three for DC, else after the rotation."""
        del connector_id  # every EVSE of a station is wired alike
        count = AC_PHASES if self.plan.dc else self.station.phases
        return tuple(sorted((phase + self.plan.phase_rotation) % 3 for phase in range(count)))

    def draw(self, connector_id: int) -> PhaseCurrents:
        """Signed A per grid phase the EVSE carries now (negative: the car discharges)."""
        watts = self.station.phase_power(connector_id)
        grid = [0.0, 0.0, 0.0]
        if self.plan.dc:
            for phase in range(3):
                grid[phase] = sum(watts) / 3 / self.voltage
        else:
            for phase, power in enumerate(watts):
                grid[(phase + self.plan.phase_rotation) % 3] += power / self.voltage
        return grid[0], grid[1], grid[2]

    async def arrive(self, visit: Visit, t: float) -> str:
        """The visit's car plugs in at site time `t` and starts; return the transaction id.

        It tells its needs (start_transaction sends them), with the departure of `told_stay`.
        """
        stay = told_stay(visit, t, self.speed)
        car = visit_car(visit, self.station, voltage=self.voltage, scale=1 / self.speed, stay=stay)
        self.station.plug_in(visit.connector_id, car)
        transaction_id = await self.station.start_transaction(visit.connector_id)
        _LOGGER.info(
            "%s: EVSE %d car at %.0f %% (target %.0f %%) leaves in %s (tells %s)",
            self,
            visit.connector_id,
            car.soc,
            car.target_soc,
            str(timedelta(seconds=round(max(0.0, visit.depart - t) / self.speed))),
            str(timedelta(seconds=round(stay.total_seconds()))),
        )
        return transaction_id

    async def leave(self, connector_id: int) -> None:
        """The car leaves: the transaction ends."""
        if self.station.transaction_id(connector_id) is not None:
            await self.station.stop_transaction(connector_id, reason="EVDisconnected")

    # --- the connection ------------------------------------------------------------------

    async def connect_with_retry(self, max_backoff: float = 5.0) -> None:
        """Connect and boot, retrying until the central system answers."""
        delay = min(0.5, max_backoff)
        while True:
            try:
                status = await self.station.connect()
            except LINK_ERRORS as err:
                _LOGGER.info("%s: cannot connect (%s); retrying in %.1f s", self, err, delay)
                await self.station.close()
                await asyncio.sleep(delay)
                delay = min(delay * 2, max_backoff)
                continue
            if status != "Accepted":
                _LOGGER.warning("%s: boot %s", self, status)
            return

    async def wait_accepted(self, timeout: float | None = 5.0) -> None:  # noqa: ASYNC109
        """Wait until the boot is accepted."""
        await self.station.wait_accepted(timeout)

    async def close(self) -> None:
        """Close the connection."""
        await self.station.close()
