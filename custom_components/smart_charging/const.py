"""Constants for the Smart Charging (OCPP) integration."""

from __future__ import annotations

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
