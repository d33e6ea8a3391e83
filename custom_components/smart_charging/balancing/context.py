"""One call's working state: each connector's status, readings, target and reason.

Connectors are handled by index, sorted by station then id (so the input order never
matters, and ties are always broken the same way), in parallel lists: the engine's
inner loops run over plain lists of floats and ints. `classification.make_context`
builds it; the constraint memberships come from `membership.MembershipIndex`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from .membership import MembershipIndex
from .model import Allocation, ConnectorMemory, LimitReason, PhaseCurrents, SiteInput


class Status(IntEnum):
    """What the engine can do with a connector."""

    CHARGE = 0  # takes part in the sharing
    OFFLINE = 1  # cannot be steered: its draw is fixed load
    NON_COMPLIANT = 2  # does not obey: its draw is fixed load
    INACTIVE = 3  # no car / no session
    OFF = 4  # mode off
    UNABLE = 5  # its maximum is below its minimum


STATUS_REASONS = {
    Status.OFFLINE: LimitReason.CHARGER_OFFLINE,
    Status.NON_COMPLIANT: LimitReason.NON_COMPLIANT,
    Status.INACTIVE: LimitReason.NOT_CHARGING,
    Status.OFF: LimitReason.MODE_OFF,
    Status.UNABLE: LimitReason.USER_MAXIMUM,
}


@dataclass(slots=True)
class Context(MembershipIndex):
    """Per-call state shared by the stages of `allocate`."""

    site: SiteInput
    now: float
    dt: float | None  # seconds since the last call; None on the first
    previous_allocations: dict[str, Allocation]
    memories: list[ConnectorMemory]
    measured: list[PhaseCurrents]
    min_current: list[float]
    max_current: list[float]
    priority: list[int]
    status: list[Status]
    over_since: list[float | None]
    # Solar and phase state, as decided this call (start from memory; the phase
    # count is in MembershipIndex).
    phase_since: list[float | None]
    solar_on: list[bool]
    solar_energy: list[float]
    # The answer being built.
    target: list[float]
    reason: list[LimitReason]
    bound_by: list[int]  # the constraint that bound it (NO_CONSTRAINT: none)
    ceiling: list[float]  # the most it may be held at by the dead band
    # Gathered while classifying: the measured draw per station (only those drawing),
    # what solar-mode cars draw (A, over all phases), who can charge in a solar mode,
    # who cannot be steered (offline, non-compliant), who does not take part.
    station_draw: dict[str, list[float]]
    # A per phase that recently raised connectors may still add to their readings: the
    # grid can already show it (see budget._settled).
    rising: list[float]
    # Of that, A summed over the phases, per connector whose reading is from before its
    # car could follow its last limit (0 after a cut; see `classification._add_rise`).
    raised: dict[int, float]
    solar_drawn: float
    solar_rising: float  # what the connectors counted in solar_drawn may still add (A)
    solar: list[int]
    unsteerable: list[int]
    idle: list[int]
    # Connectors a departure makes charge as FAST, first in their priority (see
    # `deadline.mark_deadline`).
    deadline: set[int]
    # FAST connectors with a departure and an energy target still wanted: they may give
    # way to their class beyond what their departure needs (see `sharing.on_schedule`).
    patient: set[int]
    # Price mode (see `planner`): until when a connector charges in its planned slot,
    # when its planned charging starts, and who waits for cheaper slots.
    planned_until: list[float | None]
    planned_start: list[float | None]
    waiting_for_price: set[int]
    # The car's learned maximum and since when; who it holds below the input's maximum.
    car_limit: list[float | None]
    car_limit_since: list[float | None]
    car_limited: set[int]
    # Connectors held below their maximum by another system's limit.
    external_limited: set[int]
    # The car had the time to follow an offer this session (`ConnectorMemory.car_checked`).
    car_checked: list[bool]
    # Connectors charging a moment until their car is checked (see `deadline.mark_deadline`).
    checking: set[int]
    # V2X (see `discharge`): connectors that may discharge, or did last time; what
    # recently changed connectors may still subtract from their readings, per phase
    # (the mirror of `rising`); who discharges how much (A per phase); when to call
    # again; price mode: who was planned, and what the cars may draw now (W).
    v2x: list[int]
    negative: set[int]  # of those, who reads a negative current (discharges)
    falling: list[float]
    discharge: dict[int, float]
    recheck_at: float | None
    price_mode: list[int]
    ev_power: float
