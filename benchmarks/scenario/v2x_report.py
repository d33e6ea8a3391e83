"""The V2X day's report: the metrics table, and ours against the goals."""

from __future__ import annotations

from dataclasses import dataclass

from simulator.site.model import ScenarioDay

from .v2x_day import OPTIMUM, OPTIMUM_CHARGE_ONLY, V2XDay
from .v2x_metrics import COST_GOAL_PCT, V2XMetrics, cost_pct, reaction_time

CHARGE_ONLY = "charge-only"
RULE = "rule V2H"


def cheapest_price(day: ScenarioDay) -> float:
    """The lowest import price of the day's 24 hours (EUR/kWh)."""
    return min(day.prices.import_price(hour * 3600.0 + 1.0) for hour in range(24))


def shortfall_cost(day: ScenarioDay, metrics: V2XMetrics) -> float:
    """What the energy a strategy left the cars short of costs at the day's cheapest price."""
    efficiency = day.v2x.charge_efficiency if day.v2x else 1.0
    return metrics.shortfall_kwh / efficiency * cheapest_price(day)


def format_v2x_table(result: V2XDay) -> str:
    """A markdown table, one row per strategy, with the two optima last."""
    day = result.day
    best = result.rows[OPTIMUM].net_cost_eur
    header = (
        "strategy",
        "cars at target",
        "short kWh",
        "s below reserve",
        "s > fuse beyond reaction (all, max A)",
        "s > cap beyond reaction (all, max kW)",
        "discharged kWh",
        "import kWh",
        "export kWh",
        "wear EUR",
        "net cost EUR",
        "% of optimum",
        "net cost + shortfall EUR",
    )
    lines = [_row(header), _row(("---",) + ("---:",) * (len(header) - 1))]
    for name, m in result.rows.items():
        lines.append(
            _row(
                (
                    name,
                    f"{m.cars_at_target} / {m.cars} ({m.at_target_pct:.0f} %)",
                    f"{m.shortfall_kwh:.2f}",
                    f"{m.seconds_below_reserve:.0f}",
                    f"{m.fuse_seconds_beyond:.0f} ({m.fuse_seconds:.0f}, {m.max_fuse_excess_a:.1f})",
                    f"{m.cap_seconds_beyond:.0f} ({m.cap_seconds:.0f}, {m.max_cap_excess_kw:.1f})",
                    f"{m.discharged_kwh:.1f}",
                    f"{m.import_kwh:.1f}",
                    f"{m.export_kwh:.1f}",
                    f"{m.wear_eur:.2f}",
                    f"{m.net_cost_eur:.2f}",
                    f"{cost_pct(m.net_cost_eur, best):.1f}",
                    f"{m.net_cost_eur + shortfall_cost(day, m):.2f}",
                )
            )
        )
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Goal:
    """One goal of the issue for ours: what it asks, what ours did, whether it holds."""

    name: str
    wanted: str
    got: str
    met: bool | None  # None: does not apply on this day


def goals(result: V2XDay) -> list[Goal]:
    """Ours (the day's objective) against the issue's goals."""
    rows = result.rows
    ours, best = rows[result.ours], rows[OPTIMUM]
    pct = cost_pct(ours.net_cost_eur, best.net_cost_eur)
    out = [
        Goal("cars at target", "100 %", f"{ours.at_target_pct:.1f} %", ours.at_target_pct >= 100),
        Goal(
            "s below reserve",
            "0",
            f"{ours.seconds_below_reserve:.0f}",
            ours.seconds_below_reserve == 0,
        ),
        Goal(
            "s > fuse beyond reaction",
            "0",
            f"{ours.fuse_seconds_beyond:.0f}",
            ours.fuse_seconds_beyond == 0,
        ),
        Goal("s > cap beyond reaction", "0", f"{ours.cap_seconds_beyond:.0f}", _zero_cap(result)),
        Goal(
            "net cost vs optimum", f"<= {COST_GOAL_PCT:g} %", f"{pct:.1f} %", pct <= COST_GOAL_PCT
        ),
    ]
    for name in (CHARGE_ONLY, RULE):
        other = rows[name]
        out.append(
            Goal(
                f"net cost below {name}",
                f"< {other.net_cost_eur:.2f} EUR",
                f"{ours.net_cost_eur:.2f} EUR",
                ours.net_cost_eur < other.net_cost_eur,
            )
        )
        mine_adjusted = ours.net_cost_eur + shortfall_cost(result.day, ours)
        theirs_adjusted = other.net_cost_eur + shortfall_cost(result.day, other)
        out.append(
            Goal(
                f"net cost + shortfall below {name}",
                f"< {theirs_adjusted:.2f} EUR",
                f"{mine_adjusted:.2f} EUR",
                mine_adjusted < theirs_adjusted,
            )
        )
        mine = ours.fuse_seconds_beyond + ours.cap_seconds_beyond
        theirs = other.fuse_seconds_beyond + other.cap_seconds_beyond
        out.append(
            Goal(
                f"s > fuse or cap beyond reaction below {name}",
                f"< {theirs:.0f}",
                f"{mine:.0f}",
                None if mine == theirs == 0 else mine < theirs,
            )
        )
    return out


def _zero_cap(result: V2XDay) -> bool | None:
    ours = result.rows[result.ours]
    if not result.day.grid_events and result.day.max_import_power is None:
        return None
    return ours.cap_seconds_beyond == 0


def holding_price(result: V2XDay) -> str:
    """What holding the fuse and the cap costs: ours against charge-only, and at best.

    Empty where the charge-only optimum holds them too (then nothing is paid for them).
    """
    rows = result.rows
    free = rows[OPTIMUM_CHARGE_ONLY]
    breached = free.fuse_seconds_beyond + free.cap_seconds_beyond
    if not breached:
        return ""
    at_best = rows[OPTIMUM].net_cost_eur - free.net_cost_eur
    ours = rows[result.ours].net_cost_eur - rows[CHARGE_ONLY].net_cost_eur
    return (
        f"Holding the fuse and the cap has a price here: even with perfect foresight, charging "
        f"alone stays above them for {breached:.0f} s, and the optimum that holds them costs "
        f"{at_best:+.2f} EUR against the charge-only optimum. Ours costs {ours:+.2f} EUR "
        f"against charge-only.\n\n"
    )


def format_goals(result: V2XDay) -> str:
    """A markdown table of the goals (✓ met, ✗ not, - does not apply)."""
    lines = [_row(("goal", "wanted", result.ours, "")), _row(("---", "---:", "---:", ":---:"))]
    for goal in goals(result):
        mark = "-" if goal.met is None else ("✓" if goal.met else "✗")
        lines.append(_row((goal.name, goal.wanted, goal.got, mark)))
    return "\n".join(lines)


def report(result: V2XDay) -> str:
    """The day's markdown report: inputs, the table, the goals, the run times, who was short."""
    day = result.day
    inputs = "\n".join(f"- {key}: {value}" for key, value in day.notes.items())
    timing = ", ".join(f"{name} {value:.1f} s" for name, value in result.seconds.items())
    calls = ", ".join(f"{name} {value}" for name, value in result.calls.items())
    return (
        f"### {day.name}\n\n{day.description}\n\n{inputs}\n\n"
        f"Reaction time allowed per excursion above the fuse or the cap: "
        f"{reaction_time(day):.3g} s (a grid meter period of {day.meter_period:g} s, then the "
        f"slowest car's response delay and its ramp to its full discharge). Net cost = import - export + wear "
        f"({day.v2x.wear_eur_per_kwh if day.v2x else 0:g} EUR per kWh discharged); the last "
        f"column adds the energy the cars left short of, bought at the day's cheapest price "
        f"({cheapest_price(day):g} EUR/kWh).\n\n"
        f"{format_v2x_table(result)}\n\n{holding_price(result)}{format_goals(result)}\n\n"
        f"Run time: {timing}. Engine calls: {calls}.\n{_short(result)}"
    )


def _short(result: V2XDay) -> str:
    """The cars that left below their target or went below their reserve, per strategy."""
    lines = [
        f"- {name}: {s.label}: left with {s.departure_soc:.2f} % of "
        f"{s.target_soc:.2f} % ({s.shortfall_wh / 1000:.2f} kWh short), "
        f"lowest {s.min_soc:.2f} %, {s.seconds_below_reserve:.0f} s below its "
        f"{s.reserve_soc:g} % reserve"
        for name, trace in result.traces.items()
        for s in trace.sessions
        if not s.at_target or s.seconds_below_reserve
    ]
    if not lines:
        return ""
    return "\nCars short of their target or below their reserve:\n\n" + "\n".join(lines) + "\n"


def _row(cells: tuple[str, ...]) -> str:
    return "| " + " | ".join(cells) + " |"
