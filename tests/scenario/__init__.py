"""Tests of the scenario benchmark's baselines, optimum and metrics."""
