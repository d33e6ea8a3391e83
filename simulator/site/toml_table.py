"""A TOML table being read: typed getters that name the key, and a check for unknown keys."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import cast

from .timeline import parse_clock


class ScenarioError(ValueError):
    """A scenario file that is not valid; the message names the key."""


class Table:
    """A TOML table being read: typed getters that name the key, and a check for unknown keys."""

    def __init__(self, data: object, path: str) -> None:
        """Read `data` (a dict) found at `path` ("" for the file itself)."""
        if not isinstance(data, dict):
            raise ScenarioError(f"{path}: expected a table, got {data!r}")
        self.data = cast("dict[str, object]", data)
        self.path = path
        self._used: set[str] = set()

    def key(self, key: str) -> str:
        """The full name of `key` for messages."""
        return f"{self.path}.{key}" if self.path else key

    def has(self, key: str) -> bool:
        """Whether the table has `key`."""
        return key in self.data

    def raw(self, key: str) -> object:
        """The value of `key` (None if absent), marked as read."""
        self._used.add(key)
        return self.data.get(key)

    def number(
        self,
        key: str,
        default: float | None = None,
        *,
        low: float | None = None,
        high: float | None = None,
        positive: bool = False,
    ) -> float:
        """A number within [low, high] (or > 0), `default` if absent (required if None)."""
        value = self.raw(key)
        if value is None:
            if default is None:
                raise ScenarioError(f"{self.key(key)}: required")
            return default
        return check_number(self.key(key), value, low=low, high=high, positive=positive)

    def optional_number(
        self, key: str, *, low: float | None = None, positive: bool = False
    ) -> float | None:
        """A number, or None if absent."""
        if self.has(key):
            return self.number(key, low=low, positive=positive)
        return None

    def integer(
        self, key: str, default: int | None = None, *, choices: tuple[int, ...] = ()
    ) -> int:
        """An integer (one of `choices` if given)."""
        value = self.raw(key)
        if value is None:
            if default is None:
                raise ScenarioError(f"{self.key(key)}: required")
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise ScenarioError(f"{self.key(key)}: expected an integer, got {value!r}")
        if choices and value not in choices:
            raise ScenarioError(f"{self.key(key)}: expected one of {choices}, got {value}")
        return value

    def string(self, key: str, default: str | None = None, *, choices: tuple[str, ...] = ()) -> str:
        """A string (one of `choices` if given)."""
        value = self.raw(key)
        if value is None:
            if default is None:
                raise ScenarioError(f"{self.key(key)}: required")
            return default
        if not isinstance(value, str):
            raise ScenarioError(f"{self.key(key)}: expected a string, got {value!r}")
        if choices and value not in choices:
            raise ScenarioError(
                f"{self.key(key)}: expected one of {', '.join(choices)}, got {value!r}"
            )
        return value

    def boolean(self, key: str, default: bool) -> bool:
        """A boolean."""
        value = self.raw(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise ScenarioError(f"{self.key(key)}: expected true or false, got {value!r}")
        return value

    def clock(self, key: str, default: str | None = None) -> float:
        """Seconds after midnight of an "HH:MM" string."""
        text = self.string(key, default)
        try:
            return parse_clock(text)
        except ValueError as err:
            raise ScenarioError(f"{self.key(key)}: {err}") from None

    def day(self, key: str) -> date:
        """A TOML date (2025-05-17)."""
        value = self.raw(key)
        if type(value) is not date:
            raise ScenarioError(f"{self.key(key)}: expected a date like 2025-05-17, got {value!r}")
        return value

    def numbers(self, key: str, default: float | None = None) -> float | list[float]:
        """A number or a list of numbers."""
        value = self.raw(key)
        if value is None and default is not None:
            return default
        if isinstance(value, list):
            return [check_number(f"{self.key(key)}[{i}]", v) for i, v in enumerate(value)]
        return self.number(key, default)

    def table(self, key: str) -> Table | None:
        """A sub-table, or None if absent."""
        value = self.raw(key)
        return None if value is None else Table(value, self.key(key))

    def tables(self, key: str) -> list[Table]:
        """An array of tables (a single table counts as one)."""
        value = self.raw(key)
        if value is None:
            return []
        if isinstance(value, dict):
            return [Table(value, self.key(key))]
        if not isinstance(value, list):
            raise ScenarioError(f"{self.key(key)}: expected a table or an array of tables")
        return [Table(v, f"{self.key(key)}[{i}]") for i, v in enumerate(value)]

    def weights(
        self, key: str, allowed: Mapping[str, object] | tuple[str, ...]
    ) -> list[tuple[str, float]]:
        """A {name = weight} table whose names are in `allowed`."""
        table = self.table(key)
        if table is None:
            raise ScenarioError(f"{self.key(key)}: required")
        out = []
        for name in table.data:
            if name not in allowed:
                raise ScenarioError(
                    f"{table.key(name)}: unknown; expected one of {', '.join(allowed)}"
                )
            out.append((name, table.number(name, low=0.0)))
        if not out or sum(w for _, w in out) <= 0:
            raise ScenarioError(f"{self.key(key)}: needs a positive weight")
        return out

    def finish(self) -> None:
        """Fail on keys nobody read (typos)."""
        unknown = sorted(set(self.data) - self._used)
        if unknown:
            raise ScenarioError(f"{self.key(unknown[0])}: unknown key")


def check_number(
    name: str,
    value: object,
    *,
    low: float | None = None,
    high: float | None = None,
    positive: bool = False,
) -> float:
    """`value` as a number within [low, high] (or > 0); the message names `name`."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScenarioError(f"{name}: expected a number, got {value!r}")
    number = float(value)
    if positive and not number > 0:
        raise ScenarioError(f"{name}: must be positive, got {number:g}")
    if low is not None and number < low:
        raise ScenarioError(f"{name}: must be >= {low:g}, got {number:g}")
    if high is not None and number > high:
        raise ScenarioError(f"{name}: must be <= {high:g}, got {number:g}")
    return number
