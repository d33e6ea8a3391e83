"""One charger as the central system sees it, across connections and restarts.

Version adapters translate OCPP messages into the `on_*` calls here; the HA glue
reads `state` and sends commands through the methods below, which raise
`ChargerOfflineError` when the charger is not connected.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
import logging
from typing import Any, Protocol

from .adapter import ChargerAdapter
from .capabilities import capabilities_as_dict, capabilities_from_dict
from .charger_maximum import note_offer
from .energy_register import EnergyRegister
from .errors import TRANSIENT_CODES, ChargerOfflineError, ChargerRejectedError
from .limits import ChargingLimit, LimitUnit
from .meter_values import ENERGY_EXPORT, MeterReading, apply_reading, stop_flow
from .model import BootInfo, ChargerState, ConnectorState, ConnectorStatus
from .policy import AccessPolicy, Admission
from .security.credentials import CredentialBook, PasswordState
from .timestamps import parse_timestamp, utc_now
from .transactions import Transaction, TransactionLedger

_LOGGER = logging.getLogger(__name__)


@dataclass(slots=True)
class SessionSettings:
    """Central-system-wide settings a charger is configured with."""

    heartbeat_interval: int = 300
    meter_interval: int = 10
    pending_retry_interval: int = 10
    response_timeout: float = 15.0
    # A connection that has not booted by then (a known charger: not spoken) is closed.
    boot_timeout: float = 60.0
    # First wait before a failed setup step is tried again; doubles on each failure.
    setup_retry_interval: float = 30.0
    # Send each approved charger its password (HTTP Basic, security profile 1).
    install_passwords: bool = True


class SessionHost(Protocol):
    """What a charger session needs from the central system that owns it."""

    ledger: TransactionLedger
    policy: AccessPolicy
    settings: SessionSettings
    credentials: CredentialBook

    def state_changed(self, session: ChargerSession) -> None:
        """Tell listeners the charger's state changed."""

    def admission_requested(self, session: ChargerSession) -> None:
        """Tell listeners an unknown charger asks to be admitted."""

    def charger_admitted(self, session: ChargerSession) -> None:
        """An unknown charger's boot was accepted by the policy: make it a known charger."""

    def password_needed(self, session: ChargerSession, password: str) -> None:
        """The charger cannot take its password over OCPP: the owner enters it."""

    async def save_now(self) -> None:
        """Persist at once (before answering a message that hands out an id)."""

    def save_later(self) -> None:
        """Persist soon (debounced)."""


class ChargerSession:
    """State and commands of one charger."""

    def __init__(self, host: SessionHost, charger_id: str) -> None:
        """Create the session; restore open transactions from the ledger."""
        self._host = host
        self.charger_id = charger_id
        self.state = ChargerState(charger_id)
        self.adapter: ChargerAdapter | None = None
        self.registers: dict[int, EnergyRegister] = {}
        # What went back to the grid (2.1 discharging), guarded like the import register.
        self.export_registers: dict[int, EnergyRegister] = {}
        # When each connector's last session ended (the charger's clock): its readings
        # replayed after that (queued offline) must not bring its car back.
        self._session_ended: dict[int, datetime] = {}
        # Connectors whose car the user lets discharge (set by the glue, not persisted here).
        self._discharge_allowed: set[int] = set()
        # The profile purpose that worked last, per scope ("station", "tx", "idle").
        self.limit_purposes: dict[str, str] = {}
        # The answer to this connection's BootNotification (None: no boot yet).
        self.admission: Admission | None = None
        # Whether calls to the charger may go out on this connection (see `message_answered`).
        self.ready = False
        for transaction in host.ledger.open_transactions(charger_id):
            self._show_transaction(transaction)

    @property
    def settings(self) -> SessionSettings:
        """Return the central system's settings for chargers."""
        return self._host.settings

    # --- connection lifecycle -------------------------------------------------

    @property
    def connected(self) -> bool:
        """Return whether a connection is attached."""
        return self.adapter is not None

    def attach(self, adapter: ChargerAdapter) -> None:
        """Make `adapter` the live connection of this charger."""
        self.adapter = adapter
        self.admission = None
        self.ready = False
        self.state.connected = True
        self.state.configured = False
        self.state.ocpp_version = adapter.ocpp_version
        self.state.last_seen = utc_now()
        self._host.state_changed(self)

    def detach(self, adapter: ChargerAdapter) -> None:
        """Forget `adapter` unless a newer connection already replaced it."""
        if self.adapter is not adapter:
            return
        self.adapter = None
        self.state.connected = False
        self._host.state_changed(self)

    @property
    def accepted(self) -> bool:
        """Return whether this charger may send messages beyond BootNotification.

        A known charger may (many skip the boot when they reconnect); an unknown one only
        once its boot on this connection was accepted.
        """
        return self.admission is Admission.ACCEPTED or self.charger_id in self._host.policy.approved

    @property
    def identified(self) -> bool:
        """Return whether the charger booted on this connection, or is known and spoke."""
        return self.admission is not None or self.ready

    def message_answered(self) -> None:
        """A message from the charger was answered: from now on, may it be called?

        Yes after an accepted boot, or after any message of a known charger that did not
        boot on this connection; a charger cannot answer before it considers itself booted.
        """
        if self.ready:
            return
        if self.admission is None:
            self.ready = self.charger_id in self._host.policy.approved
        else:
            self.ready = self.admission is Admission.ACCEPTED

    # --- messages from the charger --------------------------------------------

    def on_boot(self, boot: BootInfo) -> Admission:
        """Record a BootNotification and decide the answer."""
        self.state.boot = boot
        # Its answer sets the charger's clock as a Heartbeat's does: it counts as the first one.
        self.state.last_heartbeat = self.state.last_seen = utc_now()
        self.admission = self._host.policy.admission(self.charger_id)
        if self.admission is Admission.PENDING:
            self._host.admission_requested(self)
        elif self.admission is Admission.ACCEPTED:
            if self.charger_id not in self._host.policy.approved:
                self._host.charger_admitted(self)
            self._host.save_later()
        self._host.state_changed(self)
        return self.admission

    def boot_interval(self) -> int:
        """The interval a BootNotification answer gives: heartbeats, or when to boot again."""
        if self.admission is Admission.ACCEPTED:
            return self.settings.heartbeat_interval
        return self.settings.pending_retry_interval

    def on_heartbeat(self) -> None:
        """Record a Heartbeat."""
        self.state.last_heartbeat = self.state.last_seen = utc_now()
        self._host.state_changed(self)

    def on_status(
        self,
        connector_id: int,
        status: ConnectorStatus,
        *,
        error_code: str | None,
        info: str | None = None,
        vendor_error_code: str | None = None,
        timestamp: str | None = None,
    ) -> None:
        """Record a StatusNotification (connector 0 is the station)."""
        connector = self.state.connector(connector_id)
        parsed = parse_timestamp(timestamp)
        if (
            parsed is not None
            and connector.status_timestamp is not None
            and parsed < connector.status_timestamp
        ):
            return  # A queued notification older than the one we have.
        # Without a timestamp it is the present, whatever our clock did since the last one
        # (set back by hours, it would make every later one look older).
        parsed = parsed or utc_now()
        connector.status = status
        connector.status_timestamp = parsed
        connector.error_code = error_code
        connector.info = info
        connector.vendor_error_code = vendor_error_code
        if error_code and error_code != "NoError":
            self.state.last_error = f"{error_code} ({info or vendor_error_code or '-'})"
        self.state.last_seen = utc_now()
        self._host.state_changed(self)

    @property
    def ledger(self) -> TransactionLedger:
        """Return the central system's transaction ledger."""
        return self._host.ledger

    def register_value(self, connector_id: int) -> float:
        """The connector's last raw energy register reading (Wh), 0 before any."""
        register = self.registers.get(connector_id)
        return 0.0 if register is None or register.last_raw is None else register.last_raw

    def state_updated(self) -> None:
        """Something the adapter recorded on the state directly: tell the owner."""
        self.state.last_seen = utc_now()
        self._host.state_changed(self)

    def authorize(self, id_tag: str) -> str:
        """Return the idTagInfo status for an Authorize request."""
        return self._host.policy.authorize(id_tag)

    async def on_start_transaction(
        self,
        connector_id: int,
        id_tag: str,
        meter_start: float,
        timestamp: str,
        external_id: str | None = None,
    ) -> tuple[int, str]:
        """Record a StartTransaction; return the transaction id and idTag status.

        `external_id`: the charger's own id for it (2.x).
        """
        status = self.authorize(id_tag)
        started = parse_timestamp(timestamp) or utc_now()
        transaction, displaced = self._host.ledger.start(
            self.charger_id, connector_id, id_tag, meter_start, started, external_id
        )
        # The id must be on disk before the charger hears it: ids never repeat.
        await self._host.save_now()
        for old in displaced:
            _LOGGER.warning(
                "%s: transaction %s on connector %s replaced by a new one without a stop",
                self.charger_id,
                old.transaction_id,
                old.connector_id,
            )
        self._feed_register(connector_id, meter_start, started)
        self._show_transaction(transaction)
        self._host.state_changed(self)
        return transaction.transaction_id, status

    async def on_stop_transaction(
        self,
        transaction_id: int,
        meter_stop: float | None,
        timestamp: str,
        reason: str | None,
        readings: Sequence[MeterReading],
    ) -> None:
        """Record a StopTransaction; a repeated or unknown one is accepted and ignored.

        `meter_stop` None: the stop tells no reading (2.x); the last one counts.
        """
        if self._foreign(transaction_id):
            _LOGGER.warning(
                "%s: StopTransaction for transaction %s of another charger ignored",
                self.charger_id,
                transaction_id,
            )
            return
        stopped = parse_timestamp(timestamp) or utc_now()
        outcome = self._host.ledger.stop(transaction_id, meter_stop, stopped, reason)
        if outcome.transaction is None:
            _LOGGER.info(
                "%s: StopTransaction for unknown transaction %s accepted",
                self.charger_id,
                transaction_id,
            )
            return
        if outcome.duplicate:
            _LOGGER.debug("%s: repeated StopTransaction %s", self.charger_id, transaction_id)
            return
        transaction = outcome.transaction
        connector = self.state.connector(transaction.connector_id)
        for reading in readings:
            self._apply(connector, reading)
        if meter_stop is not None:
            self._feed_register(transaction.connector_id, meter_stop, stopped)
        if connector.transaction_id == transaction_id:
            connector.transaction_id = None
            connector.session_energy = transaction.energy
            connector.applied_limit = None
            connector.applied_limit_unit = None
            stop_flow(connector)
            ended = self._session_ended.get(connector.connector_id)
            self._session_ended[connector.connector_id] = max(stopped, ended or stopped)
        await self._host.save_now()
        self._host.state_changed(self)

    def on_meter_values(
        self, connector_id: int, transaction_id: int | None, readings: Sequence[MeterReading]
    ) -> None:
        """Record MeterValues."""
        connector = self.state.connector(connector_id)
        for reading in readings:
            energy = self._apply(connector, reading)
            if energy is not None and transaction_id is not None:
                if self._foreign(transaction_id):
                    continue  # Another charger's transaction: only its own readings count.
                transaction = self._host.ledger.record_meter(
                    transaction_id, energy, reading.timestamp
                )
                if transaction is not None:
                    self.show_energy(transaction)
        self.state.last_seen = utc_now()
        self._host.save_later()
        self._host.state_changed(self)

    def _foreign(self, transaction_id: int) -> bool:
        """Whether the ledger holds `transaction_id` as another charger's transaction."""
        transaction = self._host.ledger.get(transaction_id)
        return transaction is not None and transaction.charger_id != self.charger_id

    def _apply(self, connector: ConnectorState, reading: MeterReading) -> float | None:
        energy = apply_reading(connector, reading, self._session_ended.get(connector.connector_id))
        learned = connector.offered_maximum
        note_offer(self.state, connector)
        if connector.offered_maximum != learned:
            self._host.save_later()
        if energy is not None:
            self._feed_register(connector.connector_id, energy, reading.timestamp)
        if (exported := reading.total(ENERGY_EXPORT)) is not None:
            connector.energy_export = _guarded(
                self.export_registers, connector.connector_id, exported, reading.timestamp
            )
        return energy

    def _feed_register(self, connector_id: int, raw: float, timestamp: datetime | None) -> None:
        self.state.connector(connector_id).energy = _guarded(
            self.registers, connector_id, raw, timestamp
        )

    def show_energy(self, transaction: Transaction) -> None:
        """Update the connector's session figures if it shows `transaction`.

        It shows the transaction running on it, or, while idle, the one that ended last
        (a reading queued before its end may come after it).
        """
        connector = self.state.connector(transaction.connector_id)
        running = connector.transaction_id
        if running == transaction.transaction_id or (
            running is None and connector.session_start == parse_timestamp(transaction.started_at)
        ):
            connector.session_energy = transaction.energy

    def _show_transaction(self, transaction: Transaction) -> None:
        connector = self.state.connector(transaction.connector_id)
        connector.transaction_id = transaction.transaction_id
        connector.id_tag = transaction.id_tag
        connector.session_start = parse_timestamp(transaction.started_at)
        connector.session_energy = transaction.energy

    def setup_finished(self) -> None:
        """A setup attempt (capabilities, metering) on this connection is over.

        Steps that failed for now are tried again later; commands may go out meanwhile.
        """
        self.state.configured = True
        self._host.state_changed(self)

    async def install_password(self) -> None:
        """Send the charger the password waiting for it, if any.

        Once it took it, it is required from the connection the charger said it will use
        it on (see `security.credentials`). A refusal shows it to the owner to enter; a
        passing trouble (and any other `ChargerError`) is raised, to be tried again.
        """
        credentials = self._host.credentials.get(self.charger_id)
        if (
            not self.settings.install_passwords
            or credentials is None
            or credentials.state is not PasswordState.INSTALLING
        ):
            return
        try:
            will_use = await self.require_adapter().install_password(
                credentials.password, self.state.security_profile or 0
            )
        except ChargerRejectedError as error:
            if error.status in TRANSIENT_CODES:
                raise
            _LOGGER.warning(
                "%s: refused its password (%s): enter it on the charger",
                self.charger_id,
                error.status,
            )
            credentials.state = PasswordState.MANUAL
            self._host.save_later()
            self._host.password_needed(self, credentials.password)
            return
        credentials.state = PasswordState.INSTALLED if will_use else PasswordState.STORED
        _LOGGER.info("%s: password installed", self.charger_id)
        await self._host.save_now()

    def save_capabilities(self) -> None:
        """Persist what was learned about the charger (capabilities, working purposes)."""
        self._host.save_later()

    # --- commands to the charger ----------------------------------------------

    def require_adapter(self) -> ChargerAdapter:
        """Return the live connection or raise `ChargerOfflineError`."""
        if self.adapter is None:
            raise ChargerOfflineError(self.charger_id)
        return self.adapter

    async def apply_limit(self, limit: ChargingLimit) -> None:
        """Apply a limit to the station (connector 0) or a connector."""
        await self.require_adapter().apply_limit(limit)
        if not self.state.ever_limited:
            self.state.ever_limited = True
            self._host.save_later()
        if limit.safe_default:
            # Not what applies now: only what applies when we are gone.
            self.state.safe_default_limit = limit.value if limit.unit is LimitUnit.AMPERE else None
            self._host.save_later()
            return
        # No entity shows the applied limit (diagnostics read it), so no state push: with
        # balancing, every allocation would otherwise rewrite every entity of the charger.
        self._note_applied(limit.connector_id, limit.value, limit.unit.value, limit.setpoint)

    async def clear_limit(self, connector_id: int) -> None:
        """Remove the central system's limits from the station or a connector."""
        await self.require_adapter().clear_limit(connector_id)
        self._note_applied(connector_id, None, None, None)
        self._host.state_changed(self)

    def _note_applied(
        self, connector_id: int, value: float | None, unit: str | None, setpoint: float | None
    ) -> None:
        """Record the limit now on the station (connector 0: all outlets) or a connector."""
        targets = self.state.outlets if connector_id == 0 else [self.state.connector(connector_id)]
        for connector in targets:
            connector.applied_limit = value
            connector.applied_limit_unit = unit
            connector.applied_setpoint = setpoint
            connector.limit_known = True

    def discharge_allowed(self, connector_id: int) -> bool:
        """Whether the user lets the car on a connector discharge."""
        return connector_id in self._discharge_allowed

    def set_discharge_allowed(self, connector_id: int, allowed: bool) -> None:
        """Record whether the car on a connector may discharge (told with its next session)."""
        if allowed:
            self._discharge_allowed.add(connector_id)
        else:
            self._discharge_allowed.discard(connector_id)

    async def allow_discharge(self, connector_id: int, allowed: bool) -> None:
        """Let the car on a connector discharge, or not; tell a connected 2.1 station."""
        self.set_discharge_allowed(connector_id, allowed)
        if self.adapter is not None:
            await self.adapter.allow_discharge(connector_id, allowed)

    async def remote_start(self, connector_id: int, id_tag: str) -> None:
        """Start charging on an idle connector."""
        await self.require_adapter().remote_start(connector_id, id_tag)

    async def remote_stop(self, connector_id: int) -> None:
        """Stop the transaction running on a connector."""
        transaction_id = self.state.connector(connector_id).transaction_id
        if transaction_id is None:
            return
        await self.require_adapter().remote_stop(transaction_id)

    async def set_available(self, connector_id: int, available: bool) -> None:
        """Change availability of the station (0) or a connector."""
        await self.require_adapter().change_availability(connector_id, available)
        if connector_id == 0:
            self.state.available = available
        self._host.state_changed(self)

    # --- persistence -------------------------------------------------------------

    def as_dict(self) -> dict[str, Any]:
        """Serialise what must survive a restart."""
        boot = self.state.boot
        capabilities = self.state.capabilities
        return {
            "boot": None if boot is None else asdict(boot),
            "capabilities": None if capabilities is None else capabilities_as_dict(capabilities),
            "registers": {str(key): value.as_dict() for key, value in self.registers.items()},
            "export_registers": {
                str(key): value.as_dict() for key, value in self.export_registers.items()
            },
            "limit_purposes": dict(self.limit_purposes),
            "available": self.state.available,
            "safe_default_limit": self.state.safe_default_limit,
            "ever_limited": self.state.ever_limited,
            "offered_maximum": {
                str(connector.connector_id): connector.offered_maximum
                for connector in self.state.outlets
                if connector.offered_maximum is not None
            },
        }

    def load(self, data: dict[str, Any]) -> None:
        """Restore what `as_dict` saved."""
        if boot := data.get("boot"):
            self.state.boot = BootInfo(**boot)
        if capabilities := data.get("capabilities"):
            self.state.capabilities = capabilities_from_dict(capabilities)
            self.state.note_v2x()
        self.registers = _restored(data.get("registers"))
        self.export_registers = _restored(data.get("export_registers"))
        for key, register in self.registers.items():
            self.state.connector(key).energy = register.value
        for key, register in self.export_registers.items():
            self.state.connector(key).energy_export = register.value
        self.limit_purposes = dict(data.get("limit_purposes") or {})
        self.state.available = bool(data.get("available", True))
        self.state.safe_default_limit = data.get("safe_default_limit")
        self.state.ever_limited = bool(data.get("ever_limited", False))
        for key, value in (data.get("offered_maximum") or {}).items():
            self.state.connector(int(key)).offered_maximum = float(value)


def _guarded(
    registers: dict[int, EnergyRegister],
    connector_id: int,
    raw: float,
    timestamp: datetime | None,
) -> float | None:
    """Feed a raw register reading to a connector's guard; return the guarded value (Wh)."""
    register = registers.setdefault(connector_id, EnergyRegister())
    register.update(raw, timestamp)
    return register.value


def _restored(saved: dict[str, Any] | None) -> dict[int, EnergyRegister]:
    """Registers as `as_dict` saved them, by connector."""
    return {int(key): EnergyRegister.from_dict(value) for key, value in (saved or {}).items()}
