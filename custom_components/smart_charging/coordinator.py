"""Where the integration's HA-side names used to live: re-exported for older import sites.

The integration imports from the modules that hold them: hub.py (the hub and the
config entry type), charger_coordinator.py, settings.py and approval.py. Tests,
benchmarks and site_balancer's type hints still import them from here.
"""

from .approval import discovery_unique_id
from .charger_coordinator import ChargerCoordinator
from .const import REMOTE_ID_TAG
from .hub import SmartChargingConfigEntry, SmartChargingHub
from .settings import DEFAULT_MAX_CURRENT, ChargerSettings, ConnectorSettings

__all__ = [
    "DEFAULT_MAX_CURRENT",
    "REMOTE_ID_TAG",
    "ChargerCoordinator",
    "ChargerSettings",
    "ConnectorSettings",
    "SmartChargingConfigEntry",
    "SmartChargingHub",
    "discovery_unique_id",
]
