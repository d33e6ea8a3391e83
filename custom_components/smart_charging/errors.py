"""Charger errors as translated Home Assistant errors."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .central_system.errors import (
    ChargerError,
    ChargerNotSupportedError,
    ChargerOfflineError,
    ChargerRejectedError,
    ChargerTimeoutError,
)
from .const import DOMAIN


def as_home_assistant_error(error: ChargerError) -> HomeAssistantError:
    """Return the translated HA error for a charger error."""
    placeholders = {"charger": error.charger_id}
    match error:
        case ChargerOfflineError():
            key = "charger_offline"
        case ChargerTimeoutError():
            key = "charger_timeout"
            placeholders["action"] = error.action
        case ChargerRejectedError():
            key = "charger_rejected"
            placeholders |= {"action": error.action, "status": error.status}
        case ChargerNotSupportedError():
            return ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="not_supported",
                translation_placeholders=placeholders | {"feature": error.feature},
            )
        case _:
            key = "charger_error"
            placeholders["detail"] = error.detail
    return HomeAssistantError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def charger_command[**_P](
    func: Callable[_P, Coroutine[Any, Any, None]],
) -> Callable[_P, Coroutine[Any, Any, None]]:
    """Decorate an entity action so charger errors surface as translated HA errors."""

    async def handler(*args: _P.args, **kwargs: _P.kwargs) -> None:
        try:
            await func(*args, **kwargs)
        except ChargerError as error:
            raise as_home_assistant_error(error) from error

    return handler
