"""Tests of the live scenario runner (`python -m simulator.live`) and the demo dashboard."""
