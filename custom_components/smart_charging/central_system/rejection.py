"""How a rejected charger is turned away: BootNotification Rejected, then close."""

from __future__ import annotations

import asyncio
import json
import logging

from ocpp.messages import MessageType

from .connection import ConnectionClosedError, WebSocketConnection
from .timestamps import format_timestamp, utc_now

_LOGGER = logging.getLogger(__name__)

# How long a rejected charger may take to send its first frame.
FIRST_FRAME_TIMEOUT = 30.0


async def refuse(charger_id: str, connection: WebSocketConnection, retry_interval: int) -> None:
    """Answer the first BootNotification with Rejected and close; log one line."""
    _LOGGER.warning("%s: rejected by the unknown-charger policy", charger_id)
    try:
        async with asyncio.timeout(FIRST_FRAME_TIMEOUT):
            frame = await connection.recv()
        message = json.loads(frame)
        if (
            isinstance(message, list)
            and message[:1] == [MessageType.Call]
            and message[2:3] == ["BootNotification"]
        ):
            payload = {
                "status": "Rejected",
                "currentTime": format_timestamp(utc_now()),
                "interval": retry_interval,
            }
            await connection.send(json.dumps([MessageType.CallResult, message[1], payload]))
    except (TimeoutError, ConnectionClosedError, ValueError):
        pass
    await connection.close()
