"""Lenient parsing of OCPP timestamps ("Z", "+00:00", microseconds, or none)."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_timestamp(value: object) -> datetime | None:
    """Parse an ISO 8601 timestamp to an aware datetime; None when missing or invalid."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def utc_now() -> datetime:
    """Return the current time, aware, in UTC."""
    return datetime.now(UTC)


def format_timestamp(value: datetime) -> str:
    """Format a datetime the way OCPP expects (UTC, "Z")."""
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
