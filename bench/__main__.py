"""Run every benchmark module, or those named on the command line."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time

import bench


def main(names: list[str]) -> None:
    found = sorted(m.name.removeprefix("bench_") for m in pkgutil.iter_modules(bench.__path__)
                   if m.name.startswith("bench_"))
    chosen = names or found
    unknown = set(chosen) - set(found)
    if unknown:
        sys.exit(f"unknown benchmarks {sorted(unknown)}; there are {found}")
    for name in chosen:
        print(f"\n=== bench {name} ===", flush=True)
        started = time.perf_counter()
        importlib.import_module(f"bench.bench_{name}").main()
        print(f"--- {name} took {time.perf_counter() - started:.1f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
