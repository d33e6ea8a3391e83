"""Home Assistant restarts mid-transaction and every charger reconnects at once: nothing lost.

`benchmarks.restart_storm` (the 200-charger benchmark) with a CI-sized fleet: a central
system serves 1.6 and 2.0.1 chargers that all charge; it stops (as HA's shutdown stops
it) while a quarter of the cars leave, another quarter leave while it is down (their
stops queued), a new one starts on the same port with the saved data and every charger
reconnects at the same moment, replays what it queued (some stops twice) and charges on.
"""

from __future__ import annotations

import pytest

from benchmarks.restart_storm import StormResult, run_restart_storm, storm_table

pytestmark = pytest.mark.usefixtures("socket_enabled")


def assert_lossless(result: StormResult, chargers: int) -> None:
    """Every transaction resumed, stopped once, its energy counted once; nothing else."""
    assert result.problems == ()
    assert result.transactions_open_before == chargers
    assert result.resumed == chargers
    assert result.duplicate_stops == 0
    assert result.phantom_transactions == 0
    assert (result.energy_lost_wh, result.energy_double_counted_wh) == (0.0, 0.0)
    assert (result.register_lost_wh, result.register_double_counted_wh) == (0.0, 0.0)
    assert result.late_writes == 0
    assert result.lossless


async def test_storm_of_mixed_chargers() -> None:
    """32 chargers, half 1.6 and half 2.0.1: all back within seconds, nothing lost."""
    result = await run_restart_storm(32)
    assert_lossless(result, 32)
    assert result.stops_in_flight == 8
    # The 8 that left while it was down, plus any in-flight stop left unanswered.
    assert 8 <= result.stops_queued <= 16
    assert result.messages_replayed >= result.stops_queued + 32
    assert result.reconnect_retries == 0
    assert 0 < result.seconds_median_reconnected <= result.seconds_to_all_reconnected < 10
    assert "| 32 | 32 | 32 | 0 | 0 / 0 Wh | 0 / 0 Wh |" in storm_table([result])


@pytest.mark.parametrize("share_201", [0.0, 1.0], ids=["all-1.6", "all-2.0.1"])
async def test_storm_of_one_version(share_201: float) -> None:
    """Each version alone: the same."""
    result = await run_restart_storm(12, share_201=share_201, validate=True)
    assert_lossless(result, 12)
