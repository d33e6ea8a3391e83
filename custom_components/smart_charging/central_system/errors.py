"""Errors raised by charger commands, for the HA glue to translate."""

from __future__ import annotations


class ChargerError(Exception):
    """Base class: a command to a charger did not succeed."""

    def __init__(self, charger_id: str, detail: str) -> None:
        """Keep the charger id and a short, user-readable detail."""
        super().__init__(f"{charger_id}: {detail}")
        self.charger_id = charger_id
        self.detail = detail


class ChargerOfflineError(ChargerError):
    """The charger is not connected."""

    def __init__(self, charger_id: str) -> None:
        """Build the error for an offline charger."""
        super().__init__(charger_id, "offline")


class ChargerTimeoutError(ChargerError):
    """The charger did not answer in time."""

    def __init__(self, charger_id: str, action: str) -> None:
        """Build the error for an unanswered call."""
        super().__init__(charger_id, f"no answer to {action}")
        self.action = action


# CALLERROR codes that mean "not now" rather than "never".
TRANSIENT_CODES = frozenset({"InternalError", "GenericError", "SecurityError"})


class ChargerRejectedError(ChargerError):
    """The charger answered, but not with success (status or CALLERROR code)."""

    def __init__(self, charger_id: str, action: str, status: str) -> None:
        """Build the error from the charger's answer."""
        super().__init__(charger_id, f"{action} answered {status}")
        self.action = action
        self.status = status


class ChargerNotSupportedError(ChargerError):
    """The charger lacks the feature profile or unit this command needs."""

    def __init__(self, charger_id: str, feature: str) -> None:
        """Build the error for a missing feature."""
        super().__init__(charger_id, f"{feature} not supported")
        self.feature = feature


class ChargerWrongVersionError(ChargerError):
    """The command exists in another OCPP version than the charger's: `instead` does it."""

    def __init__(self, charger_id: str, version: str, instead: str) -> None:
        """Build the error, naming the command of the charger's own version."""
        super().__init__(charger_id, f"OCPP {version}: use {instead}")
        self.version = version
        self.instead = instead
