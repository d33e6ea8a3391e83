"""Session energy follows the guarded register: a meter reset mid-session is counted once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json
from typing import Any

from custom_components.smart_charging.central_system.policy import (
    AccessPolicy,
    UnknownChargerPolicy,
)
from custom_components.smart_charging.central_system.transactions import TransactionLedger
from simulator.charger import SimulatedCharger

from .conftest import (
    CALL_RESULT,
    ChargerFactory,
    MemoryPersistence,
    Server,
    ServerFactory,
    connected_charger,
    wait_for_setup,
)

T0 = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    """A timestamp `minutes` after T0."""
    return T0 + timedelta(minutes=minutes)


# --- the ledger -------------------------------------------------------------------------------


def test_reset_mid_session_counts_on_from_where_the_register_stood() -> None:
    """10 000 → 15 000, reset to 200, 300, stop at 400: 5 000 before, 200 after."""
    ledger = TransactionLedger()
    transaction, _ = ledger.start("A", 1, "TAG", 10_000.0, at(0))
    for meter in (15_000.0, 200.0, 300.0):
        ledger.record_meter(1, meter)
    assert transaction.energy == 5100.0
    ledger.stop(1, 400.0, at(60), "Local")
    assert transaction.energy == 5200.0
    assert transaction.meter_stop == 400.0


def test_single_low_reading_is_a_glitch() -> None:
    """One stray 0 mid-session (or as meterStop) is held, as for the total."""
    ledger = TransactionLedger()
    transaction, _ = ledger.start("A", 1, "TAG", 10_000.0, at(0))
    for meter in (15_000.0, 0.0, 15_100.0):
        ledger.record_meter(1, meter)
    assert transaction.energy == 5100.0
    ledger.stop(1, 0.0, at(60), None)
    assert transaction.energy == 5100.0


def test_timestamped_readings_are_judged_by_time() -> None:
    """With timestamps, a queued older reading is history and a spike too fast is ignored."""
    ledger = TransactionLedger()
    transaction, _ = ledger.start("A", 1, "TAG", 0.0, at(0))
    ledger.record_meter(1, 5000.0, at(30))
    ledger.record_meter(1, 100.0, at(10))
    ledger.record_meter(1, 200.0, at(20))
    assert transaction.energy == 5000.0
    ledger.record_meter(1, 5_000_000.0, at(31))
    assert transaction.energy == 5000.0
    ledger.record_meter(1, 5500.0, at(32))
    assert transaction.energy == 5500.0


def test_reset_state_survives_the_ledgers_storage() -> None:
    """The offset is stored with the transaction: after a restart, counting goes on."""
    ledger = TransactionLedger()
    ledger.start("A", 1, "TAG", 10_000.0, at(0))
    for meter in (15_000.0, 200.0, 300.0):
        ledger.record_meter(1, meter)
    data = json.loads(json.dumps(ledger.as_dict()))
    restored = TransactionLedger()
    restored.load(data)
    assert restored.as_dict() == data
    transaction = restored.get(1)
    assert transaction is not None
    assert transaction.energy == 5100.0
    restored.record_meter(1, 350.0)
    restored.stop(1, 400.0, at(60), None)
    assert transaction.energy == 5200.0


def test_transactions_stored_before_the_register_load() -> None:
    """A ledger saved by an earlier version: the energy is what it was, counting goes on."""
    item: dict[str, Any] = {
        "transaction_id": 7,
        "charger_id": "A",
        "connector_id": 1,
        "id_tag": "TAG",
        "meter_start": 1000.0,
        "started_at": T0.isoformat(),
        "last_meter": 1800.0,
        "meter_stop": None,
        "stopped_at": None,
        "stop_reason": None,
    }
    finished = {**item, "transaction_id": 6, "meter_stop": 1500.0, "stopped_at": T0.isoformat()}
    ledger = TransactionLedger()
    ledger.load({"next_id": 8, "open": [item], "finished": [finished]})
    old = ledger.get(6)
    assert old is not None
    assert old.energy == 500.0
    transaction = ledger.get(7)
    assert transaction is not None
    assert transaction.energy == 800.0
    ledger.record_meter(7, 1900.0)
    assert transaction.energy == 900.0


# --- over the wire ----------------------------------------------------------------------------


async def _call(charger: SimulatedCharger, message_id: str, action: str, payload: Any) -> Any:
    await charger.send_raw(json.dumps([2, message_id, action, payload]))
    answer = json.loads(await charger.next_raw_incoming())
    assert answer[:2] == [CALL_RESULT, message_id], answer
    return answer[2]


async def _start(charger: SimulatedCharger, meter_start: int) -> int:
    payload = {
        "connectorId": 1,
        "idTag": "TAG",
        "meterStart": meter_start,
        "timestamp": "2025-03-01T12:00:00Z",
    }
    answer = await _call(charger, "start", "StartTransaction", payload)
    transaction_id: int = answer["transactionId"]
    return transaction_id


async def _meter(charger: SimulatedCharger, transaction_id: int, minute: int, wh: int) -> None:
    payload = {
        "connectorId": 1,
        "transactionId": transaction_id,
        "meterValue": [
            {
                "timestamp": f"2025-03-01T12:{minute:02d}:00Z",
                "sampledValue": [{"value": str(wh), "unit": "Wh"}],
            }
        ],
    }
    await _call(charger, f"mv-{minute}", "MeterValues", payload)


async def _stop(charger: SimulatedCharger, transaction_id: int, minute: int, wh: int) -> None:
    payload = {
        "transactionId": transaction_id,
        "meterStop": wh,
        "timestamp": f"2025-03-01T12:{minute:02d}:00Z",
    }
    await _call(charger, "stop", "StopTransaction", payload)


async def test_reset_inside_a_transaction_over_a_reconnect(
    server: Server, make_charger: ChargerFactory
) -> None:
    """The reset is seen before a reconnect and confirmed after it: counted once."""
    charger, session = await connected_charger(server, make_charger, "CP-RESET")
    connector = session.state.connector(1)
    transaction_id = await _start(charger, 10_000)
    await _meter(charger, transaction_id, 10, 15_000)
    await _meter(charger, transaction_id, 11, 200)
    await charger.close()

    again = make_charger(server, "CP-RESET")
    assert await again.connect() == "Accepted"
    await wait_for_setup(again)
    await _meter(again, transaction_id, 12, 300)
    assert connector.energy == 15_100.0
    assert connector.session_energy == 5100.0
    await _stop(again, transaction_id, 13, 400)
    assert connector.energy == 15_200.0
    assert connector.session_energy == 5200.0


async def test_reset_inside_a_transaction_over_a_restart(
    make_server: ServerFactory, make_charger: ChargerFactory
) -> None:
    """The central system restarts after the reset: the session energy goes on from there."""
    store = MemoryPersistence()
    first = await make_server(persistence=store)
    charger, _ = await connected_charger(first, make_charger, "CP-RESET")
    transaction_id = await _start(charger, 10_000)
    for minute, wh in ((10, 15_000), (11, 200), (12, 300)):
        await _meter(charger, transaction_id, minute, wh)
    await charger.close()
    await first.system.stop()

    policy = AccessPolicy(unknown_chargers=UnknownChargerPolicy.REJECT, approved={"CP-RESET"})
    second = await make_server(persistence=store, policy=policy)
    connector = second.session("CP-RESET").state.connector(1)
    assert connector.transaction_id == transaction_id
    assert connector.session_energy == 5100.0
    assert connector.energy == 15_100.0

    again = make_charger(second, "CP-RESET")
    assert await again.connect() == "Accepted"
    await wait_for_setup(again)
    await _meter(again, transaction_id, 14, 400)
    await _stop(again, transaction_id, 15, 500)
    assert connector.energy == 15_300.0
    assert connector.session_energy == 5300.0
    finished = second.system.ledger.get(transaction_id)
    assert finished is not None
    assert finished.energy == 5300.0
