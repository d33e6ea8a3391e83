"""Tests of the simulated site's inputs: house load, PV, battery, prices, arrivals, scenarios."""
