"""The allocation engine: who may draw how much, and why.

Pure and deterministic: no Home Assistant, no OCPP, no I/O, no clock of its own. The
coordinator hands it a snapshot of the site (`SiteInput`) and the state it returned
last time; it answers with a target per connector and the reason for each.
"""

from .allocator import allocate
from .model import (
    Allocation,
    CircuitInput,
    ConnectorInput,
    DischargeObjective,
    EngineSettings,
    EngineState,
    LimitReason,
    Mode,
    PriceSlot,
    Result,
    SiteInput,
    StationInput,
    V2XInput,
    V2XSettings,
)

__all__ = [
    "Allocation",
    "CircuitInput",
    "ConnectorInput",
    "DischargeObjective",
    "EngineSettings",
    "EngineState",
    "LimitReason",
    "Mode",
    "PriceSlot",
    "Result",
    "SiteInput",
    "StationInput",
    "V2XInput",
    "V2XSettings",
    "allocate",
]
