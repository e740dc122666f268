"""Benchmarks: ``make bench`` (all) or ``make bench BENCH=ledger`` (one).

Each ``bench/bench_<name>.py`` has ``main() -> None`` that prints its figures, with
throughput given as a ratio to a baseline measured in the same run.
"""
