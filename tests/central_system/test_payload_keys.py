"""Payload keys in snake_case through a per-key cache, spelt exactly as the `ocpp` library does."""

from __future__ import annotations

from collections.abc import Iterator
import copy
from types import MappingProxyType
from typing import Any
import uuid

from hypothesis import given, settings, strategies as st
from ocpp.charge_point import camel_to_snake_case
import ocpp.messages
import pytest

from custom_components.smart_charging.central_system import payload_keys
from custom_components.smart_charging.central_system.payload_keys import snake_case_payload
from custom_components.smart_charging.central_system.rpc import preload_validators


def _property_names(node: Any) -> Iterator[str]:
    """Every property name a schema defines or requires, at any depth."""
    if isinstance(node, dict):
        for keyword, value in node.items():
            if (keyword == "properties" and isinstance(value, dict)) or (
                keyword == "required" and isinstance(value, list)
            ):
                yield from value
            yield from _property_names(value)
    elif isinstance(node, list):
        for item in node:
            yield from _property_names(item)


def _schema_keys() -> list[str]:
    """Every property name of every 1.6 and 2.0.1 schema the library holds."""
    preload_validators()
    return sorted(
        {
            key
            for name, validator in ocpp.messages._validators.items()
            if name.endswith(("_1.6", "_2.0.1"))
            for key in _property_names(validator.schema)
        }
    )


SCHEMA_KEYS = _schema_keys()
# Keys the library's special cases and regular expressions treat apart.
ODD_KEYS = [
    "ocppCSMSURL",
    "isV2XCapable",
    "V2GCertificateChain",
    "evseV2G",
    "SOCLimit",
    "HTTPServerURL",
    "aB1C2d",
    "endsInB",
    "ID",
    "a B",
    "aB\tC",
    "x-yZ",
    "already_snake",
    "_leadingCamel",
    "",
    "ÉtatCourant",
    "étatCourant",
]


def _assert_same(ours: Any, theirs: Any) -> None:
    """Equal, and of the same types throughout, keys in the same order."""
    assert type(ours) is type(theirs), (ours, theirs)
    if isinstance(ours, dict):
        assert list(ours) == list(theirs)
        for key in ours:
            _assert_same(ours[key], theirs[key])
    elif isinstance(ours, list):
        assert len(ours) == len(theirs)
        for mine, library in zip(ours, theirs, strict=True):
            _assert_same(mine, library)
    else:  # the very value (NaN is not equal to itself)
        assert ours is theirs or ours == theirs


def _converted(payload: dict[str, Any]) -> dict[str, Any]:
    """Our conversion of a dict payload, as a dict (only the outermost level is a proxy)."""
    result = snake_case_payload(payload)
    assert isinstance(result, MappingProxyType)
    return dict(result)


def test_schema_keys_are_found() -> None:
    """The walk finds the keys of both versions (an empty list would prove nothing)."""
    assert {"connectorId", "chargePointVendor", "idTag", "meterValue"} <= set(SCHEMA_KEYS)
    assert {"evseId", "transactionInfo", "sampledValue", "signedMeterValue"} <= set(SCHEMA_KEYS)
    assert {"customData", "vendorId"} <= set(SCHEMA_KEYS)
    assert len(SCHEMA_KEYS) > 250


@pytest.mark.parametrize("key", SCHEMA_KEYS + ODD_KEYS)
def test_each_key_as_the_library_spells_it(key: str) -> None:
    """Every property name of every schema (and odd ones) is converted as the library does."""
    _assert_same(_converted({key: None}), camel_to_snake_case({key: None}))


def test_all_schema_keys_in_one_nested_payload() -> None:
    """All keys at once, nested in dicts inside lists, come out as the library's."""
    keys = SCHEMA_KEYS + ODD_KEYS
    payload = {
        key: [{inner: index} for inner in keys[index : index + 3]] for index, key in enumerate(keys)
    }
    _assert_same(_converted(payload), camel_to_snake_case(payload))


def test_keys_meeting_take_the_library_order_and_value() -> None:
    """Two keys becoming one keep the first's place and the last's value, as in the library."""
    payload = {"idTag": 1, "other": 2, "id_tag": 3}
    _assert_same(_converted(payload), camel_to_snake_case(payload))
    assert list(_converted(payload).items()) == [("id_tag", 3), ("other", 2)]


_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5)
_KEYS = st.sampled_from(SCHEMA_KEYS + ODD_KEYS) | st.text(max_size=12)
_PAYLOADS = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=5),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(payload=st.dictionaries(_KEYS, _PAYLOADS, max_size=8))
def test_generated_payloads_as_the_library_converts_them(payload: dict[str, Any]) -> None:
    """Nested dicts and lists of schema keys and random text convert as the library does.

    Inside, the result is plain dicts and lists, as the library's; the payload is left alone.
    """
    before = copy.deepcopy(payload)
    _assert_same(_converted(payload), camel_to_snake_case(payload))
    assert payload == before


@pytest.mark.parametrize(
    "payload", [[{"idTag": "A"}, [{"connectorId": 1}], 3], [], "camelCase", None, 7, 1.5, True]
)
def test_non_dict_payloads_as_the_library_converts_them(payload: Any) -> None:
    """A list, string, number or None comes back as the library's, not as a mapping."""
    _assert_same(snake_case_payload(payload), camel_to_snake_case(payload))


def test_the_library_passes_our_mapping_through() -> None:
    """The library's conversion hands our read-only mapping back untouched: the very object.

    This is what the cache relies on: the library converts only dicts and lists, so the
    handler receives our keys without the library's regular expressions running again. If this
    fails, the library changed and the cache no longer saves the work (the keys stay right:
    converting snake_case keys again changes nothing, see the test below).
    """
    ours = snake_case_payload({"connectorId": 1, "meterValue": [{"sampledValue": []}]})
    assert camel_to_snake_case(ours) is ours
    with pytest.raises(TypeError):
        ours["connector_id"] = 2


def test_converting_again_changes_nothing() -> None:
    """Snake_case keys, ours or the library's, convert to themselves: a second pass is harmless."""
    payload = {key: {key: [{key: None}]} for key in SCHEMA_KEYS + ODD_KEYS}
    library = camel_to_snake_case(payload)
    assert camel_to_snake_case(library) == library
    ours = _converted(payload)
    _assert_same(_converted(ours), ours)
    _assert_same(camel_to_snake_case(ours), library)


def test_each_key_is_converted_by_the_library_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """New keys go through the library's function once each; seen again, they come from the cache."""
    calls: list[Any] = []

    def counting(data: Any) -> Any:
        calls.append(data)
        return camel_to_snake_case(data)

    monkeypatch.setattr(payload_keys, "camel_to_snake_case", counting)
    fresh = [f"key{uuid.uuid4().hex}Camel" for _ in range(3)]
    payload = {fresh[0]: [{fresh[1]: 1}, {fresh[1]: 2}], fresh[2]: {fresh[0]: None}}
    first = _converted(payload)
    assert len(calls) == 3
    _assert_same(_converted(payload), first)
    assert len(calls) == 3
    _assert_same(first, camel_to_snake_case(payload))
