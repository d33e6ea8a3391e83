"""Read the import price forecast (price mode) from the attributes of a Home Assistant entity.

Price integrations publish their forecast as a list attribute; the layout is recognised by
the attribute's name:

- `raw_today` + `raw_tomorrow` (Nord Pool custom integration): {start, end, value}
- `today` + `tomorrow` (Tibber-like): {startsAt, total}
- `data` (EPEX Spot): {start_time, end_time, price_eur_per_mwh | price_ct_per_kwh | ...}
- `forecast` or `prices` (generic): a list of mappings

An entry's start is one of start/start_time/startsAt/from, its end one of
end/end_time/till/to, its price one of price/value/total/price_per_kwh/price_ct_per_kwh/
price_eur_per_mwh. Times are datetimes or ISO text; naive ones are local time. Without an
end, an entry lasts until the next entry starts (the last one as long as the one before it,
a lone one an hour).

Units do not matter: the engine only compares prices to find the cheapest slots, so
EUR/kWh, ct/kWh or EUR/MWh all do, as long as one entity keeps to one unit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
import logging
import math
from typing import Any, NamedTuple

from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant, State
from homeassistant.util import dt as dt_util

_LOGGER = logging.getLogger(__name__)

# Attribute names of each layout, the first one identifies it; checked in this order
# (Nord Pool also has a `today` attribute, of bare prices).
LAYOUTS: tuple[tuple[str, ...], ...] = (
    ("raw_today", "raw_tomorrow"),
    ("today", "tomorrow"),
    ("data",),
    ("forecast",),
    ("prices",),
)
START_KEYS = ("start", "start_time", "startsAt", "from")
END_KEYS = ("end", "end_time", "till", "to")
PRICE_KEYS = (
    "price",
    "value",
    "total",
    "price_per_kwh",
    "price_ct_per_kwh",
    "price_eur_per_mwh",
)
# How long a lone entry without an end lasts.
DEFAULT_SLOT = timedelta(hours=1)


class PriceInterval(NamedTuple):
    """One interval of the forecast: start and end (UTC) and the price (any unit)."""

    start: datetime
    end: datetime
    price: float


@dataclass(frozen=True, slots=True)
class ParsedForecast:
    """What an entity's state holds: the intervals, sorted by start."""

    intervals: tuple[PriceInterval, ...]
    layout: str | None  # the attribute that identified the layout; None: none known
    skipped: int = 0  # malformed entries left out


def parse_price_state(state: State | None) -> ParsedForecast:
    """Parse the forecast in an entity's attributes; nothing when unavailable or unknown."""
    if state is None or state.state == STATE_UNAVAILABLE:
        return ParsedForecast((), None)
    attributes = state.attributes
    for names in LAYOUTS:
        if isinstance(attributes.get(names[0]), list | tuple):
            entries = [entry for name in names for entry in _entries(attributes.get(name))]
            intervals, skipped = parse_entries(entries)
            return ParsedForecast(intervals, names[0], skipped)
    return ParsedForecast((), None)


def parse_entries(entries: Sequence[Any]) -> tuple[tuple[PriceInterval, ...], int]:
    """The intervals of a list of entries, sorted by start, and how many were malformed."""
    parsed = sorted(
        (item for entry in entries if (item := _parse_entry(entry)) is not None),
        key=lambda item: item[0],
    )
    skipped = len(entries) - len(parsed)
    intervals: list[PriceInterval] = []
    for index, (start, given_end, price) in enumerate(parsed):
        end = given_end or _implied_end(parsed, index)
        if end <= start:
            skipped += 1
            continue
        intervals.append(PriceInterval(start, end, price))
    return tuple(intervals), skipped


def _implied_end(parsed: list[tuple[datetime, datetime | None, float]], index: int) -> datetime:
    """The next entry's start; for the last, its start + the spacing before it; else 1 h."""
    start = parsed[index][0]
    if index + 1 < len(parsed):
        return parsed[index + 1][0]
    if index > 0:
        return start + (start - parsed[index - 1][0])
    return start + DEFAULT_SLOT


def _parse_entry(entry: Any) -> tuple[datetime, datetime | None, float] | None:
    if not isinstance(entry, Mapping):
        return None
    start = _to_utc(_first(entry, START_KEYS))
    price = _to_price(_first(entry, PRICE_KEYS))
    if start is None or price is None:
        return None
    end_value = _first(entry, END_KEYS)
    end = _to_utc(end_value)
    if end_value is not None and end is None:
        return None
    return start, end, price


def _first(entry: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    """The value of the first key the entry has (and that is not None)."""
    for key in keys:
        if (value := entry.get(key)) is not None:
            return value
    return None


def _to_utc(value: Any) -> datetime | None:
    """A datetime or ISO text as UTC; naive times are local time."""
    if isinstance(value, str):
        try:
            value = dt_util.parse_datetime(value)
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return dt_util.as_utc(value)


def _to_price(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        price = float(value)
    except ValueError:
        return None
    return price if math.isfinite(price) else None


def _entries(value: Any) -> list[Any]:
    """The entries of a list attribute; none when it is missing (no forecast for tomorrow yet)."""
    return list(value) if isinstance(value, list | tuple) else []


class PriceForecast:
    """The forecast of the configured price entity, parsed once per state change."""

    def __init__(self, hass: HomeAssistant, entity_id: str) -> None:
        """Read from `entity_id`."""
        self._hass = hass
        self.entity_id = entity_id
        self._parsed = ParsedForecast((), None)
        self._updated: datetime | None = None
        self._warned = False

    def read(self) -> tuple[PriceInterval, ...]:
        """The intervals the entity holds now, sorted by start (empty when none)."""
        state = self._hass.states.get(self.entity_id)
        updated = None if state is None else state.last_updated
        if updated is None or updated != self._updated:
            self._updated = updated
            self._parsed = parse_price_state(state)
            self._log(state)
        return self._parsed.intervals

    def _log(self, state: State | None) -> None:
        parsed = self._parsed
        if parsed.layout is not None and not parsed.skipped:
            return
        if state is None or (
            parsed.layout is None and state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN)
        ):
            _LOGGER.debug("%s: no price forecast now", self.entity_id)
            return
        problem = (
            "has no price forecast attribute (raw_today, today, data, forecast or prices)"
            if parsed.layout is None
            else f"has {parsed.skipped} malformed price forecast entries, left out"
        )
        # Once at warning: the same problem comes back with every update of the entity.
        level = logging.DEBUG if self._warned else logging.WARNING
        self._warned = True
        _LOGGER.log(level, "%s %s", self.entity_id, problem)
