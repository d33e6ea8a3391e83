"""The transaction ledger: ids unique across chargers and restarts, each session counted once.

Chargers resend queued messages after being offline and sometimes send the same
StopTransaction twice; the ledger makes both idempotent. A session's energy goes through
the same register guard as the connector's total, so a meter reset or swap mid-session
is counted on from where the register stood. The state is persisted by the owner (see
`as_dict`/`load`); a new transaction id is saved before it is handed out.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from .energy_register import EnergyRegister

# How many finished transactions are remembered to recognise a repeated StopTransaction.
FINISHED_MEMORY = 1000


@dataclass(slots=True)
class Transaction:
    """One charging session."""

    transaction_id: int
    charger_id: str
    connector_id: int
    id_tag: str
    meter_start: float
    started_at: str
    last_meter: float | None = None
    meter_stop: float | None = None
    stopped_at: str | None = None
    stop_reason: str | None = None
    # 2.x: the charger's own transaction id, and the last TransactionEvent seqNo seen.
    external_id: str | None = None
    last_seq_no: int | None = None
    # The guarded register since meterStart; derived from the readings, so not compared.
    register: EnergyRegister = field(default_factory=EnergyRegister, compare=False, repr=False)

    @property
    def energy(self) -> float:
        """Energy of the session so far (Wh), never negative."""
        value = self.register.value
        if value is None:
            return 0.0
        return max(0.0, value - self.meter_start)

    def record(self, meter: float, timestamp: datetime | None) -> None:
        """Feed a register reading (raw Wh) to the session's guard."""
        self.register.update(meter, timestamp)
        if self.register.last_raw is not None:
            self.last_meter = self.register.last_raw

    def as_dict(self) -> dict[str, Any]:
        """Serialise for storage."""
        data = {item.name: getattr(self, item.name) for item in fields(self)}
        data["register"] = self.register.as_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Transaction:
        """Restore from storage (also what was stored before the register was)."""
        values = dict(data)
        stored = values.pop("register", None)
        transaction = cls(**values)
        if stored is not None:
            transaction.register = EnergyRegister.from_dict(stored)
        else:
            end = transaction.meter_stop
            transaction.register = EnergyRegister(
                last_raw=transaction.last_meter if end is None else end
            )
        return transaction


@dataclass(slots=True, frozen=True)
class StopOutcome:
    """What a StopTransaction did to the ledger."""

    transaction: Transaction | None
    duplicate: bool


class TransactionLedger:
    """Open and recently finished transactions of every charger on one central system."""

    def __init__(self) -> None:
        """Start empty; `load` restores a persisted ledger."""
        self._next_id = 1
        self._open: dict[int, Transaction] = {}
        self._finished: OrderedDict[int, Transaction] = OrderedDict()

    @property
    def next_id(self) -> int:
        """Return the id the next transaction will get."""
        return self._next_id

    def open_transactions(self, charger_id: str | None = None) -> list[Transaction]:
        """Return the open transactions, of one charger or of all."""
        return [
            transaction
            for transaction in self._open.values()
            if charger_id is None or transaction.charger_id == charger_id
        ]

    def open_on(self, charger_id: str, connector_id: int) -> Transaction | None:
        """Return the open transaction on a connector, if any."""
        for transaction in self._open.values():
            if transaction.charger_id == charger_id and transaction.connector_id == connector_id:
                return transaction
        return None

    def get(self, transaction_id: int) -> Transaction | None:
        """Return an open or recently finished transaction."""
        return self._open.get(transaction_id) or self._finished.get(transaction_id)

    def find_external(self, charger_id: str, external_id: str) -> Transaction | None:
        """Return the open or recently finished transaction a charger calls `external_id`."""
        for transaction in (*self._open.values(), *reversed(self._finished.values())):
            if transaction.charger_id == charger_id and transaction.external_id == external_id:
                return transaction
        return None

    def start(
        self,
        charger_id: str,
        connector_id: int,
        id_tag: str,
        meter_start: float,
        timestamp: datetime,
        external_id: str | None = None,
    ) -> tuple[Transaction, list[Transaction]]:
        """Record a StartTransaction; return it and any transaction it displaced.

        A resent StartTransaction (same charger, connector, tag, meter and time; 2.x: the
        same transaction id) gets the id it got the first time.
        """
        started_at = timestamp.isoformat()
        if (
            external_id is not None
            and (known := self.find_external(charger_id, external_id)) is not None
        ):
            return known, []
        current = self.open_on(charger_id, connector_id)
        if (
            external_id is None
            and current is not None
            and current.id_tag == id_tag
            and current.meter_start == meter_start
            and current.started_at == started_at
        ):
            return current, []
        displaced: list[Transaction] = []
        if current is not None:
            # The charger lost track of the previous session, or its stop comes later (queued
            # offline): close it where the register stands now. Nothing flows between two
            # sessions on one connector, so the energy after its last reading is its own.
            current.record(meter_start, timestamp)
            self._finish(current, current.last_meter, started_at, "DeAuthorized")
            displaced.append(current)
        transaction = Transaction(
            transaction_id=self._next_id,
            charger_id=charger_id,
            connector_id=connector_id,
            id_tag=id_tag,
            meter_start=meter_start,
            started_at=started_at,
            external_id=external_id,
        )
        transaction.record(meter_start, timestamp)
        self._next_id += 1
        self._open[transaction.transaction_id] = transaction
        return transaction, displaced

    def record_meter(
        self, transaction_id: int, meter: float, timestamp: datetime | None = None
    ) -> Transaction | None:
        """Feed a register reading of a transaction to its guard; return it if it took it.

        A finished transaction takes only a reading from before its end, and only when its
        end pinned no reading (a 2.x Ended without meter values, or a closed session's late
        stop): the readings queued before such an end may be replayed after it.
        """
        transaction = self._open.get(transaction_id)
        if transaction is not None:
            transaction.record(meter, timestamp)
            return transaction
        transaction = self._finished.get(transaction_id)
        if transaction is None or transaction.stopped_at is None or timestamp is None:
            return None
        stopped = datetime.fromisoformat(transaction.stopped_at)
        last = transaction.register.last_time
        if timestamp > stopped or (last is not None and last >= stopped):
            return None
        transaction.record(meter, timestamp)
        transaction.meter_stop = transaction.last_meter
        return transaction

    def note_start(
        self, transaction: Transaction, meter_start: float | None, timestamp: datetime
    ) -> bool:
        """A start that came after later events of its transaction (2.x, replayed out of order).

        The transaction began earlier than recorded, at `meter_start` if lower: return
        whether that changed it.
        """
        if timestamp >= datetime.fromisoformat(transaction.started_at):
            return False
        transaction.started_at = timestamp.isoformat()
        if meter_start is not None and meter_start < transaction.meter_start:
            transaction.meter_start = meter_start
        return True

    def stop(
        self,
        transaction_id: int,
        meter_stop: float | None,
        timestamp: datetime,
        reason: str | None,
    ) -> StopOutcome:
        """Record a StopTransaction; a repeat of a finished one changes nothing.

        `meter_stop` None: the stop tells no reading (2.x); the last one counts.
        """
        if transaction_id in self._finished:
            return StopOutcome(self._finished[transaction_id], duplicate=True)
        transaction = self._open.get(transaction_id)
        if transaction is None:
            return StopOutcome(None, duplicate=False)
        if meter_stop is not None:
            transaction.record(meter_stop, timestamp)
        self._finish(transaction, meter_stop, timestamp.isoformat(), reason)
        return StopOutcome(transaction, duplicate=False)

    def _finish(
        self,
        transaction: Transaction,
        meter_stop: float | None,
        stopped_at: str,
        reason: str | None,
    ) -> None:
        self._open.pop(transaction.transaction_id, None)
        transaction.meter_stop = meter_stop if meter_stop is not None else transaction.last_meter
        transaction.stopped_at = stopped_at
        transaction.stop_reason = reason
        self._finished[transaction.transaction_id] = transaction
        while len(self._finished) > FINISHED_MEMORY:
            self._finished.popitem(last=False)

    def as_dict(self) -> dict[str, Any]:
        """Serialise for storage."""
        return {
            "next_id": self._next_id,
            "open": [transaction.as_dict() for transaction in self._open.values()],
            "finished": [transaction.as_dict() for transaction in self._finished.values()],
        }

    def load(self, data: dict[str, Any]) -> None:
        """Restore a serialised ledger."""
        self._next_id = max(int(data.get("next_id", 1)), 1)
        self._open = {
            item["transaction_id"]: Transaction.from_dict(item) for item in data.get("open", [])
        }
        self._finished = OrderedDict(
            (item["transaction_id"], Transaction.from_dict(item))
            for item in data.get("finished", [])
        )
        known = [*self._open, *self._finished]
        if known:
            self._next_id = max(self._next_id, max(known) + 1)
