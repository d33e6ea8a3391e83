"""Charger errors as translated Home Assistant errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .central_system.errors import (
    ChargerError,
    ChargerNotSupportedError,
    ChargerOfflineError,
    ChargerRejectedError,
    ChargerTimeoutError,
    ChargerWrongVersionError,
)
from .const import DOMAIN


def as_home_assistant_error(error: ChargerError) -> HomeAssistantError:
    """Return the translated HA error for a charger error.

    An offline charger, a refusal and a missing feature are expected outcomes: HA logs a
    `ServiceValidationError` as one line, any other `HomeAssistantError` with its traceback.
    """
    placeholders = {"charger": error.charger_id}
    expected = True
    match error:
        case ChargerOfflineError():
            key = "charger_offline"
        case ChargerRejectedError():
            key = "charger_rejected"
            placeholders |= {"action": error.action, "status": error.status}
        case ChargerNotSupportedError():
            key = "not_supported"
            placeholders["feature"] = error.feature
        case ChargerWrongVersionError():
            key = "wrong_ocpp_version"
            placeholders |= {"version": error.version, "instead": error.instead}
        case ChargerTimeoutError():
            key, expected = "charger_timeout", False
            placeholders["action"] = error.action
        case _:
            key, expected = "charger_error", False
            placeholders["detail"] = error.detail
    error_class = ServiceValidationError if expected else HomeAssistantError
    return error_class(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


@contextmanager
def charger_errors() -> Iterator[None]:
    """Turn a charger error (offline, timeout, rejection) into its translated HA error.

    The one path by which entities and actions report what a charger did not do.
    """
    try:
        yield
    except ChargerError as error:
        raise as_home_assistant_error(error) from error
