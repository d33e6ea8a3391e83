"""The station's device model: components, variables, GetVariables/SetVariables/NotifyReport."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..meter import CURRENT, ENERGY, OFFERED, POWER, SOC, VOLTAGE

ACTUAL = "Actual"
MAX_SET = "MaxSet"
READ_ONLY = "ReadOnly"
READ_WRITE = "ReadWrite"
WRITE_ONLY = "WriteOnly"

SMART = "SmartChargingCtrlr"
SAMPLED = "SampledDataCtrlr"
ALIGNED = "AlignedDataCtrlr"
COMM = "OCPPCommCtrlr"
DEVICE = "DeviceDataCtrlr"
EVSE = "EVSE"
CONNECTOR = "Connector"

TX_UPDATED_INTERVAL = (SAMPLED, "TxUpdatedInterval")
TX_UPDATED_MEASURANDS = (SAMPLED, "TxUpdatedMeasurands")
TX_ENDED_MEASURANDS = (SAMPLED, "TxEndedMeasurands")
ALIGNED_INTERVAL = (ALIGNED, "Interval")
ALIGNED_MEASURANDS = (ALIGNED, "Measurands")
ALIGNED_ENABLED = (ALIGNED, "Enabled")
HEARTBEAT_INTERVAL = (COMM, "HeartbeatInterval")
# The HTTP Basic password (security profile 1, A01): write-only, 16-40 characters.
BASIC_AUTH_PASSWORD = ("SecurityCtrlr", "BasicAuthPassword")
ITEMS_PER_MESSAGE = (DEVICE, "ItemsPerMessage")

MEASURANDS = (ENERGY, POWER, CURRENT, OFFERED, VOLTAGE)
DC_MEASURANDS = (*MEASURANDS, SOC)  # a DC station knows its car's state of charge
AC_CONNECTOR = "cType2"
DC_CONNECTOR = "cCCS2"


def _integer(value: str) -> bool:
    return value.isdigit()


def _boolean(value: str) -> bool:
    return value in ("true", "false")


def _password(value: str) -> bool:
    return 16 <= len(value) <= 40  # noqa: PLR2004 - the spec's passwordString


def _member_list(members: tuple[str, ...]) -> Callable[[str], bool]:
    """A check that every item of a comma-separated value is one of `members` ("": none)."""

    def check(value: str) -> bool:
        return all(item.strip() in members for item in value.split(",")) if value else True

    return check


@dataclass
class Variable:
    """One variable's Actual value; `check` validates a new value (None: read-only)."""

    value: str
    check: Callable[[str], bool] | None = None
    data_type: str = "string"
    unit: str | None = None
    values_list: str | None = None
    write_only: bool = False  # never read back (a password)

    @property
    def mutability(self) -> str:
        """ReadOnly, ReadWrite or WriteOnly."""
        if self.write_only:
            return WRITE_ONLY
        return READ_ONLY if self.check is None else READ_WRITE


Key = tuple[str, str]


@dataclass
class DeviceModel:
    """Controller variables plus one EVSE (with connector 1) per EVSE id.

    A DC station (`dc`) measures its car's SoC too, has a cCCS2 connector and no AC phases.
    """

    rate_unit: str
    evse_count: int
    max_power_w: float
    power_now: Callable[[int], float]
    variables: dict[Key, Variable] = field(default_factory=dict)
    dc: bool = False

    @property
    def measurands(self) -> tuple[str, ...]:
        """The measurands the station can sample."""
        return DC_MEASURANDS if self.dc else MEASURANDS

    def __post_init__(self) -> None:
        """Fill in the controllers' defaults."""
        every = ",".join(self.measurands)
        ended = f"{ENERGY},{SOC}" if self.dc else ENERGY
        _measurands = _member_list(self.measurands)
        self.variables = {
            (SMART, "Enabled"): Variable("true", _boolean, "boolean"),
            (SMART, "Available"): Variable("true", data_type="boolean"),
            (SMART, "RateUnit"): Variable(self.rate_unit, None, "MemberList", values_list="A,W"),
            (SMART, "ProfileStackLevel"): Variable("8", data_type="integer"),
            (SMART, "PeriodsPerSchedule"): Variable("24", data_type="integer"),
            TX_UPDATED_INTERVAL: Variable("0", _integer, "integer", unit="s"),
            TX_UPDATED_MEASURANDS: Variable(every, _measurands, "MemberList", values_list=every),
            TX_ENDED_MEASURANDS: Variable(ended, _measurands, "MemberList", values_list=every),
            ALIGNED_ENABLED: Variable("true", _boolean, "boolean"),
            ALIGNED_INTERVAL: Variable("900", _integer, "integer", unit="s"),
            ALIGNED_MEASURANDS: Variable(ENERGY, _measurands, "MemberList", values_list=every),
            HEARTBEAT_INTERVAL: Variable("300", _integer, "integer", unit="s"),
            ITEMS_PER_MESSAGE: Variable("10", data_type="integer"),
            BASIC_AUTH_PASSWORD: Variable("", _password, write_only=True),
        }

    def value(self, key: Key) -> str:
        """The Actual value of a controller variable."""
        return self.variables[key].value

    def integer(self, key: Key) -> int:
        """An integer variable's value."""
        return int(self.value(key))

    def set_internal(self, key: Key, value: str) -> None:
        """Set a variable as the station itself does (read-only ones too)."""
        self.variables[key].value = value

    def get(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """Answer one GetVariableData (snake_case) as a GetVariableResult."""
        component, variable = request["component"], request["variable"]
        attribute = request.get("attribute_type") or ACTUAL
        result: dict[str, Any] = {"component": component, "variable": variable}
        status, value = self._read(component, variable["name"], attribute)
        result["attribute_status"] = status
        if attribute != ACTUAL:
            result["attribute_type"] = attribute
        if value is not None:
            result["attribute_value"] = value
        return result

    def set(self, request: Mapping[str, Any]) -> tuple[dict[str, Any], Key | None]:
        """Apply one SetVariableData; return its SetVariableResult and the key changed."""
        component, variable = request["component"], request["variable"]
        attribute = request.get("attribute_type") or ACTUAL
        result: dict[str, Any] = {"component": component, "variable": variable}
        status, changed = self._write(component, variable["name"], attribute, request)
        result["attribute_status"] = status
        if attribute != ACTUAL:
            result["attribute_type"] = attribute
        return result, changed

    def _read(
        self, component: Mapping[str, Any], name: str, attribute: str
    ) -> tuple[str, str | None]:
        if component["name"] == EVSE:
            return self._read_evse(component, name, attribute)
        found = self._lookup(component, name)
        if isinstance(found, str):
            return found, None
        if attribute != ACTUAL:
            return "NotSupportedAttributeType", None
        if found.write_only:
            return "Rejected", None
        return "Accepted", found.value

    def _read_evse(
        self, component: Mapping[str, Any], name: str, attribute: str
    ) -> tuple[str, str | None]:
        """An EVSE's Power (Actual: now, MaxSet: its maximum); a DC one's SupplyPhases 0."""
        if not self._evse_known(component):
            return "UnknownComponent", None
        if name == "SupplyPhases" and self.dc:
            return ("Accepted", "0") if attribute == ACTUAL else ("NotSupportedAttributeType", None)
        if name != "Power":
            return "UnknownVariable", None
        if attribute == MAX_SET:
            return "Accepted", _number(self.max_power_w)
        if attribute != ACTUAL:
            return "NotSupportedAttributeType", None
        return "Accepted", _number(self.power_now(int(component["evse"]["id"])))

    def _write(
        self, component: Mapping[str, Any], name: str, attribute: str, request: Mapping[str, Any]
    ) -> tuple[str, Key | None]:
        if component["name"] == EVSE:
            if not self._evse_known(component):
                return "UnknownComponent", None
            return ("Rejected" if name == "Power" else "UnknownVariable"), None
        found = self._lookup(component, name)
        if isinstance(found, str):
            return found, None
        if attribute != ACTUAL:
            return "NotSupportedAttributeType", None
        value = str(request["attribute_value"])
        if found.check is None or not found.check(value):
            return "Rejected", None
        found.value = value
        return "Accepted", (component["name"], name)

    def _lookup(self, component: Mapping[str, Any], name: str) -> Variable | str:
        """The variable, or the GetVariables status naming what is unknown."""
        if not any(comp == component["name"] for comp, _ in self.variables):
            return "UnknownComponent"
        found = self.variables.get((component["name"], name))
        return "UnknownVariable" if found is None else found

    def _evse_known(self, component: Mapping[str, Any]) -> bool:
        evse = component.get("evse")
        return evse is not None and 1 <= int(evse["id"]) <= self.evse_count

    def report(self) -> list[dict[str, Any]]:
        """Every component and variable as NotifyReport reportData (snake_case).

        The EVSEs come first, each with its connector before it: a CSMS reading the parts
        as they come knows an EVSE's connector once it knows the EVSE.
        """
        data: list[dict[str, Any]] = []
        for evse_id in range(1, self.evse_count + 1):
            connector = {"name": CONNECTOR, "evse": {"id": evse_id, "connector_id": 1}}
            data.append(_report_item(connector, "Available", Variable("true", data_type="boolean")))
            kind = DC_CONNECTOR if self.dc else AC_CONNECTOR
            data.append(_report_item(connector, "ConnectorType", Variable(kind)))
            evse = {"name": EVSE, "evse": {"id": evse_id}}
            power = Variable(_number(self.power_now(evse_id)), data_type="decimal", unit="W")
            item = _report_item(evse, "Power", power)
            item["variable_characteristics"]["max_limit"] = self.max_power_w
            item["variable_attribute"].append(
                {"type": MAX_SET, "value": _number(self.max_power_w), "mutability": READ_ONLY}
            )
            data.append(item)
            data.append(_report_item(evse, "Available", Variable("true", data_type="boolean")))
            if self.dc:  # 0: DC (the AC stations leave SupplyPhases out)
                data.append(_report_item(evse, "SupplyPhases", Variable("0", data_type="integer")))
        data.extend(
            _report_item({"name": comp}, name, variable)
            for (comp, name), variable in self.variables.items()
        )
        return data


def _report_item(component: dict[str, Any], name: str, variable: Variable) -> dict[str, Any]:
    characteristics: dict[str, Any] = {
        "data_type": variable.data_type,
        "supports_monitoring": False,
    }
    if variable.unit is not None:
        characteristics["unit"] = variable.unit
    if variable.values_list is not None:
        characteristics["values_list"] = variable.values_list
    return {
        "component": component,
        "variable": {"name": name},
        "variable_attribute": [
            {"type": ACTUAL, "mutability": variable.mutability}
            | ({} if variable.write_only else {"value": variable.value})
        ],
        "variable_characteristics": characteristics,
    }


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.1f}"
