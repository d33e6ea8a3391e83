"""A simulated OCPP 1.6J charge point, for tests and for demos (`python -m simulator`).

- `simulator.charger`: SimulatedCharger, the charge point with a car on each connector.
- `simulator.spec`: ChargerSpec and the quirks it can imitate.
- `simulator.profiles`: the 1.6 composite schedule (pure).
- `simulator.cli`: the command line.
"""
