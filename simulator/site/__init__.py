"""A simulated site: house load, PV, home battery, prices, cars arriving and leaving."""
