"""`python -m simulator`: arguments, a run against a central system, clean shutdown."""

from __future__ import annotations

import argparse
import asyncio
from datetime import timedelta
import logging
from pathlib import Path
import signal
import sys
from typing import Any

import pytest

from simulator import cli
from simulator.spec import ChargerSpec
from simulator.v21 import SimulatedStation21

from .central_system import CentralSystem
from .csms21 import Rig
from .csms201 import Csms

ROOT = Path(__file__).resolve().parents[2]


def test_parse_charger() -> None:
    """ID:CONNECTORS:PHASES[:MAX_A], 16 A by default."""
    spec = cli.parse_charger("HOME:2:1:32", meter_interval=5)
    assert (spec.charge_point_id, spec.connectors, spec.phases, spec.max_current) == (
        "HOME",
        2,
        1,
        32.0,
    )
    assert spec.meter_interval == 5
    assert cli.parse_charger("X:1:3").max_current == 16.0


@pytest.mark.parametrize("text", ["bad", "X:1", ":1:3", "X:one:3", "X:1:2", "X:1:3:16:1", "X:0:3"])
def test_parse_charger_refuses(text: str) -> None:
    """Malformed or impossible chargers are argument errors."""
    with pytest.raises(argparse.ArgumentTypeError):
        cli.parse_charger(text)


def test_parse_args_defaults() -> None:
    """Without arguments: two 1.6 chargers, a 2.0.1 AC and a 2.0.1 DC station on port 9000."""
    options = cli.parse_args([])
    assert options.url == "ws://127.0.0.1:9000"
    assert [
        (s.charge_point_id, s.connectors, s.phases, s.max_current) for s in options.chargers
    ] == [
        ("SIM-AC11", 1, 3, 16.0),
        ("SIM-DUAL", 2, 3, 32.0),
    ]
    assert options.stations == [
        cli.StationSpec("SIM-201", 1, 16.0),
        cli.StationSpec("SIM-DC", 1, dc_power=50_000.0),
        cli.Station21Spec("SIM-V2X", 1, "AC", 11.0),
    ]
    assert not options.verbose
    assert cli.parse_args(["--station201", "none", "--station21", "none"]).stations == []
    # The demo's bidirectional car stays the night.
    demo = cli.Station21Spec("SIM-V2X", 1, "AC", 11.0).build("ws://127.0.0.1:9")
    assert isinstance(demo, SimulatedStation21)
    assert demo.car(1).stay == timedelta(hours=12)


def test_parse_station() -> None:
    """ID:EVSES[:MAX_A]; malformed ones are argument errors."""
    assert cli.parse_station("DC:2:125") == cli.StationSpec("DC", 2, 125.0)
    for text in ("X", ":1", "X:0", "X:one", "X:1:-3", "X:1:2:3"):
        with pytest.raises(argparse.ArgumentTypeError):
            cli.parse_station(text)


def test_parse_args_errors(capsys: pytest.CaptureFixture[str]) -> None:
    """Bad or duplicate chargers exit with status 2 and a message."""
    with pytest.raises(SystemExit) as bad:
        cli.parse_args(["--charger", "nope"])
    assert bad.value.code == 2
    with pytest.raises(SystemExit):
        cli.parse_args(["--charger", "A:1:3", "--charger", "A:2:3"])
    assert "unique" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.parse_args(["--charger", "A:1:3", "--station201", "A:1"])
    with pytest.raises(SystemExit):
        cli.parse_args(["--station201", "A"])


async def test_run_charges_until_stopped(central_system: CentralSystem) -> None:
    """Every connector charges; on stop the transactions end and the run returns 0."""
    specs = [ChargerSpec("CLI-1", meter_interval=0), ChargerSpec("CLI-2", connectors=2)]
    stop = asyncio.Event()
    running = asyncio.create_task(cli.run(central_system.url, specs, stop))
    await central_system.wait_connected(count=2)
    logs = central_system.logs
    await logs["CLI-1"].wait_for("MeterValues")
    await logs["CLI-2"].wait_for("MeterValues", predicate=lambda p: p["connectorId"] == 1)
    await logs["CLI-2"].wait_for("MeterValues", predicate=lambda p: p["connectorId"] == 2)
    stop.set()
    assert await asyncio.wait_for(running, 5) == 0
    for charge_point_id, count in (("CLI-1", 1), ("CLI-2", 2)):
        stops = [p for a, p in logs[charge_point_id].calls if a == "StopTransaction"]
        assert [p["reason"] for p in stops] == ["Local"] * count


async def test_run_stops_while_the_server_refuses(central_system: CentralSystem) -> None:
    """A charger still retrying its connection is simply closed."""
    central_system.password = "0123456789abcdef"  # the chargers have none: 401
    stop = asyncio.Event()
    running = asyncio.create_task(cli.run(central_system.url, [ChargerSpec("CLI-3")], stop))
    await asyncio.sleep(0.05)
    stop.set()
    assert await asyncio.wait_for(running, 5) == 0
    assert central_system.connections == []


async def test_run_gives_up_stopping_after_a_while(
    central_system: CentralSystem, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A central system that never confirms StopTransaction does not block the shutdown."""
    monkeypatch.setattr(cli, "_SHUTDOWN_TIMEOUT", 0.1)
    central_system.stall_actions = {"StopTransaction"}
    stop = asyncio.Event()
    running = asyncio.create_task(cli.run(central_system.url, [ChargerSpec("CLI-4")], stop))
    await central_system.wait_connected()
    await central_system.logs["CLI-4"].wait_for("MeterValues")
    stop.set()
    assert await asyncio.wait_for(running, 5) == 0
    assert "could not stop connector 1" in caplog.text
    central_system.release.set()


def test_main_configures_and_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """main() parses, sets logging up quietly unless --verbose, and returns run()'s code."""
    seen: list[tuple[str, list[ChargerSpec]]] = []

    async def fake_run(
        url: str, specs: list[ChargerSpec], stop: asyncio.Event, stations: object = ()
    ) -> int:
        seen.append((url, specs))
        assert not stop.is_set()
        return 0

    monkeypatch.setattr(cli, "run", fake_run)
    ocpp_logger = logging.getLogger("ocpp")
    monkeypatch.setattr(ocpp_logger, "level", ocpp_logger.level)
    monkeypatch.setattr(logging.getLogger("aiohttp"), "level", logging.getLogger("aiohttp").level)
    assert cli.main(["--url", "ws://127.0.0.1:1", "--charger", "X:1:3"]) == 0
    assert seen[0][0] == "ws://127.0.0.1:1"
    assert ocpp_logger.level == logging.WARNING


async def test_python_m_simulator_exits_cleanly_on_sigterm(central_system: CentralSystem) -> None:
    """The real command: charges, and on SIGTERM stops the transaction and exits 0."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "simulator",
        "--url",
        central_system.url,
        "--charger",
        "PROC-1:1:1:10",
        cwd=ROOT,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await central_system.wait_connected(timeout=10)
        await central_system.logs["PROC-1"].wait_for("MeterValues", timeout=10)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 10)
    assert process.returncode == 0, stderr.decode()
    stop = await central_system.logs["PROC-1"].wait_for("StopTransaction")
    assert stop["reason"] == "Local"
    log = stderr.decode()
    assert "PROC-1>: connector 1 transaction" in log
    assert "stopping" in log


async def test_run_charges_a_201_station(csms: Csms) -> None:
    """A 2.0.1 station boots and charges on every EVSE; on stop its transactions end."""
    stop = asyncio.Event()
    stations = [cli.StationSpec("CLI-201", evses=2)]
    running = asyncio.create_task(cli.run(csms.url, [], stop, stations))
    await csms.wait_connected()
    log = csms.log("CLI-201")
    for evse in (1, 2):

        def started(payload: dict[str, Any], evse: int = evse) -> bool:
            return bool(payload["event_type"] == "Started" and payload["evse"]["id"] == evse)

        await log.wait_for("TransactionEvent", predicate=started)
    stop.set()
    assert await asyncio.wait_for(running, 5) == 0
    ended = [p for a, p in log.calls if a == "TransactionEvent" and p["event_type"] == "Ended"]
    assert len(ended) == 2


async def test_a_station_retries_until_the_server_is_up(csms: Csms) -> None:
    """Nothing listening yet: the station retries, and stops cleanly when asked."""
    stop = asyncio.Event()
    running = asyncio.create_task(
        cli.run("ws://127.0.0.1:1", [], stop, [cli.StationSpec("CLI-NONE")])
    )
    await asyncio.sleep(0.2)
    stop.set()
    assert await asyncio.wait_for(running, 5) == 0


def test_parse_a_21_station() -> None:
    """ID:EVSES[:AC[KW]|:DC[KW]]: an 11 kW AC wallbox by default, 22 kW for a bare DC."""
    assert cli.parse_station21("V2H:1") == cli.Station21Spec("V2H", 1, "AC", 11.0)
    assert cli.parse_station21("V2H:2:ac7.4") == cli.Station21Spec("V2H", 2, "AC", 7.4)
    assert cli.parse_station21("V2G:1:DC") == cli.Station21Spec("V2G", 1, "DC", 22.0)
    assert cli.parse_station21("V2G:1:DC50") == cli.Station21Spec("V2G", 1, "DC", 50.0)
    for text in ("X", "X:0:AC11", "X:1:XX11", "X:1:ACx", "X:1:DC0", "X:1:DCinf", "X:1:AC:1"):
        with pytest.raises(argparse.ArgumentTypeError):
            cli.parse_station21(text)
    options = cli.parse_args(["--station201", "none", "--station21", "V2H:1:AC11"])
    assert options.stations == [cli.Station21Spec("V2H", 1, "AC", 11.0)]
    with pytest.raises(SystemExit):
        cli.parse_args(["--station201", "A:1", "--station21", "A:1"])  # ids must be unique
    wallbox = cli.Station21Spec("V2H", 1, "AC", 11.0).build("ws://127.0.0.1:1")
    assert (wallbox.subprotocol, wallbox.max_current, wallbox.model.max_power_w) == (
        "ocpp2.1",
        16.0,
        11_040,
    )
    fast = cli.Station21Spec("V2G", 2, "DC", 22.0).build("ws://127.0.0.1:1")
    assert (fast.dc, len(fast.evses), sorted(fast.rate_units)) == (True, 2, ["W"])


async def test_run_a_21_station(socket_enabled: None) -> None:
    """`--station21 V2G:1:DC22`: Authorize, a transaction, DC_BPT needs; ends on stop."""
    async with Rig() as rig:
        stop = asyncio.Event()
        spec = cli.Station21Spec("V2G", 1, "DC", 22.0)
        running = asyncio.create_task(cli.run(rig.csms.url, [], stop, [spec]))
        log = rig.log("V2G")
        try:
            await log.wait_for("Authorize")
            needs = await log.wait_for("NotifyEVChargingNeeds")
            assert needs["charging_needs"]["requested_energy_transfer"] == "DC_BPT"
            assert needs["charging_needs"]["v2x_charging_parameters"]["max_discharge_power"] > 0
        finally:
            stop.set()
            assert await asyncio.wait_for(running, 5) == 0

        def ended(event: dict[str, Any]) -> bool:
            return bool(event["event_type"] == "Ended")

        assert (await log.wait_for("TransactionEvent", predicate=ended))["transaction_info"][
            "stopped_reason"
        ] == "Local"


def test_parse_secure_charger() -> None:
    """A password (profile 1), and over TLS a URL with the CA it trusts (profile 2)."""
    one = cli.parse_secure_charger("P1:1:3,password=" + "a" * 20)
    assert (one.charge_point_id, one.password, one.url, one.tls_ca) == ("P1", "a" * 20, None, None)
    two = cli.parse_secure_charger("P2:1:3:32,password=pw,url=wss://127.0.0.1:9443,ca=/ca.crt")
    assert (two.max_current, two.url, two.tls_ca) == (32.0, "wss://127.0.0.1:9443", "/ca.crt")
    options = cli.parse_args(["--secure-charger", "P1:1:3,password=x"])
    assert [spec.charge_point_id for spec in options.chargers] == ["SIM-AC11", "SIM-DUAL", "P1"]


@pytest.mark.parametrize(
    "text",
    [
        "P1:1:3",
        "P1:1:3,password=",
        "P1:1:3,user=x",
        "P1:1:3,password=x,url=wss://h:1",
        "P1:1:3,password=x,ca=/ca.crt",
    ],
)
def test_parse_secure_charger_refuses(text: str) -> None:
    """No password, unknown keys, wss:// without its CA (or a CA without wss://)."""
    with pytest.raises(argparse.ArgumentTypeError):
        cli.parse_secure_charger(text)
