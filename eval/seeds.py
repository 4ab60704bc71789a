#!/usr/bin/env python3
"""How much of a result is the hash function's luck: F1 over several shingle
hash seeds (`--shingle-seed`), for the shipped defaults (sets over 256
shingles sampled 1 in 4), whole sets, other samplings, 4-shingles and the
lean footprint. Prints a Markdown table.

Usage: python3 eval/seeds.py [--bin target/release/syndetect] [--seeds 16] > /tmp/seeds.md
Build first: cargo build --release.
"""
import statistics, sys

from sweep import SETS, run

SEEDS = int(sys.argv[sys.argv.index("--seeds") + 1]) if "--seeds" in sys.argv else 16
ROWS = [
    ("shipped defaults (sampled 1 in 4 above 256)", ""),
    ("whole sets (no sampling)", "--set-sample-above 0"),
    ("sampled 1 in 2", "--set-sample-rate 2"),
    ("4-shingles", "--shingle-size 4"),
    ("`--footprint lean`", "--footprint lean"),
]


def main():
    print(f"| configuration | dev F1 mean | dev F1 min–max | real F1 mean | real F1 min–max | seeds |")
    print("|---|---|---|---|---|---|")
    for name, flags in ROWS:
        dev, real = [], []
        for seed in range(SEEDS):
            f = f"{flags} --shingle-seed {seed}"
            dev.append(run(SETS["dev"], f)["f1"])
            real.append(run(SETS["real"], f)["f1"])
        print(f"| {name} | {statistics.mean(dev):.4f} | {min(dev):.4f}–{max(dev):.4f} | "
              f"{statistics.mean(real):.4f} | {min(real):.4f}–{max(real):.4f} | 0–{SEEDS - 1} |", flush=True)


if __name__ == "__main__":
    main()
