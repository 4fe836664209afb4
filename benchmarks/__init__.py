"""Benchmarks: run one with `python -m benchmarks.<name>`; figures are ratios against a baseline."""
