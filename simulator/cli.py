"""Command line: run simulated chargers (1.6, 2.0.1, 2.1) against a central system until stopped."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
import logging
import math
import signal
import sys

from .background import LINK_ERRORS, logged
from .charger import SimulatedCharger
from .spec import ChargerSpec
from .v21 import SimulatedStation21, ac_wallbox, dc_station
from .v21.car import default_car
from .v201 import SimulatedStation201

_LOGGER = logging.getLogger(__package__)
DEFAULT_URL = "ws://127.0.0.1:9000"
DEFAULT_CHARGERS = ("SIM-AC11:1:3:16", "SIM-DUAL:2:3:32")
DEFAULT_STATIONS = ("SIM-201:1:16", "SIM-DC:1:DC50")
DEFAULT_STATIONS21 = ("SIM-V2X:1:AC11",)
# The demo car of a 2.1 station is home for the night: time to discharge and charge back.
DEMO_STAY = timedelta(hours=12)
_FIELDS_MIN, _FIELDS_MAX = 3, 4
_STATION_FIELDS_MIN, _STATION_FIELDS_MAX = 2, 3
DEFAULT_DC_KW = 50.0  # a DC station's power per EVSE without a number after "DC"
DEFAULT_V2X_KW = {"AC": 11.0, "DC": 22.0}  # a 2.1 station's power both ways, by kind
_RETRY_MAX = 5.0  # s between a station's connection attempts, at most
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


_SECURE_KEYS = frozenset({"password", "url", "ca"})


def parse_secure_charger(text: str, meter_interval: int = 10) -> ChargerSpec:
    """Parse `ID:CONNECTORS:PHASES[:MAX_A],password=P[,url=wss://H:PORT,ca=FILE]`.

    A 1.6 charger with an HTTP Basic password (profile 1), over TLS with `url` and the CA
    file it trusts (profile 2).
    """
    head, *pairs = text.split(",")
    fields: dict[str, str] = {}
    for pair in pairs:
        key, equals, value = pair.partition("=")
        if not equals or key not in _SECURE_KEYS or not value:
            raise argparse.ArgumentTypeError(f"{text!r}: expected password=, url=, ca=")
        fields[key] = value
    if "password" not in fields:
        raise argparse.ArgumentTypeError(f"{text!r}: a secure charger needs password=")
    if fields.get("url", "").startswith("wss://") != ("ca" in fields):
        raise argparse.ArgumentTypeError(f"{text!r}: a wss:// url= goes with ca=")
    return replace(
        parse_charger(head, meter_interval),
        password=fields["password"],
        url=fields.get("url"),
        tls_ca=fields.get("ca"),
    )


@dataclass(frozen=True)
class StationSpec:
    """A simulated OCPP 2.0.1 station: its id, EVSEs and maximum (A per phase).

    With `dc_power` (W per EVSE) a DC fast charger instead (`max_current` does not apply).
    """

    station_id: str
    evses: int = 1
    max_current: float = 16.0
    dc_power: float | None = None

    def build(self, url: str) -> SimulatedStation201:
        """The simulated station for the central system at `url`."""
        if self.dc_power is not None:
            return SimulatedStation201(
                self.station_id, url, evses=self.evses, dc=True, dc_power=self.dc_power
            )
        return SimulatedStation201(
            self.station_id, url, evses=self.evses, max_current=self.max_current
        )


def parse_station(text: str) -> StationSpec:
    """Parse `ID:EVSES[:MAX_A]` or `ID:EVSES:DC[KW]` (DC, 50 kW by default) into a StationSpec."""
    fields = text.split(":")
    if not _STATION_FIELDS_MIN <= len(fields) <= _STATION_FIELDS_MAX or not fields[0]:
        raise argparse.ArgumentTypeError(f"expected ID:EVSES[:MAX_A|:DC[KW]], got {text!r}")
    maximum = fields[2] if len(fields) == _STATION_FIELDS_MAX else ""
    dc = maximum.upper().startswith("DC")
    try:
        evses = int(fields[1])
        number = float((maximum[2:] or DEFAULT_DC_KW) if dc else (maximum or 16.0))
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"{text!r}: {err}") from err
    if evses < 1 or not 0 < number < math.inf:
        raise argparse.ArgumentTypeError(f"{text!r}: needs an EVSE and a positive maximum")
    if dc:
        return StationSpec(fields[0], evses, dc_power=number * 1000)
    return StationSpec(fields[0], evses, number)


@dataclass(frozen=True)
class Station21Spec:
    """A simulated OCPP 2.1 bidirectional station: AC wallbox or DC, `kw` both ways per EVSE."""

    station_id: str
    evses: int = 1
    kind: str = "AC"
    kw: float = DEFAULT_V2X_KW["AC"]

    def build(self, url: str) -> SimulatedStation201:
        """The simulated station (with a car that discharges) for the CSMS at `url`."""
        make = dc_station if self.kind == "DC" else ac_wallbox
        car = replace(default_car(dc=self.kind == "DC"), stay=DEMO_STAY)
        return make(self.station_id, url, self.kw, evses=self.evses, car=car)


def parse_station21(text: str) -> Station21Spec:
    """Parse `ID:EVSES[:AC[KW]|:DC[KW]]` (AC11 by default, DC22 for a bare DC)."""
    fields = text.split(":")
    if not _STATION_FIELDS_MIN <= len(fields) <= _STATION_FIELDS_MAX or not fields[0]:
        raise argparse.ArgumentTypeError(f"expected ID:EVSES[:AC[KW]|:DC[KW]], got {text!r}")
    kind_kw = fields[2].upper() if len(fields) == _STATION_FIELDS_MAX else "AC"
    kind = kind_kw[:2]
    if kind not in DEFAULT_V2X_KW:
        raise argparse.ArgumentTypeError(f"{text!r}: the kind is AC or DC")
    try:
        evses = int(fields[1])
        kw = float(kind_kw[2:] or DEFAULT_V2X_KW[kind])
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"{text!r}: {err}") from err
    if evses < 1 or not 0 < kw < math.inf:
        raise argparse.ArgumentTypeError(f"{text!r}: needs an EVSE and a positive power")
    return Station21Spec(fields[0], evses, kind, kw)


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
        "--station201",
        action="append",
        metavar="ID:EVSES[:MAX_A|:DC[KW]]",
        help="an OCPP 2.0.1 station to simulate, repeatable; ID:EVSES:DC50 is a 50 kW DC "
        f"fast charger (default: {' '.join(DEFAULT_STATIONS)}; 'none' for none)",
    )
    parser.add_argument(
        "--station21",
        action="append",
        metavar="ID:EVSES[:AC[KW]|:DC[KW]]",
        help="an OCPP 2.1 bidirectional (V2X) station to simulate, repeatable: ID:1:AC11 an "
        "11 kW AC wallbox (the default kind), ID:1:DC22 a 22 kW DC station "
        f"(default: {' '.join(DEFAULT_STATIONS21)}; 'none' for none)",
    )
    parser.add_argument(
        "--secure-charger",
        action="append",
        metavar="ID:CONNECTORS:PHASES[:MAX_A],password=P[,url=wss://HOST:PORT,ca=FILE]",
        help="a 1.6 charger with an HTTP Basic password (security profile 1), over TLS "
        "with url= and ca= (profile 2); repeatable, besides the default chargers",
    )
    parser.add_argument(
        "--meter-interval", type=int, default=10, help="MeterValues every N s (default 10)"
    )
    parser.add_argument("--verbose", action="store_true", help="also log every OCPP frame")
    return parser


@dataclass(frozen=True)
class Options:
    """What the command line asks for."""

    url: str
    chargers: list[ChargerSpec]
    stations: list[StationSpec | Station21Spec]
    verbose: bool


def parse_args(argv: Sequence[str] | None = None) -> Options:
    """Return the options of the command line."""
    parser = build_parser()
    args = parser.parse_args(argv)
    texts = args.station201 or DEFAULT_STATIONS
    try:
        specs = [
            parse_charger(text, args.meter_interval) for text in args.charger or DEFAULT_CHARGERS
        ]
        specs += [
            parse_secure_charger(text, args.meter_interval) for text in args.secure_charger or ()
        ]
        stations: list[StationSpec | Station21Spec] = [
            parse_station(text) for text in texts if text != "none"
        ]
        stations += [
            parse_station21(text) for text in args.station21 or DEFAULT_STATIONS21 if text != "none"
        ]
    except argparse.ArgumentTypeError as err:
        parser.error(str(err))
    ids = [spec.charge_point_id for spec in specs] + [spec.station_id for spec in stations]
    if len(set(ids)) != len(ids):
        parser.error("charger ids must be unique")
    return Options(args.url, specs, stations, args.verbose)


async def run(
    url: str,
    specs: Sequence[ChargerSpec],
    stop: asyncio.Event,
    stations: Sequence[StationSpec | Station21Spec] = (),
) -> int:
    """Run the chargers until `stop` is set, then stop the sessions and disconnect."""
    chargers = [SimulatedCharger(spec, url) for spec in specs]
    simulated = [spec.build(url) for spec in stations]
    drivers = [asyncio.create_task(_drive(charger)) for charger in chargers]
    drivers += [asyncio.create_task(_drive_station(station)) for station in simulated]
    await stop.wait()
    _LOGGER.info("stopping")
    for driver in drivers:
        driver.cancel()
    await asyncio.gather(*drivers, return_exceptions=True)
    await asyncio.gather(
        *(_shut_down(charger) for charger in chargers),
        *(_shut_down_station(station) for station in simulated),
    )
    return 0


async def _drive_station(station: SimulatedStation201) -> None:
    """Connect (retrying until the server is up) and charge a car on every EVSE.

    The meter values follow the interval the central system sets (TxUpdatedInterval).
    """
    delay = 0.5
    while True:
        try:
            await station.connect()
        except LINK_ERRORS as err:
            _LOGGER.info("%s: cannot connect (%s); retrying in %.1f s", station, err, delay)
            await station.close()
            await asyncio.sleep(delay)
            delay = min(delay * 2, _RETRY_MAX)
        else:
            break
    await station.wait_accepted(timeout=None)
    for evse_id in station.evses:
        with logged(station, f"demo session on EVSE {evse_id}"):
            await station.start_transaction(evse_id)
            if isinstance(station, SimulatedStation21):
                # An ISO 15118-20 car tells its needs, bidirectional ones included.
                await station.send_car_needs(evse_id)


async def _shut_down_station(station: SimulatedStation201) -> None:
    for evse_id in station.evses:
        if station.transaction_id(evse_id) is None or not station.connected:
            continue
        try:
            async with asyncio.timeout(_SHUTDOWN_TIMEOUT):
                await station.stop_transaction(evse_id, reason="Local")
        except LINK_ERRORS as err:
            _LOGGER.warning("%s: could not stop EVSE %d: %r", station, evse_id, err)
    await station.close()


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


async def _main(options: Options) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    return await run(options.url, options.chargers, stop, options.stations)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m simulator`; returns the exit code."""
    options = parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not options.verbose:
        logging.getLogger("ocpp").setLevel(logging.WARNING)
        logging.getLogger("aiohttp").setLevel(logging.WARNING)
    return asyncio.run(_main(options))
