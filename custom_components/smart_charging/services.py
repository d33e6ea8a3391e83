"""Actions (services) of the central system: limits, configuration, triggers, DataTransfer.

Every action targets one device: a charger (the whole station, connector 0) or one of
its connectors. Charger errors surface as translated `HomeAssistantError`s; nothing a
charger refuses is reported as a success.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.util.json import JsonValueType

from .central_system.device_model import DeviceVariable
from .central_system.errors import ChargerRejectedError
from .central_system.limits import ChargingLimit, LimitUnit
from .central_system.profile_criteria import ProfileCriteria
from .central_system.session import ChargerSession
from .compat import device_config_entry_ids
from .const import DOMAIN
from .errors import as_home_assistant_error, charger_errors
from .hub import SmartChargingConfigEntry, SmartChargingHub
from .ids import connector_key, parse_device_identifier
from .service_schemas import (
    ATTR_ATTRIBUTE,
    ATTR_COMPONENT,
    ATTR_CURRENT,
    ATTR_DATA,
    ATTR_DURATION,
    ATTR_EVSE,
    ATTR_INSTANCE,
    ATTR_KEY,
    ATTR_KEYS,
    ATTR_MESSAGE,
    ATTR_MESSAGE_ID,
    ATTR_MODE,
    ATTR_POWER,
    ATTR_PURPOSE,
    ATTR_SOURCES,
    ATTR_STACK_LEVEL,
    ATTR_VALUE,
    ATTR_VARIABLE,
    ATTR_VENDOR_ID,
    CHANGE_CONFIGURATION_SCHEMA,
    CLEAR_CHARGING_LIMIT_SCHEMA,
    DATA_TRANSFER_SCHEMA,
    GET_CHARGING_PROFILES_SCHEMA,
    GET_COMPOSITE_SCHEDULE_SCHEMA,
    GET_CONFIGURATION_SCHEMA,
    GET_VARIABLES_SCHEMA,
    ROTATE_PASSWORD_SCHEMA,
    SERVICE_CHANGE_CONFIGURATION,
    SERVICE_CLEAR_CHARGING_LIMIT,
    SERVICE_DATA_TRANSFER,
    SERVICE_GET_CHARGING_PROFILES,
    SERVICE_GET_COMPOSITE_SCHEDULE,
    SERVICE_GET_CONFIGURATION,
    SERVICE_GET_VARIABLES,
    SERVICE_ROTATE_PASSWORD,
    SERVICE_SET_CHARGING_LIMIT,
    SERVICE_SET_CHARGING_MODE,
    SERVICE_SET_DISCHARGE,
    SERVICE_SET_VARIABLES,
    SERVICE_TRIGGER_MESSAGE,
    SET_CHARGING_LIMIT_SCHEMA,
    SET_CHARGING_MODE_SCHEMA,
    SET_DISCHARGE_SCHEMA,
    SET_VARIABLES_SCHEMA,
    TRIGGER_MESSAGE_SCHEMA,
)


@dataclass(frozen=True, slots=True)
class ServiceTarget:
    """What a device id stands for: a charger's station (connector 0) or a connector."""

    hub: SmartChargingHub
    charger_id: str
    connector_id: int

    @property
    def session(self) -> ChargerSession:
        """Return the charger's session."""
        return self.hub.coordinators[self.charger_id].session


def _match(hub: SmartChargingHub, identifier: str) -> tuple[str, int] | None:
    """Return (charger id, connector id) for a device identifier of `hub`, if it has one."""
    found = parse_device_identifier(hub.entry.entry_id, identifier)
    if found is None or found[0] not in hub.coordinators:
        return None
    return found


@callback
def async_resolve_target(hass: HomeAssistant, device_id: str) -> ServiceTarget:
    """Resolve a device id to its hub, charger and connector.

    Raises a translated `ServiceValidationError` when the device is not a charger or
    connector of a loaded central system.
    """
    device = dr.async_get(hass).async_get(device_id)
    if device is not None:
        identifiers = [value for domain, value in device.identifiers if domain == DOMAIN]
        entries: list[SmartChargingConfigEntry] = hass.config_entries.async_loaded_entries(DOMAIN)
        for entry in entries:
            if entry.entry_id not in device_config_entry_ids(device):
                continue
            hub = entry.runtime_data
            for identifier in identifiers:
                if (found := _match(hub, identifier)) is not None:
                    return ServiceTarget(hub, *found)
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="device_not_found",
        translation_placeholders={"device_id": device_id},
    )


async def _async_set_charging_limit(call: ServiceCall) -> None:
    target = async_resolve_target(call.hass, call.data[ATTR_DEVICE_ID])
    current: float | None = call.data.get(ATTR_CURRENT)
    power: float | None = call.data.get(ATTR_POWER)
    if current is not None and power is None:
        value, unit = current, LimitUnit.AMPERE
    elif power is not None and current is None:
        value, unit = power, LimitUnit.WATT
    else:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="current_or_power")
    limit = ChargingLimit(
        connector_id=target.connector_id,
        value=value,
        unit=unit,
        duration=call.data.get(ATTR_DURATION),
    )
    with charger_errors():
        await target.session.apply_limit(limit)


@callback
def _async_set_charging_mode(call: ServiceCall) -> None:
    """Set the mode of a connector, or of every connector of a charger."""
    target = async_resolve_target(call.hass, call.data[ATTR_DEVICE_ID])
    hub = target.hub
    charger = hub.coordinators[target.charger_id].data
    connectors = [target.connector_id] if target.connector_id else hub.connector_ids(charger)
    for connector_id in connectors:
        hub.update_connector_settings(target.charger_id, connector_id, mode=call.data[ATTR_MODE])
    hub.coordinators[target.charger_id].async_update_listeners()
    # A mode is the balancer's input: it acts on it at once (and it is kept while off).
    hub.balancer.recompute()


@callback
def _async_set_discharge(call: ServiceCall) -> None:
    """Ask a bidirectional connector to discharge for a while, within every limit."""
    target = async_resolve_target(call.hass, call.data[ATTR_DEVICE_ID])
    hub = target.hub
    connector = hub.coordinators[target.charger_id].data.connector(target.connector_id)
    name = f"{target.charger_id} {target.connector_id}"
    if not target.connector_id or not connector.discharge_capable:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="not_bidirectional",
            translation_placeholders={"connector": name},
        )
    if not hub.balancer.enabled:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="discharge_needs_balancing"
        )
    if not hub.connector_settings(target.charger_id, target.connector_id).discharge_allowed:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="discharge_not_allowed",
            translation_placeholders={"connector": name},
        )
    hub.balancer.discharge_requests.set(
        connector_key(target.charger_id, target.connector_id),
        call.data[ATTR_POWER],
        call.data[ATTR_DURATION],
    )
    hub.balancer.recompute()


@callback
def _async_rotate_password(call: ServiceCall) -> None:
    """Give a charger a new password; installed over OCPP at once if it is connected."""
    target = async_resolve_target(call.hass, call.data[ATTR_DEVICE_ID])
    if target.connector_id:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="not_a_charger",
            translation_placeholders={"device_id": call.data[ATTR_DEVICE_ID]},
        )
    try:
        target.hub.rotate_password(target.charger_id)
    except KeyError as error:  # Removed meanwhile: no longer approved.
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="device_not_found",
            translation_placeholders={"device_id": call.data[ATTR_DEVICE_ID]},
        ) from error


async def _async_clear_charging_limit(call: ServiceCall) -> None:
    target = async_resolve_target(call.hass, call.data[ATTR_DEVICE_ID])
    with charger_errors():
        await target.session.clear_limit(target.connector_id)


async def _async_get_configuration(call: ServiceCall) -> ServiceResponse:
    target = async_resolve_target(call.hass, call.data[ATTR_DEVICE_ID])
    keys: list[str] | None = call.data.get(ATTR_KEYS) or None
    with charger_errors():
        answer = await target.session.require_adapter().get_configuration(keys)
    return {
        "configuration_key": list(answer.get("configuration_key") or []),
        "unknown_key": list(answer.get("unknown_key") or []),
    }


async def _async_change_configuration(call: ServiceCall) -> ServiceResponse:
    target = async_resolve_target(call.hass, call.data[ATTR_DEVICE_ID])
    # Anything but Accepted/RebootRequired raises ChargerRejectedError in the adapter.
    with charger_errors():
        status = await target.session.require_adapter().change_configuration(
            call.data[ATTR_KEY], call.data[ATTR_VALUE]
        )
    return {"status": status}


async def _async_trigger_message(call: ServiceCall) -> ServiceResponse:
    target = async_resolve_target(call.hass, call.data[ATTR_DEVICE_ID])
    # A charger device means the whole station: no connector in the request.
    connector_id = target.connector_id or None
    with charger_errors():
        status = await target.session.require_adapter().trigger(
            call.data[ATTR_MESSAGE], connector_id
        )
    return {"status": status}


async def _async_data_transfer(call: ServiceCall) -> ServiceResponse:
    target = async_resolve_target(call.hass, call.data[ATTR_DEVICE_ID])
    # UnknownVendorId, UnknownMessageId and Rejected are the charger's legitimate
    # answers: they are returned (the action only runs with a response), not raised.
    with charger_errors():
        answer = await target.session.require_adapter().data_transfer(
            call.data[ATTR_VENDOR_ID], call.data.get(ATTR_MESSAGE_ID), call.data.get(ATTR_DATA)
        )
    return {"status": answer["status"], "data": answer.get("data")}


def _device_variable(call: ServiceCall, target: ServiceTarget) -> DeviceVariable:
    """The variable an action names; on a connector's device, of that connector's EVSE."""
    return DeviceVariable(
        component=call.data[ATTR_COMPONENT],
        variable=call.data[ATTR_VARIABLE],
        evse=call.data.get(ATTR_EVSE) or target.connector_id or None,
        instance=call.data.get(ATTR_INSTANCE),
        attribute=call.data.get(ATTR_ATTRIBUTE),
    )


async def _async_get_variables(call: ServiceCall) -> ServiceResponse:
    target = async_resolve_target(call.hass, call.data[ATTR_DEVICE_ID])
    with charger_errors():
        (result,) = await target.session.require_adapter().get_variables(
            [_device_variable(call, target)]
        )
    return {
        "status": str(result.get("attribute_status")),
        "value": result.get("attribute_value"),
    }


async def _async_set_variables(call: ServiceCall) -> ServiceResponse:
    target = async_resolve_target(call.hass, call.data[ATTR_DEVICE_ID])
    with charger_errors():
        (result,) = await target.session.require_adapter().set_variables(
            [(_device_variable(call, target), call.data[ATTR_VALUE])]
        )
    status = str(result.get("attribute_status"))
    if status not in {"Accepted", "RebootRequired"}:
        raise as_home_assistant_error(
            ChargerRejectedError(target.charger_id, "SetVariables", status)
        )
    return {"status": status}


async def _async_get_composite_schedule(call: ServiceCall) -> ServiceResponse:
    target = async_resolve_target(call.hass, call.data[ATTR_DEVICE_ID])
    with charger_errors():
        answer = await target.session.require_adapter().composite_schedule(
            target.connector_id, call.data[ATTR_DURATION]
        )
    return {"schedule_start": answer.get("schedule_start"), "schedule": answer.get("schedule")}


async def _async_get_charging_profiles(call: ServiceCall) -> ServiceResponse:
    target = async_resolve_target(call.hass, call.data[ATTR_DEVICE_ID])
    criteria = ProfileCriteria(
        purpose=call.data.get(ATTR_PURPOSE),
        stack_level=call.data.get(ATTR_STACK_LEVEL),
        sources=tuple(call.data.get(ATTR_SOURCES, ())),
    )
    with charger_errors():
        reports = await target.session.require_adapter().charging_profiles(
            target.connector_id or None, criteria
        )
    # Each report is JSON from the station (snake_case keys), so valid response data.
    return {"reports": cast("list[JsonValueType]", reports)}


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's services."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_SET_CHARGING_LIMIT,
        _async_set_charging_limit,
        schema=SET_CHARGING_LIMIT_SCHEMA,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_SET_CHARGING_MODE,
        _async_set_charging_mode,
        schema=SET_CHARGING_MODE_SCHEMA,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_SET_DISCHARGE,
        _async_set_discharge,
        schema=SET_DISCHARGE_SCHEMA,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_CLEAR_CHARGING_LIMIT,
        _async_clear_charging_limit,
        schema=CLEAR_CHARGING_LIMIT_SCHEMA,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_ROTATE_PASSWORD,
        _async_rotate_password,
        schema=ROTATE_PASSWORD_SCHEMA,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_CONFIGURATION,
        _async_get_configuration,
        schema=GET_CONFIGURATION_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_CHANGE_CONFIGURATION,
        _async_change_configuration,
        schema=CHANGE_CONFIGURATION_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_TRIGGER_MESSAGE,
        _async_trigger_message,
        schema=TRIGGER_MESSAGE_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_VARIABLES,
        _async_get_variables,
        schema=GET_VARIABLES_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_SET_VARIABLES,
        _async_set_variables,
        schema=SET_VARIABLES_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_COMPOSITE_SCHEDULE,
        _async_get_composite_schedule,
        schema=GET_COMPOSITE_SCHEDULE_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_CHARGING_PROFILES,
        _async_get_charging_profiles,
        schema=GET_CHARGING_PROFILES_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_DATA_TRANSFER,
        _async_data_transfer,
        schema=DATA_TRANSFER_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
