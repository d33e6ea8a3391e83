"""What a charger can deliver per connector: the default for the user's maximum current.

Two sources, the installer's setting first:
- vendor configuration keys that hold the installed maximum (read on every connection);
- Current.Offered: what the charger offers the car while charging, when no limit of
  ours held it there. The highest such offer is kept: a charger that offers 16 A where
  we allow 32 A is a 16 A charger (a lower offer may be its own load management).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
import math
from typing import Any

from .model import ChargerState, ConnectorState, ConnectorStatus

# Vendor keys with the installed maximum (A per phase) for the whole station.
STATION_KEYS = (
    "G_MaxCurrent",  # Growatt
    "MaxEVCurrentOffered",
)
# Vendor keys with a connector's maximum; {connector} is its id.
CONNECTOR_KEYS = ("chargingALimitConn{connector}",)  # Wallbox
# Offers below this are no maximum: IEC 61851 cars cannot charge with less (A).
_LOWEST_OFFER = 6.0
_HIGHEST_CURRENT = 1000.0
# An offer this far below our own limit was not set by us (A).
_OFFER_MARGIN = 1.0
# Statuses in which the charger offers the car what it can (not 0 while pausing).
_OFFERING = frozenset({ConnectorStatus.CHARGING, ConnectorStatus.SUSPENDED_EV})


def vendor_keys(connectors: int) -> list[str]:
    """The vendor keys to ask a charger with this many connectors for."""
    keys = list(STATION_KEYS)
    for connector in range(1, max(connectors, 1) + 1):
        keys.extend(key.format(connector=connector) for key in CONNECTOR_KEYS)
    return keys


def _current(value: Any) -> float | None:
    try:
        current = float(str(value).strip())
    except ValueError:
        return None
    return current if _LOWEST_OFFER <= current <= _HIGHEST_CURRENT else None


def parse_vendor_maximum(configuration_key: Iterable[Mapping[str, Any]]) -> dict[int, float]:
    """The maxima a GetConfiguration answer holds, by connector (0: every connector)."""
    values = {str(item.get("key")): item.get("value") for item in configuration_key}
    found: dict[int, float] = {}
    for key in STATION_KEYS:
        if (current := _current(values.get(key))) is not None:
            found[0] = current
            break
    for key, value in values.items():
        for template in CONNECTOR_KEYS:
            prefix = template.split("{", 1)[0]
            suffix = key.removeprefix(prefix)
            current = _current(value)
            if key.startswith(prefix) and suffix.isdigit() and current is not None:
                found[int(suffix)] = current
    return found


def note_offer(state: ChargerState, connector: ConnectorState) -> None:
    """Learn from the connector's latest Current.Offered whether it shows its maximum."""
    offered = connector.current_offered
    if offered is None or not _LOWEST_OFFER <= offered <= _HIGHEST_CURRENT:
        return
    if connector.status not in _OFFERING:
        return
    if state.ever_limited and not connector.limit_known:
        return  # A live limit of ours from before a restart may still hold it.
    safe_default = state.safe_default_limit
    ours = [safe_default] if safe_default is not None else []
    if connector.applied_limit is not None:
        if connector.applied_limit_unit != "A":
            return  # A power limit says nothing in A we can compare with.
        ours.append(connector.applied_limit)
    if offered + _OFFER_MARGIN > min(ours, default=math.inf):
        return  # Our own limit (or close to it): nothing learned.
    if connector.offered_maximum is None or offered > connector.offered_maximum:
        connector.offered_maximum = offered


def installed_maximum(state: ChargerState, connector_id: int) -> float | None:
    """The maximum the charger's own settings give a connector (A per phase), if any."""
    vendor = (state.capabilities and state.capabilities.vendor_max_current) or {}
    return vendor.get(connector_id, vendor.get(0))


def charger_maximum(state: ChargerState, connector_id: int) -> float | None:
    """The most the charger delivers on a connector (A per phase), None: not known."""
    if (current := installed_maximum(state, connector_id)) is not None:
        return current
    return state.connector(connector_id).offered_maximum
