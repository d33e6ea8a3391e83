"""Benchmarks: figures for the README, not assertions."""
