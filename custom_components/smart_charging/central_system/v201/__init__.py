"""OCPP 2.0.1: the charger's EVSEs are the connectors of the rest of the product."""
