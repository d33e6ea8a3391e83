"""Departure deadlines: when a connector must charge now to have its energy in time.

The rule that turns a connector FAST and first in its priority (`mark_deadline`, while
classifying the input), and the rates the sharing (`sharing.on_schedule`) and the price
plan (`planner`) derive from the same margin and buffer.
"""

from __future__ import annotations

from dataclasses import replace
import math

from .constants import SECONDS_PER_HOUR, TAPER_SLOWDOWN, TAPER_SOC
from .context import Context
from .model import ConnectorInput, EngineSettings, Mode
from .network import finite

# Modes that wait for something (surplus, cheaper slots) and so may need a deadline.
_WAITING_MODES = (Mode.SOLAR, Mode.MIN_SOLAR, Mode.PRICE)
_SOLAR_MODES = (Mode.SOLAR, Mode.MIN_SOLAR)


def energy_wanted(connector: ConnectorInput, settings: EngineSettings) -> float:
    """Wh its energy target still lacks; 0 within `energy_tolerance` (or without a target).

    With the tail (`taper_tail`): what the time estimates that count on its maximum
    (the deadline, the sharing, the plan, V2X's charging back) must plan for.
    """
    needed = connector.energy_needed or 0.0
    if not needed > settings.energy_tolerance:
        return 0.0
    return needed + taper_tail(connector, needed, settings)


def taper_tail(connector: ConnectorInput, needed: float, settings: EngineSettings) -> float:
    """Wh to add to `needed` for a car that charges slower near full.

    Near full a battery takes less than its maximum (its management tapers the current).
    Where the car's SoC and target are known (V2X), the part of `needed` above
    TAPER_SOC counts TAPER_SLOWDOWN times: charging it takes that much longer. The
    deadline's margin is meant for such a taper: only what the tail needs beyond it is
    added (for a 100 % target, from about 33 % SoC on: below, 15 % of what is left covers
    the 10 % above TAPER_SOC).
    """
    v2x = connector.v2x
    if v2x is None or v2x.soc is None or v2x.target_soc is None:
        return 0.0
    soc, target = finite(v2x.soc), finite(v2x.target_soc)
    if not target > max(soc, TAPER_SOC):
        return 0.0
    share = (target - max(soc, TAPER_SOC)) / (target - soc)
    slow = needed * (1 + share * (TAPER_SLOWDOWN - 1))
    margin = 1 + max(0.0, finite(settings.deadline_margin))
    return max(0.0, slow / margin - needed)


def departure_power(energy: float, seconds: float, settings: EngineSettings) -> float:
    """W that deliver `energy` Wh in the `seconds` left before a departure.

    With the deadline's margin and buffer: `energy` * (1 + deadline_margin) over the time
    left less deadline_buffer (math.inf once that is gone): `mark_deadline`'s test as a
    rate (due once this reaches the car's maximum). Giving way (`sharing.on_schedule`)
    and the plan's sharing check (`planner`) both ask it.
    """
    seconds -= settings.deadline_buffer
    if seconds <= 0:
        return math.inf
    return energy * (1 + settings.deadline_margin) * SECONDS_PER_HOUR / seconds


def charge_power(context: Context, i: int, connector: ConnectorInput) -> float:
    """W it charges at most: the deadline counts on this (its wired phases, its maximum)."""
    high = context.max_current[i]  # the car's learned maximum, if lower
    if high <= context.min_current[i] < connector.max_current:
        # Learned as taking nothing (SuspendedEV): that says nothing about what it
        # takes once it resumes, and counted as its maximum it was due hours early.
        high = connector.max_current
    return high * context.voltage * len(context.wired[i])


def energy_room(context: Context, i: int, connector: ConnectorInput, departure: float) -> float:
    """Wh it may still want by `departure` and not be due yet (`mark_deadline`'s test).

    V2X: a car discharges only while what it must charge back stays below this.
    """
    rate = departure_power(1.0, departure - context.now, context.site.settings)
    power = charge_power(context, i, connector)
    if not (0 < power < math.inf and rate < math.inf):
        return 0.0
    return power / rate


def mark_deadline(
    context: Context, i: int, connector: ConnectorInput, settings: EngineSettings
) -> ConnectorInput:
    """A connector as FAST, served first in its priority, once its energy only just fits.

    That is: before its departure, at its maximum, with the margin and the buffer. In
    the modes that wait (surplus, cheaper slots) it stops waiting; a FAST connector stops
    giving way. Once on, it stays on until the energy is in (or the deadline is gone):
    charging at the maximum gains on the margin, so the test alone would toggle it at
    every call. A FAST connector not yet due is patient (see `sharing.on_schedule`).
    A solar car not checked yet that would be due on one phase charges a moment as FAST,
    not flagged, until its draw tells its phases and its maximum.

    Called while classifying, once `context.wired[i]` holds its valid grid phases.
    """
    needed = energy_wanted(connector, settings)
    departure = connector.departure
    fast = connector.mode is Mode.FAST
    if not connector.active or not needed or not (fast or connector.mode in _WAITING_MODES):
        return connector
    if not context.memories[i].deadline:
        phases = len(context.wired[i])
        power = charge_power(context, i, connector)
        if not 0 < power < math.inf or departure is None:
            return connector
        seconds = needed / power * SECONDS_PER_HOUR * (1 + settings.deadline_margin)
        if not context.now + seconds + settings.deadline_buffer >= departure:
            if connector.mode in _SOLAR_MODES and not context.car_checked[i]:
                # Not seen following an offer yet, it may take a third of what its
                # wallbox offers on three phases (a 1-phase car): due on one phase, it
                # charges a moment, until its draw tells its phases and its maximum.
                # Counted on three, such a car was due hours late and left with half its
                # energy. (A price car's plan checks the car on arrival.)
                one_phase = seconds * phases
                if context.now + one_phase + settings.deadline_buffer >= departure:
                    connector = context.connectors[i] = replace(connector, mode=Mode.FAST)
                    context.checking.add(i)
            elif fast:
                context.patient.add(i)
            return connector
    connector = context.connectors[i] = replace(connector, mode=Mode.FAST)
    context.deadline.add(i)
    return connector
