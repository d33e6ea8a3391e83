"""OCPP central system: the server, per-version adapters and the charger model.

This package knows nothing about Home Assistant. The HA glue talks to it through
`CentralSystem`, `ChargerSession` and the `CentralSystemListener` protocol.
"""
