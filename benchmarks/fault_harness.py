"""A central system to hurt, and the books that say whether anything was lost.

Shared by the fault benchmarks (`benchmarks.restart_storm`, `benchmarks.offline_replay`)
and their CI tests: a JSON store that behaves like Home Assistant's (a save is JSON; later
saves are batched; the last write wins), a ledger that counts every real stop, and the
accounting of each charger's sessions against the central system's ledger.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
import json
from typing import Any

from custom_components.smart_charging.central_system.policy import (
    AccessPolicy,
    UnknownChargerPolicy,
)
from custom_components.smart_charging.central_system.server import CentralSystem
from custom_components.smart_charging.central_system.session import ChargerSession, SessionSettings
from custom_components.smart_charging.central_system.transactions import (
    StopOutcome,
    Transaction,
    TransactionLedger,
)

from .replay_chargers import ReplayCharger, SessionTruth

# HA's store batches for 10 s; a shorter delay keeps a run short and still batches.
SAVE_DELAY = 0.5
# An immediate save is a file write in HA's executor: it takes a moment.
WRITE_TIME = 0.01


class JsonStore:
    """What survives a restart: one JSON text, written whole."""

    def __init__(self, save_delay: float = SAVE_DELAY, write_time: float = WRITE_TIME) -> None:
        """Start empty."""
        self.text: str | None = None
        self.save_delay = save_delay
        self.write_time = write_time
        self.writes = 0
        # Writes by a central system after its `stop` returned: they would overwrite the
        # state its successor saved.
        self.late_writes = 0

    def view(self) -> StoreView:
        """The store as one central system sees it (its own batched save)."""
        return StoreView(self)


class StoreView:
    """`Persistence` for one central system; `retire` it once that system stopped."""

    def __init__(self, store: JsonStore) -> None:
        """Write to `store`."""
        self._store = store
        self._pending: asyncio.TimerHandle | None = None
        self._data_fn: Callable[[], dict[str, Any]] | None = None
        self.retired = False

    async def load(self) -> dict[str, Any] | None:
        """Return what was saved last."""
        text = self._store.text
        return None if text is None else dict(json.loads(text))

    async def save_now(self, data: dict[str, Any]) -> None:
        """Write at once (a batched save still waiting is dropped: this one is newer)."""
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        # The data is the store's now (the last asked wins); the file write takes a moment.
        self._write(json.dumps(data))
        await asyncio.sleep(self._store.write_time)

    def save_later(self, data_fn: Callable[[], dict[str, Any]]) -> None:
        """Write within the store's delay, with what `data_fn` returns then."""
        self._data_fn = data_fn
        if self._pending is None:
            loop = asyncio.get_running_loop()
            self._pending = loop.call_later(self._store.save_delay, self._flush)

    def retire(self) -> None:
        """Its central system stopped: any write from now on is a late one."""
        self.retired = True

    def _flush(self) -> None:
        self._pending = None
        if self._data_fn is not None:
            self._write(json.dumps(self._data_fn()))

    def _write(self, text: str) -> None:
        if self.retired:
            self._store.late_writes += 1
        self._store.text = text
        self._store.writes += 1


class CountingLedger(TransactionLedger):
    """The ledger, counting each transaction's real stops (a repeat is not one).

    A transaction closed because a new one started on its connector counts as a stop
    too: a second close of the same session is what a duplicate stop would do.
    """

    def __init__(self, closures: Counter[int]) -> None:
        """Count into `closures` (shared by the central systems of one run)."""
        super().__init__()
        self.closures = closures

    def start(
        self,
        charger_id: str,
        connector_id: int,
        id_tag: str,
        meter_start: float,
        timestamp: datetime,
        external_id: str | None = None,
    ) -> tuple[Transaction, list[Transaction]]:
        """Start, counting the transactions it displaced."""
        transaction, displaced = super().start(
            charger_id, connector_id, id_tag, meter_start, timestamp, external_id
        )
        for old in displaced:
            self.closures[old.transaction_id] += 1
        return transaction, displaced

    def stop(
        self,
        transaction_id: int,
        meter_stop: float | None,
        timestamp: datetime,
        reason: str | None,
    ) -> StopOutcome:
        """Stop, counting a stop that changed the ledger."""
        outcome = super().stop(transaction_id, meter_stop, timestamp, reason)
        if outcome.transaction is not None and not outcome.duplicate:
            self.closures[transaction_id] += 1
        return outcome


class QuietListener:
    """A `CentralSystemListener` that only counts updates."""

    def __init__(self) -> None:
        """No updates yet."""
        self.updates = 0

    def charger_updated(self, session: ChargerSession) -> None:
        """Count."""
        self.updates += 1

    def charger_approved(self, session: ChargerSession) -> None:
        """Nothing to do."""

    def admission_requested(self, session: ChargerSession) -> None:
        """Nothing to do (every charger is accepted)."""

    def password_needed(self, charger_id: str, password: str) -> None:
        """Nothing to do."""

    def authentication_failed(self, charger_id: str, in_a_row: int) -> None:
        """Nothing to do."""

    def authentication_recovered(self, charger_id: str) -> None:
        """Nothing to do."""


def central_system(
    store: StoreView, closures: Counter[int], *, port: int = 0, approved: Iterable[str] = ()
) -> CentralSystem:
    """A central system on 127.0.0.1 that accepts every charger (`approved`: known ones)."""
    system = CentralSystem(
        host="127.0.0.1",
        port=port,
        policy=AccessPolicy(
            unknown_chargers=UnknownChargerPolicy.ACCEPT_ALL, approved=set(approved)
        ),
        settings=SessionSettings(),
        listener=QuietListener(),
        persistence=store,
    )
    system.ledger = CountingLedger(closures)
    return system


def ledger_entry(
    ledger: TransactionLedger, charger: ReplayCharger, truth: SessionTruth
) -> Transaction | None:
    """The ledger's transaction for a session the charger ran."""
    if isinstance(truth.key, int):
        return ledger.get(truth.key)
    return ledger.find_external(charger.charger_id, truth.key)


@dataclass
class Books:
    """Each session the chargers ran, against the ledger: what was lost or counted twice."""

    sessions: int = 0
    # Sessions found once, stopped once, with their energy to the Wh.
    exact: int = 0
    missing: int = 0
    not_stopped: int = 0
    duplicate_stops: int = 0
    # Transactions in the ledger that no charger ran (a replay taken for a new session).
    phantoms: int = 0
    energy_lost_wh: float = 0.0
    energy_double_counted_wh: float = 0.0
    # The connectors' guarded registers (the Energy dashboard) against the chargers' meters.
    register_lost_wh: float = 0.0
    register_double_counted_wh: float = 0.0
    problems: list[str] = field(default_factory=list)
    exact_keys: set[tuple[str, int | str]] = field(default_factory=set)

    def audit(
        self, system: CentralSystem, chargers: Iterable[ReplayCharger], closures: Counter[int]
    ) -> Books:
        """Compare every charger's sessions and register with the central system's books."""
        ledger = system.ledger
        stored = ledger.as_dict()
        entries = Counter(item["charger_id"] for item in (*stored["open"], *stored["finished"]))
        seen_ids: set[int] = set()
        for charger in chargers:
            for truth in charger.sessions:
                self._audit_session(ledger, charger, truth, closures, seen_ids)
            self.phantoms += max(0, entries[charger.charger_id] - len(charger.sessions))
            if entries[charger.charger_id] > len(charger.sessions):
                self.problems.append(
                    f"{charger.charger_id}: {entries[charger.charger_id]} transactions in the "
                    f"ledger for {len(charger.sessions)} sessions"
                )
            self._audit_register(system, charger)
        return self

    def _audit_session(
        self,
        ledger: TransactionLedger,
        charger: ReplayCharger,
        truth: SessionTruth,
        closures: Counter[int],
        seen_ids: set[int],
    ) -> None:
        self.sessions += 1
        name = f"{charger.charger_id} session {truth.key}"
        transaction = ledger_entry(ledger, charger, truth)
        if transaction is None:
            self.missing += 1
            self.energy_lost_wh += truth.energy
            self.problems.append(f"{name}: not in the ledger")
            return
        problems: list[str] = []
        if transaction.transaction_id in seen_ids:
            problems.append(f"transaction id {transaction.transaction_id} given twice")
        seen_ids.add(transaction.transaction_id)
        stops = closures[transaction.transaction_id]
        if truth.meter_stop is not None and transaction.stopped_at is None:
            self.not_stopped += 1
            problems.append("still open")
        if stops > 1:
            self.duplicate_stops += stops - 1
            problems.append(f"stopped {stops} times")
        counted = transaction.energy
        if counted < truth.energy:
            self.energy_lost_wh += truth.energy - counted
            problems.append(f"{truth.energy - counted:g} Wh lost")
        elif counted > truth.energy:
            self.energy_double_counted_wh += counted - truth.energy
            problems.append(f"{counted - truth.energy:g} Wh counted twice")
        if truth.meter_stop is not None and transaction.meter_stop != truth.meter_stop:
            problems.append(f"meter stop {transaction.meter_stop} for {truth.meter_stop}")
        if problems:
            self.problems.append(f"{name}: {', '.join(problems)}")
        else:
            self.exact += 1
            self.exact_keys.add((charger.charger_id, truth.key))

    def _audit_register(self, system: CentralSystem, charger: ReplayCharger) -> None:
        session = system.sessions.get(charger.charger_id)
        shown = None if session is None else session.state.connector(1).energy
        if shown is None:
            self.register_lost_wh += charger.register_wh
            self.problems.append(f"{charger.charger_id}: no register shown")
        elif shown < charger.register_wh:
            self.register_lost_wh += charger.register_wh - shown
            self.problems.append(f"{charger.charger_id}: register {shown} < {charger.register_wh}")
        elif shown > charger.register_wh:
            self.register_double_counted_wh += shown - charger.register_wh
            self.problems.append(f"{charger.charger_id}: register {shown} > {charger.register_wh}")
