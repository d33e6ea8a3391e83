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
    """Real time plus whatever tests skipped ahead with `advance`."""

    def __init__(self) -> None:
        """Start on real time."""
        self.offset = 0.0

    def now(self) -> datetime:
        """Wall clock, UTC."""
        return utcnow() + timedelta(seconds=self.offset)

    def monotonic(self) -> float:
        """Monotonic seconds, for measuring durations."""
        return time.monotonic() + self.offset

    def advance(self, seconds: float) -> None:
        """Skip `seconds` ahead."""
        self.offset += seconds
