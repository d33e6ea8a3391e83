"""Chargers offline for a while replay what they queued: late, shuffled, with gaps and twice.

K chargers (half OCPP 1.6, half 2.0.1; `benchmarks.replay_chargers`) each start a
transaction online and send a live reading, then lose their link and queue M readings
(MeterValues / TransactionEvent Updated with offline=true), one a minute. Half of them
stop while offline (StopTransaction / TransactionEvent Ended queued; half of those stops
carry no reading of their own). Back online, every charger replays its queue shuffled,
a third of it twice, and the stop once more; a 2.0.1 station leaves one Updated out (a
seqNo gap). The chargers still charging first send a live reading at a lower power: the
replayed readings are older and must not replace it.

Counted against what the chargers metered: transactions lost (missing, or never
stopped), transactions counted twice (a second stop, a transaction no charger ran),
energy lost or counted twice (Wh), and connectors whose live values (the load
balancer's input) are not the newest reading after the replay.

    .venv/bin/python -m benchmarks.offline_replay --chargers 50 --messages 60
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from dataclasses import dataclass
import random
import time

import aiohttp
from ocpp import messages as ocpp_messages

from custom_components.smart_charging.central_system.model import ConnectorState
from custom_components.smart_charging.central_system.server import CentralSystem

from .fault_harness import Books, JsonStore, central_system
from .replay_chargers import FULL_POWER_W, ReplayCharger, make_fleet

ONLINE_W = 7360.0  # before the link is lost
LIVE_W = 3680.0  # after it is back: the newest reading of a car still charging
PHASES_W_PER_A = 690.0  # three phases at 230 V


@dataclass(frozen=True, slots=True)
class ReplayResult:
    """What replaying the offline queues lost, counted twice, or showed stale."""

    chargers: int
    messages_per_charger: int
    messages_replayed: int
    transactions: int
    transactions_lost: int
    transactions_double_counted: int
    energy_lost_wh: float  # by the sessions (meterStop - meterStart)
    energy_double_counted_wh: float
    register_lost_wh: float  # by the connectors' registers (the Energy dashboard)
    register_double_counted_wh: float
    stale_live_readings: int
    seconds: float  # the replay, every charger at once
    problems: tuple[str, ...]

    @property
    def lossless(self) -> bool:
        """Nothing lost, nothing counted twice, nothing stale."""
        return not self.problems


def replay_order(count: int, rng: random.Random, *, gap: int | None) -> list[int]:
    """Indices of a queue of `count`: shuffled, a third twice, `gap` left out."""
    order = [index for index in range(count) if index != gap]
    order += rng.sample(order, len(order) // 3)
    rng.shuffle(order)
    return order


def _live_problem(connector: ConnectorState, charger: ReplayCharger) -> str | None:
    """Why the connector's live values are not the charger's newest reading (None: they are)."""
    newest = max(charger.readings, key=lambda reading: reading.at)
    running = charger.session is not None
    power = newest.power_w if running else 0.0  # a session that ended draws nothing
    amps = round(power / PHASES_W_PER_A, 1)
    shown = (connector.power, connector.current_import, connector.current_phases.as_tuple())
    if shown != (power, amps, (amps, amps, amps)):
        return f"{charger.charger_id}: shows {shown}, the newest reading is {power:g} W"
    if running and connector.meter_timestamp != newest.at:
        return f"{charger.charger_id}: reading of {connector.meter_timestamp}, newest {newest.at}"
    return None


async def _go_offline(charger: ReplayCharger, messages: int, number: int) -> None:
    """Online start and a live reading; then `messages` readings queued, maybe a stop."""
    await charger.connect()
    await charger.start_session()
    charger.run(60, ONLINE_W)
    await charger.send(charger.meter_message())
    await charger.disconnect()
    for _ in range(messages):
        charger.run(60, FULL_POWER_W)
        await charger.send(charger.meter_message())
    if number % 2 == 0:
        bare = number % 4 == 2
        if bare:
            charger.run(1, 0.0)  # the car stopped: its last reading holds the final register
        await charger.send(charger.stop_message("EVDisconnected", with_meter=not bare))


async def _come_back(charger: ReplayCharger, rng: random.Random, problems: list[str]) -> int:
    """Reconnect, a live reading if still charging, replay (the stop once more); return count."""
    await charger.connect()
    if charger.session is not None:
        charger.run(60, LIVE_W)
        await charger.send(charger.meter_message())
    queued = list(charger.outbox)
    gap = len(queued) // 2 if charger.version == "2.0.1" and len(queued) > 2 else None
    sent = await charger.replay(replay_order(len(queued), rng, gap=gap))
    if charger.session is None:  # the stop, once more
        charger.outbox = queued[-1:]
        sent += await charger.replay()
    if charger.outbox:
        problems.append(f"{charger.charger_id}: replay unanswered")
    return sent


async def run_offline_replay(
    chargers: int,
    messages: int,
    *,
    share_201: float = 0.5,
    seed: int = 0,
    validate: bool = False,
) -> ReplayResult:
    """Replay `messages` queued readings (and stops) of `chargers` chargers; see the doc."""
    store = JsonStore()
    closures: Counter[int] = Counter()
    system = central_system(store.view(), closures)
    await system.start()
    url = f"ws://127.0.0.1:{system.port}"
    rng = random.Random(seed)  # noqa: S311 - a reproducible order, not a secret
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            fleet = make_fleet("OFFLINE", chargers, share_201, url, http, validate=validate)
            try:
                return await _replay_all(system, fleet, closures, messages, rng)
            finally:
                for charger in fleet:
                    await charger.close()
    finally:
        await system.stop()


async def _replay_all(
    system: CentralSystem,
    fleet: list[ReplayCharger],
    closures: Counter[int],
    messages: int,
    rng: random.Random,
) -> ReplayResult:
    await asyncio.gather(
        *(_go_offline(charger, messages, number) for number, charger in enumerate(fleet))
    )
    problems: list[str] = []
    started = time.perf_counter()
    replayed = await asyncio.gather(
        *(
            _come_back(charger, random.Random(rng.random()), problems)  # noqa: S311
            for charger in fleet
        )
    )
    seconds = time.perf_counter() - started
    stale = 0
    for charger in fleet:
        problem = _live_problem(system.sessions[charger.charger_id].state.connector(1), charger)
        if problem is not None:
            stale += 1
            problems.append(problem)
    # The cars still charging stop online; then the books.
    charging = [charger for charger in fleet if charger.session is not None]
    for charger in charging:
        charger.run(60, LIVE_W)
    await asyncio.gather(*(charger.send(charger.stop_message()) for charger in charging))
    books = Books().audit(system, fleet, closures)
    return ReplayResult(
        chargers=len(fleet),
        messages_per_charger=messages,
        messages_replayed=sum(replayed),
        transactions=books.sessions,
        transactions_lost=books.missing + books.not_stopped,
        transactions_double_counted=books.duplicate_stops + books.phantoms,
        energy_lost_wh=books.energy_lost_wh,
        energy_double_counted_wh=books.energy_double_counted_wh,
        register_lost_wh=books.register_lost_wh,
        register_double_counted_wh=books.register_double_counted_wh,
        stale_live_readings=stale,
        seconds=seconds,
        problems=(*problems, *books.problems),
    )


def replay_table(results: list[ReplayResult]) -> str:
    """A markdown table of offline replays, one row each."""
    lines = [
        "| chargers x queued readings | frames replayed | transactions | lost | counted twice | "
        "energy lost (sessions / registers) | energy counted twice (sessions / registers) | "
        "stale live readings | replay time |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines.extend(
        f"| {result.chargers} x {result.messages_per_charger} | {result.messages_replayed} | "
        f"{result.transactions} | {result.transactions_lost} | "
        f"{result.transactions_double_counted} | "
        f"{result.energy_lost_wh:g} / {result.register_lost_wh:g} Wh | "
        f"{result.energy_double_counted_wh:g} / {result.register_double_counted_wh:g} Wh | "
        f"{result.stale_live_readings} | "
        f"{result.seconds:.2f} s |"
        for result in results
    )
    return "\n".join(lines)


def main() -> None:
    """Parse arguments, run, print the table (and any problem found)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--chargers", type=int, nargs="+", default=[50])
    parser.add_argument("--messages", type=int, nargs="+", default=[60])
    parser.add_argument("--share-201", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    ocpp_messages.ASYNC_VALIDATION = False  # chargers validate on their own hardware
    results = [
        asyncio.run(run_offline_replay(count, messages, share_201=args.share_201, seed=args.seed))
        for count in args.chargers
        for messages in args.messages
    ]
    print(replay_table(results))
    for result in results:
        for problem in result.problems:
            print(f"- {result.chargers} x {result.messages_per_charger}: {problem}")


if __name__ == "__main__":
    main()
