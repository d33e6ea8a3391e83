"""Every id format of the integration: device identifiers, unique ids, the engine's connector keys.

Identifiers and unique ids are scoped by the config entry and joined with "/", which never
occurs inside a part: a charger id is percent-encoded (letters, digits, "-", "_", "." and "~"
stay as they are). A charger, its connector 1 and a charger whose id ends in "-1" can no longer
share an id. Connector 0 stands for the charger itself.
"""

from __future__ import annotations

from urllib.parse import quote, unquote

from .const import DOMAIN

_SEPARATOR = "/"
_SITE = "site"


def _charger_part(charger_id: str) -> str:
    return quote(charger_id, safe="")


def charger_identifier(entry_id: str, charger_id: str) -> tuple[str, str]:
    """The device identifier of a charger."""
    return DOMAIN, f"{entry_id}/{_charger_part(charger_id)}"


def connector_identifier(entry_id: str, charger_id: str, connector_id: int) -> tuple[str, str]:
    """The device identifier of one of a charger's connectors."""
    return DOMAIN, f"{entry_id}/{_charger_part(charger_id)}/{connector_id}"


def site_identifier(entry_id: str) -> tuple[str, str]:
    """The device identifier of the site (grid connection and balancing)."""
    return DOMAIN, entry_id


def entity_unique_id(entry_id: str, charger_id: str, connector_id: int, key: str) -> str:
    """The unique id of a charger's (connector 0) or a connector's entity."""
    return f"{entry_id}/{_charger_part(charger_id)}/{connector_id}/{key}"


def site_unique_id(entry_id: str, key: str) -> str:
    """The unique id of a site entity."""
    return f"{entry_id}/{_SITE}/{key}"


def parse_device_identifier(entry_id: str, identifier: str) -> tuple[str, int] | None:
    """(charger id, connector id; 0 for the charger) of one of this entry's device identifiers."""
    match identifier.split(_SEPARATOR):
        case [entry, charger]:
            connector = 0
        case [entry, charger, number] if number.isdigit() and int(number) > 0:
            connector = int(number)
        case _:
            return None
    return (unquote(charger), connector) if entry == entry_id else None


def connector_key(charger_id: str, connector_id: int) -> str:
    """The engine's id of a connector (the connector id last, so any charger id parses)."""
    return f"{charger_id}/{connector_id}"


def split_connector_key(key: str) -> tuple[str, int]:
    """The charger id and connector id of an engine key."""
    charger_id, _, connector = key.rpartition("/")
    return charger_id, int(connector)
