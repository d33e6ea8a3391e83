"""The charger's own maximum: vendor keys first, else what it offers when we do not limit it."""

from __future__ import annotations

import pytest

from custom_components.smart_charging.central_system.charger_maximum import (
    charger_maximum,
    note_offer,
    parse_vendor_maximum,
    vendor_keys,
)
from custom_components.smart_charging.central_system.model import (
    Capabilities,
    ChargerState,
    ConnectorStatus,
)
from custom_components.smart_charging.central_system.v16.setup import VENDOR_MAXIMUM

from .conftest import ChargerFactory, Server, connected_charger


def test_vendor_keys_per_connector() -> None:
    """Station keys once, connector keys for each connector."""
    assert vendor_keys(2) == [
        "G_MaxCurrent",
        "MaxEVCurrentOffered",
        "chargingALimitConn1",
        "chargingALimitConn2",
    ]
    assert vendor_keys(0) == vendor_keys(1)


def test_parse_vendor_maximum() -> None:
    """Station and connector values; junk, tiny and absurd values are no maximum."""
    answer = [
        {"key": "G_MaxCurrent", "value": " 25.00 "},
        {"key": "chargingALimitConn2", "value": "16"},
        {"key": "chargingALimitConn1", "value": "off"},
        {"key": "chargingALimitConnX", "value": "20"},
        {"key": "HeartbeatInterval", "value": "300"},
    ]
    assert parse_vendor_maximum(answer) == {0: 25.0, 2: 16.0}
    assert parse_vendor_maximum([{"key": "MaxEVCurrentOffered", "value": "3"}]) == {}
    assert parse_vendor_maximum([{"key": "MaxEVCurrentOffered", "value": "1e9"}]) == {}
    assert parse_vendor_maximum([{"key": "MaxEVCurrentOffered", "value": None}]) == {}


def charging(
    offered: float | None, status: ConnectorStatus = ConnectorStatus.CHARGING
) -> ChargerState:
    """A charger whose connector 1 offers `offered` A."""
    state = ChargerState("CP-1")
    connector = state.connector(1)
    connector.status = status
    connector.current_offered = offered
    return state


def test_an_offer_below_no_limit_of_ours_is_the_maximum() -> None:
    """Never limited by us: what it offers while charging is what it can."""
    state = charging(16.0)
    note_offer(state, state.connector(1))
    assert charger_maximum(state, 1) == 16.0
    # A lower offer later (its own load management) does not lower it.
    state.connector(1).current_offered = 10.0
    note_offer(state, state.connector(1))
    assert charger_maximum(state, 1) == 16.0


@pytest.mark.parametrize(
    ("offered", "status"),
    [
        (None, ConnectorStatus.CHARGING),
        (0.0, ConnectorStatus.CHARGING),
        (16.0, ConnectorStatus.SUSPENDED_EVSE),
        (16.0, ConnectorStatus.PREPARING),
        (5000.0, ConnectorStatus.CHARGING),
    ],
)
def test_offers_that_tell_nothing(offered: float | None, status: ConnectorStatus) -> None:
    """No offer, a paused offer, an offer before charging, an absurd one: nothing learned."""
    state = charging(offered, status)
    note_offer(state, state.connector(1))
    assert charger_maximum(state, 1) is None


def test_an_offer_at_our_limit_is_ours() -> None:
    """At (or within 1 A of) our live limit or safe default: ours, not the charger's."""
    state = charging(10.0)
    state.ever_limited = True
    connector = state.connector(1)
    connector.applied_limit, connector.applied_limit_unit, connector.limit_known = 10.0, "A", True
    note_offer(state, connector)
    assert connector.offered_maximum is None
    connector.applied_limit = 10.5
    note_offer(state, connector)
    assert connector.offered_maximum is None
    # Our live limit is 32 A but the safe default of 8 A holds it: still ours.
    connector.applied_limit, connector.current_offered = 32.0, 8.0
    state.safe_default_limit = 8.0
    note_offer(state, connector)
    assert connector.offered_maximum is None
    # 16 A offered where we allow 32 A and 20 A: the charger's own 16 A.
    state.safe_default_limit = 20.0
    connector.current_offered = 16.0
    note_offer(state, connector)
    assert connector.offered_maximum == 16.0


def test_no_learning_while_an_old_limit_may_hold() -> None:
    """Limited before a restart, nothing applied since: a live limit of ours may still hold."""
    state = charging(10.0)
    state.ever_limited = True
    note_offer(state, state.connector(1))
    assert state.connector(1).offered_maximum is None


def test_a_power_limit_tells_nothing_in_amperes() -> None:
    """Our limit in W: the offer cannot be compared with it."""
    state = charging(10.0)
    state.ever_limited = True
    connector = state.connector(1)
    connector.applied_limit, connector.applied_limit_unit, connector.limit_known = 11000, "W", True
    note_offer(state, connector)
    assert connector.offered_maximum is None


def test_vendor_keys_come_first() -> None:
    """The installer's setting wins over what was seen offered; a connector's over the station's."""
    state = charging(16.0)
    note_offer(state, state.connector(1))
    state.capabilities = Capabilities(vendor_max_current={0: 20.0, 2: 13.0})
    assert charger_maximum(state, 1) == 20.0
    assert charger_maximum(state, 2) == 13.0


async def test_setup_reads_the_vendor_keys_once(
    server: Server, make_charger: ChargerFactory
) -> None:
    """Read after the capabilities, kept with them: not asked again on a reconnection."""
    charger, session = await connected_charger(
        server, make_charger, vendor_keys=(("G_MaxCurrent", "13"),)
    )
    assert charger_maximum(session.state, 1) == 13.0
    asked = [payload for action, payload in charger.calls if action == "GetConfiguration"]
    assert asked[-1] == {"key": ["G_MaxCurrent", "MaxEVCurrentOffered", "chargingALimitConn1"]}
    assert session.as_dict()["capabilities"]["vendor_max_current"] == {"0": 13.0}
    assert VENDOR_MAXIMUM not in session.state.refused_configuration
