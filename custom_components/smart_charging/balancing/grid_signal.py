"""V2X grid signal asking for import: its cars charge what it asks for, within every limit.

The signal is what the whole site should import (W). What the site imports without
these cars (the house, the other cars' charging and discharging) is taken from it; the
rest is one more constraint (in W) that they share as the charging is shared: a
minimum each, by rotation, then max-min fair, within every fuse, circuit and station.
Their charging mode does not matter here (a departure does: such a car is not steered).
"""

from __future__ import annotations

from .admission import admission_order, admit
from .constants import ALL_PHASES, OWN_CAP
from .context import Context, Status
from .direction import charge_waits, drop_charge
from .discharge_room import Room
from .model import LimitReason
from .network import Pairs
from .safety import ramp_ceiling
from .sharing import settle
from .waterfill import fill

SIGNAL_LABEL = "grid signal"


def follow_signal(context: Context, followers: list[int], room: Room) -> None:
    """The followers charge what the signal leaves them (nothing if it asks for less)."""
    signal = context.site.v2x.grid_signal or 0.0
    voltage = context.voltage
    for i in followers:
        drop_charge(context, i)
    chosen = set(followers)
    others = sum(
        context.target[i] * len(context.phases[i])
        for i, status in enumerate(context.status)
        if status is Status.CHARGE and i not in chosen
    )
    # The house load net of the discharges decided before (`Room.take`).
    house = sum(room.base[p] + room.fixed[p] for p in ALL_PHASES)
    left = max(0.0, signal - (house + others) * voltage)
    net = context.net
    k = net.add(left, LimitReason.GRID_SIGNAL, SIGNAL_LABEL)
    ready = [
        i
        for i in followers
        if context.status[i] is Status.CHARGE  # not one that may only discharge
        and not charge_waits(context, i)
    ]
    members: list[Pairs] = list(context.members)
    for i in ready:
        members[i] = ((k, len(context.phases[i]) * voltage), *members[i])
    settings = context.site.settings
    rate = max(0.0, settings.ramp_up_rate)
    caps = list(context.max_current)
    for i in ready:
        ramp = ramp_ceiling(context.memories[i].sent, context.min_current[i], rate, context.dt)
        caps[i] = max(context.min_current[i], min(caps[i], ramp))
        context.ceiling[i] = context.max_current[i]
    blocked: dict[int, int] = {}
    order = admission_order(
        ready, context.priority, context.memories, context.now, settings.rotation_interval
    )
    admitted = admit(order, context.min_current, members, net.capacity, blocked)
    bind = [OWN_CAP] * len(caps)
    fill(
        admitted,
        context.min_current,
        caps,
        members,
        net.capacity,
        context.target,
        bind,
        context.members_of,
    )
    settle(context, admitted, caps, bind)
    for i, blocker in blocked.items():
        context.target[i] = 0.0
        context.reason[i] = (
            LimitReason.GRID_SIGNAL if blocker == k else LimitReason.WAITING_FOR_MINIMUM
        )
        context.bound_by[i] = blocker
