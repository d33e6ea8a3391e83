"""The fast schema check says what jsonschema says, for every OCPP schema the library holds.

The check may only skip jsonschema for a payload jsonschema would pass (as the `ocpp` library
builds its Draft4Validator: no format checker), so each verdict here is compared with the
library's own validator, not with a hand-written expectation alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
import json
import math
from typing import Any

from hypothesis import HealthCheck, event, given, settings, strategies as st
from jsonschema import Draft4Validator  # type: ignore[import-untyped]
from ocpp.exceptions import (
    FormatViolationError,
    OCPPError,
    ProtocolError,
    TypeConstraintViolationError,
)
import ocpp.messages
from ocpp.messages import Call, CallResult
import pytest

from custom_components.smart_charging.central_system import validation
from custom_components.smart_charging.central_system.rpc import preload_validators
from custom_components.smart_charging.central_system.schema_check import (
    Check,
    NotCompilable,
    compile_schema,
)

VERSIONS = ("1.6", "2.0.1")


def _library_validators() -> dict[str, Draft4Validator]:
    """Every 1.6 and 2.0.1 validator, as the central system has the library hold them."""
    preload_validators()
    return {
        name: validator
        for name, validator in ocpp.messages._validators.items()
        if name.endswith(tuple(f"_{version}" for version in VERSIONS))
    }


VALIDATORS = _library_validators()
SCHEMAS: dict[str, Mapping[str, Any]] = {
    name: validator.schema for name, validator in VALIDATORS.items()
}


def _compiled() -> dict[str, Check]:
    checks = {}
    for name, schema in SCHEMAS.items():
        try:
            checks[name] = compile_schema(schema)
        except NotCompilable:
            continue
    return checks


CHECKS = _compiled()
COMPILED = sorted(CHECKS)

# 1.6 schemas the library reads with Decimal: limits are `multipleOf: 0.1`.
DECIMAL_SCHEMAS = {
    "GetCompositeScheduleResponse_1.6",
    "RemoteStartTransaction_1.6",
    "SetChargingProfile_1.6",
}
# 1.6 security-extension schemas: `preload_validators` writes `$ref`s out for 2.0.1 only.
REFERENCING_SCHEMAS = {
    "CertificateSignedResponse_1.6",
    "DeleteCertificateResponse_1.6",
    "DeleteCertificate_1.6",
    "ExtendedTriggerMessageResponse_1.6",
    "ExtendedTriggerMessage_1.6",
    "GetInstalledCertificateIdsResponse_1.6",
    "GetInstalledCertificateIds_1.6",
    "GetLogResponse_1.6",
    "GetLog_1.6",
    "InstallCertificateResponse_1.6",
    "InstallCertificate_1.6",
    "LogStatusNotification_1.6",
    "SignCertificateResponse_1.6",
    "SignedFirmwareStatusNotification_1.6",
    "SignedUpdateFirmwareResponse_1.6",
    "SignedUpdateFirmware_1.6",
}


def _keywords(node: Any) -> Iterator[str]:
    """Every key of every mapping in `node`, property names included."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield key
            yield from _keywords(value)
    elif isinstance(node, list):
        for item in node:
            yield from _keywords(item)


def _verdict(schema: Mapping[str, Any], value: Any) -> bool:
    """The fast check's verdict on `value`, once asserted to be jsonschema's as well."""
    fast = compile_schema(schema)(value)
    assert fast == Draft4Validator(schema).is_valid(value), (schema, value)
    return fast


# --- Which schemas compile ----------------------------------------------------------------------


def test_the_library_holds_both_versions() -> None:
    """Preloading leaves every 1.6 and 2.0.1 schema in the library's cache, refs written out."""
    names = set(SCHEMAS)
    assert {"BootNotification_1.6", "MeterValues_1.6", "StatusNotificationResponse_1.6"} <= names
    assert {"TransactionEventRequest_2.0.1", "SetChargingProfileRequest_2.0.1"} <= names
    assert sum(name.endswith("_1.6") for name in names) >= 50
    assert sum(name.endswith("_2.0.1") for name in names) >= 120
    assert not any(
        "$ref" in _keywords(schema) for name, schema in SCHEMAS.items() if name.endswith("_2.0.1")
    )


def test_only_the_known_schemas_do_not_compile() -> None:
    """Every schema compiles but those using `multipleOf` and 1.6's referencing ones.

    Fails if the compiler stops compiling a schema it should (every one of those would
    silently go back to jsonschema) or starts compiling one it cannot.
    """
    refused = {}
    for name, schema in SCHEMAS.items():
        try:
            compile_schema(schema)
        except NotCompilable as error:
            refused[name] = str(error)
    assert refused == {
        **dict.fromkeys(DECIMAL_SCHEMAS, "multipleOf"),
        **dict.fromkeys(REFERENCING_SCHEMAS, "$ref"),
    }


def test_the_refused_sets_are_those_using_the_keywords() -> None:
    """The sets above are exactly the schemas holding `multipleOf` and `$ref`, found by a walk."""
    using = {
        keyword: {name for name, schema in SCHEMAS.items() if keyword in _keywords(schema)}
        for keyword in ("multipleOf", "$ref")
    }
    assert using == {"multipleOf": DECIMAL_SCHEMAS, "$ref": REFERENCING_SCHEMAS}


# --- Payloads built from a schema ---------------------------------------------------------------

_JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=6))
# Anything JSON can carry, for free-form objects (customData) and untyped schemas.
_ANY_JSON = st.recursive(
    _JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)
# A value of every JSON type, with the edges draft 4's types and bounds are picky about.
_ODD_VALUES: tuple[Any, ...] = (
    None,
    True,
    False,
    0,
    1,
    -1,
    1.0,
    0.5,
    -0.0,
    2**64,
    math.nan,
    math.inf,
    -math.inf,
    "",
    "1",
    "true",
    [],
    [None],
    {},
    {"vendorId": "x"},
)


def _bounds(schema: Mapping[str, Any]) -> tuple[float | None, float | None]:
    return schema.get("minimum"), schema.get("maximum")


def _valid(schema: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    """Values `schema` accepts."""
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.sampled_from(kind).flatmap(lambda one: _valid({**schema, "type": one}))
    builders: dict[str, Callable[[Mapping[str, Any]], st.SearchStrategy[Any]]] = {
        "object": _valid_object,
        "array": _valid_array,
        "string": _valid_string,
        "integer": _valid_integer,
        "number": _valid_number,
        "boolean": lambda _: st.booleans(),
        "null": lambda _: st.none(),
    }
    return builders[kind](schema) if kind in builders else _ANY_JSON


@st.composite
def _valid_object(draw: st.DrawFn, schema: Mapping[str, Any]) -> dict[str, Any]:
    properties: Mapping[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", ()))
    value = {
        name: draw(_valid(sub))
        for name, sub in properties.items()
        if name in required or draw(st.booleans())
    }
    value.update({name: draw(_ANY_JSON) for name in required - set(properties)})
    if schema.get("additionalProperties", True) is not False:
        extra = st.text(max_size=8).filter(lambda name: name not in properties)
        value.update(draw(st.dictionaries(extra, _ANY_JSON, max_size=2)))
    return value


def _valid_array(schema: Mapping[str, Any]) -> st.SearchStrategy[list[Any]]:
    low = schema.get("minItems", 0)
    high = min(schema.get("maxItems", low + 2), low + 2)
    return st.lists(_valid(schema.get("items", {})), min_size=low, max_size=high)


def _valid_string(schema: Mapping[str, Any]) -> st.SearchStrategy[str]:
    low = schema.get("minLength", 0)
    high = schema.get("maxLength")
    short = st.text(min_size=low, max_size=low + 10 if high is None else min(high, low + 10))
    return short if high is None else short | st.just("x" * high)


def _valid_integer(schema: Mapping[str, Any]) -> st.SearchStrategy[int]:
    low, high = _bounds(schema)
    if low is not None:
        low = math.floor(low) + 1 if schema.get("exclusiveMinimum") else math.ceil(low)
    if high is not None:
        high = math.ceil(high) - 1 if schema.get("exclusiveMaximum") else math.floor(high)
    return st.integers(low, high)


def _valid_number(schema: Mapping[str, Any]) -> st.SearchStrategy[float]:
    low, high = _bounds(schema)
    return _valid_integer(schema) | st.floats(
        low,
        high,
        exclude_min=low is not None and bool(schema.get("exclusiveMinimum")),
        exclude_max=high is not None and bool(schema.get("exclusiveMaximum")),
    )


@st.composite
def _broken(draw: st.DrawFn, schema: Mapping[str, Any], value: Any) -> Any:
    """`value` turned into one `schema` is likely to refuse, aiming at each of its keywords."""
    options: list[st.SearchStrategy[Any]] = [st.sampled_from(_ODD_VALUES)]
    properties: Mapping[str, Any] = schema.get("properties", {})
    if isinstance(value, dict):
        present = sorted(name for name in schema.get("required", ()) if name in value)
        if present:
            options.append(
                st.sampled_from(present).map(
                    lambda name: {k: v for k, v in value.items() if k != name}
                )
            )
        unknown = st.text(max_size=8) | st.sampled_from(sorted(properties) or ["x"]).map(str.upper)
        options.append(st.tuples(unknown, _ANY_JSON).map(lambda item: {**value, item[0]: item[1]}))
        if properties:
            options.append(
                st.sampled_from(sorted(properties)).map(lambda name: {**value, name: None})
            )
    if "maxLength" in schema:
        options.append(st.just("x" * (schema["maxLength"] + 1)))
    if schema.get("minLength", 0) > 0:
        options.append(st.just("x" * (schema["minLength"] - 1)))
    if "enum" in schema:
        spelt = st.sampled_from(schema["enum"])
        options.append(spelt.map(lambda name: name.lower()) | spelt.map(lambda name: name + " "))
    if _near_bounds(schema):
        options.append(st.sampled_from(_near_bounds(schema)))
    if schema.get("type") in ("integer", "number"):
        options.append(st.floats() | st.sampled_from(["7", True, 2.0]))
    if schema.get("type") == "string":
        options.append(st.integers() | st.floats())
    if isinstance(value, list):
        options.append(st.just([]))
        items = value or [draw(_valid(schema.get("items", {})))]
        if "maxItems" in schema:
            options.append(st.just((items * (schema["maxItems"] + 1))[: schema["maxItems"] + 1]))
        options.append(st.just(tuple(value)))
    return draw(st.one_of(options))


def _children(schema: Mapping[str, Any], value: Any) -> list[tuple[Any, Mapping[str, Any]]]:
    """Where `value` holds parts the schema describes: (key or index, their schema)."""
    if isinstance(value, dict):
        properties: Mapping[str, Any] = schema.get("properties", {})
        return [(name, properties[name]) for name in value if name in properties]
    if isinstance(value, list):
        return [(index, schema.get("items", {})) for index in range(len(value))]
    return []


@st.composite
def _mutated(draw: st.DrawFn, schema: Mapping[str, Any], value: Any) -> Any:
    """`value` with one part, at any depth, broken."""
    children = _children(schema, value)
    if children and draw(st.sampled_from((True, True, False))):  # two in three go deeper
        key, sub = draw(st.sampled_from(children))
        copied: Any = dict(value) if isinstance(value, dict) else list(value)
        copied[key] = draw(_mutated(sub, value[key]))
        return copied
    return draw(_broken(schema, value))


@st.composite
def _payloads(draw: st.DrawFn, schema: Mapping[str, Any]) -> tuple[Any, int]:
    """A payload for `schema`, and how many breaks it got (none: it must be valid)."""
    value = draw(_valid(schema))
    breaks = draw(st.sampled_from((0, 1, 1, 2)))
    for _ in range(breaks):
        value = draw(_mutated(schema, value))
    return value, breaks


@settings(
    max_examples=800,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(name=st.sampled_from(COMPILED), data=st.data())
def test_fast_check_agrees_with_jsonschema(name: str, data: st.DataObject) -> None:
    """On valid payloads and broken ones, at any depth, the fast check gives jsonschema's verdict.

    A payload nothing broke must pass both (else the generator, not the check, is wrong).
    """
    payload, breaks = data.draw(_payloads(SCHEMAS[name]), label="payload")
    expected = VALIDATORS[name].is_valid(payload)
    event("valid" if expected else "invalid")
    assert CHECKS[name](payload) == expected
    if breaks == 0:
        assert expected


# --- Every part of every schema, broken in turn -------------------------------------------------


def _full(schema: Mapping[str, Any]) -> Any:
    """A valid value using every property, each at an edge (longest string, lowest number)."""
    if "enum" in schema:
        return schema["enum"][-1]
    kind = schema.get("type")
    low = schema.get("minimum")
    full: dict[str, Callable[[], Any]] = {
        "object": lambda: {name: _full(sub) for name, sub in schema.get("properties", {}).items()},
        "array": lambda: [_full(schema.get("items", {}))] * max(1, schema.get("minItems", 0)),
        "string": lambda: "x" * schema.get("maxLength", 3),
        "integer": lambda: 7 if low is None else math.ceil(low),
        "number": lambda: 7.5 if low is None else low,
        "boolean": lambda: False,
    }
    return full[kind]() if kind in full else None


def _nodes(
    schema: Mapping[str, Any], value: Any, path: tuple[Any, ...] = ()
) -> Iterator[tuple[tuple[Any, ...], Mapping[str, Any], Any]]:
    """Every part of `value` (itself first): its path, schema and value."""
    yield path, schema, value
    for key, sub in _children(schema, value):
        yield from _nodes(sub, value[key], (*path, key))


def _replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    """A copy of `value` with the part at `path` replaced by `new` (removed if `new` is `...`)."""
    copied: Any = dict(value) if isinstance(value, dict) else list(value)
    if len(path) > 1:
        copied[path[0]] = _replaced(value[path[0]], path[1:], new)
    elif new is ...:
        del copied[path[0]]
    else:
        copied[path[0]] = new
    return copied


def _edges(schema: Mapping[str, Any], value: Any) -> list[Any]:
    """Values just inside and outside each of the schema's keywords, and of the wrong types."""
    edges: list[Any] = [None, True, 1, 1.0, math.nan, "1", [], {}]
    if isinstance(value, dict):
        required = schema.get("required", ())
        edges += [{k: v for k, v in value.items() if k != name} for name in required]
        edges.append({**value, "unknownKey": 1})
    if isinstance(value, list) and value:
        edges += [value[:-1], value * 2, [value[0]] * (schema.get("maxItems", 1) + 1)]
    if isinstance(value, str):
        edges += [value + "x", value[:-1]]
    edges += _near_bounds(schema)
    return edges


def _near_bounds(schema: Mapping[str, Any]) -> list[float]:
    """Numbers at and beside the schema's bounds, as ints too (0.0 - 1 is no integer)."""
    near: list[float] = []
    for limit in _bounds(schema):
        if limit is not None:
            near += [limit, limit - 1, limit + 1, limit - 0.5, limit + 0.5]
            near += [math.floor(limit) - 1, math.ceil(limit) + 1]
    return near


def test_every_part_of_every_schema_broken() -> None:
    """Every part of every compiled schema, replaced by edge values, gets jsonschema's verdict.

    The payload fills every property, so every keyword of every schema is met at least once.
    """
    checked = 0
    for name in COMPILED:
        schema, check, validator = SCHEMAS[name], CHECKS[name], VALIDATORS[name]
        payload = _full(schema)
        assert check(payload), name
        assert validator.is_valid(payload), name
        for path, sub, value in _nodes(schema, payload):
            for edge in _edges(sub, value):
                broken = _replaced(payload, path, edge) if path else edge
                assert check(broken) == validator.is_valid(broken), (name, path, edge)
                checked += 1
    assert checked > 10_000


# --- Each keyword -------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, 7, -3, 2**70])
def test_an_integer_is_an_int(value: int) -> None:
    """Any int is a draft 4 integer."""
    assert _verdict({"type": "integer"}, value)


@pytest.mark.parametrize("value", [1.0, 0.0, 1.5, True, False, "1", None, math.nan])
def test_an_integer_is_never_a_float_nor_a_bool(value: Any) -> None:
    """Draft 4 (unlike 6) refuses 1.0 as an integer, and a bool is no integer either."""
    assert not _verdict({"type": "integer"}, value)


@pytest.mark.parametrize("value", [0, 1.5, -0.0, 2**70, math.inf, math.nan])
def test_ints_and_floats_are_numbers(value: float) -> None:
    """Ints and floats (infinite and NaN too) are numbers."""
    assert _verdict({"type": "number"}, value)


@pytest.mark.parametrize("value", [True, False, "1.5", None, [1]])
def test_a_bool_is_not_a_number(value: Any) -> None:
    """A bool is no number, nor is a numeric string."""
    assert not _verdict({"type": "number"}, value)


@pytest.mark.parametrize(
    ("schema", "value", "valid"),
    [
        ({"minimum": 0}, 0, True),
        ({"minimum": 0}, -0.5, False),
        ({"minimum": 0, "exclusiveMinimum": False}, 0, True),
        ({"minimum": 0, "exclusiveMinimum": True}, 0, False),
        ({"minimum": 0, "exclusiveMinimum": True}, 0.0, False),
        ({"minimum": 0, "exclusiveMinimum": True}, 1e-300, True),
        ({"maximum": 100}, 100, True),
        ({"maximum": 100}, 100.5, False),
        ({"maximum": 100, "exclusiveMaximum": False}, 100.0, True),
        ({"maximum": 100, "exclusiveMaximum": True}, 100, False),
        ({"maximum": 100, "exclusiveMaximum": True}, 99.999, True),
        ({"minimum": 0.5, "maximum": 1.5}, 1, True),
        ({"minimum": 0.5, "maximum": 1.5}, 2, False),
        ({"minimum": 0, "maximum": 100}, math.inf, False),
        ({"minimum": 0, "maximum": 100}, -math.inf, False),
        # Bounds without their `minimum` / `maximum` do nothing.
        ({"exclusiveMinimum": True}, -5, True),
        ({"exclusiveMaximum": True}, 5, True),
    ],
)
def test_bounds_and_their_exclusive_flags(
    schema: Mapping[str, Any], value: float, valid: bool
) -> None:
    """`minimum` / `maximum` hold inclusively, or strictly under draft 4's boolean flags."""
    assert _verdict(schema, value) is valid


@pytest.mark.parametrize(
    "schema",
    [
        {"minimum": 0},
        {"maximum": 0},
        {"minimum": 0, "exclusiveMinimum": True},
        {"maximum": 0, "exclusiveMaximum": True},
    ],
)
def test_nan_passes_bounds(schema: Mapping[str, Any]) -> None:
    """NaN (which `json.loads` reads) is below and above nothing, so jsonschema passes it."""
    assert _verdict(schema, math.nan)
    assert _verdict(schema, json.loads("NaN"))


def test_additional_properties_false_with_properties() -> None:
    """Only the listed properties may appear, any of them may be missing."""
    schema = {"type": "object", "properties": {"a": {}, "b": {}}, "additionalProperties": False}
    assert _verdict(schema, {})
    assert _verdict(schema, {"a": 1, "b": None})
    assert not _verdict(schema, {"a": 1, "c": 1})
    assert not _verdict(schema, {"A": 1})


def test_additional_properties_false_without_properties() -> None:
    """No property may appear at all; a non-object is not concerned."""
    schema = {"additionalProperties": False}
    assert _verdict(schema, {})
    assert not _verdict(schema, {"a": 1})
    assert _verdict(schema, ["a"])
    assert _verdict(schema, "a")


def test_additional_properties_true() -> None:
    """Explicitly allowed extras are allowed, and still checked where a property names them."""
    schema = {"properties": {"a": {"type": "string"}}, "additionalProperties": True}
    assert _verdict(schema, {"a": "x", "z": 1})
    assert not _verdict(schema, {"a": 1, "z": 1})


def test_required_properties() -> None:
    """Each required name must be a key; a non-object is not concerned."""
    schema = {"required": ["a", "b"]}
    assert _verdict(schema, {"a": None, "b": None})
    assert not _verdict(schema, {"a": 1})
    assert _verdict(schema, [])


def test_properties_apply_to_present_keys_at_any_depth() -> None:
    """A property's schema applies to its value, however deep, and only when it is there."""
    schema = {
        "properties": {
            "a": {"properties": {"b": {"items": {"properties": {"c": {"type": "integer"}}}}}}
        }
    }
    assert _verdict(schema, {"a": {"b": [{"c": 1}, {}]}})
    assert not _verdict(schema, {"a": {"b": [{"c": 1}, {"c": 1.0}]}})
    assert _verdict(schema, {"a": {"b": "not a list"}})


@pytest.mark.parametrize(
    ("value", "valid"),
    [("Accepted", True), ("accepted", False), ("", False), (1, False), (None, False)],
)
def test_enum_of_strings(value: Any, valid: bool) -> None:
    """A string enum takes exactly its strings."""
    assert _verdict({"enum": ["Accepted", "Rejected"]}, value) is valid


@pytest.mark.parametrize("values", [[1, 2], ["a", 1], [None], [True], [["a"]], []])
def test_enum_of_non_strings_is_not_compiled(values: list[Any]) -> None:
    """Enums of non-strings (1 is not True to jsonschema, lists compare deeply) are left to it."""
    with pytest.raises(NotCompilable):
        compile_schema({"enum": values})


@pytest.mark.parametrize(
    ("schema", "value"),
    [
        ({"maxLength": 1}, 12345),
        ({"maxLength": 1}, ["a", "b"]),
        ({"minLength": 5}, []),
        ({"minLength": 5}, None),
        ({"maxItems": 1}, "abc"),
        ({"minItems": 2}, {}),
        ({"minItems": 2}, "a"),
        ({"items": {"type": "string"}}, {"a": 1}),
        ({"required": ["a"]}, "a"),
        ({"properties": {"a": {"type": "string"}}}, [1]),
        ({"additionalProperties": False}, "text"),
        ({"minimum": 5}, "1"),
        ({"maximum": 5}, True),
        ({"maximum": 5}, [9]),
    ],
)
def test_keywords_apply_only_to_their_type(schema: Mapping[str, Any], value: Any) -> None:
    """A keyword about one type lets a value of another type through."""
    assert _verdict(schema, value)


@pytest.mark.parametrize(
    ("schema", "value", "valid"),
    [
        ({"maxLength": 3}, "abc", True),
        ({"maxLength": 3}, "abcd", False),
        ({"maxLength": 1}, "\U0001f50c", True),
        ({"minLength": 2}, "a", False),
        ({"minLength": 2}, "ab", True),
        ({"maxItems": 1}, [1], True),
        ({"maxItems": 1}, [1, 2], False),
        ({"minItems": 1}, [], False),
        ({"items": {"type": "string"}}, ["a", "b"], True),
        ({"items": {"type": "string"}}, ["a", 2], False),
        ({"type": "array"}, ("a",), False),
        ({"type": "object"}, [("a", 1)], False),
        ({"type": ["string", "null"]}, None, True),
        ({"type": ["string", "null"]}, 1, False),
        ({"type": "boolean"}, 0, False),
        ({"type": "null"}, False, False),
    ],
)
def test_lengths_sizes_items_and_types(schema: Mapping[str, Any], value: Any, valid: bool) -> None:
    """Strings count code points, arrays their items; only lists are arrays, dicts objects."""
    assert _verdict(schema, value) is valid


def test_annotations_do_not_change_the_verdict() -> None:
    """Titles, descriptions, `javaType` and `format` (no format checker) are ignored."""
    schema = {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "$id": "urn:x",
        "id": "urn:y",
        "title": "t",
        "description": "d",
        "comment": "c",
        "javaType": "J",
        "default": "2020-01-01T00:00:00Z",
        "definitions": {"unused": {"type": "integer"}},
        "type": "string",
        "format": "date-time",
    }
    assert _verdict(schema, "not a date")
    assert not _verdict(schema, 5)
    assert _verdict({}, object())


@pytest.mark.parametrize(
    "schema",
    [
        {"patternProperties": {"^a": {}}},
        {"properties": {"a": {}}, "patternProperties": {"^a": {}}, "additionalProperties": False},
        {"additionalProperties": {"type": "string"}},
        {"anyOf": [{"type": "string"}, {"type": "null"}]},
        {"allOf": [{"type": "string"}]},
        {"oneOf": [{"type": "string"}]},
        {"not": {"type": "string"}},
        {"$ref": "#/definitions/a", "definitions": {"a": {}}},
        {"properties": {"a": {"$ref": "#/definitions/a"}}},
        {"items": [{"type": "string"}]},
        {"items": [{"type": "string"}], "additionalItems": False},
        {"pattern": "^a$"},
        {"multipleOf": 0.1},
        {"uniqueItems": True},
        {"dependencies": {"a": ["b"]}},
        {"maxProperties": 1},
        {"type": "any"},
        {"type": []},
        {"minimum": "0"},
        {"properties": {"a": True}},
        {"items": {"properties": {"a": {"unknownKeyword": 1}}}},
    ],
)
def test_outside_the_subset_is_not_compiled(schema: Mapping[str, Any]) -> None:
    """Any keyword or form the compiler does not handle, however deep, raises NotCompilable."""
    with pytest.raises(NotCompilable):
        compile_schema(schema)


# --- Through validate_payload -------------------------------------------------------------------

TRANSACTION_EVENT: dict[str, Any] = {
    "eventType": "Updated",
    "timestamp": "2025-01-01T12:00:00Z",
    "triggerReason": "MeterValuePeriodic",
    "seqNo": 3,
    "transactionInfo": {"transactionId": "tx-1", "chargingState": "Charging"},
    "evse": {"id": 1, "connectorId": 1},
    "meterValue": [
        {
            "timestamp": "2025-01-01T12:00:00Z",
            "sampledValue": [
                {
                    "value": 7400.5,
                    "measurand": "Power.Active.Import",
                    "unitOfMeasure": {"unit": "W"},
                },
                {"value": 12, "measurand": "Energy.Active.Import.Register", "phase": "L1"},
            ],
        }
    ],
    "customData": {"vendorId": "v", "anything": [1, {"b": None}]},
}


def _with(path: tuple[Any, ...], new: Any) -> Any:
    """TRANSACTION_EVENT with the value at `path` replaced (by `...`: removed)."""
    return _replaced(TRANSACTION_EVENT, path, new)


class CountingValidation:
    """Stands in for the library's `_validate_payload` in `validation`, counting its calls."""

    def __init__(self) -> None:
        """No calls yet."""
        self.calls = 0

    def __call__(self, message: Call | CallResult, ocpp_version: str) -> None:
        """Count, then validate as the library does."""
        self.calls += 1
        ocpp.messages._validate_payload(message, ocpp_version)


@pytest.fixture
def library_validation(monkeypatch: pytest.MonkeyPatch) -> CountingValidation:
    """Count how often `validate_payload` falls back to the library (jsonschema)."""
    counting = CountingValidation()
    monkeypatch.setattr(validation, "_validate_payload", counting)
    return counting


def _library_error(message: Call | CallResult, version: str) -> OCPPError:
    with pytest.raises(OCPPError) as raised:
        ocpp.messages._validate_payload(message, version)
    return raised.value


def test_the_example_transaction_event_is_valid() -> None:
    """The payload the tests below break is valid to the library, so each break is the error."""
    assert VALIDATORS["TransactionEventRequest_2.0.1"].is_valid(TRANSACTION_EVENT)


def test_a_valid_payload_skips_jsonschema(library_validation: CountingValidation) -> None:
    """A valid 2.0.1 TransactionEvent passes without reaching the library at all."""
    validation.validate_payload(Call("m-1", "TransactionEvent", TRANSACTION_EVENT), "2.0.1")
    assert library_validation.calls == 0


@pytest.mark.parametrize(
    ("path", "new", "error"),
    [
        (("seqNo",), "3", TypeConstraintViolationError),
        (("seqNo",), True, TypeConstraintViolationError),
        (("seqNo",), 3.0, TypeConstraintViolationError),
        (("evse", "connectorId"), None, TypeConstraintViolationError),
        (("meterValue", 0, "sampledValue", 1, "value"), "12", TypeConstraintViolationError),
        (("transactionInfo", "transactionId"), "x" * 37, TypeConstraintViolationError),
        (("unknownKey",), 1, FormatViolationError),
        (("evse", "connector_id"), 1, FormatViolationError),
        (("eventType",), "Paused", FormatViolationError),
        (("meterValue",), [], FormatViolationError),
        (("meterValue", 0, "sampledValue", 0, "measurand"), "Power", FormatViolationError),
        (("triggerReason",), ..., ProtocolError),
        (("customData", "vendorId"), ..., ProtocolError),
        (("meterValue", 0, "sampledValue", 0, "value"), ..., ProtocolError),
    ],
)
def test_an_invalid_payload_gets_the_library_error(
    library_validation: CountingValidation,
    path: tuple[Any, ...],
    new: Any,
    error: type[OCPPError],
) -> None:
    """A broken TransactionEvent reaches jsonschema once and raises what the library raises."""
    payload = _with(path, new)
    expected = _library_error(Call("m-1", "TransactionEvent", payload), "2.0.1")
    message = Call("m-1", "TransactionEvent", payload)
    with pytest.raises(OCPPError) as raised:
        validation.validate_payload(message, "2.0.1")
    assert library_validation.calls == 1
    assert type(raised.value) is type(expected) is error
    assert raised.value.description == expected.description
    # The same details, the message in them being the one validated.
    assert raised.value.details.keys() == expected.details.keys()
    for key, value in expected.details.items():
        if key == "ocpp_message":
            assert raised.value.details[key] is message
        else:
            assert raised.value.details[key] == value


def test_a_response_is_checked_too(library_validation: CountingValidation) -> None:
    """A CALLRESULT is checked against its Response schema: valid skips, invalid gets the error."""
    answer = CallResult("m-1", {"idTokenInfo": {"status": "Accepted"}})
    answer.action = "TransactionEvent"
    validation.validate_payload(answer, "2.0.1")
    assert library_validation.calls == 0
    wrong = CallResult("m-1", {"idTokenInfo": {"status": "Fine"}})
    wrong.action = "TransactionEvent"
    with pytest.raises(FormatViolationError):
        validation.validate_payload(wrong, "2.0.1")
    assert library_validation.calls == 1


def test_a_schema_that_does_not_compile_always_reaches_jsonschema(
    library_validation: CountingValidation,
) -> None:
    """1.6's SetChargingProfile (multipleOf) is validated by the library even when valid."""
    period: dict[str, Any] = {"startPeriod": 0, "limit": 16.1}
    profile = {
        "connectorId": 1,
        "csChargingProfiles": {
            "chargingProfileId": 1,
            "stackLevel": 0,
            "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Absolute",
            "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [period]},
        },
    }
    validation.validate_payload(Call("m-1", "SetChargingProfile", profile), "1.6")
    assert library_validation.calls == 1
    period["limit"] = 16.15  # not a multiple of 0.1
    with pytest.raises(FormatViolationError):
        validation.validate_payload(Call("m-2", "SetChargingProfile", profile), "1.6")
    assert library_validation.calls == 2


def test_a_16_payload_is_checked_fast(library_validation: CountingValidation) -> None:
    """A compiled 1.6 schema (StatusNotification) skips the library for a valid payload only."""
    status = {"connectorId": 1, "errorCode": "NoError", "status": "Available"}
    validation.validate_payload(Call("m-1", "StatusNotification", status), "1.6")
    assert library_validation.calls == 0
    with pytest.raises(TypeConstraintViolationError):
        validation.validate_payload(
            Call("m-2", "StatusNotification", {**status, "connectorId": "1"}), "1.6"
        )
    assert library_validation.calls == 1
