"""Baseline controllers on hand-made observations."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.scenario.baselines import EvccStyle, StaticSplit, Uncontrolled
from benchmarks.scenario.interface import ConnectorView, Observation, PhaseCurrents


def connector(key: str = "A/1", **changes: Any) -> ConnectorView:
    """An active 3-phase connector, 6..16 A, idle unless told otherwise."""
    fields: dict[str, Any] = {
        "key": key,
        "station_id": key.split("/")[0],
        "active": True,
        "arrived_at": 0.0,
        "draw": (0.0, 0.0, 0.0),
        "phases": (0, 1, 2),
        "min_current": 6.0,
        "max_current": 16.0,
        "mode": "fast",
        "limit": None,
    } | changes
    return ConnectorView(**fields)


def observe(
    *views: ConnectorView,
    now: float = 0.0,
    grid: PhaseCurrents = (0.0, 0.0, 0.0),
    fuse: float = 25.0,
    station_max: dict[str, float] | None = None,
) -> Observation:
    """The site with these connectors."""
    return Observation(
        now=now,
        grid_limit=(fuse, fuse, fuse),
        grid_current=grid,
        pv_power=0.0,
        voltage=230.0,
        station_max=station_max or {},
        connectors=views,
    )


class TestUncontrolled:
    """Every active connector at its maximum."""

    def test_sets_max_once_per_session(self) -> None:
        """New session -> max; same session -> nothing; next session -> max again."""
        control = Uncontrolled()
        idle = connector("B/1", active=False, arrived_at=None)
        assert control.step(observe(connector(max_current=32.0), idle)) == {"A/1": 32.0}
        assert control.step(observe(connector(max_current=32.0, limit=32.0), idle)) == {}
        assert control.step(observe(connector(arrived_at=500.0))) == {"A/1": 16.0}

    def test_price_mode_charges_as_fast(self) -> None:
        """Price mode gets the maximum as fast does."""
        view = connector(mode="price", max_current=32.0)
        assert Uncontrolled().step(observe(view)) == {"A/1": 32.0}


class TestStaticSplit:
    """(fuse - reserve) / installed connectors, floored, capped, 0 below the min."""

    @pytest.mark.parametrize(
        ("count", "expected"),
        [(1, 16.0), (3, 6.6), (4, 0.0)],  # 20 A: capped at 16; 6.67 -> 6.6; 5 < 6 -> 0
    )
    def test_share(self, count: int, expected: float) -> None:
        """The share of each installed connector, active or not."""
        views = [connector(f"C{i}/1", active=i == 0) for i in range(count)]
        changes = StaticSplit(static_base_load=5.0).step(observe(*views))
        assert changes == {v.key: expected for v in views}

    def test_station_maximum(self) -> None:
        """Two connectors of one station split its maximum."""
        views = (connector("S/1"), connector("S/2"), connector("T/1"))
        changes = StaticSplit(0.0).step(observe(*views, fuse=40.0, station_max={"S": 16.0}))
        assert changes == {"S/1": 8.0, "S/2": 8.0, "T/1": 13.3}

    def test_only_changes(self) -> None:
        """A limit already set is not sent again."""
        assert StaticSplit(5.0).step(observe(connector(limit=16.0))) == {}

    def test_price_mode_charges_as_fast(self) -> None:
        """Price mode gets the same share as fast."""
        views = (connector("A/1", mode="price"), connector("B/1"), connector("C/1"))
        changes = StaticSplit(static_base_load=5.0).step(observe(*views))
        assert changes == {"A/1": 6.6, "B/1": 6.6, "C/1": 6.6}


class TestEvccStyle:
    """One loadpoint per 30 s tick, headroom on the worst phase, PV timers."""

    def test_round_robin_every_30_s(self) -> None:
        """Each tick adjusts the next active connector; between ticks nothing happens."""
        control = EvccStyle()
        views = (connector("B/1"), connector("A/1"), connector("C/1", active=False))
        answers = [control.step(observe(*views, now=float(t))) for t in range(91)]
        ticks = {t: a for t, a in enumerate(answers) if a}
        assert ticks == {0: {"A/1": 16.0}, 30: {"B/1": 16.0}, 60: {"A/1": 16.0}, 90: {"B/1": 16.0}}

    def test_first_come_first_served(self) -> None:
        """The newcomer only gets what is left; the first keeps its current."""
        control = EvccStyle()
        first = connector("A/1", draw=(16.0, 16.0, 16.0), limit=16.0)
        newcomer = connector("B/1", arrived_at=100.0)
        grid = (21.0, 21.0, 21.0)  # 5 A house + 16 A
        assert control.step(observe(first, newcomer, grid=grid)) == {}  # A: 25 - 21 + 16 >= 16
        assert control.step(observe(first, newcomer, grid=grid, now=30.0)) == {"B/1": 0.0}

    def test_headroom_on_most_loaded_phase(self) -> None:
        """Headroom = fuse - max phase + own draw on its max phase."""
        view = connector(draw=(5.0, 5.0, 5.0), limit=16.0)
        assert EvccStyle().step(observe(view, grid=(10.0, 20.0, 5.0))) == {"A/1": 10.0}

    def test_station_maximum(self) -> None:
        """The other connectors' limits on the station count against its maximum."""
        other = connector("S/2", limit=10.0)
        control = EvccStyle()
        changes = control.step(observe(connector("S/1"), other, station_max={"S": 16.0}))
        assert changes == {"S/1": 6.0}

    def test_off(self) -> None:
        """Mode off pauses."""
        assert EvccStyle().step(observe(connector(mode="off", limit=16.0))) == {"A/1": 0.0}

    def test_pv_enable_after_60_s(self) -> None:
        """Surplus >= min power for 60 s starts charging at the min current."""
        control = EvccStyle()
        view = connector(mode="solar", limit=0.0)
        exporting = (-8.0, -8.0, -8.0)
        assert control.step(observe(view, grid=exporting)) == {}
        assert control.step(observe(view, grid=exporting, now=30.0)) == {}
        assert control.step(observe(view, grid=exporting, now=60.0)) == {"A/1": 6.0}

    def test_pv_too_little_surplus_resets_enable_timer(self) -> None:
        """A tick below min power restarts the enable timer."""
        control = EvccStyle()
        view = connector(mode="solar", limit=0.0)
        control.step(observe(view, grid=(-8.0, -8.0, -8.0)))
        control.step(observe(view, grid=(-4.0, -4.0, -4.0), now=30.0))
        assert control.step(observe(view, grid=(-8.0, -8.0, -8.0), now=60.0)) == {}
        assert control.step(observe(view, grid=(-8.0, -8.0, -8.0), now=120.0)) == {"A/1": 6.0}

    def test_pv_follows_surplus(self) -> None:
        """Enabled: target = min(measured max + 2 A, offered) + surplus per phase."""
        view = connector(mode="solar", draw=(7.0, 7.0, 7.0), limit=10.0)
        # effective min(9, 10) = 9, plus 3 A exported per phase -> 12
        assert EvccStyle().step(observe(view, grid=(-3.0, -3.0, -3.0))) == {"A/1": 12.0}

    def test_pv_single_phase_car(self) -> None:
        """A 1-phase car gets the whole site's surplus on its one phase."""
        view = connector(mode="solar", phases=(1,), draw=(0.0, 6.0, 0.0), limit=6.0)
        # effective min(8, 6) = 6, plus 3 x 1 A exported on one phase -> 9
        assert EvccStyle().step(observe(view, grid=(-1.0, -1.0, -1.0))) == {"A/1": 9.0}

    def test_pv_disable_after_180_s(self) -> None:
        """Below min power: hold the min current for 180 s, then stop."""
        control = EvccStyle()
        importing = (3.0, 3.0, 3.0)
        view = connector(mode="solar", draw=(8.0, 8.0, 8.0), limit=8.0)
        assert control.step(observe(view, grid=importing)) == {"A/1": 6.0}
        held = connector(mode="solar", draw=(6.0, 6.0, 6.0), limit=6.0)
        for now in (30.0, 90.0, 150.0):
            assert control.step(observe(held, grid=importing, now=now)) == {}
        assert control.step(observe(held, grid=importing, now=180.0)) == {"A/1": 0.0}

    def test_pv_recovery_resets_disable_timer(self) -> None:
        """Enough surplus again cancels the pending stop."""
        control = EvccStyle()
        held = connector(mode="solar", draw=(6.0, 6.0, 6.0), limit=6.0)
        control.step(observe(held, grid=(3.0, 3.0, 3.0)))
        control.step(observe(held, grid=(-1.0, -1.0, -1.0), now=150.0))
        assert control.step(observe(held, grid=(3.0, 3.0, 3.0), now=180.0)) == {}

    def test_min_solar_never_below_min(self) -> None:
        """min_solar charges at least at the min current, without timers."""
        view = connector(mode="min_solar")
        assert EvccStyle().step(observe(view, grid=(5.0, 5.0, 5.0))) == {"A/1": 6.0}

    def test_min_solar_adds_surplus(self) -> None:
        """min_solar follows the surplus above the min current."""
        view = connector(mode="min_solar", draw=(6.0, 6.0, 6.0), limit=6.0)
        assert EvccStyle().step(observe(view, grid=(-4.0, -4.0, -4.0))) == {"A/1": 10.0}

    def test_min_solar_pauses_at_the_fuse(self) -> None:
        """Even min_solar pauses when the fuse leaves less than the min current."""
        view = connector(mode="min_solar")
        assert EvccStyle().step(observe(view, grid=(22.0, 22.0, 22.0))) == {"A/1": 0.0}

    @pytest.mark.parametrize("grid", [(5.0, 5.0, 5.0), (-8.0, -8.0, -8.0)])
    def test_price_mode_charges_as_fast(self, grid: PhaseCurrents) -> None:
        """Price mode is evcc "now" here (no cheap-slot plan): the headroom, no PV timers."""
        for mode in ("fast", "price"):
            view = connector(mode=mode)
            assert EvccStyle().step(observe(view, grid=grid)) == {"A/1": 16.0}, mode
        # With 5 A of house load and a 20 A fuse: what the fuse leaves, at once.
        view = connector(mode="price")
        assert EvccStyle().step(observe(view, grid=(5.0, 5.0, 5.0), fuse=20.0)) == {"A/1": 15.0}
