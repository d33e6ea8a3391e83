"""What our charge points of every version share: bound to a session, guarded until accepted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ocpp.exceptions import SecurityError
from ocpp.messages import Call

from .rpc import SafeRouting
from .session import ChargerSession
from .validation import InlineValidation

# What a charger not (yet) accepted may send (1.6 §4.2.1, 2.0.1 B02.FR.09): the same names.
BEFORE_ACCEPTANCE = frozenset({"BootNotification", "Heartbeat"})


class SessionRouting(SafeRouting, InlineValidation):
    """Mixin before an `ocpp` ChargePoint class: our session, bad frames, validation, the guard."""

    def __init__(self, session: ChargerSession, connection: Any, response_timeout: float) -> None:
        """Bind the library's charge point to our session."""
        super().__init__(  # type: ignore[call-arg]
            session.charger_id, connection, response_timeout=response_timeout
        )
        self.validate_inline()
        self.session = session
        # Set by the adapter: runs after each message of the charger was answered.
        self.on_answered: Callable[[], None] = lambda: None

    async def _handle_call(self, msg: Call) -> Any:
        # Until accepted, a charger may only boot. Raised here rather than in the handler,
        # which the library would log with a traceback.
        guarded = msg.action in self.route_map and msg.action not in BEFORE_ACCEPTANCE
        if guarded and not self.session.accepted:
            raise SecurityError(details={"cause": "charge point not accepted"})
        response = await super()._handle_call(msg)
        # Only now, after the answer went out: a call sent earlier could overtake it.
        self.on_answered()
        return response
