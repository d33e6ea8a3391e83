"""The simulated chargers' security settings: 1.6 keys and 2.0.1's write-only password."""

from __future__ import annotations

from simulator.config import Configuration
from simulator.spec import NO_SECURITY_KEYS, ChargerSpec
from simulator.v201.variables import BASIC_AUTH_PASSWORD, DeviceModel

SECURITY = {"name": "SecurityCtrlr"}
PASSWORD = {"name": "BasicAuthPassword"}


def test_16_keys() -> None:
    """AuthorizationKey 16-40 characters; SecurityProfile only ever goes up."""
    config = Configuration(ChargerSpec("CP", security_profile=1))
    assert config.change("AuthorizationKey", "short") == "Rejected"
    assert config.change("AuthorizationKey", "k" * 40) == "Accepted"
    assert config.authorization_key == "k" * 40
    assert config.change("SecurityProfile", "0") == "Rejected"
    assert config.change("SecurityProfile", "2") == "Accepted"
    assert config.value("SecurityProfile") == "2"
    without = Configuration(ChargerSpec("CP", quirks=frozenset({NO_SECURITY_KEYS})))
    assert without.change("AuthorizationKey", "k" * 40) == "NotSupported"
    assert without.change("SecurityProfile", "1") == "NotSupported"
    assert without.get(["SecurityProfile"]) == ([], ["SecurityProfile"])


def test_201_password_is_write_only() -> None:
    """Set it (16-40 characters); it is never read back, nor reported with a value."""
    model = DeviceModel(rate_unit="A,W", evse_count=1, max_power_w=11_000, power_now=lambda _: 0)
    request = {"component": SECURITY, "variable": PASSWORD}
    assert model.set({**request, "attribute_value": "x"})[0]["attribute_status"] == "Rejected"
    result, changed = model.set({**request, "attribute_value": "p" * 20})
    assert (result["attribute_status"], changed) == ("Accepted", BASIC_AUTH_PASSWORD)
    assert model.value(BASIC_AUTH_PASSWORD) == "p" * 20
    assert model.get(request)["attribute_status"] == "Rejected"
    item = next(i for i in model.report() if i["variable"] == PASSWORD)
    assert item["variable_attribute"] == [{"type": "Actual", "mutability": "WriteOnly"}]
