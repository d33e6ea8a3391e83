"""What the user set per connector and per charger, and where it is kept (the HubStore)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from .balancing import Mode
from .const import DEFAULT_SOC_RESERVE, DischargeMode
from .storage import HubStore

DEFAULT_MAX_CURRENT = 32.0


@dataclass(slots=True)
class ConnectorSettings:
    """What the user set for a connector: kept across restarts."""

    # None: not set by the user; the charger's own maximum applies (`resolved`).
    max_current: float | None = None
    paused: bool = False
    mode: str = Mode.FAST.value
    priority: int = 0
    min_current: float = 6.0
    # Solar modes: when the car leaves ("HH:MM:SS", local time of day; None: not set) and
    # the kWh to add by then in each session (0: none). Like a wallbox app's daily
    # departure, both persist from one session to the next until changed.
    departure: str | None = None
    energy_target: float = 0.0
    # Bidirectional charging: whether the car may discharge, the SoC (%) it never goes
    # below, and how it discharges (a DischargeMode; "site": the site's objective).
    discharge_allowed: bool = False
    soc_reserve: float = DEFAULT_SOC_RESERVE
    discharge_mode: str = DischargeMode.SITE.value

    @property
    def maximum(self) -> float:
        """The maximum current that applies (A per phase)."""
        return DEFAULT_MAX_CURRENT if self.max_current is None else self.max_current


@dataclass(slots=True)
class ChargerSettings:
    """What the user set (and we installed) for a whole charger."""

    # Grid phase (0-2) the charger's L1 is wired to; L2 and L3 follow in order.
    phase_rotation: int = 0
    # The station's shared maximum (A per phase), None: none.
    station_max_current: float | None = None
    # The safe default last installed on the charger (A per connector), None: none yet.
    safe_default: float | None = None
    # The sub-circuit (by name) feeding the charger, None: directly on the grid connection.
    circuit: str | None = None


# Key of a charger's own settings among its connectors' in the store.
_CHARGER_KEY = "charger"


def charger_settings(store: HubStore, charger_id: str) -> ChargerSettings:
    """Return a charger's settings."""
    saved = store.settings.get(charger_id, {}).get(_CHARGER_KEY, {})
    return ChargerSettings(**saved)


def update_charger_settings(store: HubStore, charger_id: str, **changes: Any) -> ChargerSettings:
    """Change and persist a charger's settings."""
    settings = replace(charger_settings(store, charger_id), **changes)
    store.settings.setdefault(charger_id, {})[_CHARGER_KEY] = asdict(settings)
    store.save_later()
    return settings


def connector_settings(store: HubStore, charger_id: str, connector_id: int) -> ConnectorSettings:
    """Return a connector's user settings."""
    saved = store.settings.get(charger_id, {}).get(str(connector_id), {})
    return ConnectorSettings(**saved)


def resolved(settings: ConnectorSettings, charger_maximum: float | None) -> ConnectorSettings:
    """The settings with the maximum current filled in: the user's, else the charger's."""
    if settings.max_current is not None:
        return settings
    return replace(settings, max_current=charger_maximum or DEFAULT_MAX_CURRENT)


def update_connector_settings(
    store: HubStore, charger_id: str, connector_id: int, **changes: Any
) -> ConnectorSettings:
    """Change and persist a connector's user settings."""
    settings = replace(connector_settings(store, charger_id, connector_id), **changes)
    store.settings.setdefault(charger_id, {})[str(connector_id)] = asdict(settings)
    store.save_later()
    return settings


def discharging_connectors(store: HubStore, charger_id: str) -> set[int]:
    """The connectors of a charger whose car the user lets discharge."""
    return {
        int(key)
        for key, saved in store.settings.get(charger_id, {}).items()
        if key.isdigit() and saved.get("discharge_allowed")
    }
