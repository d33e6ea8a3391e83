"""The server over real WebSockets: admission, connections, setup after connect, restarts."""

from __future__ import annotations

import json
import logging
from typing import Any

import aiohttp
import pytest

from custom_components.smart_charging.central_system.model import (
    BootInfo,
    ConnectorStatus,
    PhaseValues,
)
from custom_components.smart_charging.central_system.policy import (
    AccessPolicy,
    Admission,
    IdTagPolicy,
    UnknownChargerPolicy,
)
from custom_components.smart_charging.central_system.v16.setup import WANTED_MEASURANDS
from simulator.spec import ENERGY_KWH, NO_BOOT_ON_RECONNECT

from .conftest import (
    CALL,
    CALL_ERROR,
    CALL_RESULT,
    QUIET_ANSWERS,
    ChargerFactory,
    MemoryPersistence,
    RawClientFactory,
    Server,
    ServerFactory,
    connected_charger,
    fast_settings,
    wait_for_setup,
    wait_until,
)

BOOT = {"chargePointVendor": "Acme", "chargePointModel": "Raw-1"}


def actions(calls: list[tuple[str, dict[str, Any]]], action: str) -> list[dict[str, Any]]:
    """The payloads of every `action` call a charger received."""
    return [payload for name, payload in calls if name == action]


def sampled_data_values(calls: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """The MeterValuesSampledData values the central system tried, in order."""
    return [
        payload["value"]
        for payload in actions(calls, "ChangeConfiguration")
        if payload["key"] == "MeterValuesSampledData"
    ]


# --- boot and admission -----------------------------------------------------------------------


async def test_boot_accepted_with_heartbeat_interval(
    make_server: ServerFactory, raw_client: RawClientFactory
) -> None:
    """BootNotification: Accepted, the configured heartbeat interval, the time in UTC."""
    server = await make_server(settings=fast_settings(heartbeat_interval=123))
    client = await raw_client(server, "CP-RAW", answers=QUIET_ANSWERS)
    answer = await client.call(
        "boot-1", "BootNotification", {**BOOT, "chargePointSerialNumber": "S1", "iccid": "89"}
    )
    assert answer[:2] == [CALL_RESULT, "boot-1"]
    payload = answer[2]
    assert sorted(payload) == ["currentTime", "interval", "status"]
    assert payload["status"] == "Accepted"
    assert payload["interval"] == 123
    assert payload["currentTime"].endswith("Z")
    session = server.session("CP-RAW")
    assert session.state.boot == BootInfo(
        vendor="Acme", model="Raw-1", serial_number="S1", iccid="89"
    )
    assert session.admission is Admission.ACCEPTED
    assert session.state.connected is True
    assert session.state.ocpp_version == "1.6"
    assert "CP-RAW" in server.system.policy.approved
    assert server.listener.count("approved", "CP-RAW") == 1


async def test_simulated_charger_boots_and_reports(
    server: Server, make_charger: ChargerFactory
) -> None:
    """A simulated charger: accepted, its statuses recorded, persisted as a known charger."""
    charger, session = await connected_charger(server, make_charger, "CP-1", connectors=2)
    assert charger.boot_status == "Accepted"
    assert charger.config.value("HeartbeatInterval") == "300"
    assert session.state.boot == BootInfo(
        vendor="Simulated", model="SimCharger", serial_number="SN-CP-1", firmware_version="1.0.0"
    )
    assert sorted(session.state.connectors) == [0, 1, 2]
    assert {c.status for c in session.state.connectors.values()} == {ConnectorStatus.AVAILABLE}
    assert server.persistence.data is not None
    assert "CP-1" in server.persistence.data["chargers"]
    assert server.listener.count("updated", "CP-1") >= 4


@pytest.mark.parametrize("protocols", [("ocpp2.0", "ocpp1.5"), ()])
async def test_subprotocol_refused(
    server: Server,
    raw_client: RawClientFactory,
    caplog: pytest.LogCaptureFixture,
    protocols: tuple[str, ...],
) -> None:
    """A client that offers no version we speak is closed, with one log line, and leaves no trace."""
    client = await raw_client(server, "CP-201", protocols=protocols)
    assert client.websocket.protocol is None
    message = await client.websocket.receive(timeout=3)
    assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    refused = [r for r in caplog.records if "refused, offers subprotocols" in r.getMessage()]
    assert [(r.levelno, r.getMessage()) for r in refused] == [
        (
            logging.WARNING,
            f"CP-201: refused, offers subprotocols {','.join(protocols)!r};"
            " supported: ocpp2.1, ocpp2.0.1, ocpp1.6",
        )
    ]
    assert "CP-201" not in server.system.sessions
    assert "CP-201" not in server.system.policy.approved


async def test_empty_charge_point_id_is_not_found(server: Server) -> None:
    """The charge point id is the URL path; none is a 404."""
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{server.system.port}/") as response,
    ):
        assert response.status == 404


async def test_second_connection_replaces_the_first(
    server: Server, make_charger: ChargerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """Same id again: the old socket is closed, the session and its state stay."""
    first, session = await connected_charger(server, make_charger, "CP-1")
    transaction_id, _ = await first.start_transaction(1)
    first.advance(3600)
    await first.send_meter_values(1)
    old_adapter = session.adapter
    energy = session.state.connector(1).energy
    assert energy is not None
    assert energy > 0

    second = make_charger(server, "CP-1")
    await second.connect(boot=False)
    await second.wait_accepted()
    await wait_until(lambda: not first.connected)
    assert server.session("CP-1") is session
    assert session.adapter is not None
    assert session.adapter is not old_adapter
    assert session.connected
    assert session.state.connector(1).transaction_id == transaction_id
    assert session.state.connector(1).energy == energy
    assert session.state.boot is not None
    assert session.state.boot.serial_number == "SN-CP-1"
    assert any("new connection replaces the previous one" in r.getMessage() for r in caplog.records)
    # The new connection works; the capabilities were not read again.
    await second.send_heartbeat()
    await wait_for_setup(second)
    assert actions(second.calls, "GetConfiguration") == []
    # The capabilities, then the vendor keys with the installed maximum.
    assert len(actions(first.calls, "GetConfiguration")) == 2


async def test_reject_policy_answers_rejected_then_closes(
    make_server: ServerFactory, raw_client: RawClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """Policy reject: BootNotification Rejected with the retry interval, then the socket closes."""
    server = await make_server(
        policy=AccessPolicy(unknown_chargers=UnknownChargerPolicy.REJECT),
        settings=fast_settings(pending_retry_interval=77),
    )
    client = await raw_client(server, "CP-NO")
    answer = await client.call("b-1", "BootNotification", BOOT)
    assert answer[:2] == [CALL_RESULT, "b-1"]
    assert answer[2]["status"] == "Rejected"
    assert answer[2]["interval"] == 77
    message = await client.websocket.receive(timeout=3)
    assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert "CP-NO" not in server.system.sessions
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == [
        "CP-NO: rejected by the unknown-charger policy"
    ]


async def test_ignored_charger_is_rejected_even_when_accepting_all(
    make_server: ServerFactory, raw_client: RawClientFactory
) -> None:
    """An ignored charger gets Rejected and is disconnected."""
    policy = AccessPolicy(unknown_chargers=UnknownChargerPolicy.ACCEPT_ALL, ignored={"CP-IGN"})
    server = await make_server(policy=policy)
    client = await raw_client(server, "CP-IGN")
    answer = await client.call("b-1", "BootNotification", BOOT)
    assert answer[2]["status"] == "Rejected"
    message = await client.websocket.receive(timeout=3)
    assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert server.system.sessions == {}
    assert "CP-IGN" not in server.system.policy.approved


async def test_rejected_charger_that_sends_no_boot_is_closed(
    make_server: ServerFactory, raw_client: RawClientFactory
) -> None:
    """A rejected charger's first frame that is not a boot gets no answer, only the close."""
    server = await make_server(policy=AccessPolicy(unknown_chargers=UnknownChargerPolicy.REJECT))
    client = await raw_client(server, "CP-NO")
    await client.send([CALL, "h-1", "Heartbeat", {}])
    message = await client.websocket.receive(timeout=3)
    assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)


async def test_ask_policy_pending_then_approved(
    make_server: ServerFactory, make_charger: ChargerFactory
) -> None:
    """Ask: Pending; other messages SecurityError; approve() triggers a boot that is Accepted."""
    server = await make_server(policy=AccessPolicy(unknown_chargers=UnknownChargerPolicy.ASK))
    charger = make_charger(server, "CP-ASK")
    assert await charger.connect() == "Pending"
    session = server.session("CP-ASK")
    assert session.admission is Admission.PENDING
    assert server.listener.count("admission_requested", "CP-ASK") == 1
    assert server.listener.count("approved", "CP-ASK") == 0

    now = "2025-03-01T12:00:00Z"
    refused: dict[str, tuple[str, dict[str, Any]]] = {
        "p-1": ("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Available"}),
        "p-2": ("Authorize", {"idTag": "TAG"}),
        "p-3": ("StartTransaction", {"connectorId": 1, "idTag": "T", "meterStart": 0, "timestamp": now}),
        "p-4": ("MeterValues", {"connectorId": 1, "meterValue": [{"timestamp": now, "sampledValue": [{"value": "1"}]}]}),
        "p-5": ("StopTransaction", {"transactionId": 1, "meterStop": 5, "timestamp": now}),
        "p-6": ("DataTransfer", {"vendorId": "acme"}),
    }  # fmt: skip
    for message_id, (action, payload) in refused.items():
        await charger.send_raw(f'[2,"{message_id}","{action}",{_json(payload)}]')
        answer = await charger.next_raw_incoming(3)
        assert _frame(answer)[:3] == [CALL_ERROR, message_id, "SecurityError"], action
    assert server.system.ledger.next_id == 1
    assert session.state.connectors == {}
    # Charger-side configuration calls are not made before approval.
    assert actions(charger.calls, "GetConfiguration") == []

    server.system.approve("CP-ASK")
    trigger = await charger.wait_for_call("TriggerMessage")
    assert trigger == {"requestedMessage": "BootNotification"}
    await charger.wait_accepted()
    assert charger.boot_status == "Accepted"
    assert session.admission is Admission.ACCEPTED
    assert "CP-ASK" in server.system.policy.approved
    assert server.listener.count("admission_requested", "CP-ASK") == 1
    await wait_for_setup(charger)
    await wait_until(lambda: session.state.configured)
    # The capabilities, then the vendor keys with the installed maximum.
    assert len(actions(charger.calls, "GetConfiguration")) == 2
    assert session.state.connector(1).status is ConnectorStatus.AVAILABLE


async def test_pending_charger_that_leaves_is_forgotten(
    make_server: ServerFactory, make_charger: ChargerFactory
) -> None:
    """Nothing of an unapproved, disconnected charger is kept."""
    server = await make_server(policy=AccessPolicy(unknown_chargers=UnknownChargerPolicy.ASK))
    charger = make_charger(server, "CP-ASK")
    assert await charger.connect() == "Pending"
    assert "CP-ASK" in server.system.sessions
    await charger.close()
    await wait_until(lambda: "CP-ASK" not in server.system.sessions)
    assert "CP-ASK" not in server.system.dump()["chargers"]


async def test_forget_disconnects_and_drops_the_charger(
    server: Server, make_charger: ChargerFactory
) -> None:
    """forget(): the charger is disconnected and no longer known."""
    charger, _ = await connected_charger(server, make_charger, "CP-1")
    await server.system.forget("CP-1")
    await wait_until(lambda: not charger.connected)
    assert "CP-1" not in server.system.policy.approved
    assert "CP-1" not in server.system.dump()["chargers"]


# --- setup after connect ----------------------------------------------------------------------


async def test_capabilities_read_once_and_cached(
    server: Server, make_charger: ChargerFactory
) -> None:
    """GetConfiguration once (and once for the vendor keys); a reconnect does not read again."""
    charger, session = await connected_charger(server, make_charger, "CP-1")
    request, _vendor_keys = actions(charger.calls, "GetConfiguration")
    assert request == {
        "key": [
            "SupportedFeatureProfiles",
            "NumberOfConnectors",
            "ChargingScheduleAllowedChargingRateUnit",
            "ChargeProfileMaxStackLevel",
            "ChargingScheduleMaxPeriods",
            "MaxChargingProfilesInstalled",
            "ConnectorSwitch3to1PhaseSupported",
            "MeterValuesSampledData",
            "MeterValuesSampledDataMaxLength",
            "HeartbeatInterval",
            "MeterValueSampleInterval",
        ]
    }
    capabilities = session.state.capabilities
    assert capabilities is not None
    assert capabilities.smart_charging is True
    assert capabilities.max_stack_level == 8
    assert capabilities.number_of_connectors == 1
    assert capabilities.rate_units == frozenset({"A", "W"})

    await charger.close()
    await wait_until(lambda: not session.connected)
    await charger.connect(boot=False)
    await charger.wait_accepted()
    await wait_for_setup(charger)
    await wait_until(lambda: session.state.configured)
    assert len(actions(charger.calls, "GetConfiguration")) == 2
    assert session.state.capabilities is capabilities


async def test_meter_value_sample_interval_is_set(
    make_server: ServerFactory, make_charger: ChargerFactory
) -> None:
    """MeterValueSampleInterval is set to the configured interval."""
    server = await make_server(settings=fast_settings(meter_interval=15))
    charger, _ = await connected_charger(server, make_charger, "CP-1")
    intervals = [
        payload
        for payload in actions(charger.calls, "ChangeConfiguration")
        if payload["key"] == "MeterValueSampleInterval"
    ]
    assert intervals == [{"key": "MeterValueSampleInterval", "value": "15"}]
    assert charger.config.value("MeterValueSampleInterval") == "15"


async def test_sampled_data_asks_for_every_wanted_measurand(
    server: Server, make_charger: ChargerFactory
) -> None:
    """A charger that supports them all gets the whole list in one change."""
    charger, _ = await connected_charger(server, make_charger, "CP-1")
    assert sampled_data_values(charger.calls) == [",".join(WANTED_MEASURANDS)]
    assert charger.config.sampled_data == list(WANTED_MEASURANDS)


async def test_sampled_data_falls_back_measurand_by_measurand(
    server: Server, make_charger: ChargerFactory
) -> None:
    """One unsupported measurand rejects the list: grow it one by one, keep what is accepted."""
    supported = (
        "Energy.Active.Import.Register",
        "Power.Active.Import",
        "Current.Import",
        "Voltage",
    )
    charger = make_charger(
        server,
        "CP-1",
        supported_measurands=supported,
        sampled_data=("Energy.Active.Import.Register",),
    )
    assert await charger.connect() == "Accepted"
    await wait_until(lambda: len(sampled_data_values(charger.calls)) == 8)
    energy, power, current, offered, voltage, soc, temperature = WANTED_MEASURANDS
    assert sampled_data_values(charger.calls) == [
        ",".join(WANTED_MEASURANDS),
        energy,
        f"{energy},{power}",
        f"{energy},{power},{current}",
        f"{energy},{power},{current},{offered}",
        f"{energy},{power},{current},{voltage}",
        f"{energy},{power},{current},{voltage},{soc}",
        f"{energy},{power},{current},{voltage},{temperature}",
    ]
    assert charger.config.sampled_data == list(supported)


async def test_no_boot_on_reconnect_is_still_set_up(
    server: Server, make_charger: ChargerFactory
) -> None:
    """A known charger reconnecting without BootNotification is accepted and served."""
    charger, session = await connected_charger(
        server, make_charger, "CP-1", quirks=frozenset({NO_BOOT_ON_RECONNECT}), reconnect=True
    )
    old_adapter = session.adapter
    assert old_adapter is not None
    await old_adapter.close()
    await wait_until(lambda: session.adapter not in (None, old_adapter) and charger.connected)
    await wait_for_setup(charger)
    await charger.send_heartbeat()
    assert session.state.last_heartbeat is not None


# --- persistence across restarts --------------------------------------------------------------


async def test_restart_keeps_ids_transactions_registers_and_capabilities(
    make_server: ServerFactory, make_charger: ChargerFactory
) -> None:
    """Stop, start with the saved data: nothing is read again, no id is reused."""
    store = MemoryPersistence()
    first_server = await make_server(persistence=store)
    charger, _ = await connected_charger(first_server, make_charger, "CP-1", connectors=2)
    done, _ = await charger.start_transaction(1)
    charger.advance(1800)
    await charger.stop_transaction(1)
    running, _ = await charger.start_transaction(2)
    assert (done, running) == (1, 2)
    # The id was on disk before the charger heard it.
    assert store.data is not None
    assert store.data["ledger"]["next_id"] == 3
    charger.advance(1800)
    await charger.send_meter_values(2)
    energy = first_server.session("CP-1").state.connector(2).energy
    await charger.close()
    await first_server.system.stop()

    policy = AccessPolicy(unknown_chargers=UnknownChargerPolicy.REJECT, approved={"CP-1"})
    second_server = await make_server(persistence=store, policy=policy)
    restored = second_server.session("CP-1")
    assert restored.connected is False
    assert restored.state.capabilities is not None
    assert restored.state.connector(2).transaction_id == running
    assert restored.state.connector(2).energy == energy
    assert second_server.system.ledger.next_id == 3

    again = make_charger(second_server, "CP-1", connectors=2)
    assert await again.connect() == "Accepted"
    await wait_for_setup(again)
    assert actions(again.calls, "GetConfiguration") == []
    new_id, _ = await again.start_transaction(1)
    assert new_id == 3


def _json(payload: dict[str, Any]) -> str:
    return json.dumps(payload)


def _frame(text: str) -> list[Any]:
    frame: list[Any] = json.loads(text)
    assert frame[0] != CALL
    return frame


# --- messages from a charger ------------------------------------------------------------------


async def test_meter_values_from_a_charger(server: Server, make_charger: ChargerFactory) -> None:
    """A three-phase charger reporting kWh: every value normalised on the connector."""
    charger, session = await connected_charger(
        server, make_charger, "CP-1", quirks=frozenset({ENERGY_KWH})
    )
    transaction_id, _ = await charger.start_transaction(1, "TAG-M")
    charger.advance(3600)
    await charger.send_meter_values(1)
    register_kwh = f"{charger.connector(1).register_wh / 1000:.3f}"
    connector = session.state.connector(1)
    assert connector.transaction_id == transaction_id
    assert connector.energy == float(register_kwh) * 1000
    assert connector.energy >= 11040.0
    assert connector.session_energy == connector.energy
    assert connector.power == 11040.0
    assert connector.current_import == 16.0
    assert connector.current_phases == PhaseValues(16.0, 16.0, 16.0)
    assert connector.current_offered == 16.0
    assert connector.voltage == 230.0
    assert connector.voltage_phases == PhaseValues(230.0, 230.0, 230.0)
    assert connector.temperature == 25.0
    assert connector.soc == round(charger.connector(1).soc)
    assert connector.raw_measurements["Energy.Active.Import.Register/-/-"] == (
        f"{float(register_kwh) * 1000:g} Wh"
    )

    await charger.stop_transaction(1)
    finished = server.system.ledger.get(transaction_id or 0)
    assert finished is not None
    assert finished.meter_stop == float(int(charger.connector(1).register_wh))
    assert connector.transaction_id is None
    assert connector.status is ConnectorStatus.AVAILABLE


async def test_id_tag_allow_list_over_the_wire(
    make_server: ServerFactory, make_charger: ChargerFactory
) -> None:
    """Allow list: Authorize and StartTransaction answer Invalid for other tags."""
    policy = AccessPolicy(
        unknown_chargers=UnknownChargerPolicy.ACCEPT_ALL, id_tags=IdTagPolicy.ALLOW_LIST
    )
    policy.set_allowed_id_tags(["Good-Tag"])
    server = await make_server(policy=policy)
    charger, session = await connected_charger(server, make_charger, "CP-1")
    assert await charger.start_transaction(1, "bad-tag") == (None, "Invalid")
    transaction_id, status = await charger.start_transaction(1, "GOOD-TAG")
    assert (transaction_id, status) == (1, "Accepted")
    start = {
        "connectorId": 2,
        "idTag": "other",
        "meterStart": 0,
        "timestamp": "2025-03-01T12:00:00Z",
    }
    await charger.send_raw(f'[2,"s-1","StartTransaction",{_json(start)}]')
    answer = _frame(await charger.next_raw_incoming(3))
    assert answer == [CALL_RESULT, "s-1", {"transactionId": 2, "idTagInfo": {"status": "Invalid"}}]
    assert session.state.connector(2).transaction_id == 2


async def test_stop_transaction_ends_the_flow(
    make_server: ServerFactory, make_charger: ChargerFactory
) -> None:
    """After StopTransaction, power and currents read 0 (no closing MeterValues needed)."""
    server = await make_server()
    charger, _ = await connected_charger(server, make_charger, "CP-1")
    await charger.start_transaction(1)
    charger.advance(60)
    await charger.send_meter_values(1)
    connector = server.session("CP-1").state.connector(1)
    assert connector.power is not None
    assert connector.power > 0
    assert connector.current_phases.l1 is not None
    assert connector.current_phases.l1 > 0
    await charger.stop_transaction(1)
    assert (connector.power, connector.current_import) == (0.0, 0.0)
    assert connector.current_phases.as_tuple() == (0.0, 0.0, 0.0)
    await charger.close()
