"""Constants for the Smart Charging (OCPP) integration."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

DOMAIN: Final = "smart_charging"

# Config entry data (set in the user and reconfigure steps).
CONF_HOST: Final = "host"
CONF_PORT: Final = "port"
DEFAULT_HOST: Final = "0.0.0.0"
DEFAULT_PORT: Final = 9000

# Config entry data written by the integration itself: the approved charge point ids.
CONF_APPROVED_CHARGERS: Final = "approved_chargers"

# Options (options flow; applied live, no reload).
CONF_UNKNOWN_CHARGERS: Final = "unknown_chargers"
CONF_ID_TAG_POLICY: Final = "id_tag_policy"
CONF_ALLOWED_ID_TAGS: Final = "allowed_id_tags"
CONF_METER_INTERVAL: Final = "meter_interval"
CONF_HEARTBEAT_INTERVAL: Final = "heartbeat_interval"
DEFAULT_METER_INTERVAL: Final = 10
DEFAULT_HEARTBEAT_INTERVAL: Final = 300

# Site options (load balancing). Balancing is on once a grid limit is set.
CONF_GRID_LIMIT: Final = "grid_limit"  # A per phase (main fuse)
CONF_MAX_IMPORT_POWER: Final = "max_import_power"  # W, optional
CONF_SAFETY_MARGIN: Final = "safety_margin"  # A per phase
CONF_BASE_LOAD: Final = "base_load"  # A per phase, assumed without a meter
CONF_FAILSAFE_CURRENT: Final = "failsafe_current"  # A per connector without a meter
CONF_METER_SOURCE: Final = "meter_source"
CONF_METER_ENTITIES: Final = "meter_entities"  # 3 per-phase entities, or 1 total power
CONF_METER_INVERTED: Final = "meter_inverted"  # the meter reports export as positive
CONF_NOMINAL_VOLTAGE: Final = "nominal_voltage"
CONF_METER_STALE_AFTER: Final = "meter_stale_after"  # s
CONF_PV_POWER_ENTITY: Final = "pv_power_entity"
CONF_BATTERY_POWER_ENTITY: Final = "battery_power_entity"
# An entity whose attributes hold the import price forecast (price mode).
CONF_PRICE_ENTITY: Final = "price_entity"
CONF_SOLAR_START_DELAY: Final = "solar_start_delay"
CONF_SOLAR_STOP_DELAY: Final = "solar_stop_delay"
CONF_LIVE_LIMIT_VALIDITY: Final = "live_limit_validity"  # s
# Sub-circuits (breakers), one per line: "name: limit A per phase[: parent]".
CONF_CIRCUITS: Final = "circuits"

# Bidirectional charging (V2X): the site's objective and limits (v2x_options.py).
CONF_V2X_OBJECTIVE: Final = "v2x_objective"
CONF_IMPORT_CAP: Final = "import_cap"  # W, optional: peak shaving keeps import below
CONF_IMPORT_CAP_ENTITY: Final = "import_cap_entity"  # optional: a cap that varies (W)
CONF_EXPORT_LIMIT: Final = "export_limit"  # W, optional: 0 = zero-export site
CONF_EXPORT_CAR_ENERGY: Final = "export_car_energy"  # a car's energy may go to the grid
CONF_GRID_SIGNAL_ENTITY: Final = "grid_signal_entity"  # requested import (+)/export (-), W
CONF_WEAR_COST: Final = "wear_cost"  # price units per kWh discharged

DEFAULT_SAFETY_MARGIN: Final = 1.0
DEFAULT_FAILSAFE_CURRENT: Final = 6.0
DEFAULT_NOMINAL_VOLTAGE: Final = 230.0
DEFAULT_METER_STALE_AFTER: Final = 60
DEFAULT_SOLAR_START_DELAY: Final = 60
DEFAULT_SOLAR_STOP_DELAY: Final = 60
DEFAULT_LIVE_LIMIT_VALIDITY: Final = 120
DEFAULT_SOC_RESERVE: Final = 30.0
DEFAULT_WEAR_COST: Final = 0.05

# Security (security_options.py): the minimum profile and passwords apply live; TLS (the
# certificate, key, client CA and the wss:// port) restarts the server.
CONF_MINIMUM_SECURITY_PROFILE: Final = "minimum_security_profile"
CONF_INSTALL_PASSWORDS: Final = "install_passwords"  # send chargers their password over OCPP
CONF_TLS_PORT: Final = "tls_port"
CONF_USE_HA_CERTIFICATE: Final = "use_ha_certificate"  # HA's own http certificate and key
CONF_TLS_CERTIFICATE: Final = "tls_certificate"  # path of a PEM certificate (chain)
CONF_TLS_KEY: Final = "tls_key"  # path of its PEM private key
CONF_TLS_CLIENT_CA: Final = "tls_client_ca"  # path of the CA of chargers' certificates
DEFAULT_TLS_PORT: Final = 9443
DEFAULT_INSTALL_PASSWORDS: Final = True

# The id tag of the transactions Home Assistant starts remotely.
REMOTE_ID_TAG: Final = "HomeAssistant"


class MeterSource(StrEnum):
    """Where the grid meter reading comes from."""

    NONE = "none"  # static (cluster) balancing against the grid limit
    PHASE_CURRENTS = "phase_currents"
    PHASE_POWERS = "phase_powers"
    TOTAL_POWER = "total_power"


class DischargeMode(StrEnum):
    """A connector's discharge mode: the site's objective, or its own."""

    SITE = "site"  # the site's objective (the V2X options)
    OFF = "off"  # charge only
    SELF_CONSUMPTION = "self_consumption"  # V2H: cover the house's import
    PEAK_SHAVING = "peak_shaving"  # keep import under the fuse and the import cap
    PRICE = "price"  # charge when cheap, discharge when dear
    GRID_SIGNAL = "grid_signal"  # follow the requested import/export


# Config entry 1.2: entry-scoped device identifiers and unique ids (ids.py, migration.py).
ENTRY_MINOR_VERSION = 2
