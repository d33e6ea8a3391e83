"""A bidirectional car's charging needs (2.1 v2xChargingParameters) on its connector."""

from __future__ import annotations

import pytest

from custom_components.smart_charging.central_system.model import ConnectorState
from custom_components.smart_charging.central_system.v21.needs import note_v2x_needs
from custom_components.smart_charging.central_system.v21.transfer import allowed_transfer


def test_per_phase_powers_add_up() -> None:
    """With per-phase fields the plain one is L1's: the car's maximum is their sum."""
    connector = ConnectorState(1)
    note_v2x_needs(
        connector,
        {
            "requested_energy_transfer": "AC_BPT",
            "v2x_charging_parameters": {
                "max_charge_power": 3680,
                "max_charge_power_l2": 3680,
                "max_charge_power_l3": 3680,
                "max_discharge_power": -2300,  # a sign the spec does not use: a magnitude
                "max_discharge_power_l2": 2300,
                "max_discharge_power_l3": 2300,
            },
        },
    )
    assert connector.ev_max_power == 11040
    assert connector.ev_max_discharge_power == 6900
    assert connector.ev_max_discharge_current == pytest.approx(10)
    assert connector.ev_max_current == pytest.approx(16)


def test_what_a_one_way_car_tells() -> None:
    """No V2X parameters: the AC parameters stand, nothing to discharge."""
    connector = ConnectorState(1)
    connector.ev_max_current = 16.0
    note_v2x_needs(connector, {"requested_energy_transfer": "AC_three_phase"})
    assert not connector.bidirectional
    assert connector.ev_max_discharge_power is None
    assert connector.ev_max_current == 16


@pytest.mark.parametrize(
    ("requested", "offered", "allowed", "expected"),
    [
        ("AC_BPT", ("AC_BPT", "AC_three_phase"), True, ("AC_BPT", "AC_three_phase")),
        ("AC_BPT", ("AC_BPT", "AC_single_phase"), False, ("AC_single_phase",)),
        ("AC_BPT", (), False, ("AC_three_phase",)),
        ("DC_BPT", ("DC_BPT",), False, ("DC",)),
        ("DC_ACDP_BPT", (), False, ("DC_ACDP",)),
        ("WPT", (), False, ("WPT",)),
    ],
)
def test_allowed_transfer(
    requested: str, offered: tuple[str, ...], allowed: bool, expected: tuple[str, ...]
) -> None:
    """The car's requested mode first; without permission only one-way modes."""
    connector = ConnectorState(1)
    connector.ev_transfer_mode, connector.ev_transfer_modes = requested, offered
    assert allowed_transfer(connector, allowed) == expected
