"""The wall clock under a test's control, the event loop's monotonic clock left alone.

`wall_clock()` runs freezegun with `tick` (the clock keeps running from where it is put) and
keeps the event loop's clock real, so timers, timeouts and real websockets work as they do
outside tests. `move_to` and `tick` then move what Home Assistant and the central system read
as the time of day: `dt_util.utcnow()`, `dt_util.now()`, `time.time()` (state timestamps),
`datetime.now()` (OCPP timestamps). The simulated chargers keep the real time (chargers are
other machines), unless `chargers_too`. Code that called `time.monotonic()` directly would
see the jump too; nothing in the integration does (the balancer's engine clock is bound when
it is created, its timers are the event loop's).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import cast
from unittest.mock import patch

from freezegun import api as freezegun_api, freeze_time
from freezegun.api import TickingDateTimeFactory


@contextmanager
def wall_clock(
    start: datetime | None = None, *, chargers_too: bool = False
) -> Iterator[TickingDateTimeFactory]:
    """Let the test move the wall clock (from `start`, default now); it runs on meanwhile.

    `chargers_too`: the simulated chargers' clocks (wall and monotonic) move with it, for
    tests in which time passes for everyone; by default they keep the real time, for tests
    in which HA's clock jumps and the chargers' do not.
    """
    with freeze_time(
        start or datetime.now(UTC), tick=True, ignore=[] if chargers_too else ["simulator"]
    ) as frozen:
        # The loop's clock (`loop.time()` reads `time.monotonic`) stays real. Not with
        # freezegun's `real_asyncio`: it patches the class of a new loop, which need not be
        # the class of the running one. (Read from freezegun's module: freezegun replaces
        # the real function wherever else a module holds it.)
        loop = asyncio.get_running_loop()
        with patch.object(loop, "time", freezegun_api.real_monotonic):
            yield cast(TickingDateTimeFactory, frozen)
