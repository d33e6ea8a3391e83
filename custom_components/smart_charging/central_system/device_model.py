"""A variable of a 2.x station's device model, as GetVariables and SetVariables name it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class DeviceVariable:
    """A component's variable, optionally of an EVSE, an instance, one attribute type."""

    component: str
    variable: str
    evse: int | None = None
    instance: str | None = None
    attribute: str | None = None  # Actual (default), Target, MinSet, MaxSet

    def as_request(self) -> dict[str, Any]:
        """The component/variable/attributeType part of a request (snake_case)."""
        component: dict[str, Any] = {"name": self.component}
        if self.evse:
            component["evse"] = {"id": self.evse}
        variable: dict[str, Any] = {"name": self.variable}
        if self.instance is not None:
            variable["instance"] = self.instance
        request: dict[str, Any] = {"component": component, "variable": variable}
        if self.attribute is not None:
            request["attribute_type"] = self.attribute
        return request
