"""OCPP 2.1: the 2.0.1 station's messages plus bidirectional charging (V2X)."""
