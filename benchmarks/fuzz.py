"""Fuzzing the central system: generated OCPP-J frames against a live server, answers checked.

For one OCPP version, `run_fuzz` starts a `CentralSystem` on 127.0.0.1, connects good simulated
chargers of that version (a transaction running, heartbeats and meter values flowing), and
opens a raw WebSocket as a fuzzing charger. That charger sends `frames` generated frames: first
a part before its BootNotification, then the rest once booted (accepted, so frames reach every
handler). The frames are built from the `ocpp` library's JSON schemas and mutated, seeded
(`random.Random(seed)`: the same seed gives the same frames):

- schema-valid CALLs of every action the version knows (handled, not handled);
- schema violations: a required property left out, a wrong type, an extra property, a value
  outside its enum, a string too long, a number out of range, too few or too many items, a
  payload that is no object;
- huge numbers (beyond 64 bits, beyond a double, beyond what Python parses), deep nesting;
- frames that are no OCPP-J message: truncated, garbage, no array, wrong element counts and
  types, unknown message types, unknown actions, oversized frames, binary frames;
- CALLRESULTs and CALLERRORs nobody asked for (unknown ids, late duplicates), malformed ones;
- 2.1: SEND and CALLRESULTERROR messages.

After each frame a Heartbeat goes out as a barrier: the central system handles a connection's
frames in order, so whatever came back before the barrier's answer is the answer to the frame.
Each answer is checked against what OCPP-J says for the frame (`expect`, derived from the
frame's text alone, not from the generator's intent): a CALLRESULT valid against the action's
response schema, a CALLERROR with the right id and one of the error codes the spec names, or
no answer and a log line. The central system's own calls to the fuzzing charger are answered
(mostly validly, sometimes with a CALLERROR, an invalid payload or not at all).

Counted as crashes: exceptions reaching the event loop's exception handler, ERROR log records
with a traceback (a handler that raised, aiohttp's "Error handling request"), the central
system refusing a new charger afterwards. Counted apart: connections lost, wrong answers,
states Home Assistant's JSON store could not write (every save goes through orjson as HA's
store does), and what went wrong for the good chargers: a failed Heartbeat or MeterValues,
a lost connection, their transaction no longer open, energy not counted as metered.

The central system runs with its defaults except the per-connection flood limit, lifted: the
fuzzing charger sends two frames per fuzzed one as fast as they are answered. Everything shares
one process, so the CPU time is that of the central system, the chargers and the fuzzer
together. `main` prints a markdown table per version and exits 1 unless every run was clean.

    .venv/bin/python -m benchmarks.fuzz --frames 10000 --seed 1
    .venv/bin/python -m benchmarks.fuzz --frames 2000 --seed 7 --ocpp 2.1
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import decimal
import functools
import gc
import json
import logging
import math
from pathlib import Path
import random
import re
import time
from types import MappingProxyType
from typing import Any, Final, Protocol
import uuid

import aiohttp
from jsonschema import Draft4Validator  # type: ignore[import-untyped]
import ocpp
import orjson

from custom_components.smart_charging.central_system.policy import (
    AccessPolicy,
    UnknownChargerPolicy,
)
from custom_components.smart_charging.central_system.security.guard import GuardLimits
from custom_components.smart_charging.central_system.security.settings import SecuritySettings
from custom_components.smart_charging.central_system.server import CentralSystem
from custom_components.smart_charging.central_system.session import ChargerSession, SessionSettings
from custom_components.smart_charging.central_system.v16.charge_point import ChargePoint16
from custom_components.smart_charging.central_system.v21.charge_point import ChargePoint21
from custom_components.smart_charging.central_system.v201.charge_point import ChargePoint201
from simulator.background import LINK_ERRORS
from simulator.charger import SimulatedCharger
from simulator.spec import ChargerSpec
from simulator.v21 import SimulatedStation21
from simulator.v201 import SimulatedStation201

VERSIONS: Final = ("ocpp1.6", "ocpp2.0.1", "ocpp2.1")
CALL, CALL_RESULT, CALL_ERROR, CALL_RESULT_ERROR, SEND = 2, 3, 4, 5, 6
# The charge point id of the fuzzing charger.
FUZZ_ID: Final = "FUZZ-1"
# The central system answers bigger frames with GenericError (central_system/rpc.py).
MAX_FRAME_BYTES: Final = 64 * 1024
# What a charger not accepted yet may send (1.6 §4.2.1, 2.0.1 B02.FR.09).
BEFORE_ACCEPTANCE: Final = frozenset({"BootNotification", "Heartbeat"})
# The share of the frames sent before the fuzzing charger's BootNotification.
PRE_BOOT_SHARE: Final = 0.1
# Seconds to wait for the barrier's answer before the connection counts as dead.
BARRIER_TIMEOUT: Final = 10.0
# The fuzzing charger sends two frames per fuzzed one, as fast as they are answered: the
# flood limit (20 a second by default) would only slow the run down, so it is lifted here.
_UNTHROTTLED: Final = GuardLimits(messages_per_second=1e9, message_burst=10**9)

_SCHEMA_DIRS: Final = {"ocpp1.6": "v16", "ocpp2.0.1": "v201", "ocpp2.1": "v21"}
_CHARGE_POINTS: Final[Mapping[str, type]] = {
    "ocpp1.6": ChargePoint16,
    "ocpp2.0.1": ChargePoint201,
    "ocpp2.1": ChargePoint21,
}
# The 1.6 schemas the library reads with Decimal (`multipleOf: 0.1`).
_DECIMAL_SCHEMAS: Final = {
    ("SetChargingProfile", False),
    ("RemoteStartTransaction", False),
    ("GetCompositeSchedule", True),
}

# --- error codes, as each version spells them ------------------------------------------------


def _codes(version: str, *names: str) -> frozenset[str]:
    """`names` (2.x spelling) as `version` spells them; 1.6 has no 2.x-only framing codes."""
    if version != "ocpp1.6":
        return frozenset(names)
    v16 = {
        "FormatViolation": "FormationViolation",
        "OccurrenceConstraintViolation": "OccurenceConstraintViolation",
    }
    only_2x = {"RpcFrameworkError", "MessageTypeNotSupported"}
    return frozenset(v16.get(name, name) for name in names if name not in only_2x)


def _framing(version: str) -> frozenset[str]:
    """A frame that is no valid RPC message (not JSON, no array, wrong elements)."""
    if version == "ocpp1.6":
        return _codes(version, "FormatViolation", "ProtocolError")
    return _codes(version, "RpcFrameworkError", "FormatViolation", "ProtocolError")


def _unknown_type(version: str) -> frozenset[str]:
    """A message type number the receiver does not know."""
    if version == "ocpp1.6":
        return _codes(version, "PropertyConstraintViolation", "FormatViolation", "ProtocolError")
    return _codes(version, "MessageTypeNotSupported", "RpcFrameworkError")


# What a schema violation is answered with, by the JSON-schema keyword it breaks (OCPP-J §4.2.3:
# "syntactically correct but ..."). The library's own mapping is one of these.
_VIOLATIONS: Final[Mapping[str, tuple[str, ...]]] = {
    "type": ("TypeConstraintViolation", "FormatViolation"),
    "maxLength": ("TypeConstraintViolation", "PropertyConstraintViolation", "FormatViolation"),
    "minLength": ("TypeConstraintViolation", "PropertyConstraintViolation", "FormatViolation"),
    "required": ("ProtocolError", "OccurrenceConstraintViolation", "FormatViolation"),
    "additionalProperties": ("FormatViolation", "ProtocolError"),
    "enum": ("PropertyConstraintViolation", "FormatViolation"),
    "minimum": ("PropertyConstraintViolation", "FormatViolation"),
    "maximum": ("PropertyConstraintViolation", "FormatViolation"),
    "multipleOf": ("PropertyConstraintViolation", "FormatViolation"),
    "minItems": ("OccurrenceConstraintViolation", "FormatViolation", "ProtocolError"),
    "maxItems": ("OccurrenceConstraintViolation", "FormatViolation", "ProtocolError"),
}
# A number the receiver cannot represent: out of its type's range.
_OUT_OF_RANGE: Final = ("TypeConstraintViolation", "PropertyConstraintViolation", "FormatViolation")

# --- the library's schemas --------------------------------------------------------------------


class Schemas:
    """One version's request and response schemas, from the `ocpp` library's files."""

    def __init__(self, version: str) -> None:
        """Read every schema of `version` (`ocpp1.6`, `ocpp2.0.1`, `ocpp2.1`)."""
        self.version = version
        directory = Path(ocpp.__file__).parent / _SCHEMA_DIRS[version] / "schemas"
        self.requests: dict[str, dict[str, Any]] = {}
        self.responses: dict[str, dict[str, Any]] = {}
        self._texts: dict[tuple[str, bool], str] = {}
        for path in sorted(directory.glob("*.json")):
            text = path.read_text(encoding="utf-8-sig")
            name = path.stem
            if name.endswith("Response"):
                key = (name.removesuffix("Response"), True)
                self.responses[key[0]] = json.loads(text)
            elif version == "ocpp1.6" or name.endswith("Request"):
                key = (name.removesuffix("Request"), False)
                self.requests[key[0]] = json.loads(text)
            else:
                continue
            self._texts[key] = text
        self.actions = frozenset(self.requests)
        self._validators: dict[tuple[str, bool], Any] = {}

    def is_decimal(self, action: str, response: bool) -> bool:
        """Whether the library validates this payload with floats read as Decimal."""
        return self.version == "ocpp1.6" and (action, response) in _DECIMAL_SCHEMAS

    def errors(self, action: str, payload: Any, *, response: bool = False) -> list[Any]:
        """Every schema violation of `payload` (Draft 4 without a format checker, as the library)."""
        key = (action, response)
        validator = self._validators.get(key)
        decimals = self.is_decimal(action, response)
        if validator is None:
            parse_float = decimal.Decimal if decimals else float
            schema = _inlined(json.loads(self._texts[key], parse_float=parse_float))
            validator = self._validators[key] = Draft4Validator(schema)
        if decimals:
            payload = json.loads(json.dumps(payload), parse_float=decimal.Decimal)
        return list(validator.iter_errors(payload))


def _inlined(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with its `#/definitions/...` references written out (the same verdicts, faster).

    Draft 4 ignores what stands next to a `$ref`; a schema referring to itself stays as it is.
    """
    definitions = schema.get("definitions") or {}

    def resolved(node: Any, depth: int) -> Any:
        if depth > 32:
            raise RecursionError
        if isinstance(node, dict):
            reference = node.get("$ref")
            if isinstance(reference, str) and reference.startswith("#/definitions/"):
                return resolved(definitions[reference.rsplit("/", 1)[-1]], depth + 1)
            return {k: resolved(v, depth) for k, v in node.items() if k != "definitions"}
        if isinstance(node, list):
            return [resolved(item, depth) for item in node]
        return node

    try:
        inlined: dict[str, Any] = resolved(schema, 0)
    except RecursionError:
        return schema
    return inlined


_SCHEMAS: dict[str, Schemas] = {}


def schemas(version: str) -> Schemas:
    """The schemas of `version`, read once."""
    if version not in _SCHEMAS:
        _SCHEMAS[version] = Schemas(version)
    return _SCHEMAS[version]


@functools.cache
def handled_actions(version: str) -> frozenset[str]:
    """The actions the central system's charge point of `version` has a handler for."""
    charge_point = _CHARGE_POINTS[version]
    actions = set()
    for name in dir(charge_point):
        action = getattr(getattr(charge_point, name), "_on_action", None)
        if action is not None:
            actions.add(str(action.value if hasattr(action, "value") else action))
    return frozenset(actions)


# --- schema-valid values -------------------------------------------------------------------------

# Text a string may hold: mostly plain, sometimes what trips up parsers and logs.
_PLAIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_."
_NASTY = ('"', "\\", "\n", "\t", "\x00", "é", "中", "\u202e", "😀", "%s", "{", "]", " ", "\x7f")
_START = datetime(2025, 3, 1, 12, tzinfo=UTC)
# Timestamps at the edges: the first and last a datetime holds, far offsets, no zone, no day.
_ODD_TIMES = (
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59.999999Z",
    "9999-12-31T23:59:59-14:00",
    "0001-01-01T00:00:00+14:00",
    "2025-03-01T12:00:00",
    "2025-02-30T12:00:00Z",
    "2025-03-01T24:00:00Z",
    "2025-03-01",
    "",
)


class Values:
    """Values satisfying a schema, drawn from `rng`."""

    def __init__(self, rng: random.Random, root: Mapping[str, Any]) -> None:
        """Draw values for sub-schemas of `root` (its `definitions` resolve `$ref`s)."""
        self.rng = rng
        self.root = root

    def resolve(self, schema: Mapping[str, Any]) -> Mapping[str, Any]:
        """`schema`, its `$ref` followed."""
        while "$ref" in schema:
            name = str(schema["$ref"]).rsplit("/", 1)[-1]
            schema = self.root["definitions"][name]
        return schema

    def value(self, schema: Mapping[str, Any], depth: int = 0) -> Any:
        """A value valid against `schema`."""
        schema = self.resolve(schema)
        rng = self.rng
        if "enum" in schema:
            return rng.choice(list(schema["enum"]))
        match schema.get("type"):
            case "object":
                return self.object(schema, depth)
            case "array":
                low = int(schema.get("minItems", 0))
                spare = 2 if depth < 3 else 0
                high = min(int(schema.get("maxItems", low + spare)), low + spare)
                items = schema.get("items", {})
                return [self.value(items, depth + 1) for _ in range(rng.randint(low, high))]
            case "string":
                return self.string(schema)
            case "integer":
                return self.integer(schema)
            case "number":
                return self.number(schema)
            case "boolean":
                return rng.random() < 0.5
            case _:  # any type (2.x DataTransfer.data)
                return self.any_value(depth)

    def object(self, schema: Mapping[str, Any], depth: int) -> dict[str, Any]:
        """An object with its required properties and some optional ones."""
        required = set(schema.get("required", ()))
        chance = (0.6, 0.45, 0.3, 0.2, 0.1)[min(depth, 4)] if depth < 7 else 0.0
        result: dict[str, Any] = {}
        for name, sub in schema.get("properties", {}).items():
            if name in required or self.rng.random() < chance:
                result[name] = self.value(sub, depth + 1)
        return result

    def string(self, schema: Mapping[str, Any]) -> str:
        """A string as long as allowed; a date-time mostly as OCPP writes one."""
        rng = self.rng
        if schema.get("format") == "date-time" and rng.random() < 0.9:
            if rng.random() < 0.05:
                return rng.choice(_ODD_TIMES)
            moment = _START + timedelta(seconds=rng.randint(-(10**7), 10**7))
            text = moment.isoformat()
            return text.replace("+00:00", "Z") if rng.random() < 0.7 else text
        low = int(schema.get("minLength", 0))
        high = min(int(schema.get("maxLength", 40)), 40)
        if rng.random() < 0.05:
            high = int(schema.get("maxLength", 300))  # exactly as long as allowed
            low = high
        return self.text(rng.randint(low, max(low, high)))

    def text(self, length: int) -> str:
        """`length` characters, now and then one that needs escaping."""
        rng = self.rng
        if rng.random() < 0.85:
            return "".join(rng.choice(_PLAIN) for _ in range(length))
        return "".join(
            rng.choice(_NASTY) if rng.random() < 0.3 else rng.choice(_PLAIN) for _ in range(length)
        )

    def integer(self, schema: Mapping[str, Any]) -> int:
        """An integer within the schema's bounds; small ones (ids, connectors) most often."""
        rng = self.rng
        low = schema.get("minimum")
        high = schema.get("maximum")
        if low is not None and schema.get("exclusiveMinimum"):
            low += 1
        if high is not None and schema.get("exclusiveMaximum"):
            high -= 1
        pick = rng.random()
        if pick < 0.6:
            candidate = rng.randint(0, 3)
        elif pick < 0.85:
            candidate = rng.randint(-100, 10_000)
        elif pick < 0.97:
            candidate = rng.randint(-(2**31), 2**31 - 1)
        else:  # 64 bits: wider than OCPP's integers, yet valid JSON and valid by the schema
            candidate = rng.randint(-(2**63), 2**63 - 1)
        lower = int(low) if low is not None else -(2**63)
        upper = int(high) if high is not None else 2**63 - 1
        return min(max(candidate, lower), upper)

    def number(self, schema: Mapping[str, Any]) -> float:
        """A decimal within bounds; a multiple of 0.1 where the schema asks."""
        rng = self.rng
        value = rng.choice((0.0, 1.0, 6.0, 16.0, 230.0, rng.uniform(-1e4, 1e5), rng.random()))
        if "minimum" in schema:
            value = max(value, float(schema["minimum"]))
        if "maximum" in schema:
            value = min(value, float(schema["maximum"]))
        if "multipleOf" in schema:
            value = round(value, 1)
        return value

    def any_value(self, depth: int) -> Any:
        """Some JSON value (free-form data)."""
        rng = self.rng
        pick = rng.random()
        if pick < 0.3 or depth > 5:
            return self.text(rng.randint(0, 20))
        if pick < 0.5:
            return rng.randint(-1000, 1000)
        if pick < 0.6:
            return None
        if pick < 0.8:
            return [self.any_value(depth + 1) for _ in range(rng.randint(0, 3))]
        return {self.text(rng.randint(1, 8)): self.any_value(depth + 1) for _ in range(3)}


# --- frames ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Frame:
    """One generated frame: text (a text frame) or bytes (a binary frame)."""

    kind: str
    data: str | bytes
    # A CALLRESULT/CALLERROR that should carry the id of the last call we answered.
    late: bool = False


# The id a `late` frame carries until the runner puts the last answered call's id in.
LATE_ID: Final = "late-answer-id"


@dataclass(frozen=True, slots=True)
class _Site:
    """Where in a payload a mutation can go: a path, its schema and its value."""

    path: tuple[str | int, ...]
    schema: Mapping[str, Any]
    value: Any


def _sites(values: Values, schema: Mapping[str, Any], value: Any) -> list[_Site]:
    """Every value of a payload with the schema it must satisfy (the payload itself first)."""
    found: list[_Site] = []
    stack: list[tuple[tuple[str | int, ...], Mapping[str, Any], Any]] = [((), schema, value)]
    while stack:
        path, sub, item = stack.pop()
        sub = values.resolve(sub)
        found.append(_Site(path, sub, item))
        if isinstance(item, dict):
            properties = sub.get("properties", {})
            for name, child in item.items():
                if name in properties:
                    stack.append(((*path, name), properties[name], child))
        elif isinstance(item, list) and isinstance(sub.get("items"), dict):
            for index, child in enumerate(item):
                stack.append(((*path, index), sub["items"], child))
    return found


def _fits(kind: str, value: Any) -> bool:
    """Whether `value` is of the JSON-schema type `kind` (draft 4: 1.0 is no integer)."""
    match kind:
        case "string":
            return isinstance(value, str)
        case "integer":
            return isinstance(value, int) and not isinstance(value, bool)
        case "number":
            return isinstance(value, int | float) and not isinstance(value, bool)
        case "boolean":
            return isinstance(value, bool)
        case "array":
            return isinstance(value, list)
        case "object":
            return isinstance(value, dict)
    return False


def _replaced(payload: Any, path: Sequence[str | int], new: Any) -> Any:
    """`payload` with the value at `path` replaced by `new` (a copy along the path)."""
    if not path:
        return new
    head, *rest = path
    if isinstance(payload, dict):
        return {**payload, str(head): _replaced(payload[head], rest, new)}
    copy = list(payload)
    copy[int(head)] = _replaced(copy[int(head)], rest, new)
    return copy


_HUGE_LITERALS: Final = (
    "18446744073709551616",  # 2**64
    "-9223372036854775809",  # below int64
    "340282366920938463463374607431768211456",  # 2**128
    "1" + "0" * 400,  # no double holds it
    "1e400",  # inf as a double
    "-1e400",
    "1.7976931348623157e308",
    "5e-324",
    "1e-400",
    "9" * 4400,  # more digits than Python converts by default
)


class FrameGenerator:
    """Deterministic frames for one version: `random.Random(seed)` decides everything."""

    def __init__(self, version: str, seed: int) -> None:
        """Prepare the schemas and the handled actions of `version`."""
        self.version = version
        self.rng = random.Random(seed)  # noqa: S311 - reproducible frames, not secrets
        self.schemas = schemas(version)
        self.handled = sorted(handled_actions(version) & self.schemas.actions)
        self.unhandled = sorted(self.schemas.actions - set(self.handled))
        others = set().union(*(schemas(other).actions for other in VERSIONS)) - self.schemas.actions
        self.foreign = sorted(others)
        self._count = 0
        kinds: list[tuple[str, float, Callable[[bool], Frame]]] = [
            ("valid", 22, self._valid),
            ("valid-unhandled", 3, self._valid_unhandled),
            ("missing-required", 5, self._mutation("missing-required")),
            ("wrong-type", 5, self._mutation("wrong-type")),
            ("extra-property", 4, self._mutation("extra-property")),
            ("bad-enum", 4, self._mutation("bad-enum")),
            ("too-long", 3, self._mutation("too-long")),
            ("out-of-range", 2, self._mutation("out-of-range")),
            ("item-count", 2, self._mutation("item-count")),
            ("null-value", 2, self._mutation("null-value")),
            ("payload-not-object", 2, self._mutation("payload-not-object")),
            ("huge-number", 5, self._huge_number),
            ("deep-nesting", 1.5, self._deep_nesting),
            ("unknown-action", 3, self._unknown_action),
            ("truncated", 5, self._truncated),
            ("garbage", 4, self._garbage),
            ("almost-json", 2, self._almost_json),
            ("bad-structure", 5, self._bad_structure),
            ("bad-message-type", 3, self._bad_message_type),
            ("odd-message-id", 2, self._odd_message_id),
            ("stray-callresult", 3, self._stray_result),
            ("stray-callerror", 2, self._stray_error),
            ("late-answer", 2, self._late_answer),
            ("malformed-answer", 2, self._malformed_answer),
            ("binary", 4, self._binary),
            ("oversized", 0.3, self._oversized),
        ]
        if version == "ocpp2.1":
            kinds += [("send", 2, self._send), ("callresulterror", 1.5, self._result_error)]
        self._kinds = kinds

    def frames(self, count: int, pre_boot: int = 0) -> list[Frame]:
        """`count` frames; the first `pre_boot` of them carry no valid BootNotification."""
        names = [name for name, _, _ in self._kinds]
        weights = [weight for _, weight, _ in self._kinds]
        makers = {name: maker for name, _, maker in self._kinds}
        result = []
        for index in range(count):
            kind = self.rng.choices(names, weights)[0]
            frame = makers[kind](index < pre_boot)
            result.append(Frame(frame.kind or kind, frame.data, frame.late))
        return result

    # --- building blocks --------------------------------------------------------------------

    def _id(self) -> str:
        self._count += 1
        return f"f{self._count}"

    def _action(self, before_boot: bool) -> str:
        choices = [a for a in self.handled if not (before_boot and a == "BootNotification")]
        return self.rng.choice(choices)

    def payload(self, action: str, *, response: bool = False) -> Any:
        """A schema-valid payload of `action`, small enough for one frame mostly."""
        schema = (self.schemas.responses if response else self.schemas.requests)[action]
        values = Values(self.rng, schema)
        payload = values.value(schema)
        for _ in range(3):
            if len(json.dumps(payload)) < MAX_FRAME_BYTES // 2:
                break
            payload = values.value(schema)
        return payload

    def _call(self, action: str, payload: Any, unique_id: str | None = None) -> str:
        return json.dumps([CALL, unique_id or self._id(), action, payload], ensure_ascii=False)

    def _valid_call(self, before_boot: bool) -> tuple[str, Any]:
        action = self._action(before_boot)
        return action, self.payload(action)

    # --- kinds ------------------------------------------------------------------------------

    def _valid(self, before_boot: bool) -> Frame:
        action, payload = self._valid_call(before_boot)
        return Frame("", self._call(action, payload))

    def _valid_unhandled(self, before_boot: bool) -> Frame:
        action = self.rng.choice(self.unhandled)
        return Frame("", self._call(action, self.payload(action)))

    def _mutation(self, kind: str) -> Callable[[bool], Frame]:
        """A maker of valid calls broken as `kind` says (a payload it does not fit: another)."""
        mutations: dict[str, Callable[[Values, list[_Site], Any], Any]] = {
            "missing-required": self._drop_required,
            "wrong-type": self._wrong_type,
            "extra-property": self._extra_property,
            "bad-enum": self._bad_enum,
            "too-long": self._too_long,
            "out-of-range": self._out_of_range,
            "item-count": self._item_count,
            "null-value": self._null_value,
            "payload-not-object": self._not_object,
        }

        def attempt(before_boot: bool) -> tuple[str, Any, Any]:
            action, payload = self._valid_call(before_boot)
            values = Values(self.rng, self.schemas.requests[action])
            sites = _sites(values, self.schemas.requests[action], payload)
            mutated = mutations[kind](values, sites, payload)
            if mutated is None:  # a type always goes wrong
                return "wrong-type", action, self._wrong_type(values, sites, payload)
            return kind, action, mutated

        def make(before_boot: bool) -> Frame:
            for _ in range(7):  # a payload with a place for this mutation
                made, action, payload = attempt(before_boot)
                if made == kind:
                    return Frame(made, self._call(action, payload))
            made, action, payload = attempt(before_boot)
            return Frame(made, self._call(action, payload))

        return make

    def _drop_required(self, values: Values, sites: list[_Site], payload: Any) -> Any:
        options = [s for s in sites if isinstance(s.value, dict) and s.schema.get("required")]
        if not options:
            return None
        site = self.rng.choice(options)
        name = self.rng.choice(list(site.schema["required"]))
        return _replaced(payload, site.path, {k: v for k, v in site.value.items() if k != name})

    def _wrong_type(self, values: Values, sites: list[_Site], payload: Any) -> Any:
        site = self.rng.choice(sites[1:] or sites)
        others: list[Any] = ["text", 42, 4.2, True, [], {}, None, "42", 0]
        kind = str(site.schema.get("type"))
        wrong = [other for other in others if not _fits(kind, other)]
        return _replaced(payload, site.path, self.rng.choice(wrong))

    def _extra_property(self, values: Values, sites: list[_Site], payload: Any) -> Any:
        options = [
            s
            for s in sites
            if isinstance(s.value, dict) and s.schema.get("additionalProperties") is False
        ]
        if not options:
            return None
        site = self.rng.choice(options)
        extra = self.rng.choice(["fuzz", "Extra", "connector_id", "__proto__", ""])
        if extra in site.schema.get("properties", {}):
            return None
        return _replaced(payload, site.path, {**site.value, extra: values.any_value(3)})

    def _bad_enum(self, values: Values, sites: list[_Site], payload: Any) -> Any:
        options = [s for s in sites if "enum" in s.schema and isinstance(s.value, str)]
        if not options:
            return None
        site = self.rng.choice(options)
        new = self.rng.choice(
            [site.value.lower(), site.value.upper(), site.value + " ", "", "Unknown", "null"]
        )
        if new in site.schema["enum"]:
            return None
        return _replaced(payload, site.path, new)

    def _too_long(self, values: Values, sites: list[_Site], payload: Any) -> Any:
        options = [s for s in sites if "maxLength" in s.schema and isinstance(s.value, str)]
        if not options:
            return None
        site = self.rng.choice(options)
        length = int(site.schema["maxLength"]) + self.rng.choice((1, 2, 100))
        return _replaced(payload, site.path, values.text(length))

    def _out_of_range(self, values: Values, sites: list[_Site], payload: Any) -> Any:
        options = [
            s
            for s in sites
            if ("minimum" in s.schema or "maximum" in s.schema or "multipleOf" in s.schema)
            and isinstance(s.value, int | float)
        ]
        if not options:
            return None
        site = self.rng.choice(options)
        schema = site.schema
        if "minimum" in schema and (self.rng.random() < 0.5 or "maximum" not in schema):
            new: Any = schema["minimum"] - self.rng.choice((1, 0.5, 1000))
        elif "maximum" in schema:
            new = schema["maximum"] + self.rng.choice((1, 0.5, 1000))
        else:
            new = site.value + 0.05
        if schema.get("type") == "integer" and isinstance(new, float):
            new = int(new) - 1 if "minimum" in schema else int(new) + 1
        return _replaced(payload, site.path, new)

    def _item_count(self, values: Values, sites: list[_Site], payload: Any) -> Any:
        options = [
            s
            for s in sites
            if isinstance(s.value, list) and ("minItems" in s.schema or "maxItems" in s.schema)
        ]
        if not options:
            return None
        site = self.rng.choice(options)
        if "maxItems" in site.schema and (
            self.rng.random() < 0.5 or not site.schema.get("minItems")
        ):
            count = int(site.schema["maxItems"]) + 1
            if count > 200:
                return None
            item = values.value(site.schema.get("items", {}), 6)
            return _replaced(payload, site.path, [item] * count)
        if not site.schema.get("minItems"):
            return None
        return _replaced(payload, site.path, [])

    def _null_value(self, values: Values, sites: list[_Site], payload: Any) -> Any:
        options = [s for s in sites[1:] if s.value is not None]
        if not options:
            return None
        return _replaced(payload, self.rng.choice(options).path, None)

    def _not_object(self, values: Values, sites: list[_Site], payload: Any) -> Any:
        return self.rng.choice([[], [payload], "payload", 0, None, True, 1.5])

    def _huge_number(self, before_boot: bool) -> Frame:
        """A number no 64-bit integer or double holds, where the schema wants a number."""
        sites: list[_Site] = []
        action, payload = self._valid_call(before_boot)
        for _ in range(10):
            values = Values(self.rng, self.schemas.requests[action])
            sites = [
                s
                for s in _sites(values, self.schemas.requests[action], payload)
                if s.schema.get("type") in ("integer", "number")
            ]
            if sites:
                break
            action, payload = self._valid_call(before_boot)
        literal = self.rng.choice(_HUGE_LITERALS)
        if not sites:  # a message type or id then
            return Frame("", f'[2,{literal},"{action}",{{}}]')
        marker = "\u0001HUGE\u0001"
        mutated = _replaced(payload, self.rng.choice(sites).path, marker)
        return Frame("", self._call(action, mutated).replace(json.dumps(marker), literal))

    def _deep_nesting(self, before_boot: bool) -> Frame:
        depth = self.rng.choice((50, 200, 999, 1001, 3000, 12_000, 30_000))
        inner = self.rng.choice(("[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth))
        unique_id = self._id()
        where = self.rng.random()
        if where < 0.4 and "DataTransfer" in self.handled:
            data = f'{{"vendorId":"v","data":{inner}}}'
            if self.version == "ocpp1.6":  # data is a string: nest in an extra property
                data = f'{{"vendorId":"v","extra":{inner}}}'
            return Frame("", f'[2,"{unique_id}","DataTransfer",{data}]')
        if where < 0.7:
            return Frame("", f'[2,"{unique_id}","Heartbeat",{inner}]')
        return Frame("", inner)

    def _unknown_action(self, before_boot: bool) -> Frame:
        rng = self.rng
        pick = rng.random()
        if pick < 0.3 and self.foreign:
            action = rng.choice(self.foreign)  # another version's action
        elif pick < 0.6:
            known = rng.choice(self.handled)
            action = rng.choice((known.lower(), known.upper(), known + "Request", " " + known))
        else:
            action = rng.choice(("", "FlyToTheMoon", "__init__", "route_map", "x" * 300, "中"))
        return Frame("", self._call(action, {}))

    def _truncated(self, before_boot: bool) -> Frame:
        text = self._valid(before_boot).data
        assert isinstance(text, str)
        return Frame("", text[: self.rng.randrange(len(text))])

    def _garbage(self, before_boot: bool) -> Frame:
        rng = self.rng
        pick = rng.random()
        if pick < 0.3:
            return Frame("", "".join(chr(rng.randint(32, 126)) for _ in range(rng.randint(0, 80))))
        if pick < 0.5:
            return Frame(
                "", "".join(chr(rng.randint(0x80, 0xD7FF)) for _ in range(rng.randint(1, 40)))
            )
        return Frame(
            "",
            rng.choice(
                ("", " ", "\n", "null", "true", "42", '"text"', "{}", "[]", "[[]]", "[null]", "-0")
            ),
        )

    def _almost_json(self, before_boot: bool) -> Frame:
        unique_id = self._id()
        return Frame(
            "",
            self.rng.choice(
                (
                    f'[2,"{unique_id}","Heartbeat",{{}},]',
                    f"[2,'{unique_id}','Heartbeat',{{}}]",
                    f'[2,"{unique_id}","Heartbeat",{{}}] // comment',
                    f'[02,"{unique_id}","Heartbeat",{{}}]',
                    f'[2,"{unique_id}","Heartbeat",{{a:1}}]',
                    f'[2,"{unique_id}","Heartbeat",NaN]',
                    f'[2,"{unique_id}","Heartbeat",{{"x":Infinity}}]',
                    f'[2,"{unique_id}","Heartbeat",{{}}][2,"x","Heartbeat",{{}}]',
                    f'\ufeff[2,"{unique_id}","Heartbeat",{{}}]',
                    f'[2,"{unique_id}","Heartbeat",{{"a":1,"a":2}}]',
                )
            ),
        )

    def _bad_structure(self, before_boot: bool) -> Frame:
        action, payload = self._valid_call(before_boot)
        unique_id = self._id()
        options: list[list[Any]] = [
            [CALL],
            [CALL, unique_id],
            [CALL, unique_id, action],
            [CALL, unique_id, action, payload, "extra"],
            [CALL, unique_id, payload, action],
            [CALL, action, unique_id, payload],
            [CALL, unique_id, 42, payload],
            [CALL, unique_id, None, payload],
            [CALL, unique_id, [action], payload],
            [CALL, unique_id, {"action": action}, payload],
            [CALL, unique_id, True, payload],
            [[CALL, unique_id, action, payload]],
            [CALL_RESULT],
            [CALL_ERROR, unique_id],
        ]
        if self.version == "ocpp2.1":
            options += [[SEND], [SEND, unique_id, action], [CALL_RESULT_ERROR, unique_id]]
        return Frame("", json.dumps(self.rng.choice(options), ensure_ascii=False))

    def _bad_message_type(self, before_boot: bool) -> Frame:
        action, payload = self._valid_call(before_boot)
        types: tuple[Any, ...] = (0, 1, 7, 9, 10, 20, -2, 2.5, "2", None, True, [], {}, 10**20)
        message_type = self.rng.choice(types)
        if self.version != "ocpp2.1":
            message_type = self.rng.choice((message_type, CALL_RESULT_ERROR, SEND))
        return Frame("", json.dumps([message_type, self._id(), action, payload]))

    def _odd_message_id(self, before_boot: bool) -> Frame:
        action, payload = self._valid_call(before_boot)
        unique_id = self.rng.choice(
            (
                None,
                17,
                -1,
                1.5,
                True,
                ["id"],
                {"id": 1},
                "",
                "-1",
                "x" * 36,
                "y" * 37,
                "z" * 300,
                'quo"te',
                "back\\slash",
                "ünï©ødé",
                " spaced id ",
            )
        )
        return Frame("", json.dumps([CALL, unique_id, action, payload], ensure_ascii=False))

    def _some_answer_payload(self) -> Any:
        action = self.rng.choice(sorted(self.schemas.responses))
        return self.payload(action, response=True)

    def _stray_result(self, before_boot: bool) -> Frame:
        unique_id = self.rng.choice((self._id(), str(uuid.UUID(int=self.rng.getrandbits(128)))))
        return Frame("", json.dumps([CALL_RESULT, unique_id, self._some_answer_payload()]))

    def _stray_error(self, before_boot: bool) -> Frame:
        code = self.rng.choice(("GenericError", "NotImplemented", "InternalError", "Bogus"))
        return Frame("", json.dumps([CALL_ERROR, self._id(), code, "stray", {}]))

    def _late_answer(self, before_boot: bool) -> Frame:
        if self.rng.random() < 0.6:
            payload = self._some_answer_payload()
            return Frame("", json.dumps([CALL_RESULT, LATE_ID, payload]), late=True)
        return Frame("", json.dumps([CALL_ERROR, LATE_ID, "GenericError", "late", {}]), late=True)

    def _malformed_answer(self, before_boot: bool) -> Frame:
        unique_id = self._id()
        options: list[Any] = [
            [CALL_RESULT, unique_id],
            [CALL_RESULT, unique_id, {}, "extra"],
            [CALL_RESULT, 17, {}],
            [CALL_RESULT, None, {}],
            [CALL_RESULT, ["x"], {}],
            [CALL_RESULT, unique_id, "not an object"],
            [CALL_ERROR, unique_id, "GenericError"],
            [CALL_ERROR, unique_id, "GenericError", "d", {}, "extra"],
            [CALL_ERROR, {"x": 1}, "GenericError", "d", {}],
            [CALL_ERROR, unique_id, 42, None, []],
        ]
        return Frame("", json.dumps(self.rng.choice(options)))

    def _binary(self, before_boot: bool) -> Frame:
        rng = self.rng
        pick = rng.random()
        if pick < 0.4:
            text = self._valid(before_boot).data
            assert isinstance(text, str)
            return Frame("", text.encode())
        if pick < 0.6:
            return Frame("", b'[2,"' + self._id().encode() + b'","Heartbeat",{}]')
        if pick < 0.8:
            return Frame("", bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 64))))
        return Frame("", b'[2,"' + self._id().encode() + b'","Heartbeat",{"\xff\xfe":1}]')

    def _oversized(self, before_boot: bool) -> Frame:
        size = self.rng.choice((MAX_FRAME_BYTES - 40, MAX_FRAME_BYTES + 1, 200_000, 900_000))
        unique_id = self._id()
        head = f'[2,"{unique_id}","DataTransfer",{{"vendorId":"v","data":"'
        return Frame("", head + "x" * max(0, size - len(head) - 4) + '"}]')

    def _send(self, before_boot: bool) -> Frame:
        action = self.rng.choice(sorted(self.schemas.actions))
        if self.rng.random() < 0.7:
            return Frame("", json.dumps([SEND, self._id(), action, self.payload(action)]))
        return Frame(
            "",
            json.dumps(
                self.rng.choice([[SEND, self._id()], [SEND, 1, action, {}], [SEND, "s", 2, []]])
            ),
        )

    def _result_error(self, before_boot: bool) -> Frame:
        return Frame("", json.dumps([CALL_RESULT_ERROR, self._id(), "FormatViolation", "no", {}]))


def generate_frames(version: str, count: int, seed: int, pre_boot: int = 0) -> list[Frame]:
    """`count` frames for `version`, the same for the same seed."""
    return FrameGenerator(version, seed).frames(count, pre_boot)


# --- what the spec says ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Expectation:
    """The answers OCPP-J allows for one frame."""

    reason: str
    # A CALLRESULT with this id, valid against `result_action`'s response schema.
    result_id: str | None = None
    result_action: str | None = None
    # A CALLERROR with one of these ids and one of these codes.
    error_ids: frozenset[str] = frozenset()
    error_codes: frozenset[str] = frozenset()
    # No answer at all; with `log`, only if the central system logged a line about it.
    ignore: bool = False
    log: bool = False

    def __or__(self, other: Expectation) -> Expectation:
        """Either expectation."""
        return Expectation(
            reason=f"{self.reason} | {other.reason}",
            result_id=self.result_id if self.result_id is not None else other.result_id,
            result_action=self.result_action or other.result_action,
            error_ids=self.error_ids | other.error_ids,
            error_codes=self.error_codes | other.error_codes,
            ignore=self.ignore or other.ignore,
            log=(self.log if self.ignore else True) and (other.log if other.ignore else True),
        )


# The id of a CALL (or an unknown message type) as far as it can be read from its text.
_READABLE_ID = re.compile(r'^\s*\[\s*-?\d+(?:\.\d+)?\s*,\s*("(?:[^"\\]|\\.)*")')
UNREADABLE: Final = "-1"


def readable_id(text: str) -> str:
    """The message id a broken frame's text still shows, else "-1"."""
    match = _READABLE_ID.match(text[:400])
    if match is None:
        return UNREADABLE
    try:
        value = json.loads(match.group(1))
    except ValueError:
        return UNREADABLE
    return value if isinstance(value, str) and value else UNREADABLE


def _error(reason: str, ids: set[str], codes: frozenset[str]) -> Expectation:
    return Expectation(reason, error_ids=frozenset(ids), error_codes=codes)


class _NonStandardError(ValueError):
    """NaN or Infinity: not JSON, though Python reads them."""


def _reject_constant(name: str) -> Any:
    raise _NonStandardError(name)


def expect(version: str, data: str | bytes, *, accepted: bool) -> Expectation:
    """What OCPP-J allows as the answer to `data` from a charger (`accepted` or not yet)."""
    if isinstance(data, bytes):
        text = data.decode("utf-8", errors="replace")
        ids = {UNREADABLE, readable_id(text)}
        binary = Expectation("binary frame: OCPP-J is text", ignore=True, log=True)
        codes = _framing(version) | _codes(version, "FormatViolation")
        if len(data) > MAX_FRAME_BYTES:
            codes |= {"GenericError"}
        return binary | _error("binary frame answered as malformed", ids, codes)
    ids = {UNREADABLE, readable_id(data)}
    if len(data.encode()) > MAX_FRAME_BYTES:
        return _error("oversized frame", ids, _framing(version) | {"GenericError"})
    try:
        message = json.loads(data, parse_constant=_reject_constant)
    except _NonStandardError:
        framing = _error("NaN/Infinity are not JSON", ids, _framing(version))
        return framing | _expect_message(version, json.loads(data), accepted)
    except RecursionError:
        return _error("nested too deeply to read", ids, _framing(version))
    except json.JSONDecodeError:
        return _error("not JSON", ids, _framing(version))
    except ValueError:  # valid JSON, but an integer of more digits than Python converts
        return _error("unreadable number", ids, _framing(version) | _codes(version, *_OUT_OF_RANGE))
    try:
        expectation = _expect_message(version, message, accepted)
    except RecursionError:
        expectation = _error("nested too deeply to check", ids, _framing(version))
    if _depth(message) > _DEEP:
        deep = _framing(version) | _codes(version, "FormatViolation")
        expectation |= _error("nested too deeply", ids, deep)
    return expectation


def _expect_message(version: str, message: Any, accepted: bool) -> Expectation:
    if not isinstance(message, list) or not message:
        return _error("no RPC array", {UNREADABLE}, _framing(version))
    message_type = message[0]
    ids = {UNREADABLE}
    if len(message) > 1 and isinstance(message[1], str) and message[1]:
        ids.add(message[1])
    if isinstance(message_type, bool) or not isinstance(message_type, int | float):
        return _error("message type is no number", ids, _unknown_type(version) | _framing(version))
    if isinstance(message_type, float):
        unknown = _error("message type is no integer", ids, _unknown_type(version))
        if not message_type.is_integer():
            return unknown
        return unknown | _expect_message(version, [int(message_type), *message[1:]], accepted)
    if message_type == CALL:
        return _expect_call(version, message, ids, accepted)
    if message_type in (CALL_RESULT, CALL_ERROR):
        return _expect_answer(version, message)
    if version == "ocpp2.1" and message_type in (CALL_RESULT_ERROR, SEND):
        return _expect_unanswered(version, message)
    return _error(f"message type {message_type}", ids, _unknown_type(version))


def _expect_unanswered(version: str, message: list[Any]) -> Expectation:
    """OCPP-J 2.1: a CALLRESULTERROR or a SEND is never answered."""
    match message:
        case [6, str(), str(), dict()]:
            return Expectation("SEND is never answered", ignore=True)
    kind = "CALLRESULTERROR" if message[0] == CALL_RESULT_ERROR else "malformed SEND"
    quiet = Expectation(f"{kind}: not answered", ignore=True, log=True)
    return quiet | _error("malformed", {UNREADABLE}, _framing(version) | _unknown_type(version))


def _expect_call(version: str, message: list[Any], ids: set[str], accepted: bool) -> Expectation:
    if len(message) != 4:
        return _error("a CALL has 4 elements", ids, _framing(version))
    _, unique_id, action, payload = message
    if not isinstance(unique_id, str):
        return _error("message id is no string", {UNREADABLE}, _framing(version))
    if not isinstance(action, str):
        return _error("action is no string", ids, _framing(version))
    spec = schemas(version)
    answer_id = {unique_id}
    if action not in spec.actions:
        result = _error("unknown action", answer_id, _codes(version, "NotImplemented"))
    elif action not in handled_actions(version):
        result = _error("action not supported", answer_id, _codes(version, "NotSupported"))
    elif not accepted and action not in BEFORE_ACCEPTANCE:
        result = _error("not accepted yet", answer_id, _codes(version, "SecurityError"))
    else:
        violations = spec.errors(action, payload)
        if violations:
            codes: set[str] = set()
            for violation in violations:
                codes.update(_VIOLATIONS.get(str(violation.validator), ("FormatViolation",)))
            result = _error("schema violation", answer_id, _codes(version, *codes))
        else:
            result = Expectation("valid call", result_id=unique_id, result_action=action)
    if action in spec.actions and action in handled_actions(version) and _out_of_range(payload):
        # OCPP 2.x integers have 32 bits, decimals are finite: refused, or taken as they are.
        result |= _error("a number out of range", answer_id, _codes(version, *_OUT_OF_RANGE))
    if _depth(payload) > _DEEP:
        # Beyond what a receiver need parse or check: refused as malformed, or handled.
        result |= _error(
            "nested too deeply", ids, _framing(version) | _codes(version, "FormatViolation")
        )
    if not unique_id or len(unique_id) > 36:
        # OCPP-J: at most 36 characters; a receiver may refuse the id or not look at it.
        result |= _error("message id of a wrong length", ids, _framing(version))
    return result


# Nesting deeper than this is a receiver's limit to refuse (OCPP payloads nest some 8 deep).
_DEEP: Final = 100


def _depth(payload: Any) -> int:
    """How deep `payload` nests (0: a scalar)."""
    deepest = 0
    stack = [(payload, 0)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if isinstance(item, dict):
            stack.extend((child, level + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, level + 1) for child in item)
    return deepest


def _out_of_range(payload: Any) -> bool:
    """Whether a number in `payload` fits no 64-bit integer or finite double."""
    stack = [payload]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, bool):
            continue
        elif (isinstance(item, int) and not -(2**63) <= item < 2**64) or (
            isinstance(item, float) and not math.isfinite(item)
        ):
            return True
    return False


def _expect_answer(version: str, message: list[Any]) -> Expectation:
    """A CALLRESULT/CALLERROR: none of ours is open (the runner answers the server's calls)."""
    well_formed = isinstance(message[1], str) if len(message) > 1 else False
    if message[0] == CALL_RESULT:
        well_formed = well_formed and len(message) == 3
    else:
        well_formed = well_formed and len(message) == 5
    quiet = Expectation("answer to no open call", ignore=True, log=True)
    if well_formed:
        return quiet
    return quiet | _error("malformed answer", {UNREADABLE}, _framing(version))


# --- checking an answer --------------------------------------------------------------------------


def verdict(
    version: str, expectation: Expectation, answers: list[Any], logged: bool
) -> tuple[str, str | None]:
    """The outcome of a frame ("CALLRESULT", "CALLERROR <code>", "ignored") and what was wrong."""
    if not answers:
        if not expectation.ignore:
            return "ignored", f"no answer; expected: {expectation.reason}"
        if expectation.log and not logged:
            return "ignored", f"ignored without a log line ({expectation.reason})"
        return "ignored", None
    first = answers[0]
    if len(answers) > 1:
        return _outcome(first), f"{len(answers)} answers: {_short(answers)}"
    if isinstance(first, list) and first and first[0] == CALL_RESULT:
        return "CALLRESULT", _wrong_result(version, expectation, first)
    if isinstance(first, list) and first and first[0] == CALL_ERROR:
        return _outcome(first), _wrong_error(expectation, first)
    return "garbage", f"answer is no CALLRESULT or CALLERROR: {_short(first)}"


def _wrong_result(version: str, expectation: Expectation, answer: list[Any]) -> str | None:
    """What is wrong with a CALLRESULT, if anything."""
    if expectation.result_id is None or expectation.result_action is None:
        return f"CALLRESULT, expected: {expectation.reason}"
    if len(answer) != 3 or answer[1] != expectation.result_id:
        return f"CALLRESULT with a wrong id or shape: {_short(answer)}"
    errors = schemas(version).errors(expectation.result_action, answer[2], response=True)
    if errors:
        return f"invalid {expectation.result_action} result: {errors[0].message}"
    return None


def _wrong_error(expectation: Expectation, answer: list[Any]) -> str | None:
    """What is wrong with a CALLERROR, if anything."""
    shaped = (
        len(answer) == 5
        and isinstance(answer[2], str)
        and isinstance(answer[3], str)
        and isinstance(answer[4], dict)
    )
    if not shaped:
        return f"malformed CALLERROR: {_short(answer)}"
    if answer[1] not in expectation.error_ids or answer[2] not in expectation.error_codes:
        allowed = ", ".join(sorted(expectation.error_codes)) or "no CALLERROR"
        ids = ", ".join(sorted(expectation.error_ids)) or "-"
        return (
            f"CALLERROR {answer[2]} id {answer[1]!r}; expected ({expectation.reason}): "
            f"{allowed} with id {ids}"
        )
    return None


def _outcome(answer: Any) -> str:
    if isinstance(answer, list) and answer and answer[0] == CALL_ERROR and len(answer) > 2:
        return f"CALLERROR {answer[2]}"
    if isinstance(answer, list) and answer and answer[0] == CALL_RESULT:
        return "CALLRESULT"
    return "garbage"


def _short(value: Any, limit: int = 160) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[:limit] + "…"


# --- the result -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FuzzResult:
    """What one fuzz run did to the central system."""

    version: str
    seed: int
    frames: int
    call_results: int
    call_errors: Mapping[str, int]
    ignored: int
    wrong_answers: int
    fuzz_connections_lost: int
    good_connections_lost: int
    good_messages: int
    good_failures: int
    crashes: int
    unsaveable: int
    seconds: float
    # CPU time of the process (central system, chargers and fuzzer share it): what a busy
    # machine does not stretch.
    cpu_seconds: float
    kinds: Mapping[str, Mapping[str, int]]
    problems: tuple[str, ...]

    @property
    def clean(self) -> bool:
        """No crash, no wrong answer, nothing lost, the good chargers unharmed."""
        return not (
            self.crashes
            or self.wrong_answers
            or self.fuzz_connections_lost
            or self.good_connections_lost
            or self.good_failures
            or self.unsaveable
        )


# --- watching the central system -----------------------------------------------------------------


class _Watch(logging.Handler):
    """Log records and event-loop exceptions of one run: crashes and lines about the fuzzer."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.crashes: list[str] = []
        self.fuzz_lines = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR and (
            record.exc_info is not None or record.name in ("asyncio", "aiohttp.server")
        ):
            error = record.exc_info[1] if record.exc_info else None
            self.crashes.append(f"{record.name}: {record.getMessage()[:200]} {error!r}"[:400])
        if record.levelno >= logging.WARNING and FUZZ_ID in record.getMessage():
            self.fuzz_lines += 1

    def loop_exception(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        error = context.get("exception")
        self.crashes.append(f"event loop: {context.get('message')} {error!r}"[:400])


class _Listener:
    """Counts the times a watched charger's session lost its connection."""

    def __init__(self) -> None:
        self.watched: set[str] = set()
        self.lost: Counter[str] = Counter()
        self._connected: dict[str, bool] = {}

    def charger_updated(self, session: ChargerSession) -> None:
        was = self._connected.get(session.charger_id, False)
        self._connected[session.charger_id] = session.connected
        if was and not session.connected and session.charger_id in self.watched:
            self.lost[session.charger_id] += 1

    def charger_approved(self, session: ChargerSession) -> None:
        """Nothing to do."""

    def admission_requested(self, session: ChargerSession) -> None:
        """Nothing to do."""

    def password_needed(self, charger_id: str, password: str) -> None:
        """Nothing to do."""

    def authentication_failed(self, charger_id: str, in_a_row: int) -> None:
        """Nothing to do."""

    def authentication_recovered(self, charger_id: str) -> None:
        """Nothing to do."""


class _Persistence:
    """Keeps saves in memory, written as Home Assistant's JSON store writes them (orjson)."""

    def __init__(self) -> None:
        self.failures: list[str] = []

    def _write(self, data: dict[str, Any]) -> None:
        try:
            orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)
        except TypeError as error:  # orjson.JSONEncodeError
            self.failures.append(f"state not writable: {error} at {_wide_integer(data)}")

    async def load(self) -> dict[str, Any] | None:
        return None

    async def save_now(self, data: dict[str, Any]) -> None:
        self._write(data)

    def save_later(self, data_fn: Callable[[], dict[str, Any]]) -> None:
        # HA writes a debounced snapshot; one per call here is stricter.
        self._write(data_fn())


def _wide_integer(data: Any, path: str = "") -> str | None:
    """Where in `data` an integer beyond 64 bits is."""
    if isinstance(data, dict):
        items: Iterator[tuple[Any, Any]] = iter(data.items())
    elif isinstance(data, list):
        items = enumerate(data)
    else:
        wide = isinstance(data, int) and not -(2**63) <= data < 2**64
        return f"{path} = {str(data)[:30]}" if wide else None
    for key, value in items:
        found = _wide_integer(value, f"{path}/{key}")
        if found is not None:
            return found
    return None


# --- the good chargers ---------------------------------------------------------------------------


class _Simulated(Protocol):
    @property
    def connected(self) -> bool: ...

    async def close(self) -> None: ...

    async def send_meter_values(self, connector: int, /) -> None: ...

    def advance(self, seconds: float) -> None: ...

    def energy_wh(self, connector: int, /) -> float: ...


@dataclass
class _GoodCharger:
    """A simulated charger that must not notice the fuzzing next to it."""

    charger_id: str
    simulated: _Simulated
    heartbeat: Callable[[], Any]
    session: ChargerSession | None = None
    adapter: object = None
    meter_start: float = 0.0
    messages: int = 0
    failures: list[str] = field(default_factory=list)

    async def beat(self, round_: int) -> None:
        """A Heartbeat; every few rounds time passes and meter values go out."""
        try:
            await self.heartbeat()
            self.messages += 1
            if round_ % 4 == 0:
                self.simulated.advance(60)
                await self.simulated.send_meter_values(1)
                self.messages += 1
        except (*LINK_ERRORS, RuntimeError) as error:
            self.failures.append(f"{self.charger_id}: {error!r}")

    def check(self, server: CentralSystem) -> list[str]:
        """What went wrong for this charger, seen from both ends."""
        problems = list(self.failures)
        session = server.sessions.get(self.charger_id)
        if not self.simulated.connected:
            problems.append(f"{self.charger_id}: disconnected")
        if session is None or session.adapter is not self.adapter:
            problems.append(f"{self.charger_id}: not on the connection it started with")
        if session is None:
            return problems
        connector = session.state.connector(1)
        energy = self.simulated.energy_wh(1)
        if connector.energy is None or abs(connector.energy - energy) > 1.0:
            problems.append(f"{self.charger_id}: energy {connector.energy} Wh, charger {energy}")
        transaction_id = connector.transaction_id
        transaction = None if transaction_id is None else server.ledger.get(transaction_id)
        if transaction is None or transaction.stopped_at is not None:
            problems.append(f"{self.charger_id}: its transaction is no longer open")
        elif transaction.charger_id != self.charger_id:
            problems.append(f"{self.charger_id}: transaction {transaction_id} is another's")
        expected = energy - self.meter_start
        if connector.session_energy is None or abs(connector.session_energy - expected) > 1.0:
            problems.append(
                f"{self.charger_id}: session energy {connector.session_energy} Wh, "
                f"expected {expected:.1f}"
            )
        if expected < 100:
            problems.append(f"{self.charger_id}: only {expected:.1f} Wh metered")
        return problems


async def _until(condition: Callable[[], bool], within: float = 10.0) -> None:
    """Poll `condition` until it holds (TimeoutError after `within` seconds)."""
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110 - a state of the central system, no event
            await asyncio.sleep(0.01)


async def _good_charger(version: str, server: CentralSystem, charger_id: str) -> _GoodCharger:
    """Connect, boot, get set up and start charging (closed again if any of it fails)."""
    url = f"ws://127.0.0.1:{server.port}"
    good: _GoodCharger
    if version == "ocpp1.6":
        charger = SimulatedCharger(
            ChargerSpec(charger_id, reconnect=False, response_timeout=5.0), url
        )
        good = _GoodCharger(charger_id, charger, charger.send_heartbeat)
    else:
        kind = SimulatedStation201 if version == "ocpp2.0.1" else SimulatedStation21
        station = kind(charger_id, url, response_timeout=5.0)
        good = _GoodCharger(charger_id, station, station.send_heartbeat)
    try:
        await _start(good, server)
    except BaseException:
        await good.simulated.close()
        raise
    return good


async def _start(good: _GoodCharger, server: CentralSystem) -> None:
    simulated = good.simulated
    if not isinstance(simulated, SimulatedCharger | SimulatedStation201):
        raise TypeError(f"no simulated charger: {simulated!r}")
    if await simulated.connect() != "Accepted":
        raise RuntimeError(f"{good.charger_id} not accepted")
    if isinstance(simulated, SimulatedCharger):
        await simulated.wait_accepted()
    session = server.sessions[good.charger_id]
    await _until(lambda: session.state.configured)
    good.session, good.adapter = session, session.adapter
    good.meter_start = simulated.energy_wh(1)
    await simulated.start_transaction(1)
    await _until(lambda: session.state.connector(1).transaction_id is not None)


async def _keep_busy(chargers: Sequence[_GoodCharger], stop: asyncio.Event) -> None:
    """The good chargers' traffic while the fuzzing runs."""
    round_ = 0
    while not stop.is_set():
        round_ += 1
        await asyncio.gather(*(charger.beat(round_) for charger in chargers))
        try:
            await asyncio.wait_for(stop.wait(), 0.05)
        except TimeoutError:
            continue


# --- the fuzzing charger ---------------------------------------------------------------------


_CLOSED: Final = object()


class _FuzzClient:
    """A raw WebSocket charger: sends anything, answers the central system's own calls."""

    def __init__(
        self, http: aiohttp.ClientSession, url: str, version: str, answers: random.Random
    ) -> None:
        self._http = http
        self._url = url
        self._version = version
        self._answers = answers
        self._generator = FrameGenerator(version, answers.randrange(2**32))
        self._websocket: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self.inbox: asyncio.Queue[Any] = asyncio.Queue()
        self.answered_calls: list[str] = []
        self.server_calls = 0

    async def open(self) -> None:
        self._websocket = await self._http.ws_connect(
            f"{self._url}/{FUZZ_ID}", protocols=(self._version,), max_msg_size=0
        )
        self.inbox = asyncio.Queue()
        self._reader = asyncio.create_task(self._read(self._websocket, self.inbox))

    async def close(self) -> None:
        if self._websocket is not None:
            await self._websocket.close()
        if self._reader is not None:
            await self._reader

    async def send(self, data: str | bytes) -> None:
        """Send a text or binary frame (ConnectionError once the link is gone)."""
        websocket = self._websocket
        if websocket is None or websocket.closed:
            raise ConnectionResetError("not connected")
        async with self._lock:
            if isinstance(data, bytes):
                await websocket.send_bytes(data)
            else:
                await websocket.send_str(data)

    async def _read(
        self, websocket: aiohttp.ClientWebSocketResponse, inbox: asyncio.Queue[Any]
    ) -> None:
        while True:
            message = await websocket.receive()
            if message.type is aiohttp.WSMsgType.TEXT:
                try:
                    frame = json.loads(message.data)
                except ValueError:
                    frame = f"not JSON from the central system: {message.data!r}"
                if isinstance(frame, list) and len(frame) == 4 and frame[0] == CALL:
                    self.server_calls += 1
                    await self._answer_call(frame)
                else:
                    inbox.put_nowait(frame)
            elif message.type is aiohttp.WSMsgType.BINARY:
                inbox.put_nowait(f"binary frame from the central system: {message.data!r}")
            else:
                inbox.put_nowait(_CLOSED)
                return

    async def _answer_call(self, frame: list[Any]) -> None:
        """Answer a call of the central system: mostly validly, sometimes not."""
        _, unique_id, action, payload = frame
        rng = self._answers
        pick = rng.random()
        if pick < 0.03:
            return  # never answered: the central system's call times out
        if pick < 0.08:
            answer: list[Any] = [CALL_ERROR, unique_id, "GenericError", "fuzz", {}]
        else:
            answer_payload = self._answer_payload(action, payload)
            if pick < 0.13 and isinstance(answer_payload, dict):
                answer_payload = {**answer_payload, "fuzz": 1}
            answer = [CALL_RESULT, unique_id, answer_payload]
        self.answered_calls.append(unique_id)
        try:
            await self.send(json.dumps(answer))
        except ConnectionError:
            return

    def _answer_payload(self, action: str, payload: Any) -> Any:
        """A valid answer; configuration reads echo the keys asked for, with odd values."""
        rng = self._answers
        odd = (
            "0",
            "1",
            "-1",
            "",
            "Current,Power",
            "A",
            "W",
            "NaN",
            "1e400",
            "99999999999999999999999",
            "2147483647",
            "-2147483649",
            "3.5",
            "true",
            "Energy.Active.Import.Register",
        )
        if action == "GetConfiguration" and isinstance(payload, dict):
            keys = payload.get("key") or ["HeartbeatInterval"]
            return {
                "configurationKey": [
                    {"key": key, "readonly": rng.random() < 0.5, "value": rng.choice(odd)}
                    for key in keys
                ]
            }
        if action == "GetVariables" and isinstance(payload, dict):
            return {
                "getVariableResult": [
                    {
                        "attributeStatus": "Accepted",
                        "attributeValue": rng.choice(odd),
                        "component": item.get("component", {}),
                        "variable": item.get("variable", {}),
                    }
                    for item in payload.get("getVariableData", [])
                ]
            }
        if action in self._generator.schemas.responses:
            return self._generator.payload(action, response=True)
        return {}


# --- the run ---------------------------------------------------------------------------------------


@dataclass
class _Tally:
    """Counts of one run, as it goes."""

    outcomes: Counter[str] = field(default_factory=Counter)
    kinds: dict[str, Counter[str]] = field(default_factory=dict)
    wrong: int = 0
    lost: int = 0
    problems: list[str] = field(default_factory=list)

    def note(self, kind: str, outcome: str, problem: str | None) -> None:
        self.outcomes[outcome] += 1
        counts = self.kinds.setdefault(kind, Counter())
        counts[outcome] += 1
        if problem is not None:
            self.wrong += 1
            counts["wrong"] += 1
            self.problem(f"{kind}: {problem}")

    def problem(self, text: str) -> None:
        if len(self.problems) < 30:
            self.problems.append(text)


_BOOTS: Final[Mapping[str, Any]] = {
    "ocpp1.6": {"chargePointVendor": "Fuzz", "chargePointModel": "F"},
    "ocpp2.0.1": {"chargingStation": {"vendorName": "Fuzz", "model": "F"}, "reason": "PowerUp"},
    "ocpp2.1": {"chargingStation": {"vendorName": "Fuzz", "model": "F"}, "reason": "PowerUp"},
}


async def _exchange(
    client: _FuzzClient, data: str | bytes, barrier_id: str
) -> tuple[list[Any], str | None]:
    """Send `data` and a Heartbeat barrier; return what came back before its answer.

    The central system handles a connection's frames in order: whatever comes back before
    the barrier's answer answers `data`. Also returned: how the connection failed, if it did.
    """
    answers: list[Any] = []
    try:
        await client.send(data)
        await client.send(json.dumps([CALL, barrier_id, "Heartbeat", {}]))
        async with asyncio.timeout(BARRIER_TIMEOUT):
            while True:
                frame = await client.inbox.get()
                if frame is _CLOSED:
                    return answers, "connection closed"
                if isinstance(frame, list) and len(frame) > 1 and frame[1] == barrier_id:
                    return answers, None
                answers.append(frame)
    except TimeoutError:
        return answers, f"no answer within {BARRIER_TIMEOUT:.0f} s"
    except (ConnectionError, aiohttp.ClientError) as error:
        return answers, f"connection failed: {error!r}"


async def _boot(client: _FuzzClient, version: str) -> bool:
    boot = json.dumps([CALL, "boot", "BootNotification", _BOOTS[version]])
    answers, failure = await _exchange(client, boot, "boot-barrier")
    return failure is None and _boot_accepted(boot, answers)


async def run_fuzz(
    version: str,
    frames: int,
    seed: int,
    *,
    good_chargers: int = 1,
    pre_boot_share: float = PRE_BOOT_SHARE,
) -> FuzzResult:
    """Send `frames` generated frames of `version` at a fresh central system; check everything.

    `good_chargers` simulated chargers of the same version charge next to the fuzzing one;
    the first `pre_boot_share` of the frames go out before the fuzzing charger boots.
    """
    if version not in VERSIONS:
        raise ValueError(f"unknown version {version!r}; one of {', '.join(VERSIONS)}")
    started, cpu_started = time.perf_counter(), time.process_time()
    pre_boot = int(frames * pre_boot_share)
    plan = generate_frames(version, frames, seed, pre_boot)
    run = _Run(version, seed)
    loop = asyncio.get_running_loop()
    previous_handler = loop.get_exception_handler()
    loop.set_exception_handler(run.watch.loop_exception)
    logging.getLogger().addHandler(run.watch)
    # The library and the simulator log every frame at INFO (and DEBUG): not read here, and
    # formatting thousands of them (some of 64 KiB) would slow the run down.
    chatty = {name: logging.getLogger(name).level for name in _CHATTY_LOGGERS}
    for name in chatty:
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        await run.execute(plan, pre_boot, good_chargers)
    finally:
        gc.collect()  # "Task exception was never retrieved" is reported when a task is freed
        await asyncio.sleep(0)
        loop.set_exception_handler(previous_handler)
        logging.getLogger().removeHandler(run.watch)
        for name, level in chatty.items():
            logging.getLogger(name).setLevel(level)
    seconds = time.perf_counter() - started
    return run.result(len(plan), seconds, time.process_time() - cpu_started)


_CHATTY_LOGGERS: Final = ("ocpp", "simulator", "aiohttp.access", "aiohttp.websocket")


class _Run:
    """One fuzz run: the central system, the good chargers, the fuzzing charger, the tally."""

    def __init__(self, version: str, seed: int) -> None:
        self.version = version
        self.seed = seed
        self.watch = _Watch()
        self.listener = _Listener()
        self.persistence = _Persistence()
        self.tally = _Tally()
        self.server = CentralSystem(
            host="127.0.0.1",
            port=0,
            policy=AccessPolicy(unknown_chargers=UnknownChargerPolicy.ACCEPT_ALL),
            settings=SessionSettings(response_timeout=2.0, meter_interval=10),
            listener=self.listener,
            persistence=self.persistence,
            security=SecuritySettings(limits=_UNTHROTTLED),
        )
        self.goods: list[_GoodCharger] = []
        self.good_problems: list[str] = []
        self.not_accepting: list[str] = []
        self.good_lost = 0

    async def execute(self, plan: Sequence[Frame], pre_boot: int, good_chargers: int) -> None:
        """Start everything, fuzz, check the good chargers, stop everything."""
        stop = asyncio.Event()
        busy: asyncio.Task[None] | None = None
        try:
            await self.server.start()
            for number in range(good_chargers):
                charger_id = f"GOOD-{number + 1}"
                self.listener.watched.add(charger_id)
                self.goods.append(await _good_charger(self.version, self.server, charger_id))
            busy = asyncio.create_task(_keep_busy(self.goods, stop))
            async with aiohttp.ClientSession() as http:
                rng = random.Random(self.seed + 1)  # noqa: S311 - reproducible, not secret
                client = _FuzzClient(http, f"ws://127.0.0.1:{self.server.port}", self.version, rng)
                await client.open()
                await self._fuzz(client, plan, pre_boot)
                await client.close()
            stop.set()
            await busy
            for good in self.goods:
                await good.beat(0)  # a last Heartbeat and MeterValues, then compare
                self.good_problems += good.check(self.server)
            self.not_accepting = await _still_accepting(self.version, self.server)
            self.good_lost = sum(self.listener.lost.values())  # before the good ones close
        finally:
            stop.set()
            if busy is not None and not busy.done():
                busy.cancel()
            for good in self.goods:
                await good.simulated.close()
            await self.server.stop()

    async def _fuzz(self, client: _FuzzClient, plan: Sequence[Frame], pre_boot: int) -> None:
        """Send each frame with its barrier; judge what came back."""
        version, watch, tally = self.version, self.watch, self.tally
        accepted = False
        for index, frame in enumerate(plan):
            if index == pre_boot and not accepted:
                accepted = await _boot(client, version)
                if not accepted:
                    tally.problem("the fuzzing charger's boot was not accepted")
            data = frame.data
            if frame.late and isinstance(data, str) and client.answered_calls:
                data = data.replace(json.dumps(LATE_ID), json.dumps(client.answered_calls[-1]))
            expectation = expect(version, data, accepted=accepted)
            lines = watch.fuzz_lines
            answers, failure = await _exchange(client, data, f"~sync-{index}")
            if failure is None:
                outcome, problem = verdict(version, expectation, answers, watch.fuzz_lines > lines)
                tally.note(frame.kind, outcome, problem)
                accepted = accepted or _boot_accepted(data, answers)
                continue
            tally.note(frame.kind, "lost", None)
            tally.lost += 1
            tally.problem(f"{frame.kind}: {failure} after {_short(data)}")
            await client.close()
            await client.open()
            accepted = await _boot(client, version) or accepted

    def result(self, frames: int, seconds: float, cpu_seconds: float) -> FuzzResult:
        """What the run found."""
        tally = self.tally
        errors = {
            outcome.removeprefix("CALLERROR "): count
            for outcome, count in tally.outcomes.items()
            if outcome.startswith("CALLERROR ")
        }
        problems = [
            *self.not_accepting,
            *self.good_problems,
            *(f"crash: {crash}" for crash in self.watch.crashes[:10]),
            *self.persistence.failures[:5],
            *tally.problems,
        ]
        return FuzzResult(
            version=self.version,
            seed=self.seed,
            frames=frames,
            call_results=tally.outcomes["CALLRESULT"],
            call_errors=MappingProxyType(dict(sorted(errors.items()))),
            ignored=tally.outcomes["ignored"],
            wrong_answers=tally.wrong,
            fuzz_connections_lost=tally.lost,
            good_connections_lost=self.good_lost,
            good_messages=sum(good.messages for good in self.goods),
            good_failures=len(self.good_problems),
            crashes=len(self.watch.crashes) + len(self.not_accepting),
            unsaveable=len(self.persistence.failures),
            seconds=seconds,
            cpu_seconds=cpu_seconds,
            kinds=MappingProxyType(
                {kind: MappingProxyType(dict(c)) for kind, c in sorted(tally.kinds.items())}
            ),
            problems=tuple(problems),
        )


def _boot_accepted(data: str | bytes, answers: list[Any]) -> bool:
    """Whether `data` was a BootNotification the central system accepted."""
    if not isinstance(data, str) or '"BootNotification"' not in data:
        return False
    return any(
        isinstance(answer, list)
        and len(answer) == 3
        and answer[0] == CALL_RESULT
        and isinstance(answer[2], dict)
        and answer[2].get("status") == "Accepted"
        for answer in answers
    )


async def _still_accepting(version: str, server: CentralSystem) -> list[str]:
    """A new charger still connects, boots and is answered after the fuzzing."""
    url = f"ws://127.0.0.1:{server.port}"
    probe: SimulatedCharger | SimulatedStation201
    if version == "ocpp1.6":
        probe = SimulatedCharger(ChargerSpec("AFTER-1", reconnect=False, response_timeout=5.0), url)
    else:
        kind = SimulatedStation201 if version == "ocpp2.0.1" else SimulatedStation21
        probe = kind("AFTER-1", url, response_timeout=5.0)
    try:
        status = await probe.connect()
        await probe.send_heartbeat()
    except (*LINK_ERRORS, RuntimeError) as error:
        return [f"not accepting a new charger: {error!r}"]
    finally:
        await probe.close()
    return [] if status == "Accepted" else [f"not accepting a new charger: boot {status}"]


# --- the report --------------------------------------------------------------------------------


def _number(value: int) -> str:
    return f"{value:,}"


def summary_table(results: Sequence[FuzzResult]) -> str:
    """One row per run."""
    lines = [
        "| OCPP | frames | CALLRESULT | CALLERROR | ignored | wrong answers | connections lost "
        "(fuzzing / good) | good chargers' messages | crashes | unsaveable states | time "
        "| CPU time | frames per CPU second |",
        "|:---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines.extend(
        f"| {result.version.removeprefix('ocpp')} | {_number(result.frames)} "
        f"| {_number(result.call_results)} | {_number(sum(result.call_errors.values()))} "
        f"| {_number(result.ignored)} | {result.wrong_answers} "
        f"| {result.fuzz_connections_lost} / {result.good_connections_lost} "
        f"| {_number(result.good_messages)} | {result.crashes} | {result.unsaveable} "
        f"| {result.seconds:.1f} s | {result.cpu_seconds:.1f} s "
        f"| {result.frames / max(result.cpu_seconds, 1e-9):,.0f} |"
        for result in results
    )
    return "\n".join(lines)


def version_table(result: FuzzResult) -> str:
    """Frames by kind and by answer, for one run."""
    codes = sorted(result.call_errors)
    lines = [
        f"OCPP {result.version.removeprefix('ocpp')}, seed {result.seed}: CALLERRORs by code: "
        + ", ".join(f"{code} {_number(result.call_errors[code])}" for code in codes),
        "",
        "| frame kind | frames | CALLRESULT | CALLERROR | ignored | wrong | lost |",
        "|:---|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, counts in result.kinds.items():
        total = sum(count for outcome, count in counts.items() if outcome != "wrong")
        errors = sum(count for outcome, count in counts.items() if outcome.startswith("CALLERROR"))
        lines.append(
            f"| {kind} | {_number(total)} | {_number(counts.get('CALLRESULT', 0))} "
            f"| {_number(errors)} | {_number(counts.get('ignored', 0))} "
            f"| {counts.get('wrong', 0)} | {counts.get('lost', 0)} |"
        )
    return "\n".join(lines)


def report(results: Sequence[FuzzResult]) -> str:
    """The markdown the benchmark prints."""
    parts = [summary_table(results)]
    for result in results:
        parts.append(version_table(result))
        if result.problems:
            parts.append("Problems:\n" + "\n".join(f"- {p}" for p in result.problems))
    return "\n\n".join(parts)


def _iter_versions(names: Sequence[str]) -> Iterator[str]:
    for name in names:
        yield name if name.startswith("ocpp") else f"ocpp{name}"


async def _main(frames: int, seed: int, versions: Sequence[str]) -> list[FuzzResult]:
    return [await run_fuzz(version, frames, seed) for version in versions]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the fuzz for every version; print markdown; exit 1 unless every run was clean."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--frames", type=int, default=10_000, help="frames per version")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--ocpp", nargs="+", default=list(VERSIONS), help="versions (1.6 2.0.1 2.1)"
    )
    args = parser.parse_args(argv)
    # No log output: the central system's warnings about bad frames are expected by the
    # thousand; `run_fuzz` reads the records itself.
    logging.getLogger().addHandler(logging.NullHandler())
    versions = list(_iter_versions(args.ocpp))
    results = asyncio.run(_main(args.frames, args.seed, versions))
    print(f"Fuzz: {args.frames:,} frames per version, seed {args.seed}\n")
    print(report(results))
    return 0 if all(result.clean for result in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
