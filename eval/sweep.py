#!/usr/bin/env python3
"""Sweep syndetect's parameters over the development sets; print a Markdown table.

Usage: python3 eval/sweep.py [--bin target/release/syndetect] > /tmp/sweep.md
Build first: cargo build --release. Each row is one `syndetect eval` run per set,
with the shipped defaults except the flags shown.
"""
import json, subprocess, sys, os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = sys.argv[sys.argv.index("--bin") + 1] if "--bin" in sys.argv else os.path.join(ROOT, "target/release/syndetect")
SETS = {"dev": os.path.join(ROOT, "eval/dev.jsonl"), "real": os.path.join(ROOT, "eval/real-ecbplus-dev.jsonl")}

# Exact-Jaccard baselines: every held article compared, exact sets, no furniture or lead keys.
OFF = "--furniture-reports 0 --source-furniture-articles 0 --lead-keys 0 --number-agreement 0"
EXACT = f"--exhaustive --verification exact {OFF}"
MINHASH = f"--verification signature {OFF}"
ROWS = [
    ("shipped defaults", ""),
    ("exact Jaccard, 5-shingles, J>=0.5", f"{EXACT} --shingle-size 5 --jaccard-threshold 0.5 --containment-threshold 1 --min-containment-shingles 100000"),
    ("MinHash LSH, 5-shingles, J>=0.5", f"{MINHASH} --shingle-size 5 --jaccard-threshold 0.5 --containment-threshold 1 --min-containment-shingles 100000"),
    ("exact Jaccard, 3-shingles, J>=0.3 or C>=0.6", f"{EXACT} --jaccard-threshold 0.3 --containment-threshold 0.6"),
    ("MinHash LSH, 3-shingles, J>=0.3 or C>=0.6", f"{MINHASH} --jaccard-threshold 0.3 --containment-threshold 0.6"),
    ("exact Jaccard, 3-shingles, J>=0.5 or C>=0.7", f"{EXACT} --jaccard-threshold 0.5 --containment-threshold 0.7"),
    ("MinHash LSH, 3-shingles, J>=0.5 or C>=0.7 (first release)", f"{MINHASH} --jaccard-threshold 0.5 --containment-threshold 0.7"),
    ("defaults, furniture learning off", "--furniture-reports 0 --source-furniture-articles 0"),
    ("defaults, per-source furniture off", "--source-furniture-articles 0"),
    ("defaults, figure check off", "--number-agreement 0"),
    ("defaults, furniture after 3 reports", "--furniture-reports 3"),
    ("defaults, lead keys off", "--lead-keys 0"),
    ("defaults, verification from signatures", "--verification signature"),
    ("defaults, exhaustive (no LSH)", "--exhaustive"),
    ("defaults, LSH threshold 0.2", "--lsh-threshold 0.2"),
    ("defaults, 2-shingles", "--shingle-size 2"),
    ("defaults, 4-shingles", "--shingle-size 4"),
    ("defaults, 5-shingles", "--shingle-size 5"),
    ("defaults, 64 permutations", "--permutations 64"),
    ("defaults, 256 permutations", "--permutations 256"),
    ("defaults, J>=0.2", "--jaccard-threshold 0.2"),
    ("defaults, J>=0.3", "--jaccard-threshold 0.3"),
    ("defaults, J>=0.35", "--jaccard-threshold 0.35"),
    ("defaults, C>=0.55", "--containment-threshold 0.55"),
    ("defaults, C>=0.65", "--containment-threshold 0.65"),
    ("defaults, C>=0.7", "--containment-threshold 0.7"),
    ("defaults, lead window 4", "--lead-window 4"),
    ("defaults, lead window 8", "--lead-window 8"),
    ("defaults, whole sets (no sampling)", "--set-sample-above 0"),
    ("defaults, sets sampled above 128 shingles", "--set-sample-above 128"),
    ("defaults, sampled 1 in 2", "--set-sample-rate 2"),
    ("defaults, sampled 1 in 8", "--set-sample-rate 8"),
]


def run(path, flags):
    out = subprocess.run([BIN, "eval", path, *flags.split()], capture_output=True, text=True, check=True).stdout
    return json.loads(out[: out.rindex("}") + 1])


def main():
    print("| configuration | dev P | dev R | dev F1 | excerpt R | worst other kind R | wrap FP | event FP | real P | real R | real F1 | real event FP | real labeled-distinct FP |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, flags in ROWS:
        d, r = run(SETS["dev"], flags), run(SETS["real"], flags)
        kinds = {k: v for k, v in d["recall_by_kind"].items() if k != "excerpt"}
        worst = min(kinds.items(), key=lambda kv: kv[1])
        hd, hr = d["hard_negative_fpr"], r["hard_negative_fpr"]
        print(f"| {name} | {d['precision']:.4f} | {d['recall']:.4f} | **{d['f1']:.4f}** | {d['recall_by_kind'].get('excerpt', 0):.3f} | "
              f"{worst[0]} {worst[1]:.3f} | {hd.get('wrap', 0):.3f} | {hd.get('event', 0):.3f} | {r['precision']:.4f} | {r['recall']:.4f} | "
              f"**{r['f1']:.4f}** | {hr.get('event', 0):.3f} | {hr.get('labeled-distinct', 0):.3f} |", flush=True)


if __name__ == "__main__":
    main()
