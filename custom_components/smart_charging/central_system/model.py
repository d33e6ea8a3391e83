"""The charger model: what the central system knows about each charger and connector.

Plain mutable dataclasses, owned by one `ChargerSession`; the HA glue reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class ConnectorStatus(StrEnum):
    """OCPP 1.6 ChargePointStatus, plus `unknown` before the first StatusNotification."""

    AVAILABLE = "available"
    PREPARING = "preparing"
    CHARGING = "charging"
    SUSPENDED_EVSE = "suspended_evse"
    SUSPENDED_EV = "suspended_ev"
    FINISHING = "finishing"
    RESERVED = "reserved"
    UNAVAILABLE = "unavailable"
    FAULTED = "faulted"
    UNKNOWN = "unknown"


@dataclass(slots=True)
class BootInfo:
    """What a charger told about itself in its BootNotification."""

    vendor: str
    model: str
    serial_number: str | None = None
    firmware_version: str | None = None
    iccid: str | None = None
    imsi: str | None = None
    meter_type: str | None = None
    meter_serial_number: str | None = None


@dataclass(frozen=True, slots=True)
class V2XSupport:
    """What an OCPP 2.1 EVSE's V2XChargingCtrlr says it can do."""

    enabled: bool = False
    operation_modes: frozenset[str] = frozenset()  # ChargingOnly, CentralSetpoint, ...
    transfer_modes: frozenset[str] = frozenset()  # AC_three_phase, AC_BPT, DC_BPT, ...
    max_discharge_power: float | None = None  # W, the EVSE's DischargePower maxLimit
    iso15118: bool | None = None  # ISO15118Ctrlr.Enabled (ISO 15118-20 carries V2X on AC)

    @property
    def can_discharge(self) -> bool:
        """Whether the EVSE transfers energy both ways."""
        return self.enabled and any(mode.endswith("_BPT") for mode in self.transfer_modes)


@dataclass(slots=True)
class Capabilities:
    """What a charger can do, read once with GetConfiguration."""

    smart_charging: bool = False
    remote_trigger: bool = False
    number_of_connectors: int | None = None
    rate_units: frozenset[str] = frozenset({"A", "W"})
    max_stack_level: int | None = None
    max_periods: int | None = None
    max_profiles: int | None = None
    switch_3_to_1_phase: bool = False
    supported_measurands: tuple[str, ...] = ()
    heartbeat_interval: int | None = None
    meter_interval: int | None = None
    # Installed maxima from vendor configuration keys, A by connector (0: every
    # connector); None: not asked yet (see charger_maximum).
    vendor_max_current: dict[int, float] | None = None
    # 2.x: EVSE -> connector id -> type, as the inventory names them (cType2, cCCS2).
    connector_types: dict[int, dict[int, str]] = field(default_factory=dict)
    # 2.1: EVSE -> its bidirectional support (V2XChargingCtrlr); 0: the whole station.
    v2x: dict[int, V2XSupport] = field(default_factory=dict)

    def v2x_of(self, evse_id: int) -> V2XSupport:
        """An EVSE's bidirectional support (the station's where the EVSE told none)."""
        return self.v2x.get(evse_id) or self.v2x.get(0) or V2XSupport()


@dataclass(slots=True)
class PhaseValues:
    """A value per phase; `None` where the phase was not reported."""

    l1: float | None = None
    l2: float | None = None
    l3: float | None = None

    def as_tuple(self) -> tuple[float | None, float | None, float | None]:
        """Return the three phases in order."""
        return (self.l1, self.l2, self.l3)

    def known(self) -> list[float]:
        """Return the reported phases only."""
        return [value for value in self.as_tuple() if value is not None]


@dataclass(slots=True)
class ConnectorState:
    """Live state of one connector (connector 0 is the station itself)."""

    connector_id: int
    status: ConnectorStatus = ConnectorStatus.UNKNOWN
    error_code: str | None = None
    vendor_error_code: str | None = None
    info: str | None = None
    status_timestamp: datetime | None = None
    # Metering, in native units (W, A, V, Wh, %, °C).
    power: float | None = None
    current_import: float | None = None
    current_phases: PhaseValues = field(default_factory=PhaseValues)
    voltage: float | None = None
    voltage_phases: PhaseValues = field(default_factory=PhaseValues)
    current_offered: float | None = None
    power_offered: float | None = None
    soc: float | None = None
    temperature: float | None = None
    frequency: float | None = None
    energy: float | None = None
    energy_export: float | None = None
    meter_timestamp: datetime | None = None
    # Every sampled value as received, keyed "measurand/phase/location", for diagnostics.
    raw_measurements: dict[str, str] = field(default_factory=dict)
    # The transaction running on this connector.
    transaction_id: int | None = None
    id_tag: str | None = None
    session_start: datetime | None = None
    session_energy: float | None = None
    # The limit the central system last applied (A per phase or W), or None.
    applied_limit: float | None = None
    applied_limit_unit: str | None = None
    # Whether `applied_limit` is known to be what is on the charger (set on this run).
    limit_known: bool = False
    # The highest Current.Offered seen while no limit of ours held it (see charger_maximum).
    offered_maximum: float | None = None
    # What the car told through the charger (2.x NotifyEVChargingNeeds), None: not told.
    ev_departure: datetime | None = None
    ev_energy_amount: float | None = None  # Wh
    ev_min_current: float | None = None  # A per phase
    ev_max_current: float | None = None  # A per phase
    ev_max_power: float | None = None  # W
    ev_energy_capacity: float | None = None  # Wh (DC)
    # A limit set by another system (2.x NotifyChargingLimit): its source, None: none,
    # and its value where it told one (A per phase).
    external_limit_source: str | None = None
    external_limit: float | None = None
    # 2.1 bidirectional sessions (NotifyEVChargingNeeds v2xChargingParameters).
    ev_transfer_mode: str | None = None  # requestedEnergyTransfer: AC_BPT, DC_BPT, ...
    ev_transfer_modes: tuple[str, ...] = ()  # availableEnergyTransfer
    ev_max_discharge_power: float | None = None  # W (a magnitude)
    ev_min_discharge_power: float | None = None  # W
    ev_max_discharge_current: float | None = None  # A per phase
    # Wh to the car's minimum SoC (negative: it may give that much) and to full.
    ev_min_v2x_energy: float | None = None
    ev_max_v2x_energy: float | None = None
    ev_max_energy: float | None = None  # Wh to its maximum SoC (evMaxEnergyRequest)
    ev_target_soc: float | None = None  # %
    # What the central system allowed this transaction (NotifyAllowedEnergyTransfer).
    allowed_transfer: tuple[str, ...] = ()
    # The signed rate last applied (negative: discharging; same unit as applied_limit).
    applied_setpoint: float | None = None
    # The EVSE transfers energy both ways (2.1 V2XChargingCtrlr): see ChargerState.note_v2x.
    discharge_capable: bool = False

    def forget_ev(self) -> None:
        """What the car told was for its session only."""
        self.ev_departure = self.ev_energy_amount = None
        self.ev_min_current = self.ev_max_current = None
        self.ev_max_power = self.ev_energy_capacity = None
        self.ev_transfer_mode = None
        self.ev_transfer_modes = self.allowed_transfer = ()
        self.ev_max_discharge_power = self.ev_min_discharge_power = None
        self.ev_max_discharge_current = None
        self.ev_min_v2x_energy = self.ev_max_v2x_energy = self.ev_target_soc = None
        self.ev_max_energy = None

    @property
    def bidirectional(self) -> bool:
        """Whether the car in this session asked for a bidirectional transfer."""
        return (self.ev_transfer_mode or "").endswith("_BPT")


@dataclass(slots=True)
class ChargerState:
    """Everything known about one charger, surviving reconnects."""

    charger_id: str
    connected: bool = False
    # Capabilities read and metering configured on the current connection.
    configured: bool = False
    ocpp_version: str | None = None
    boot: BootInfo | None = None
    capabilities: Capabilities | None = None
    available: bool = True
    last_heartbeat: datetime | None = None
    last_seen: datetime | None = None
    last_error: str | None = None
    # What the charger refused during the setup, by key (measurands as "Key[measurand]"):
    # its answer, a status (Rejected, NotSupported) or a CALLERROR code.
    refused_configuration: dict[str, str] = field(default_factory=dict)
    # The last SecurityEventNotification (2.x): "type at time", None: none.
    last_security_event: str | None = None
    # The security profile of the current (or last) connection: 0-3; None: never connected.
    security_profile: int | None = None
    # The safe default installed on the charger (A per connector), and whether any limit
    # of ours was ever sent to it (kept across restarts).
    safe_default_limit: float | None = None
    ever_limited: bool = False
    connectors: dict[int, ConnectorState] = field(default_factory=dict)

    def connector(self, connector_id: int) -> ConnectorState:
        """Return a connector's state, creating it on first mention."""
        state = self.connectors.get(connector_id)
        if state is None:
            state = self.connectors[connector_id] = ConnectorState(connector_id)
            state.discharge_capable = self._can_discharge(connector_id)
        return state

    def note_v2x(self) -> None:
        """Mark the connectors whose EVSE transfers energy both ways (after capabilities change)."""
        for connector in self.outlets:
            connector.discharge_capable = self._can_discharge(connector.connector_id)

    def _can_discharge(self, connector_id: int) -> bool:
        capabilities = self.capabilities
        return (
            connector_id > 0
            and capabilities is not None
            and capabilities.v2x_of(connector_id).can_discharge
        )

    @property
    def outlets(self) -> list[ConnectorState]:
        """Return the real connectors (id ≥ 1), in order."""
        return [self.connectors[key] for key in sorted(self.connectors) if key > 0]
