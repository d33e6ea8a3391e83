"""Diagnostics of the balancer: its settings, the site options and its last answer.

Times on the engine's monotonic clock mean nothing outside this process: they are given
in seconds relative to the last allocation (negative: before it), which `allocated_at`
dates on the wall clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
import math
from typing import TYPE_CHECKING, Any, Final

from .site_options import SITE_SCHEMA, default_site_options

if TYPE_CHECKING:
    from .balancing import Result, SiteInput
    from .balancing.model import PhaseCurrents
    from .site_balancer import Balancer

PHASES: Final = ("l1", "l2", "l3")
# Hundredths of an ampere, of a watt or of a second are finer than any meter reads.
DIGITS: Final = 2
# Fields of the engine's dataclasses that are times on its clock.
ENGINE_TIMES: Final = frozenset(
    {
        "sent_at",
        "phase_since",
        "waiting_since",
        "served_since",
        "over_since",
        "car_limit_since",
        "planned_until",
        "planned_start",
        "measured_at",
        "departure",
    }
)
SITE_OPTION_KEYS: Final = tuple(str(key) for key in SITE_SCHEMA.schema)


def balancer_diagnostics(balancer: Balancer) -> dict[str, Any]:
    """Whether it balances, how, and what it decided last (not yet JSON-safe or redacted)."""
    enabled = balancer.enabled
    result = balancer.site.data
    diagnostics: dict[str, Any] = rounded(
        {
            "enabled": enabled,
            "idle": balancer.idle,
            "safe_share": balancer.safe_share() if enabled else None,
            "site_options": site_options(balancer.options),
            "engine_settings": asdict(balancer.engine_settings()),
            "last_result": None if result is None else _result(balancer, result),
        }
    )
    return diagnostics


def site_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """The site options in effect: the entry's, defaults for those it does not set."""
    effective = {**default_site_options(), **options}
    return {key: effective[key] for key in SITE_OPTION_KEYS if key in effective}


def _result(balancer: Balancer, result: Result) -> dict[str, Any]:
    now = result.state.last_now
    site = balancer.last_site
    memory = result.state.connectors
    return {
        "allocated_at": None if now is None else balancer.to_datetime(now),
        "failsafe": result.failsafe,
        "overloaded": result.overloaded,
        "surplus_power": result.surplus_power,
        "phases": per_phase(
            non_ev_load=result.non_ev_load,
            ev_budget=result.ev_budget,
            allocated=result.allocated,
            headroom=result.headroom,
        ),
        "allocations": {
            key: relative_times(asdict(allocation), now)
            for key, allocation in sorted(result.allocations.items())
        },
        "memory": {key: relative_times(asdict(memory[key]), now) for key in sorted(memory)},
        "input": None if site is None else _site_input(site),
    }


def _site_input(site: SiteInput) -> dict[str, Any]:
    """What the last allocation saw (its settings are `engine_settings`)."""
    return {
        "grid_limit": site.grid_limit,
        "max_import_power": site.max_import_power,
        "grid_current": site.grid_current,
        "meter_available": site.meter_available,
        "base_load": site.base_load,
        "pv_power": site.pv_power,
        "battery_power": site.battery_power,
        "price_slots": len(site.prices),
        "circuits": [asdict(circuit) for circuit in site.circuits],
        "stations": [asdict(station) for station in site.stations],
        "connectors": {
            connector.connector_id: relative_times(asdict(connector), site.now)
            for connector in sorted(site.connectors, key=lambda item: item.connector_id)
        },
    }


def per_phase(**quantities: PhaseCurrents) -> dict[str, dict[str, float]]:
    """Per-phase triples regrouped by phase: {"l1": {name: value, ...}, ...}."""
    return {
        phase: {name: values[index] for name, values in quantities.items()}
        for index, phase in enumerate(PHASES)
    }


def relative_times(fields: dict[str, Any], now: float | None) -> dict[str, Any]:
    """Engine-clock times in `fields` as seconds from `now`."""
    return {
        key: value - now if key in ENGINE_TIMES and value is not None and now is not None else value
        for key, value in fields.items()
    }


def rounded(value: Any) -> Any:
    """`value` with its floats rounded to DIGITS; infinities and NaN (not JSON) as None."""
    match value:
        case float():
            # + 0.0 turns a -0.0 from rounding a tiny negative into 0.0.
            return round(value, DIGITS) + 0.0 if math.isfinite(value) else None
        case Mapping():
            return {key: rounded(item) for key, item in value.items()}
        case list() | tuple():
            return [rounded(item) for item in value]
        case _:
            return value
