"""Command line: run simulated chargers against a central system until interrupted."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
import logging
import signal
import sys

from .background import LINK_ERRORS, logged
from .charger import SimulatedCharger
from .spec import ChargerSpec

_LOGGER = logging.getLogger(__package__)
DEFAULT_URL = "ws://127.0.0.1:9000"
DEFAULT_CHARGERS = ("SIM-AC11:1:3:16", "SIM-DUAL:2:3:32")
_FIELDS_MIN, _FIELDS_MAX = 3, 4
_SHUTDOWN_TIMEOUT = 5.0  # s for each charger to stop its transactions


def parse_charger(text: str, meter_interval: int = 10) -> ChargerSpec:
    """Parse `ID:CONNECTORS:PHASES[:MAX_A]` into a ChargerSpec."""
    fields = text.split(":")
    if not _FIELDS_MIN <= len(fields) <= _FIELDS_MAX or not fields[0]:
        raise argparse.ArgumentTypeError(f"expected ID:CONNECTORS:PHASES[:MAX_A], got {text!r}")
    try:
        connectors, phases = int(fields[1]), int(fields[2])
        max_current = float(fields[3]) if len(fields) == _FIELDS_MAX else 16.0
        return ChargerSpec(
            fields[0],
            connectors=connectors,
            phases=phases,
            max_current=max_current,
            meter_interval=meter_interval,
        )
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"{text!r}: {err}") from err


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of `python -m simulator`."""
    parser = argparse.ArgumentParser(
        prog="python -m simulator",
        description="Simulated OCPP 1.6J charge points, each with a car charging on every "
        "connector, until SIGINT/SIGTERM.",
    )
    parser.add_argument(
        "--url", default=DEFAULT_URL, help=f"central system (default {DEFAULT_URL})"
    )
    parser.add_argument(
        "--charger",
        action="append",
        metavar="ID:CONNECTORS:PHASES[:MAX_A]",
        help=f"a charger to simulate, repeatable (default: {' '.join(DEFAULT_CHARGERS)})",
    )
    parser.add_argument(
        "--meter-interval", type=int, default=10, help="MeterValues every N s (default 10)"
    )
    parser.add_argument("--verbose", action="store_true", help="also log every OCPP frame")
    return parser


def parse_args(argv: Sequence[str] | None = None) -> tuple[str, list[ChargerSpec], bool]:
    """Return (url, charger specs, verbose) from the command line."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        specs = [
            parse_charger(text, args.meter_interval) for text in args.charger or DEFAULT_CHARGERS
        ]
    except argparse.ArgumentTypeError as err:
        parser.error(str(err))
    ids = [spec.charge_point_id for spec in specs]
    if len(set(ids)) != len(ids):
        parser.error("charger ids must be unique")
    return args.url, specs, args.verbose


async def run(url: str, specs: Sequence[ChargerSpec], stop: asyncio.Event) -> int:
    """Run the chargers until `stop` is set, then stop the sessions and disconnect."""
    chargers = [SimulatedCharger(spec, url) for spec in specs]
    drivers = [asyncio.create_task(_drive(charger)) for charger in chargers]
    await stop.wait()
    _LOGGER.info("stopping")
    for driver in drivers:
        driver.cancel()
    await asyncio.gather(*drivers, return_exceptions=True)
    await asyncio.gather(*(_shut_down(charger) for charger in chargers))
    return 0


async def _drive(charger: SimulatedCharger) -> None:
    """Connect (retrying until the server is up) and charge a car on every connector."""
    await charger.connect_with_retry(max_backoff=5.0)
    await charger.wait_accepted(timeout=None)
    for connector_id in charger.connectors:
        with logged(charger, f"demo session on connector {connector_id}"):
            await charger.run_demo_session(connector_id)


async def _shut_down(charger: SimulatedCharger) -> None:
    for connector_id, state in charger.connectors.items():
        if state.transaction_id is None or not charger.connected:
            continue
        try:
            async with asyncio.timeout(_SHUTDOWN_TIMEOUT):
                await charger.stop_transaction(connector_id, reason="Local")
        except LINK_ERRORS as err:
            _LOGGER.warning("%s: could not stop connector %d: %r", charger, connector_id, err)
    await charger.close()


async def _main(url: str, specs: list[ChargerSpec]) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    return await run(url, specs, stop)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m simulator`; returns the exit code."""
    url, specs, verbose = parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not verbose:
        logging.getLogger("ocpp").setLevel(logging.WARNING)
        logging.getLogger("aiohttp").setLevel(logging.WARNING)
    return asyncio.run(_main(url, specs))
