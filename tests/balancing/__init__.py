"""Tests of the allocation engine (pure: no Home Assistant instance)."""
