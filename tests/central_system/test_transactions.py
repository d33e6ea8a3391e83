"""The transaction ledger: unique ids, idempotent starts and stops, persistence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from custom_components.smart_charging.central_system.transactions import (
    FINISHED_MEMORY,
    StopOutcome,
    Transaction,
    TransactionLedger,
)

T0 = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    """A timestamp `minutes` after T0."""
    return T0 + timedelta(minutes=minutes)


def test_ids_are_unique_and_increasing_across_chargers() -> None:
    """One counter for every charger and connector."""
    ledger = TransactionLedger()
    ids = [
        ledger.start(charger, connector, "TAG", 0.0, at(index))[0].transaction_id
        for index, (charger, connector) in enumerate(
            [("A", 1), ("A", 2), ("B", 1), ("C", 1), ("B", 2)]
        )
    ]
    assert ids == [1, 2, 3, 4, 5]
    assert ledger.next_id == 6


def test_new_transaction_fields() -> None:
    """A started transaction is open, its energy 0 so far."""
    ledger = TransactionLedger()
    transaction, displaced = ledger.start("A", 1, "TAG", 1000.0, T0)
    assert displaced == []
    assert transaction == Transaction(
        transaction_id=1,
        charger_id="A",
        connector_id=1,
        id_tag="TAG",
        meter_start=1000.0,
        started_at=T0.isoformat(),
        last_meter=1000.0,
    )
    assert transaction.energy == 0.0
    assert ledger.open_transactions() == [transaction]
    assert ledger.open_transactions("A") == [transaction]
    assert ledger.open_transactions("B") == []
    assert ledger.open_on("A", 1) is transaction
    assert ledger.open_on("A", 2) is None
    assert ledger.get(1) is transaction
    assert ledger.get(2) is None


def test_resent_start_gets_the_same_id() -> None:
    """A StartTransaction resent after a lost answer: same charger, connector, tag, meter, time."""
    ledger = TransactionLedger()
    first, _ = ledger.start("A", 1, "TAG", 1000.0, T0)
    again, displaced = ledger.start("A", 1, "TAG", 1000.0, T0)
    assert again is first
    assert displaced == []
    assert ledger.next_id == 2
    assert len(ledger.open_transactions()) == 1


def test_start_with_another_time_displaces_the_open_transaction() -> None:
    """A new start on a busy connector closes the old one where it stood."""
    ledger = TransactionLedger()
    old, _ = ledger.start("A", 1, "TAG", 1000.0, at(0))
    ledger.record_meter(old.transaction_id, 1500.0)
    new, displaced = ledger.start("A", 1, "TAG", 1500.0, at(30))
    assert new.transaction_id == 2
    assert displaced == [old]
    assert old.meter_stop == 1500.0
    assert old.stopped_at == at(30).isoformat()
    assert old.stop_reason == "DeAuthorized"
    assert old.energy == 500.0
    assert ledger.open_transactions() == [new]
    # Its StopTransaction, arriving late, is a repeat now.
    assert ledger.stop(old.transaction_id, 1600.0, at(31), "Local") == StopOutcome(old, True)
    assert old.meter_stop == 1500.0


def test_stop_and_duplicate_stop() -> None:
    """The second StopTransaction changes nothing and says so; energy is counted once."""
    ledger = TransactionLedger()
    transaction, _ = ledger.start("A", 1, "TAG", 1000.0, at(0))
    first = ledger.stop(1, 4000.0, at(60), "EVDisconnected")
    assert first == StopOutcome(transaction, duplicate=False)
    assert transaction.meter_stop == 4000.0
    assert transaction.stopped_at == at(60).isoformat()
    assert transaction.stop_reason == "EVDisconnected"
    assert transaction.energy == 3000.0
    second = ledger.stop(1, 9000.0, at(70), "Local")
    assert second == StopOutcome(transaction, duplicate=True)
    assert transaction.meter_stop == 4000.0
    assert transaction.stop_reason == "EVDisconnected"
    assert transaction.energy == 3000.0
    assert ledger.open_transactions() == []
    assert ledger.get(1) is transaction


def test_unknown_stop() -> None:
    """A StopTransaction for an id never handed out: no transaction, not a duplicate."""
    ledger = TransactionLedger()
    assert ledger.stop(42, 1000.0, T0, None) == StopOutcome(None, duplicate=False)
    assert ledger.next_id == 1


def test_meter_only_grows_and_energy_is_never_negative() -> None:
    """A lower meter is a glitch until confirmed; a single low meterStop is one too."""
    ledger = TransactionLedger()
    transaction, _ = ledger.start("A", 1, "TAG", 1000.0, T0)
    assert ledger.record_meter(1, 1800.0) is transaction
    assert ledger.record_meter(1, 1700.0) is transaction
    assert transaction.last_meter == 1800.0
    assert transaction.energy == 800.0
    assert ledger.record_meter(99, 5.0) is None
    ledger.stop(1, 500.0, at(1), None)
    assert transaction.energy == 800.0
    # A finished transaction's meter is frozen.
    assert ledger.record_meter(1, 9000.0) is None
    assert transaction.last_meter == 1800.0


def test_persistence_round_trip() -> None:
    """Open and finished transactions and the next id survive; ids are never reused."""
    ledger = TransactionLedger()
    ledger.start("A", 1, "TAG", 0.0, at(0))
    ledger.start("B", 1, "TAG2", 100.0, at(1))
    ledger.stop(1, 2000.0, at(2), "Local")
    data = ledger.as_dict()
    assert data["next_id"] == 3
    assert [item["transaction_id"] for item in data["open"]] == [2]
    assert [item["transaction_id"] for item in data["finished"]] == [1]

    restored = TransactionLedger()
    restored.load(data)
    assert restored.next_id == 3
    assert restored.as_dict() == data
    assert restored.stop(1, 2000.0, at(3), "Local").duplicate is True
    third, _ = restored.start("C", 1, "TAG", 0.0, at(4))
    assert third.transaction_id == 3


def test_load_never_reuses_a_known_id() -> None:
    """A stale or missing next_id is raised above every id the ledger knows."""
    ledger = TransactionLedger()
    for minute in range(3):
        ledger.start("A", minute + 1, "TAG", 0.0, at(minute))
    ledger.stop(3, 10.0, at(5), None)
    data = ledger.as_dict()

    stale = TransactionLedger()
    stale.load({**data, "next_id": 1})
    assert stale.next_id == 4
    missing = TransactionLedger()
    missing.load({"open": data["open"]})
    assert missing.next_id == 3
    empty = TransactionLedger()
    empty.load({})
    assert empty.next_id == 1
    empty.load({"next_id": 0})
    assert empty.next_id == 1


def test_finished_memory_is_bounded() -> None:
    """Only the last FINISHED_MEMORY finished transactions are remembered."""
    ledger = TransactionLedger()
    for index in range(FINISHED_MEMORY + 2):
        transaction, _ = ledger.start("A", 1, "TAG", 0.0, at(index))
        ledger.stop(transaction.transaction_id, 1.0, at(index), None)
    assert len(ledger.as_dict()["finished"]) == FINISHED_MEMORY
    assert ledger.get(1) is None
    assert ledger.get(2) is None
    assert ledger.get(3) is not None
    # A repeat of a forgotten stop is an unknown stop now.
    assert ledger.stop(1, 1.0, T0, None) == StopOutcome(None, duplicate=False)
    assert ledger.stop(3, 1.0, T0, None).duplicate is True
    assert ledger.next_id == FINISHED_MEMORY + 3
