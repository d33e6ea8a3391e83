"""Connectors that draw more than they were allowed."""

from __future__ import annotations

from .model import ConnectorMemory, EngineSettings, PhaseCurrents


def check_compliance(
    measured: PhaseCurrents, memory: ConnectorMemory, now: float, settings: EngineSettings
) -> tuple[bool, float | None]:
    """Whether the connector is non-compliant, and since when it draws too much.

    Flagged once it has drawn above its last sent allocation + `compliance_tolerance`
    (on any phase), or discharged more than its last sent discharge + the tolerance
    (V2X: readings are negative), for `compliance_delay` seconds; cleared as soon as it
    draws within the tolerance again. Never before anything was sent to it.
    """
    if memory.sent_at is None:
        return False, None
    ceiling = memory.sent + settings.compliance_tolerance
    floor = -memory.discharge - settings.compliance_tolerance
    if all(floor <= value <= ceiling for value in measured):
        return False, None
    since = now if memory.over_since is None else memory.over_since
    return memory.non_compliant or now - since >= settings.compliance_delay, since
