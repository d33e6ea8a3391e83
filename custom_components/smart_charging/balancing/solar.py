"""Solar surplus and its energy-based start/stop hysteresis."""

from __future__ import annotations

from .constants import ALL_PHASES, NOMINAL_VOLTAGE, THREE_PHASES
from .context import Context
from .model import EngineSettings, Mode, SiteInput
from .network import finite
from .phases import switch_phases


def surplus_power(site: SiteInput, solar_draw: float) -> float:
    """What the solar modes may use (W): export plus what they draw now.

    `solar_draw` is what they draw, in A summed over the phases.

    Their draw counts because it would be exported without them. Net over the phases
    (import positive): surplus = what they draw - grid power, never below 0. A home
    battery: with `battery_priority` its charging is left to it (the meter already
    sees it) and its discharging is not surplus; without, what it charges with is
    surplus too. `pv_power` caps it. Without a grid meter there is no surplus.
    """
    grid = site.grid_current
    if grid is None or not site.meter_available:
        return 0.0
    settings = site.settings
    voltage = finite(settings.voltage, NOMINAL_VOLTAGE) or NOMINAL_VOLTAGE
    surplus = (solar_draw - sum(finite(grid[phase]) for phase in ALL_PHASES)) * voltage
    if site.battery_power is not None:
        battery = finite(site.battery_power)
        surplus += battery if not settings.battery_priority else min(0.0, battery)
    if site.pv_power is not None:
        surplus = min(surplus, max(0.0, finite(site.pv_power)))
    return max(0.0, surplus)


def hysteresis(
    on: bool,
    energy: float,
    available: float,
    min_power: float,
    dt: float,
    settings: EngineSettings,
) -> tuple[bool, float]:
    """Advance a solar connector's start/stop accumulator.

    Off: it accumulates (available - min_power) * dt (never below 0) and starts once
    that reaches min_power * solar_start_delay while the surplus covers its minimum.
    On: it accumulates the deficit (min_power - available) * dt and stops once that
    reaches min_power * solar_stop_delay while the surplus is short. A short cloud or
    a short burst only moves the accumulator. Returns (on, energy in Ws).
    """
    if on:
        energy = max(0.0, energy + (min_power - available) * dt)
        if available < min_power and energy >= min_power * settings.solar_stop_delay:
            return False, 0.0
        return True, energy
    energy = max(0.0, energy + (available - min_power) * dt)
    if available >= min_power and energy >= min_power * settings.solar_start_delay:
        return True, 0.0
    return False, energy


def decide_solar(context: Context, surplus: float) -> None:
    """Phase switching and the start/stop hysteresis of the solar connectors.

    The surplus is handed out in order: MIN_SOLAR minimums, then SOLAR connectors
    that are on (longest first), then those waiting for surplus (longest waiting
    first); each sees what the ones before it left.
    """
    settings = context.site.settings
    now = context.now
    dt = context.dt or 0.0
    connectors = context.connectors
    memories = context.memories

    keys: dict[int, tuple[int, int, float, int]] = {}
    min_solar = Mode.MIN_SOLAR
    for i in context.solar:
        memory = memories[i]
        if connectors[i].mode is min_solar:
            keys[i] = (0, -context.priority[i], 0.0, i)
        elif memory.solar_on:
            since = now if memory.served_since is None else memory.served_since
            keys[i] = (1, -context.priority[i], since, i)
        else:
            since = now if memory.waiting_since is None else memory.waiting_since
            keys[i] = (2, -context.priority[i], since, i)

    # Right after a raise the grid meter already shows the solar cars drawing more while
    # their chargers' readings do not (`context.solar_rising`): the surplus looks that
    # much smaller. A connector that is on does not count that as a deficit: with a short
    # stop delay it stopped in the seconds after it started, and never charged. (Another
    # car's raise is a real loss of surplus: its draw is not in the surplus.)
    pending = context.solar_rising * context.voltage
    left = surplus
    for i in sorted(keys, key=keys.__getitem__):
        memory = memories[i]
        per_phase = context.min_current[i] * context.voltage
        if context.switchable[i]:
            context.phase_count[i], context.phase_since[i] = switch_phases(
                memory.phases,
                memory.phase_since,
                left,
                per_phase,
                THREE_PHASES * per_phase,
                now,
                settings.phase_switch_delay,
            )
        min_power = per_phase * len(context.effective_phases(i))
        if connectors[i].mode is Mode.SOLAR:
            # A car not seen drawing may be a 1-phase one: start it on one phase's worth.
            needed = min_power if connectors[i].phases_known or memory.solar_on else per_phase
            available = left + pending if memory.solar_on else left
            context.solar_on[i], context.solar_energy[i] = hysteresis(
                memory.solar_on, memory.solar_energy, available, needed, dt, settings
            )
            if not context.solar_on[i]:
                continue
        left -= min_power
