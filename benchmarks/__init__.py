"""roadbed's benchmarks: throughput against a reference measured in the same run.

Run ``python -m benchmarks [--quick]`` from the repository root (or ``make bench``).
"""
