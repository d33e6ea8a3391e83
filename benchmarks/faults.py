"""The fault benchmark: bad input, a restart storm, offline chargers. Is anything lost?

Runs the three measured faults and prints one table for the README:

- fuzz (`benchmarks.fuzz`): generated frames per OCPP version at the central system, good
  chargers charging meanwhile;
- restart storm (`benchmarks.restart_storm`): the central system stops and starts again
  while every charger is mid-transaction; they all reconnect at once;
- offline replay (`benchmarks.offline_replay`): chargers that were offline replay their
  queued readings and stops, out of order and repeated.

    .venv/bin/python -m benchmarks.faults                      # about 2 minutes
    .venv/bin/python -m benchmarks.faults --frames 1000 --chargers 50   # a quick look
"""

from __future__ import annotations

import argparse
import asyncio
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
import multiprocessing

from ocpp import messages as ocpp_messages

from .fuzz import FuzzResult, run_fuzz
from .offline_replay import ReplayResult, run_offline_replay
from .restart_storm import StormResult, storm_in_this_process

VERSIONS = ("ocpp1.6", "ocpp2.0.1", "ocpp2.1")


@dataclass(frozen=True, slots=True)
class Row:
    """One fault's line of the table."""

    fault: str
    load: str
    crashes: int
    connections_lost: int
    transactions_lost: int  # lost, duplicated or stopped twice
    energy_lost_wh: float  # lost or counted twice, sessions and registers
    recovery: str
    clean: bool


def fuzz_row(result: FuzzResult) -> Row:
    """A fuzz run: frames, answers checked, the good chargers' sessions."""
    lost = result.fuzz_connections_lost + result.good_connections_lost
    return Row(
        fault=f"fuzz, OCPP {result.version.removeprefix('ocpp')}",
        load=f"{result.frames:,} frames, {result.wrong_answers} answered wrongly",
        crashes=result.crashes,
        connections_lost=lost,
        transactions_lost=result.good_failures,
        energy_lost_wh=0.0 if not result.good_failures else float("nan"),
        recovery="-",
        clean=result.clean,
    )


def storm_row(result: StormResult) -> Row:
    """A restart storm: every open transaction resumed, stopped once, every Wh once."""
    lost = result.transactions_open_before - result.resumed + result.duplicate_stops
    energy = (
        result.energy_lost_wh
        + result.energy_double_counted_wh
        + result.register_lost_wh
        + result.register_double_counted_wh
    )
    return Row(
        fault="HA restarts, all reconnect at once",
        load=f"{result.chargers} chargers mid-transaction",
        crashes=0,
        connections_lost=0,
        transactions_lost=lost + result.phantom_transactions,
        energy_lost_wh=energy,
        recovery=f"all back in {result.seconds_to_all_reconnected:.2f} s",
        clean=not result.problems,
    )


def replay_row(result: ReplayResult) -> Row:
    """Offline chargers replaying: each message counted once, no stale live reading."""
    energy = (
        result.energy_lost_wh
        + result.energy_double_counted_wh
        + result.register_lost_wh
        + result.register_double_counted_wh
    )
    return Row(
        fault="chargers offline, replaying",
        load=(
            f"{result.chargers} chargers, {result.messages_replayed:,} frames, "
            f"{result.stale_live_readings} stale live readings"
        ),
        crashes=0,
        connections_lost=0,
        transactions_lost=result.transactions_lost + result.transactions_double_counted,
        energy_lost_wh=energy,
        recovery=f"replayed in {result.seconds:.1f} s",
        clean=not result.problems,
    )


def table(rows: list[Row]) -> str:
    """The README's markdown table."""
    lines = [
        "| fault | load | crashes | connections lost | transactions lost or doubled | "
        "energy lost or doubled | recovery |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    lines.extend(
        f"| {row.fault} | {row.load} | {row.crashes} | {row.connections_lost} | "
        f"{row.transactions_lost} | {row.energy_lost_wh:g} Wh | {row.recovery} |"
        for row in rows
    )
    return "\n".join(lines)


def _fuzz_rows(frames: int, seed: int) -> tuple[list[Row], list[str]]:
    """Each version's row and problems (a FuzzResult's mappings do not cross processes)."""

    async def run() -> list[FuzzResult]:
        return [await run_fuzz(version, frames, seed) for version in VERSIONS]

    results = asyncio.run(run())
    return [fuzz_row(result) for result in results], [p for r in results for p in r.problems]


def _replay(chargers: int, messages: int) -> ReplayResult:
    ocpp_messages.ASYNC_VALIDATION = False  # chargers validate on their own hardware
    return asyncio.run(run_offline_replay(chargers, messages))


def main() -> None:
    """Run the faults, each in a fresh process; print the table and any problem found."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--frames", type=int, default=10_000, help="fuzz frames per version")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--chargers", type=int, default=200, help="chargers in the storm")
    parser.add_argument("--offline", type=int, default=50, help="chargers replaying")
    parser.add_argument("--messages", type=int, default=60, help="readings each replays")
    args = parser.parse_args()
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
        fuzzed, fuzz_problems = pool.submit(_fuzz_rows, args.frames, args.seed).result()
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
        storm = pool.submit(storm_in_this_process, args.chargers, 0.5, False).result()
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
        replay = pool.submit(_replay, args.offline, args.messages).result()
    rows = [*fuzzed, storm_row(storm), replay_row(replay)]
    print(table(rows))
    problems = [*fuzz_problems, *storm.problems, *replay.problems]
    for problem in problems:
        print(f"- {problem}")
    print("all clean" if all(row.clean for row in rows) else "NOT CLEAN")


if __name__ == "__main__":
    main()
