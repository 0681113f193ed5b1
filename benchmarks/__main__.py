"""Run every benchmark and print one table: ``python -m benchmarks [--quick]``."""

from __future__ import annotations

import argparse

from benchmarks import bench_cracks, bench_gpr, bench_grid, bench_io, bench_pavement, bench_synth

SUITES = (bench_io, bench_synth, bench_gpr, bench_grid, bench_pavement, bench_cracks)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for CI")
    args = parser.parse_args(argv)
    rows = [row for suite in SUITES for row in suite.run(args.quick)]
    print(f"{'benchmark':<34} {'roadbed (s)':>12} {'reference':>14} {'ref (s)':>10} {'speed-up':>9}  throughput")
    for row in rows:
        print(f"{row['benchmark']:<34} {row['roadbed_s']:>12.4f} {row['reference']:>14} {row['reference_s']:>10.4f} "
              f"{row['speed-up']:>8.1f}×  {row.get('throughput', '')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
