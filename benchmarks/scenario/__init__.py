"""The scenario benchmark: our balancer against baselines and the offline optimum."""
