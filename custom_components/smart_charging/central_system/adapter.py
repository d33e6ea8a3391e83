"""What every OCPP version adapter offers the rest of the product."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from .device_model import DeviceVariable
from .errors import ChargerError
from .limits import ChargingLimit
from .profile_criteria import ProfileCriteria
from .text_limits import TextLimits
from .trigger import Trigger

if TYPE_CHECKING:
    from .connection import WebSocketConnection
    from .session import ChargerSession


class ChargerAdapter(Protocol):
    """Commands to one connected charger, in version-neutral terms.

    Each method raises a `ChargerError` subclass when the charger is offline,
    does not answer, or answers with anything but success.
    """

    ocpp_version: str
    # What the version's schemas allow in user-given texts.
    text_limits: TextLimits

    async def apply_limit(self, limit: ChargingLimit) -> None:
        """Make the charger (connector 0) or one connector follow a limit."""

    async def clear_limit(self, connector_id: int) -> None:
        """Remove the limits the central system installed."""

    async def allow_discharge(self, connector_id: int, allowed: bool) -> None:
        """Tell the charger whether the car on a connector may discharge (2.1 only)."""

    async def remote_start(self, connector_id: int, id_tag: str) -> None:
        """Start a transaction on an idle connector."""

    async def remote_stop(self, transaction_id: int) -> None:
        """Stop a running transaction."""

    async def change_availability(self, connector_id: int, available: bool) -> str:
        """Make the charger or a connector (un)available; return Accepted/Scheduled."""

    async def reset(self, hard: bool) -> None:
        """Reboot the charger."""

    async def unlock(self, connector_id: int) -> None:
        """Unlock a connector's cable."""

    async def get_configuration(self, keys: list[str] | None) -> dict[str, Any]:
        """Return the charger's configuration keys and the unknown ones."""

    async def change_configuration(self, key: str, value: str) -> str:
        """Change a key; return Accepted or RebootRequired."""

    async def get_variables(self, variables: Sequence[DeviceVariable]) -> list[dict[str, Any]]:
        """Read device-model variables; 2.x only."""

    async def set_variables(
        self, values: Sequence[tuple[DeviceVariable, str]]
    ) -> list[dict[str, Any]]:
        """Set device-model variables to values; 2.x only."""

    async def composite_schedule(self, connector_id: int, duration: int) -> dict[str, Any]:
        """What the charger will let the connector (0: station) draw for `duration` s."""

    async def charging_profiles(
        self, connector_id: int | None, criteria: ProfileCriteria
    ) -> list[dict[str, Any]]:
        """Installed charging profiles matching `criteria` (connector None: all); 2.x only."""

    async def set_intervals(self, meter: int, heartbeat: int) -> dict[str, ChargerError]:
        """Set the sampling and heartbeat intervals (s) where the charger has not refused them.

        Return what was not applied (the version's setting name) and why; raise nothing.
        """

    async def install_password(self, password: str, profile: int) -> bool:
        """Give the charger its HTTP Basic password (raises on a refusal).

        Return whether it will send it from its next connection on; `profile` is the
        current connection's.
        """

    async def keep_security_profile(self, profile: int) -> None:
        """Have the charger stay at `profile`, reached on this connection.

        A refusal leaves it as it is; raises only when the charger is gone or silent.
        """

    async def trigger(self, message: Trigger, connector_id: int | None) -> str:
        """Ask the charger to send a message now; return its answer."""

    async def data_transfer(
        self, vendor_id: str, message_id: str | None, data: str | None
    ) -> dict[str, Any]:
        """Send a vendor-specific DataTransfer and return the answer."""

    async def run(self) -> None:
        """Serve the connection until it closes."""

    async def close(self) -> None:
        """Close the connection."""


class AdapterType(Protocol):
    """An adapter class: builds adapters and tells its version's limits."""

    text_limits: TextLimits

    def __call__(self, session: ChargerSession, connection: WebSocketConnection) -> ChargerAdapter:
        """Wrap a connection of `session`'s charger."""
