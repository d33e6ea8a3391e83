"""Time: UTC timestamps as OCPP 1.6 writes and reads them, and the charger's clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import time


def utcnow() -> datetime:
    """Return the current time, timezone-aware UTC."""
    return datetime.now(UTC)


def to_iso(moment: datetime) -> str:
    """Format `moment` as an RFC 3339 UTC string with milliseconds and a `Z`."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> datetime:
    """Parse an RFC 3339 timestamp; a naive one is taken as UTC."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


class SimClock:
    """Real time plus whatever tests skipped ahead with `advance`, or purely virtual time.

    With a fixed `start` the clock never reads real time: `now()` is `start` plus
    the seconds advanced and `monotonic()` those seconds, so a run is deterministic
    however long it takes. Several chargers may share one clock.
    """

    def __init__(self, start: datetime | None = None) -> None:
        """Start on real time, or on virtual time at `start` (timezone-aware)."""
        if start is not None and start.tzinfo is None:
            raise ValueError("the start of a clock needs a timezone")
        self.offset = 0.0
        self.start = None if start is None else start.astimezone(UTC)

    def now(self) -> datetime:
        """Wall clock, UTC."""
        base = utcnow() if self.start is None else self.start
        return base + timedelta(seconds=self.offset)

    def monotonic(self) -> float:
        """Monotonic seconds, for measuring durations."""
        return self.offset if self.start is not None else time.monotonic() + self.offset

    def advance(self, seconds: float) -> None:
        """Skip `seconds` ahead."""
        if seconds < 0:
            raise ValueError("a clock does not run backwards")
        self.offset += seconds
