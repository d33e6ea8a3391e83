"""Config flow of the Smart Charging (OCPP) integration.

One config entry is one OCPP central system listening on a TCP port (unique id: the
port). Chargers are not config entries: an unknown charger that connects while the
unknown-charger policy is "ask" shows up as a discovered flow; confirming it approves
the charger on its hub (no new entry, no reload), ignoring it turns the charger away.
"""

from __future__ import annotations

import errno
import socket
from typing import Any

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
)
from homeassistant.helpers.typing import DiscoveryInfoType
import voluptuous as vol

from .approval import discovery_unique_id
from .central_system.policy import IdTagPolicy, UnknownChargerPolicy
from .const import (
    CONF_ALLOWED_ID_TAGS,
    CONF_APPROVED_CHARGERS,
    CONF_HEARTBEAT_INTERVAL,
    CONF_HOST,
    CONF_ID_TAG_POLICY,
    CONF_METER_INTERVAL,
    CONF_PORT,
    CONF_TLS_PORT,
    CONF_UNKNOWN_CHARGERS,
    DEFAULT_HEARTBEAT_INTERVAL,
    DEFAULT_HOST,
    DEFAULT_METER_INTERVAL,
    DEFAULT_PORT,
    DOMAIN,
    ENTRY_MINOR_VERSION,
)
from .hub import SmartChargingHub
from .security_options import (
    SECURITY_KEYS,
    async_validate_security_options,
    clean_security_options,
    default_security_options,
    describe_certificate,
    security_schema,
    tls_files,
    tls_port,
)
from .site_options import (
    SITE_SCHEMA,
    clean_site_options,
    default_site_options,
    validate_site_options,
)
from .v2x_options import V2X_SCHEMA, clean_v2x_options, default_v2x_options, validate_v2x_options

MIN_PORT = 1
MAX_PORT = 65535


def default_options() -> dict[str, Any]:
    """Return the options of a new central system (a fresh dict each time)."""
    return {
        CONF_UNKNOWN_CHARGERS: UnknownChargerPolicy.ASK.value,
        CONF_ID_TAG_POLICY: IdTagPolicy.ACCEPT_ALL.value,
        CONF_ALLOWED_ID_TAGS: [],
        CONF_METER_INTERVAL: DEFAULT_METER_INTERVAL,
        CONF_HEARTBEAT_INTERVAL: DEFAULT_HEARTBEAT_INTERVAL,
    }


# Shown in the confirm form when the charger did not say (no BootNotification yet).
UNKNOWN_PLACEHOLDER = "-"

OPTIONS_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_UNKNOWN_CHARGERS): SelectSelector(
            SelectSelectorConfig(
                options=[policy.value for policy in UnknownChargerPolicy],
                mode=SelectSelectorMode.LIST,
                translation_key=CONF_UNKNOWN_CHARGERS,
            )
        ),
        vol.Required(CONF_ID_TAG_POLICY): SelectSelector(
            SelectSelectorConfig(
                options=[policy.value for policy in IdTagPolicy],
                mode=SelectSelectorMode.LIST,
                translation_key=CONF_ID_TAG_POLICY,
            )
        ),
        vol.Optional(CONF_ALLOWED_ID_TAGS, default=[]): TextSelector(
            TextSelectorConfig(multiple=True)
        ),
        vol.Required(CONF_METER_INTERVAL): NumberSelector(
            NumberSelectorConfig(
                min=1, max=3600, step=1, unit_of_measurement="s", mode=NumberSelectorMode.BOX
            )
        ),
        vol.Required(CONF_HEARTBEAT_INTERVAL): NumberSelector(
            NumberSelectorConfig(
                min=10, max=86400, step=1, unit_of_measurement="s", mode=NumberSelectorMode.BOX
            )
        ),
    }
)


def _entry_title(port: int) -> str:
    return f"OCPP central system :{port}"


def _server_schema(host: str, port: int) -> vol.Schema:
    """Return the host/port form, prefilled."""
    return vol.Schema(
        {
            vol.Required(CONF_HOST, default=host): TextSelector(
                TextSelectorConfig(autocomplete="off")
            ),
            vol.Required(CONF_PORT, default=port): NumberSelector(
                NumberSelectorConfig(
                    min=MIN_PORT, max=MAX_PORT, step=1, mode=NumberSelectorMode.BOX
                )
            ),
        }
    )


def _valid_port(value: float) -> int | None:
    """Return the port as an int, or None when it is not a whole number in 1..65535.

    The selector checks the range too, but lets fractions through.
    """
    number = float(value)
    if not number.is_integer() or not MIN_PORT <= number <= MAX_PORT:
        return None
    return int(number)


def check_bind(host: str, port: int) -> dict[str, str]:
    """Listen on every address of host:port as the server will, and close at once.

    Blocking (name resolution, bind): run it in the executor. Port 0 checks the host only.
    Returns the form errors (empty when the server can listen there).
    """
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (OSError, UnicodeError):  # socket.gaierror is an OSError
        return {CONF_HOST: "invalid_host"}
    for family, _, _, _, address in addresses:
        try:
            # Like asyncio's create_server: SO_REUSEADDR (a port in TIME_WAIT is free to
            # the server too), IPv6 sockets IPv6-only.
            socket.create_server(address, family=family).close()
        except OSError as error:
            if error.errno in (errno.EADDRINUSE, errno.EACCES):
                return {CONF_PORT: "port_in_use"}
            return {CONF_HOST: "invalid_host"}
    return {}


class SmartChargingConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up an OCPP central system; approve the chargers it discovers."""

    VERSION = 1
    MINOR_VERSION = ENTRY_MINOR_VERSION

    _entry_id: str
    _charger_id: str
    _charger_info: dict[str, str]

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> SmartChargingOptionsFlow:
        """Return the options flow (policies and intervals, applied live)."""
        return SmartChargingOptionsFlow()

    @callback
    def _async_loaded_hub_entry(self, entry_id: str) -> ConfigEntry | None:
        """Return the central system entry `entry_id` if it is loaded (has a hub)."""
        entry = self.hass.config_entries.async_get_entry(entry_id)
        if entry is None or entry.domain != DOMAIN or entry.state is not ConfigEntryState.LOADED:
            return None
        return entry

    async def _async_validate_server(
        self, user_input: dict[str, Any], current: tuple[str, int] | None = None
    ) -> tuple[str, int, dict[str, str]]:
        """Validate host/port input; `current` is what the entry's own server holds.

        Aborts (already_configured) when another entry has the port.
        """
        host = str(user_input[CONF_HOST]).strip()
        port = _valid_port(user_input[CONF_PORT])
        if port is None:
            return host, 0, {CONF_PORT: "invalid_port"}
        if not host:
            return host, port, {CONF_HOST: "invalid_host"}
        if current is not None and port == current[1]:
            # Our own server holds the port: only a new host needs checking.
            if host == current[0]:
                return host, port, {}
            return host, port, await self.hass.async_add_executor_job(check_bind, host, 0)
        await self.async_set_unique_id(str(port))
        self._abort_if_unique_id_configured()
        return host, port, await self.hass.async_add_executor_job(check_bind, host, port)

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask where the central system listens."""
        errors: dict[str, str] = {}
        host, port = DEFAULT_HOST, DEFAULT_PORT
        if user_input is not None:
            host, port, errors = await self._async_validate_server(user_input)
            if not errors:
                return self.async_create_entry(
                    title=_entry_title(port),
                    data={CONF_HOST: host, CONF_PORT: port, CONF_APPROVED_CHARGERS: []},
                    options=default_options(),
                )
            host, port = user_input[CONF_HOST], user_input[CONF_PORT]

        return self.async_show_form(
            step_id="user", data_schema=_server_schema(host, port), errors=errors
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Move the central system to another host/port (the entry is reloaded)."""
        entry = self._get_reconfigure_entry()
        current: tuple[str, int] = (entry.data[CONF_HOST], entry.data[CONF_PORT])
        errors: dict[str, str] = {}
        host, port = current
        if user_input is not None:
            if tls_files(dict(entry.options)) is not None and (
                _valid_port(user_input[CONF_PORT]) == tls_port(dict(entry.options))
            ):
                errors = {CONF_PORT: "tls_port_same"}
            else:
                host, port, errors = await self._async_validate_server(user_input, current)
            if not errors:
                title = entry.title
                if title == _entry_title(current[1]):  # Not renamed by the user.
                    title = _entry_title(port)
                # The entry's update listener reloads it on the new address.
                self.hass.config_entries.async_update_entry(
                    entry,
                    unique_id=str(port),
                    title=title,
                    data={**entry.data, CONF_HOST: host, CONF_PORT: port},
                )
                return self.async_abort(reason="reconfigure_successful")
            host, port = user_input[CONF_HOST], user_input[CONF_PORT]

        return self.async_show_form(
            step_id="reconfigure",
            data_schema=_server_schema(host, port),
            errors=errors,
            description_placeholders={"title": entry.title},
        )

    async def async_step_integration_discovery(
        self, discovery_info: DiscoveryInfoType
    ) -> ConfigFlowResult:
        """Handle a charger waiting for approval (started by its hub)."""
        entry_id: str = discovery_info["entry_id"]
        charger_id: str = discovery_info["charger_id"]
        await self.async_set_unique_id(discovery_unique_id(entry_id, charger_id))
        # Also aborts when the user ignored this charger before.
        self._abort_if_unique_id_configured()
        entry = self._async_loaded_hub_entry(entry_id)
        if entry is None:
            return self.async_abort(reason="hub_not_loaded")
        if charger_id in entry.data.get(CONF_APPROVED_CHARGERS, []):
            return self.async_abort(reason="already_approved")

        self._entry_id = entry_id
        self._charger_id = charger_id
        self._charger_info = {
            key: str(discovery_info.get(key) or UNKNOWN_PLACEHOLDER)
            for key in ("vendor", "model", "serial_number")
        }
        self.context["title_placeholders"] = {"name": charger_id}
        return await self.async_step_confirm_charger()

    async def async_step_confirm_charger(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Let the user approve the charger; it joins its hub without a reload."""
        if user_input is not None:
            entry = self._async_loaded_hub_entry(self._entry_id)
            if entry is None:
                return self.async_abort(reason="hub_not_loaded")
            hub: SmartChargingHub = entry.runtime_data
            if self._charger_id in hub.central.policy.approved:
                return self.async_abort(reason="already_approved")
            await hub.async_approve(self._charger_id)
            return self.async_abort(
                reason="charger_approved",
                description_placeholders={"charger_id": self._charger_id},
            )

        self._set_confirm_only()
        return self.async_show_form(
            step_id="confirm_charger",
            description_placeholders={"charger_id": self._charger_id, **self._charger_info},
        )

    async def async_step_ignore(self, user_input: dict[str, Any]) -> ConfigFlowResult:
        """Ignore a discovered charger: remember it, and have its hub turn it away now."""
        result = await super().async_step_ignore(user_input)
        entry_id, separator, charger_id = str(user_input["unique_id"]).partition(":")
        if separator and (entry := self._async_loaded_hub_entry(entry_id)) is not None:
            hub: SmartChargingHub = entry.runtime_data
            await hub.async_ignore(charger_id)
        return result


class SmartChargingOptionsFlow(OptionsFlow):
    """Charger policies and the site (load balancing); the hub applies them live."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose what to edit."""
        return self.async_show_menu(
            step_id="init", menu_options=["chargers", "site", "v2x", "security"]
        )

    async def async_step_site(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Edit the site: grid limit, meter, solar, failsafe."""
        errors: dict[str, str] = {}
        suggested: dict[str, Any] = {**default_site_options(), **self.config_entry.options}
        if user_input is not None:
            site = clean_site_options(user_input)
            errors = validate_site_options(self.hass, site)
            if not errors:
                # A cleared optional field is left out of the form: its old value goes too.
                kept = {
                    key: value
                    for key, value in self.config_entry.options.items()
                    if key not in SITE_SCHEMA.schema
                }
                return self.async_create_entry(data={**kept, **site})
            suggested = {**suggested, **site}
        return self.async_show_form(
            step_id="site",
            data_schema=self.add_suggested_values_to_schema(SITE_SCHEMA, suggested),
            errors=errors,
        )

    async def async_step_v2x(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Edit bidirectional charging: the objective, the caps, the grid signal."""
        errors: dict[str, str] = {}
        suggested: dict[str, Any] = {**default_v2x_options(), **self.config_entry.options}
        if user_input is not None:
            v2x = clean_v2x_options(user_input)
            errors = validate_v2x_options(self.hass, v2x)
            if not errors:
                kept = {
                    key: value
                    for key, value in self.config_entry.options.items()
                    if key not in V2X_SCHEMA.schema
                }
                return self.async_create_entry(data={**kept, **v2x})
            suggested = {**suggested, **v2x}
        return self.async_show_form(
            step_id="v2x",
            data_schema=self.add_suggested_values_to_schema(V2X_SCHEMA, suggested),
            errors=errors,
        )

    async def async_step_security(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Edit who may connect how: the minimum profile, passwords, TLS."""
        entry = self.config_entry
        errors: dict[str, str] = {}
        suggested: dict[str, Any] = {**default_security_options(), **entry.options}
        if user_input is not None:
            security = clean_security_options(self.hass, user_input)
            errors = await async_validate_security_options(
                self.hass, security, entry.data[CONF_PORT]
            )
            if not errors and self._tls_port_to_check(security):
                bind = await self.hass.async_add_executor_job(
                    check_bind, entry.data[CONF_HOST], security[CONF_TLS_PORT]
                )
                if bind:
                    errors = {CONF_TLS_PORT: "port_in_use"}
            if not errors:
                kept = {
                    key: value for key, value in entry.options.items() if key not in SECURITY_KEYS
                }
                return self.async_create_entry(data={**kept, **security})
            suggested = {**suggested, **security}
        certificate = await self.hass.async_add_executor_job(describe_certificate, suggested)
        return self.async_show_form(
            step_id="security",
            data_schema=self.add_suggested_values_to_schema(security_schema(self.hass), suggested),
            errors=errors,
            description_placeholders={
                "port": str(entry.data[CONF_PORT]),
                "certificate": certificate,
            },
        )

    def _tls_port_to_check(self, security: dict[str, Any]) -> bool:
        """TLS will listen on a port our server does not hold now: is it free?"""
        if tls_files(security) is None:
            return False
        port = tls_port(security)
        entry = self.config_entry
        if entry.state is ConfigEntryState.LOADED:
            hub: SmartChargingHub = entry.runtime_data
            if hub.central.tls_port == port:
                return False
        return True

    async def async_step_chargers(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Edit who may connect and charge, and the charger intervals."""
        errors: dict[str, str] = {}
        suggested: dict[str, Any] = {**default_options(), **self.config_entry.options}
        if user_input is not None:
            options = _clean_options(user_input)
            if (
                options[CONF_ID_TAG_POLICY] == IdTagPolicy.ALLOW_LIST
                and not options[CONF_ALLOWED_ID_TAGS]
            ):
                errors[CONF_ALLOWED_ID_TAGS] = "allowed_id_tags_empty"
            else:
                return self.async_create_entry(data={**self.config_entry.options, **options})
            suggested = options

        return self.async_show_form(
            step_id="chargers",
            data_schema=self.add_suggested_values_to_schema(OPTIONS_SCHEMA, suggested),
            errors=errors,
        )


def _clean_options(user_input: dict[str, Any]) -> dict[str, Any]:
    """Whole-second intervals; tags stripped, blank ones and duplicates dropped."""
    tags: list[str] = []
    for tag in user_input.get(CONF_ALLOWED_ID_TAGS, []):
        if (tag := tag.strip()) and tag not in tags:
            tags.append(tag)
    return {
        CONF_UNKNOWN_CHARGERS: user_input[CONF_UNKNOWN_CHARGERS],
        CONF_ID_TAG_POLICY: user_input[CONF_ID_TAG_POLICY],
        CONF_ALLOWED_ID_TAGS: tags,
        CONF_METER_INTERVAL: round(user_input[CONF_METER_INTERVAL]),
        CONF_HEARTBEAT_INTERVAL: round(user_input[CONF_HEARTBEAT_INTERVAL]),
    }
