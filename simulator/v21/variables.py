"""The 2.1 station's device model: the 2.0.1 one plus V2X, ISO 15118 and discharge variables.

Per EVSE (component with `evse`): V2XChargingCtrlr (Enabled, Available,
SupportedEnergyTransferModes, SupportedOperationModes, Tx{Started,Updated,Ended}Measurands
per operation mode as variable instance) and ISO15118Ctrlr (Enabled,
ServiceRenegotiationSupport, ProtocolSupported); on the EVSE component DischargePower
(maxLimit, MaxSet, Actual), SupplyPhases and, DC, DCInputPhaseControl. A request for a
per-EVSE component without `evse` reads EVSE 1 (every EVSE of a station is alike).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..meter import CURRENT, ENERGY, POWER, SOC, VOLTAGE
from ..v201.variables import (
    ACTUAL,
    ALIGNED_MEASURANDS,
    EVSE,
    MAX_SET,
    SAMPLED,
    TX_ENDED_MEASURANDS,
    TX_UPDATED_MEASURANDS,
    DeviceModel,
    Key,
    Variable,
)
from .metering import EXPORT_CURRENT, EXPORT_ENERGY, EXPORT_POWER, MEASURANDS, SETPOINT
from .operation import CHARGING_ONLY, SUPPORTED_MODES

V2X = "V2XChargingCtrlr"
ISO15118 = "ISO15118Ctrlr"
PER_EVSE = frozenset({V2X, ISO15118})
TX_STARTED_MEASURANDS = (SAMPLED, "TxStartedMeasurands")
UPDATED = "TxUpdatedMeasurands"
TX_MEASURAND_VARIABLES = ("TxStartedMeasurands", UPDATED, "TxEndedMeasurands")
_EVSE_VARIABLES = frozenset({"DischargePower", "SupplyPhases", "DCInputPhaseControl"})
_SETPOINT_MODES = ("CentralSetpoint", "ExternalSetpoint")
EvseKey = tuple[str, int, str, str | None]  # component, EVSE, variable, instance


def _boolean(value: str) -> bool:
    return value in ("true", "false")


def _members(value: str) -> bool:
    return all(item.strip() in MEASURANDS for item in value.split(",")) if value else True


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.1f}"


def _zero(evse_id: int) -> float:
    del evse_id
    return 0.0


@dataclass
class DeviceModel21(DeviceModel):
    """2.0.1's controllers and EVSEs, the 2.1 measurands, and the per-EVSE V2X components."""

    energy_modes: tuple[str, ...] = ()  # SupportedEnergyTransferModes
    phases: int = 3
    max_discharge_w: float = 0.0
    discharge_now: Callable[[int], float] = _zero
    before_change: Callable[[], None] | None = None  # runs before a variable is written
    evse_variables: dict[EvseKey, Variable] = field(default_factory=dict)

    @property
    def measurands(self) -> tuple[str, ...]:
        """The measurands the station can sample."""
        return MEASURANDS

    def __post_init__(self) -> None:
        """2.0.1's defaults with both registers; the V2X components of every EVSE."""
        super().__post_init__()
        both = f"{ENERGY},{EXPORT_ENERGY}"
        every = ",".join(MEASURANDS)
        updated = ",".join((ENERGY, EXPORT_ENERGY, POWER, EXPORT_POWER, CURRENT, EXPORT_CURRENT))
        self.variables[TX_STARTED_MEASURANDS] = Variable(
            f"{both},{SOC}", _members, "MemberList", values_list=every
        )
        self.variables[TX_UPDATED_MEASURANDS].value = f"{updated},{VOLTAGE},{SOC}"
        self.variables[TX_ENDED_MEASURANDS].value = f"{both},{SOC}"
        self.variables[ALIGNED_MEASURANDS].value = both
        for key in (TX_STARTED_MEASURANDS, TX_UPDATED_MEASURANDS, TX_ENDED_MEASURANDS):
            self.variables[key].values_list = every
        protocol = "DC" if self.dc else "AC"
        transfer, modes = ",".join(self.energy_modes), ",".join(SUPPORTED_MODES)
        for evse in range(1, self.evse_count + 1):
            self.evse_variables.update(
                {
                    (V2X, evse, "Enabled", None): Variable("true", _boolean, "boolean"),
                    (V2X, evse, "Available", None): Variable("true", data_type="boolean"),
                    (V2X, evse, "SupportedEnergyTransferModes", None): Variable(
                        transfer, data_type="MemberList", values_list=transfer
                    ),
                    (V2X, evse, "SupportedOperationModes", None): Variable(
                        modes, data_type="MemberList", values_list=modes
                    ),
                    (ISO15118, evse, "Enabled", None): Variable("true", _boolean, "boolean"),
                    (ISO15118, evse, "ServiceRenegotiationSupport", None): Variable(
                        "true", data_type="boolean"
                    ),
                    (ISO15118, evse, "ProtocolSupported", "1"): Variable(
                        f"urn:iso:std:iso:15118:-20:{protocol},1,0"
                    ),
                }
            )
            for mode in SUPPORTED_MODES:
                if mode == CHARGING_ONLY:
                    continue
                for name in TX_MEASURAND_VARIABLES:
                    # Setpoint modes sample the setpoint besides SampledDataCtrlr's measurands.
                    extra = SETPOINT if mode in _SETPOINT_MODES and name == UPDATED else ""
                    self.evse_variables[(V2X, evse, name, mode)] = Variable(
                        extra, _members, "MemberList", values_list=every
                    )

    def evse_value(
        self, component: str, evse_id: int, name: str, instance: str | None = None
    ) -> str:
        """A per-EVSE variable's Actual value ("" when it does not exist)."""
        found = self.evse_variables.get((component, evse_id, name, instance))
        return "" if found is None else found.value

    def get(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """Answer one GetVariableData; the 2.1 variables here, the rest as 2.0.1 does."""
        if not self._mine(request):
            return super().get(request)
        attribute = request.get("attribute_type") or ACTUAL
        status, value = self._read21(request["component"], request["variable"], attribute)
        result: dict[str, Any] = {
            "component": request["component"],
            "variable": request["variable"],
            "attribute_status": status,
        }
        if attribute != ACTUAL:
            result["attribute_type"] = attribute
        if value is not None:
            result["attribute_value"] = value
        return result

    def set(self, request: Mapping[str, Any]) -> tuple[dict[str, Any], Key | None]:
        """Apply one SetVariableData (metering up to now first)."""
        if self.before_change is not None:
            self.before_change()
        if not self._mine(request):
            return super().set(request)
        component, variable = request["component"], request["variable"]
        attribute = request.get("attribute_type") or ACTUAL
        result: dict[str, Any] = {"component": component, "variable": variable}
        found = self._find(component, variable)
        value = str(request["attribute_value"])
        changed: Key | None = None
        if isinstance(found, str):
            result["attribute_status"] = found
        elif attribute != ACTUAL:
            result["attribute_status"] = "NotSupportedAttributeType"
        elif found.check is None or not found.check(value):
            result["attribute_status"] = "Rejected"
        else:
            found.value = value
            result["attribute_status"] = "Accepted"
            changed = (component["name"], variable["name"])
        if attribute != ACTUAL:
            result["attribute_type"] = attribute
        return result, changed

    def report(self) -> list[dict[str, Any]]:
        """2.0.1's report, then each EVSE's 2.1 variables and V2X components."""
        data = super().report()
        for evse_id in range(1, self.evse_count + 1):
            evse = {"name": EVSE, "evse": {"id": evse_id}}
            discharge = _item(
                evse,
                "DischargePower",
                None,
                Variable(_number(self.discharge_now(evse_id)), data_type="decimal", unit="W"),
            )
            discharge["variable_characteristics"]["max_limit"] = self.max_discharge_w
            discharge["variable_attribute"].append(
                {"type": MAX_SET, "value": _number(self.max_discharge_w), "mutability": "ReadOnly"}
            )
            data.append(discharge)
            if self.dc:
                data.append(
                    _item(evse, "DCInputPhaseControl", None, Variable("false", data_type="boolean"))
                )
            else:
                data.append(
                    _item(
                        evse, "SupplyPhases", None, Variable(str(self.phases), data_type="integer")
                    )
                )
        for (component, evse_id, name, instance), variable in self.evse_variables.items():
            data.append(
                _item({"name": component, "evse": {"id": evse_id}}, name, instance, variable)
            )
        return data

    # -- internals -------------------------------------------------------------------------

    def _mine(self, request: Mapping[str, Any]) -> bool:
        name = request["component"]["name"]
        return name in PER_EVSE or (name == EVSE and request["variable"]["name"] in _EVSE_VARIABLES)

    def _read21(
        self, component: Mapping[str, Any], variable: Mapping[str, Any], attribute: str
    ) -> tuple[str, str | None]:
        if component["name"] == EVSE:
            return self._read_evse21(component, variable["name"], attribute)
        found = self._find(component, variable)
        if isinstance(found, str):
            return found, None
        if attribute != ACTUAL:
            return "NotSupportedAttributeType", None
        return "Accepted", found.value

    def _read_evse21(
        self, component: Mapping[str, Any], name: str, attribute: str
    ) -> tuple[str, str | None]:
        evse = component.get("evse")
        if evse is None or not 1 <= int(evse["id"]) <= self.evse_count:
            return "UnknownComponent", None
        values = {
            ("DischargePower", ACTUAL): _number(self.discharge_now(int(evse["id"]))),
            ("DischargePower", MAX_SET): _number(self.max_discharge_w),
            ("SupplyPhases", ACTUAL): "0" if self.dc else str(self.phases),
        }
        if self.dc:
            values[("DCInputPhaseControl", ACTUAL)] = "false"
        elif name == "DCInputPhaseControl":
            return "UnknownVariable", None
        value = values.get((name, attribute))
        return ("NotSupportedAttributeType", None) if value is None else ("Accepted", value)

    def _find(self, component: Mapping[str, Any], variable: Mapping[str, Any]) -> Variable | str:
        evse = component.get("evse")
        evse_id = 1 if evse is None else int(evse["id"])
        if not 1 <= evse_id <= self.evse_count:
            return "UnknownComponent"
        key = (component["name"], evse_id, variable["name"], variable.get("instance"))
        found = self.evse_variables.get(key)
        return "UnknownVariable" if found is None else found


def _item(
    component: dict[str, Any], name: str, instance: str | None, variable: Variable
) -> dict[str, Any]:
    """A NotifyReport reportData item (snake_case)."""
    characteristics: dict[str, Any] = {
        "data_type": variable.data_type,
        "supports_monitoring": False,
    }
    if variable.unit is not None:
        characteristics["unit"] = variable.unit
    if variable.values_list is not None:
        characteristics["values_list"] = variable.values_list
    named: dict[str, Any] = {"name": name}
    if instance is not None:
        named["instance"] = instance
    return {
        "component": component,
        "variable": named,
        "variable_attribute": [
            {"type": ACTUAL, "value": variable.value, "mutability": variable.mutability}
        ],
        "variable_characteristics": characteristics,
    }
