"""Limits that keep a flood of connections or failed logins from hurting Home Assistant.

Failed attempts are counted per source address (too many in a window: refused for a
while) and per charge point id (logged once a minute; the owner is told after several in
a row, for a repair).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

# A failure per charge point id is logged at most once in this many seconds.
LOG_EVERY = 60.0
# Beyond this many ids or addresses tracked, the stale ones are dropped (memory under a flood).
_TRACKED = 10_000


@dataclass(slots=True, kw_only=True)
class GuardLimits:
    """The limits; the defaults fit a depot of hundreds of chargers."""

    max_connections: int = 1000  # open WebSockets at once
    max_pending: int = 50  # unapproved ids waiting in the discovery list
    failures_per_address: int = 10  # failed attempts from one address within the window
    failure_window: float = 60.0  # s
    blocked_for: float = 300.0  # s an address that failed too often is refused
    repair_after: int = 5  # failed attempts in a row of one id before the owner is told
    messages_per_second: float = 20.0  # per connection, sustained
    message_burst: int = 200  # per connection, at once


@dataclass(frozen=True, slots=True)
class Failure:
    """What one failed attempt means: log it?, and the id's failures in a row."""

    log: bool
    in_a_row: int


@dataclass(slots=True)
class ConnectionGuard:
    """Failed attempts by address and by id (times on a monotonic clock, s)."""

    limits: GuardLimits = field(default_factory=GuardLimits)
    _by_address: dict[str, deque[float]] = field(default_factory=dict)
    _blocked_until: dict[str, float] = field(default_factory=dict)
    _logged_at: dict[str, float] = field(default_factory=dict)
    _in_a_row: dict[str, int] = field(default_factory=dict)

    def blocked(self, address: str, now: float) -> bool:
        """The address failed too often lately: refuse it without looking further."""
        until = self._blocked_until.get(address)
        if until is None:
            return False
        if now < until:
            return True
        del self._blocked_until[address]
        return False

    def failed(self, address: str, charger_id: str, now: float) -> Failure:
        """Count a failed attempt; block the address when it failed too often."""
        window = self.limits.failure_window
        times = self._by_address.setdefault(address, deque())
        times.append(now)
        while times and times[0] <= now - window:
            times.popleft()
        if len(times) >= self.limits.failures_per_address:
            self._blocked_until[address] = now + self.limits.blocked_for
            del self._by_address[address]
        count = self._in_a_row[charger_id] = self._in_a_row.get(charger_id, 0) + 1
        last = self._logged_at.get(charger_id)
        log = last is None or now - last >= LOG_EVERY
        if log:
            self._logged_at[charger_id] = now
        self._forget_stale(now)
        return Failure(log=log, in_a_row=count)

    def succeeded(self, charger_id: str) -> bool:
        """A good attempt: the id's count starts over; return whether it had failures."""
        self._logged_at.pop(charger_id, None)
        return self._in_a_row.pop(charger_id, 0) > 0

    def _forget_stale(self, now: float) -> None:
        if len(self._logged_at) > _TRACKED:
            self._logged_at = {k: t for k, t in self._logged_at.items() if now - t < LOG_EVERY}
        if len(self._by_address) > _TRACKED:
            cutoff = now - self.limits.failure_window
            self._by_address = {a: t for a, t in self._by_address.items() if t and t[-1] > cutoff}
        if len(self._in_a_row) > _TRACKED:
            self._in_a_row.clear()
