"""A simulated OCPP 2.1 bidirectional (V2G/V2H) charging station for tests."""

from ..v201.station import StationError
from .car import V2XCar, default_car
from .kinds import ac_wallbox, dc_station
from .station import NEGATIVE_IMPORT_POWER, SimulatedStation21

__all__ = [
    "NEGATIVE_IMPORT_POWER",
    "SimulatedStation21",
    "StationError",
    "V2XCar",
    "ac_wallbox",
    "dc_station",
    "default_car",
]
