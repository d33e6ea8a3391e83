"""`benchmarks.faults`: a small run of each fault, and the README's table from them."""

from __future__ import annotations

import math

from ocpp import messages as ocpp_messages
import pytest

from benchmarks.faults import _fuzz_rows, _replay, replay_row, storm_row, table
from benchmarks.restart_storm import storm_in_this_process


def test_a_small_run_of_every_fault_is_clean(
    socket_enabled: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A few frames, chargers and replays: every row clean, nothing lost, the table built."""
    # The storm and the replay turn the library's thread-pool validation off for the process.
    monkeypatch.setattr(ocpp_messages, "ASYNC_VALIDATION", ocpp_messages.ASYNC_VALIDATION)
    fuzzed, problems = _fuzz_rows(60, 1)
    storm = storm_row(storm_in_this_process(4, 0.5, False))
    replay = replay_row(_replay(2, 5))
    rows = [*fuzzed, storm, replay]
    assert problems == []
    assert [row.fault for row in fuzzed] == [
        "fuzz, OCPP 1.6",
        "fuzz, OCPP 2.0.1",
        "fuzz, OCPP 2.1",
    ]
    assert all(row.clean for row in rows)
    assert all(row.transactions_lost == 0 and row.energy_lost_wh == 0 for row in rows)
    assert storm.load == "4 chargers mid-transaction"
    assert storm.recovery.startswith("all back in ")
    lines = table(rows).splitlines()
    assert len(lines) == 2 + len(rows)
    assert lines[2].startswith(
        "| fuzz, OCPP 1.6 | 60 frames, 0 answered wrongly | 0 | 0 | 0 | 0 Wh |"
    )
    assert not math.isnan(replay.energy_lost_wh)
