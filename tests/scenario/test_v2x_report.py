"""A V2X day end to end on a tiny site: every controller, the optimum, the goals."""

from __future__ import annotations

from benchmarks.scenario.v2x_day import OPTIMUM, OPTIMUM_CHARGE_ONLY, run_day
from benchmarks.scenario.v2x_report import CHARGE_ONLY, RULE, goals, holding_price, report
from simulator.site.model import V2XSite

from .v2x_site import VOLTS, Flat, v2x_day


def test_a_short_day_runs_and_reports() -> None:
    """Two minutes of a house above the fuse: every strategy runs and the goals are judged."""
    day = v2x_day(
        house=Flat((28.0 * VOLTS,) * 3),
        v2x=V2XSite(objective="peak_shaving", also=("self_consumption",)),
    )
    result = run_day(day, until=120.0)
    assert list(result.rows) == [
        "ours (peak_shaving)",
        "ours (self_consumption)",
        CHARGE_ONLY,
        RULE,
        OPTIMUM,
        OPTIMUM_CHARGE_ONLY,
    ]
    assert result.ours == "ours (peak_shaving)"
    # Charge-only cannot push the house under the fuse: 2 minutes above it.
    assert result.rows[CHARGE_ONLY].fuse_seconds == 120.0
    judged = {goal.name: goal for goal in goals(result)}
    assert judged["s > cap beyond reaction"].met is None  # no cap on this day
    assert judged["s > fuse or cap beyond reaction below charge-only"].met
    # The optimum solves the whole day (the car is plugged in for its first hour): without
    # discharge it stays above the fuse for longer.
    free, best = result.rows[OPTIMUM_CHARGE_ONLY], result.rows[OPTIMUM]
    assert free.discharged_kwh == 0 < best.discharged_kwh
    assert free.fuse_seconds_beyond > best.fuse_seconds_beyond
    text = report(result)
    assert holding_price(result) in text
    assert "charging alone stays above them for" in text
    assert "| ours (peak_shaving) |" in text
    assert "Reaction time allowed per excursion above the fuse or the cap: 2.16 s" in text


def test_no_price_of_holding_where_charging_alone_holds_the_limits() -> None:
    """A house well under its fuse: nothing to hold, no sentence about it."""
    day = v2x_day(house=Flat((5.0 * VOLTS,) * 3), v2x=V2XSite(objective="peak_shaving"))
    result = run_day(day, until=60.0)
    assert holding_price(result) == ""
