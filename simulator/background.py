"""Helpers for the charger's background exchanges with the central system."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
import contextlib
import logging

import aiohttp

from .connection import ConnectionClosedError
from .ocpp16 import OCPPError

_LOGGER = logging.getLogger(__package__)

# What an exchange with the central system may fail with.
LINK_ERRORS = (OCPPError, TimeoutError, ConnectionClosedError, aiohttp.ClientError, OSError)


@contextlib.contextmanager
def logged(owner: object, what: str) -> Iterator[None]:
    """Log, rather than raise, the failure of a background exchange."""
    try:
        yield
    except LINK_ERRORS as err:
        _LOGGER.warning("%s: %s failed: %r", owner, what, err)


async def cancel(tasks: set[asyncio.Task[None]]) -> None:
    """Cancel `tasks` (except the calling one) and wait until they are done."""
    current = asyncio.current_task()
    doomed = [task for task in tasks if task is not current]
    for task in doomed:
        task.cancel()
    await asyncio.gather(*doomed, return_exceptions=True)
