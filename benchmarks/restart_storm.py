"""Home Assistant restarts while N chargers charge; they all reconnect at once. Is anything lost?

A central system (with a JSON store that behaves like HA's) serves N chargers, half OCPP
1.6, half 2.0.1 (`benchmarks.replay_chargers`: the `ocpp` library's client ChargePoint).
Each starts a transaction and sends meter values. Then the central system stops, as HA's
shutdown stops it, while a quarter of the cars are leaving: their StopTransaction /
TransactionEvent Ended is in flight. While it is down every car keeps charging (a
reading is queued) and another quarter leave (their stop is queued). A new central system
starts on the same port with the saved data, and every charger reconnects at the same
moment (two in three boot again, the rest only report their status). Then each replays
what it queued; half of those that stopped send their stop once more, as chargers do when
an answer was lost. The cars still charging meter on and stop.

Checked: every transaction open before the restart is known once, stopped once, with the
energy its charger metered (meterStop - meterStart) to the Wh; no transaction id twice;
no transaction the chargers did not run; each connector's register equal to the meter;
no write of the stopped central system after its stop. Timed: from the new central
system's `start` until every charger has reconnected (booted, or its status answered).
Everything runs in one process on 127.0.0.1: the time includes the chargers' own work.
Each storm of the command line runs in a fresh process.

    .venv/bin/python -m benchmarks.restart_storm --chargers 200 --rounds 3
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
import multiprocessing
import statistics
import time

import aiohttp
from ocpp import messages as ocpp_messages

from custom_components.smart_charging.central_system.server import CentralSystem

from .fault_harness import Books, JsonStore, StoreView, central_system, ledger_entry
from .replay_chargers import LinkLostError, ReplayCharger, make_fleet

# What each charger does around the restart, by its number modulo 4.
LEAVES_AT_SHUTDOWN, LEAVES_WHILE_DOWN = 0, 1
# Readings before the restart and after it (one every minute).
READINGS = 3
# A reconnect that fails is tried again after this (doubling), as chargers back off.
RECONNECT_BACKOFF = 0.2
RECONNECT_ATTEMPTS = 8
# The stops in flight at the shutdown go out over this long (s per charger) from its
# beginning: about as long as the central system takes to close every connection.
SPREAD = 0.0015


@dataclass(frozen=True, slots=True)
class StormResult:
    """What a restart storm lost, counted twice, and how long the chargers took to return."""

    chargers: int
    transactions_open_before: int
    # Known once after the restart, stopped once, energy exact (and, where the car was
    # still charging, shown on its connector again after the reconnect).
    resumed: int
    duplicate_stops: int
    energy_lost_wh: float
    energy_double_counted_wh: float
    seconds_to_all_reconnected: float
    # Median time of a charger's return, from the new central system's start.
    seconds_median_reconnected: float
    # How long the new central system's `start` took (load, validators, listen).
    seconds_to_listen: float
    stops_in_flight: int  # stops sent while the central system stopped
    stops_queued: int  # stops queued while it was down, or unanswered at its stop
    stops_answer_lost: int  # stops the stopping central system handled, unanswered
    messages_replayed: int
    reconnect_retries: int
    phantom_transactions: int
    register_lost_wh: float
    register_double_counted_wh: float
    late_writes: int  # writes of the stopped central system after its stop returned
    problems: tuple[str, ...]

    @property
    def lossless(self) -> bool:
        """Nothing lost, nothing counted twice, every transaction resumed."""
        return not self.problems and self.resumed == self.transactions_open_before


async def _send_after(charger: ReplayCharger, payload: object, delay: float) -> None:
    await asyncio.sleep(delay)
    await charger.send(payload)


async def _reconnect(charger: ReplayCharger, boot: bool, started: float) -> tuple[float, int]:
    """Reconnect with backoff; return the seconds since `started` and the retries needed."""
    delay = RECONNECT_BACKOFF
    for attempt in range(RECONNECT_ATTEMPTS):
        try:
            await charger.connect(boot=boot)
        except (aiohttp.ClientError, LinkLostError, OSError):
            await asyncio.sleep(delay)
            delay *= 2
        else:
            return time.perf_counter() - started, attempt
    raise RuntimeError(f"{charger}: no reconnect after {RECONNECT_ATTEMPTS} attempts")


def _resumed_on_connectors(
    system: CentralSystem, fleet: list[ReplayCharger], problems: list[str]
) -> set[str]:
    """Chargers whose running transaction their connector shows again after the reconnect."""
    shown: set[str] = set()
    for charger in fleet:
        truth = charger.session
        if truth is None:
            continue
        transaction = ledger_entry(system.ledger, charger, truth)
        connector = system.sessions[charger.charger_id].state.connector(1)
        if transaction is not None and connector.transaction_id == transaction.transaction_id:
            shown.add(charger.charger_id)
        else:
            problems.append(f"{charger.charger_id}: transaction {truth.key} not shown again")
    return shown


async def run_restart_storm(
    chargers: int, *, share_201: float = 0.5, validate: bool = False
) -> StormResult:
    """Restart a central system under `chargers` charging chargers; see the module's doc.

    `share_201`: the part of the chargers that speak 2.0.1 (the rest 1.6); `validate`: the
    chargers check their own frames against the schemas too (slower; the central system
    always does).
    """
    store = JsonStore()
    closures: Counter[int] = Counter()
    first_store = store.view()
    first = central_system(first_store, closures)
    await first.start()
    port = first.port
    url = f"ws://127.0.0.1:{port}"
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        fleet = make_fleet("STORM", chargers, share_201, url, http, validate=validate)
        try:
            return await _storm(first, first_store, store, closures, fleet, port)
        finally:
            for charger in fleet:
                await charger.close()
            if not first.stopping:  # the storm failed before its restart
                await first.stop()


async def _storm(
    first: CentralSystem,
    first_store: StoreView,
    store: JsonStore,
    closures: Counter[int],
    fleet: list[ReplayCharger],
    port: int,
) -> StormResult:
    # Before: every charger charges and meters.
    await asyncio.gather(*(charger.connect() for charger in fleet))
    await asyncio.gather(*(charger.start_session() for charger in fleet))
    for _ in range(READINGS):
        for charger in fleet:
            charger.run(60)
        await asyncio.gather(*(charger.send(charger.meter_message()) for charger in fleet))
    open_before = len(first.ledger.open_transactions())

    # The central system stops while a quarter of the cars leave.
    leaving = [c for n, c in enumerate(fleet) if n % 4 == LEAVES_AT_SHUTDOWN]
    for charger in leaving:
        charger.run(30)
    stops = {charger.charger_id: charger.stop_message("EVDisconnected") for charger in leaving}
    # The central system stops while the stops go out, spread over its stop: some are
    # answered, some handled with their answer lost, some never read.
    stopping = asyncio.create_task(first.stop())
    await asyncio.sleep(0)
    await asyncio.gather(
        *(
            _send_after(
                charger, stops[charger.charger_id], SPREAD * len(fleet) * order / len(leaving)
            )
            for order, charger in enumerate(leaving)
        )
    )
    await stopping
    first_store.retire()
    answer_lost = sum(
        1
        for charger in leaving
        if stops[charger.charger_id] in charger.outbox
        and (handled := ledger_entry(first.ledger, charger, charger.sessions[-1])) is not None
        and handled.stopped_at is not None
    )

    # While it is down: the cars charge on, another quarter leave.
    for number, charger in enumerate(fleet):
        charger.run(120)
        if charger.session is not None:
            await charger.send(charger.meter_message())
        if number % 4 == LEAVES_WHILE_DOWN:
            charger.run(60)
            # A 1.6 StopTransaction always carries meterStop: half leave out transactionData.
            # (A 2.0.1 Ended without a reading would leave the last minutes unknowable.)
            bare = charger.version == "1.6" and (number // 8) % 2 == 1
            stop = charger.stop_message("EVDisconnected", with_meter=not bare)
            stops[charger.charger_id] = stop
            await charger.send(stop)
    queued_stops = sum(1 for charger in fleet if stops.get(charger.charger_id) in charger.outbox)

    # The new central system; every charger reconnects at once.
    second = central_system(store.view(), closures, port=port, approved=first.policy.approved)
    started = time.perf_counter()
    await second.start()
    listening = time.perf_counter() - started
    try:
        returns = await asyncio.gather(
            *(_reconnect(charger, n % 3 != 0, started) for n, charger in enumerate(fleet))
        )
        problems: list[str] = []
        shown = _resumed_on_connectors(second, fleet, problems)
        if not all(second.sessions[charger.charger_id].connected for charger in fleet):
            problems.append("a charger's session is not connected after its return")

        # Replays (half of those that stopped send their stop again), then the rest meter on.
        replayed = sum(await asyncio.gather(*(charger.replay() for charger in fleet)))
        for number, charger in enumerate(fleet):
            if charger.charger_id in stops and (number // 16) % 2 == 0:
                await charger.send(stops[charger.charger_id])
                replayed += 1
        for _ in range(READINGS):
            charging = [charger for charger in fleet if charger.session is not None]
            for charger in charging:
                charger.run(60)
            await asyncio.gather(*(charger.send(charger.meter_message()) for charger in charging))
        charging = [charger for charger in fleet if charger.session is not None]
        for charger in charging:
            charger.run(30)
        await asyncio.gather(*(charger.send(charger.stop_message()) for charger in charging))
        if any(charger.outbox for charger in fleet):
            problems.append("messages left unanswered after the restart")

        books = Books().audit(second, fleet, closures)
    finally:
        await second.stop()
    resumed = sum(
        1
        for charger in fleet
        for truth in charger.sessions
        if (charger.charger_id, truth.key) in books.exact_keys
        and (charger.charger_id in shown or charger.charger_id in stops)
    )
    times = [seconds for seconds, _ in returns]
    return StormResult(
        chargers=len(fleet),
        transactions_open_before=open_before,
        resumed=resumed,
        duplicate_stops=books.duplicate_stops,
        energy_lost_wh=books.energy_lost_wh,
        energy_double_counted_wh=books.energy_double_counted_wh,
        seconds_to_all_reconnected=max(times),
        seconds_median_reconnected=statistics.median(times),
        seconds_to_listen=listening,
        stops_in_flight=len(leaving),
        stops_queued=queued_stops,
        stops_answer_lost=answer_lost,
        messages_replayed=replayed,
        reconnect_retries=sum(retries for _, retries in returns),
        phantom_transactions=books.phantoms,
        register_lost_wh=books.register_lost_wh,
        register_double_counted_wh=books.register_double_counted_wh,
        late_writes=store.late_writes,
        problems=(*problems, *books.problems),
    )


def storm_table(results: list[StormResult]) -> str:
    """A markdown table of restart storms, one row each."""
    lines = [
        "| chargers (1.6 + 2.0.1) | open before | resumed | duplicate stops | "
        "energy lost (sessions / registers) | energy counted twice (sessions / registers) | "
        "stops in flight / queued / answer lost | replayed | "
        "all back after | median back |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines.extend(
        f"| {result.chargers} | {result.transactions_open_before} | {result.resumed} | "
        f"{result.duplicate_stops} | "
        f"{result.energy_lost_wh:g} / {result.register_lost_wh:g} Wh | "
        f"{result.energy_double_counted_wh:g} / {result.register_double_counted_wh:g} Wh | "
        f"{result.stops_in_flight} / {result.stops_queued} / {result.stops_answer_lost} | "
        f"{result.messages_replayed} | {result.seconds_to_all_reconnected:.2f} s | "
        f"{result.seconds_median_reconnected:.2f} s |"
        for result in results
    )
    return "\n".join(lines)


def storm_in_this_process(chargers: int, share_201: float, validate: bool) -> StormResult:
    """One storm on a fresh event loop.

    The central system listens with a backlog of 1,024: aiohttp's default (128) made part
    of a fleet that reconnects at once wait for its second SYN, a second later.
    """
    # Chargers validate on their own hardware: inline here, not on HA's thread pool.
    ocpp_messages.ASYNC_VALIDATION = False
    return asyncio.run(run_restart_storm(chargers, share_201=share_201, validate=validate))


def main() -> None:
    """Parse arguments, run each storm in a fresh process, print the table (and problems)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--chargers", type=int, nargs="+", default=[200])
    parser.add_argument("--rounds", type=int, default=1, help="storms per charger count")
    parser.add_argument("--share-201", type=float, default=0.5)
    parser.add_argument(
        "--validate", action="store_true", help="the chargers validate their own frames too"
    )
    args = parser.parse_args()
    results: list[StormResult] = []
    spawn = multiprocessing.get_context("spawn")
    for count in args.chargers:
        for _ in range(args.rounds):
            # A process each: one storm's leftovers do not slow the next one down.
            with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
                results.append(
                    pool.submit(
                        storm_in_this_process, count, args.share_201, args.validate
                    ).result()
                )
    print(storm_table(results))
    for result in results:
        for problem in result.problems:
            print(f"- {result.chargers} chargers: {problem}")
        if result.late_writes:
            print(f"- {result.chargers} chargers: {result.late_writes} late writes")


if __name__ == "__main__":
    main()
