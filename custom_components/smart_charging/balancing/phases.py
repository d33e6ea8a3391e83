"""3→1 phase switching of solar connectors."""

from __future__ import annotations

from .constants import THREE_PHASES


def switch_phases(
    phases: int,
    since: float | None,
    available: float,
    min_power_1: float,
    min_power_3: float,
    now: float,
    delay: float,
) -> tuple[int, float | None]:
    """Decide the phase count of a switchable solar connector.

    On 3 phases it switches to 1 when the surplus covers the 1-phase minimum but not
    the 3-phase one for `delay` seconds; on 1 phase it switches back when the surplus
    covers the 3-phase minimum for `delay`. Returns (phases, since when the condition
    holds, or None).
    """
    on_three = phases == THREE_PHASES
    wanted = min_power_1 <= available < min_power_3 if on_three else available >= min_power_3
    if not wanted:
        return phases, None
    since = now if since is None else since
    if now - since >= delay:
        return (1 if on_three else THREE_PHASES), None
    return phases, since
