"""Diagnostics: the central system's configuration and state, each charger's, the balancer's."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict
from datetime import datetime
from enum import Enum
import re
from typing import Any, Final

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from .balancer_diagnostics import balancer_diagnostics
from .const import CONF_ALLOWED_ID_TAGS
from .hub import SmartChargingConfigEntry

# Keys redacted wherever they appear (entry, stored state, live state).
TO_REDACT: Final = frozenset(
    {
        CONF_ALLOWED_ID_TAGS,
        "id_tag",
        "serial_number",
        "meter_serial_number",
        "iccid",
        "imsi",
        # The chargers' passwords (the hub shows only their states).
        "credentials",
    }
)
# Any key that looks like a credential, in any spelling (AuthorizationKey, authorization_key, ...).
_SECRET_KEY: Final = re.compile(r"password|passwd|secret|token|auth(orization)?[_-]?key", re.I)


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: SmartChargingConfigEntry
) -> dict[str, Any]:
    """Return diagnostics for a config entry."""
    hub = entry.runtime_data
    settings = hub.store.settings
    chargers = {
        charger_id: {
            "state": json_safe(asdict(coordinator.data)),
            "settings": json_safe(settings.get(charger_id, {})),
        }
        for charger_id, coordinator in sorted(hub.coordinators.items())
    }
    data = {
        "entry": {"data": dict(entry.data), "options": dict(entry.options)},
        "hub": json_safe(hub.diagnostics()),
        "chargers": chargers,
        "balancer": json_safe(balancer_diagnostics(hub.balancer)),
    }
    return async_redact_data(data, TO_REDACT | _secret_keys(data))


def json_safe(value: Any) -> Any:
    """Return `value` with only JSON types: datetimes as ISO text, sets as sorted lists."""
    match value:
        case Mapping():
            return {str(key): json_safe(item) for key, item in value.items()}
        case datetime():
            return value.isoformat()
        case Enum():
            return json_safe(value.value)
        case frozenset() | set():
            return sorted((json_safe(item) for item in value), key=str)
        case str():
            return value
        case Iterable():
            return [json_safe(item) for item in value]
        case _:
            return value


def _secret_keys(value: Any) -> set[str]:
    """Collect every key in `value` whose name marks it as a credential.

    A yes/no is no secret: `install_passwords: true` stays readable.
    """
    found: set[str] = set()
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str) and _SECRET_KEY.search(key) and not isinstance(item, bool):
                found.add(key)
            found |= _secret_keys(item)
    elif isinstance(value, list):
        for item in value:
            found |= _secret_keys(item)
    return found
