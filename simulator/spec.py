"""What a simulated charger is: identity, hardware and the quirks it imitates."""

from __future__ import annotations

from dataclasses import dataclass, field

# Quirks seen in the field (see the project's OCPP notes).
REJECT_CHARGE_POINT_MAX = "reject_charge_point_max"  # answers Rejected to ChargePointMaxProfile
REJECT_TX_PROFILE = "reject_tx_profile"  # answers Rejected to TxProfile
STACK_LEVEL_ZERO_ONLY = "stack_level_zero_only"  # rejects stackLevel > 0
CURRENT_ONLY = "current_only"  # rejects W schedules
POWER_ONLY = "power_only"  # rejects A schedules
IGNORE_LIMITS = "ignore_limits"  # accepts profiles but keeps drawing its maximum
ENERGY_KWH = "energy_kwh"  # reports the energy register in kWh
NO_BOOT_ON_RECONNECT = "no_boot_on_reconnect"  # after a lost connection: no BootNotification
# No security extension: AuthorizationKey and SecurityProfile are set in its own web UI only.
NO_SECURITY_KEYS = "no_security_keys"
QUIRKS = frozenset(
    {
        REJECT_CHARGE_POINT_MAX,
        REJECT_TX_PROFILE,
        STACK_LEVEL_ZERO_ONLY,
        CURRENT_ONLY,
        POWER_ONLY,
        IGNORE_LIMITS,
        ENERGY_KWH,
        NO_BOOT_ON_RECONNECT,
        NO_SECURITY_KEYS,
    }
)

DEFAULT_MEASURANDS = (
    "Energy.Active.Import.Register",
    "Power.Active.Import",
    "Current.Import",
    "Current.Offered",
    "Voltage",
    "SoC",
    "Temperature",
)
DEFAULT_SAMPLED_DATA = (
    "Energy.Active.Import.Register",
    "Power.Active.Import",
    "Current.Import",
    "Current.Offered",
)
SINGLE_PHASE, THREE_PHASES = 1, 3


@dataclass(frozen=True)
class ChargerSpec:
    """Static description of a simulated OCPP 1.6J charge point."""

    charge_point_id: str
    vendor: str = "Simulated"
    model: str = "SimCharger"
    serial_number: str | None = None  # None: derived from the charge point id
    firmware_version: str = "1.0.0"
    connectors: int = 1
    phases: int = THREE_PHASES
    max_current: float = 16.0  # A per phase, per connector
    voltage: float = 230.0  # V phase to neutral
    # Value of ChargingScheduleAllowedChargingRateUnit; None: the key is unknown.
    rate_unit_keys: str | None = "Current,Power"
    max_stack_level: int = 8
    max_schedule_periods: int = 24
    max_profiles: int = 16
    supported_measurands: tuple[str, ...] = DEFAULT_MEASURANDS
    sampled_data: tuple[str, ...] = DEFAULT_SAMPLED_DATA  # initial MeterValuesSampledData
    meter_interval: int = 10  # MeterValueSampleInterval, s (0: no periodic samples)
    heartbeat_interval: int | None = None  # None: the interval from the boot response
    password: str | None = None  # AuthorizationKey: HTTP Basic auth (security profile 1)
    security_profile: int = 0  # the SecurityProfile key: raised by the central system only
    # Its own central system URL (a wss:// port), else the one it is given.
    url: str | None = None
    # wss://: the CA file the charger trusts (profile 2), its own certificate and key (3).
    tls_ca: str | None = None
    client_certificate: str | None = None
    client_key: str | None = None
    response_timeout: float = 30.0  # s to wait for the central system's answer
    reconnect: bool = True  # reconnect by itself after losing the connection
    quirks: frozenset[str] = field(default_factory=frozenset)
    # Vendor configuration keys and their values (read-only), e.g. the installed maximum.
    vendor_keys: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        """Reject impossible values and unknown quirks early."""
        unknown = self.quirks - QUIRKS
        if unknown:
            raise ValueError(f"unknown quirks: {sorted(unknown)}")
        if self.connectors < 1:
            raise ValueError("a charger needs at least one connector")
        if self.phases not in (SINGLE_PHASE, THREE_PHASES):
            raise ValueError("phases must be 1 or 3")
        if self.max_current <= 0 or self.voltage <= 0:
            raise ValueError("max_current and voltage must be positive")
        missing = set(self.sampled_data) - set(self.supported_measurands)
        if missing:
            raise ValueError(f"sampled_data not in supported_measurands: {sorted(missing)}")

    @property
    def serial(self) -> str:
        """The serial number reported in BootNotification."""
        return self.serial_number or f"SN-{self.charge_point_id}"

    def has(self, quirk: str) -> bool:
        """Whether the charger imitates `quirk`."""
        return quirk in self.quirks
