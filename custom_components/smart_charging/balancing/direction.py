"""V2X: a change between charging and discharging passes through 0.

The call that would flip the sign sends 0 instead (a cut, never delayed); the other
direction follows once that 0 has been held `direction_change_delay` seconds. The
caller learns when that is (`Result.recheck_at`) and calls again then. A car that does
not follow its setpoint at all (a full car offered its minimum: SuspendedEV, or a
reading of nothing taken after it had the time to follow) is at 0 already: it changes
direction at once, so an overload is relieved without a pause the car does not need.
"""

from __future__ import annotations

from .constants import IDLE_CURRENT, NO_CONSTRAINT
from .context import Context
from .model import LimitReason


def discharge_waits(context: Context, i: int) -> bool:
    """Car i may not discharge yet: it charges, or its 0 after charging is too recent.

    Notes when to call again.
    """
    memory = context.memories[i]
    delay = context.site.settings.direction_change_delay
    if memory.sent > 0:
        if context.connectors[i].suspended or _idle(context, i):
            return False
        _recheck(context, context.now + delay)
        return True
    if memory.discharge > 0 or memory.discharged or memory.sent_at is None:
        return False
    return _too_recent(context, memory.sent_at + delay)


def charge_waits(context: Context, i: int) -> bool:
    """Car i may not charge yet: it discharges, or its 0 after discharging is too recent."""
    memory = context.memories[i]
    delay = context.site.settings.direction_change_delay
    if memory.discharge > 0:
        if _idle(context, i):
            return False
        _recheck(context, context.now + delay)
        return True
    if not memory.discharged or memory.sent_at is None:
        return False
    return _too_recent(context, memory.sent_at + delay)


def _idle(context: Context, i: int) -> bool:
    """Its reading shows nothing flowing, read after it had the time to follow its setpoint."""
    memory = context.memories[i]
    if memory.sent_at is None or not context.connectors[i].online:
        return False
    read_at = context.connectors[i].measured_at
    if read_at is None:
        read_at = context.now
    if read_at - memory.sent_at < context.site.settings.response_time:
        return False
    return all(abs(value) < IDLE_CURRENT for value in context.measured[i])


def _too_recent(context: Context, due: float) -> bool:
    """The 0 is held until `due`: not yet there (noted as the time to call again)."""
    if context.now < due:
        _recheck(context, due)
        return True
    return False


def _recheck(context: Context, at: float) -> None:
    if context.recheck_at is None or at < context.recheck_at:
        context.recheck_at = at


def drop_charge(context: Context, i: int) -> None:
    """Car i charges nothing now: its share goes back to the constraints."""
    current = context.target[i]
    if current > 0:
        capacity = context.net.capacity
        for k, w in context.members[i]:
            capacity[k] += w * current
        context.target[i] = 0.0


def hold_direction(context: Context) -> None:
    """No V2X connector charges right after it discharged (see the module)."""
    target = context.target
    for i in context.v2x:
        if target[i] > 0 and i not in context.discharge and charge_waits(context, i):
            drop_charge(context, i)
            context.reason[i] = LimitReason.CHANGING_DIRECTION
            context.bound_by[i] = NO_CONSTRAINT
