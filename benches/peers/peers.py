"""One contender per process; run.sh calls it once per contender, then `table`.

  peers.py run NAME CORPUS             a Python peer (datasketch, rensa, gaoya) -> one JSON line
  peers.py syndetect BIN CORPUS LABEL LSH [ARGS...]
                                       `syndetect bench CORPUS --json ARGS` -> one JSON line
  peers.py failed NAME VERSION REASON  a JSON line for a peer that could not run
  peers.py table RESULTS CORPUS        the Markdown table
"""

import gc
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from importlib.metadata import version

PERMUTATIONS = 128
THRESHOLD = 0.5
# rensa needs bands to divide 128, so every Python peer gets the same 32 x 4
# (its S-curve midpoint is (1/32)^(1/4) = 0.42; a pair at 0.5 is a candidate
# with probability 0.87). datasketch alone would pick 25 x 5 for 0.5.
BANDS, ROWS = 32, 4
WORD = re.compile(r"\w+")


def shingles(text):
    """Distinct word 3-shingles: lowercase \\w+ tokens, joined by spaces."""
    t = WORD.findall(text.lower())
    return list({f"{a} {b} {c}" for a, b, c in zip(t, t[1:], t[2:])})


def query_then_insert(lsh, sign):
    """One end-to-end step for an LSH index that takes ready signatures:
    sign, query (a duplicate if anything comes back), insert."""

    def step(key, sh):
        m = sign(sh)
        dup = bool(lsh.query(m))
        lsh.insert(key, m)
        return dup

    return step


def datasketch_peer():
    from datasketch import MinHash, MinHashLSH

    perm = MinHash(num_perm=PERMUTATIONS, seed=1).permutations  # made once, reused

    def sign(sh):
        m = MinHash(num_perm=PERMUTATIONS, permutations=perm, scheme="affine32")
        m.update_batch([s.encode() for s in sh])
        return m

    def new_step():
        lsh = MinHashLSH(threshold=THRESHOLD, num_perm=PERMUTATIONS, params=(BANDS, ROWS))
        return query_then_insert(lsh, sign)

    return sign, new_step


def rensa_peer():
    from rensa import RMinHash, RMinHashLSH

    def sign(sh):
        m = RMinHash(num_perm=PERMUTATIONS, seed=42)
        m.update(sh)
        return m

    def new_step():
        lsh = RMinHashLSH(threshold=THRESHOLD, num_perm=PERMUTATIONS, num_bands=BANDS)
        return query_then_insert(lsh, sign)

    return sign, new_step


def gaoya_peer():
    from gaoya.minhash import MinHashStringIndex

    def index():
        # The native index under the documented wrapper: it takes our shingles
        # as tokens. gaoya has no "signature in, query/insert" call, so each
        # query and each insert computes the signature from the tokens.
        return MinHashStringIndex(hash_size=32, jaccard_threshold=THRESHOLD, num_bands=BANDS,
                                  band_size=ROWS, analyzer=shingles).minhash_index

    empty = index()

    def sign(sh):  # no signature-only call: a query of an empty index
        return empty.query_tokens(sh)

    def new_step():
        idx = index()

        def step(key, sh):
            dup = bool(idx.query_tokens(sh))
            idx.insert_tokens(key, sh)
            return dup

        return step

    return sign, new_step


PEERS = {"datasketch": datasketch_peer, "rensa": rensa_peer, "gaoya": gaoya_peer}
# What "the query returned something" means for each.
DECIDES = {"datasketch": "any LSH candidate", "rensa": "any LSH candidate",
           "gaoya": "any candidate whose estimated Jaccard ≥ 0.5 (gaoya's query filters)"}


def rss():
    gc.collect()
    try:
        import psutil
        return psutil.Process().memory_info().rss
    except ImportError:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def read_corpus(path):
    with open(path) as f:
        arts = [json.loads(line) for line in f if line.strip()]
    return ["\n".join(p for p in (a.get("title"), a.get("text")) if p) for a in arts], arts


def run_peer(name, corpus):
    texts, _ = read_corpus(corpus)
    n = len(texts)
    sign, new_step = PEERS[name]()

    # (a) end to end, and (c) the memory the index holds (measured first, so
    # no earlier pass has grown the heap the index would then reuse).
    before = rss()
    step = new_step()
    start = time.perf_counter()
    dups = 0
    for key, text in enumerate(texts):
        dups += step(key, shingles(text))
    e2e = time.perf_counter() - start
    after = rss()
    del step

    # (b) signature only: median of 3 when one pass takes under 10 s.
    runs = []
    while len(runs) < 3 and (not runs or runs[0] < 10):
        start = time.perf_counter()
        for text in texts:
            sign(shingles(text))
        runs.append(time.perf_counter() - start)
    sig = statistics.median(runs)

    return {"contender": name, "version": version(name),
            "lsh": f"{THRESHOLD} ({BANDS}×{ROWS}), {DECIDES[name]}",
            "end_to_end_per_s": n / e2e, "signature_only_per_s": n / sig,
            "signature_runs": len(runs), "rss_bytes_per_article": (after - before) / n,
            "duplicates": dups, "articles": n}


def run_syndetect(binary, corpus, label, lsh, args):
    out = subprocess.run([binary, "bench", corpus, "--json", *args],
                         check=True, capture_output=True, text=True).stdout
    r = json.loads(out)
    ver = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.split()[-1]
    rev = subprocess.run(["git", "-C", os.path.dirname(binary), "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True).stdout.strip()
    return {"contender": label, "version": f"{ver} ({rev})" if rev else ver,
            "lsh": lsh,
            "end_to_end_per_s": r["end_to_end_per_s"], "signature_only_per_s": r["signature_only_per_s"],
            "rss_bytes_per_article": r["rss_bytes_per_article"], "duplicates": r["copies_found"],
            "articles": r["articles"], "mean_bytes": r["mean_bytes"]}


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def table(results, corpus):
    rows = [json.loads(line) for line in open(results) if line.strip()]
    texts, arts = read_corpus(corpus)
    copies = sum(a.get("expect") == "copy" for a in arts)
    mean = sum(len(t.encode()) for t in texts) // max(len(texts), 1)
    num = lambda x: f"{x:,.0f}"
    print(f"Machine: {os.cpu_count()} CPUs (nproc), {cpu_model()}; Python {platform.python_version()}; "
          f"{time.strftime('%Y-%m-%d')}; load average at the end {os.getloadavg()[0]:.1f}")
    print()
    print(f"Corpus: {len(texts):,} articles (gen-corpus --seed 42), {mean:,} bytes of text on average, "
          f"{copies:,} of them labeled copies. One thread, one process per contender; "
          f"128 permutations, word 3-shingles.")
    print()
    print("| contender | version | LSH threshold (bands×rows) | end-to-end articles/s | signature-only articles/s "
          "| memory per held article (bytes) | duplicates flagged |")
    print("|---|---|---|--:|--:|--:|--:|")
    for r in rows:
        if "error" in r:
            print(f"| {r['contender']} | {r['version']} | not run: {r['error']} | – | – | – | – |")
            continue
        print(f"| {r['contender']} | {r['version']} | {r['lsh']} | {num(r['end_to_end_per_s'])} "
              f"| {num(r['signature_only_per_s'])} | {num(r['rss_bytes_per_article'])} | {r['duplicates']:,} |")


def main(argv):
    cmd = argv[1]
    if cmd == "run":
        row = run_peer(argv[2], argv[3])
    elif cmd == "syndetect":
        row = run_syndetect(argv[2], argv[3], argv[4], argv[5], argv[6:])
    elif cmd == "failed":
        row = {"contender": argv[2], "version": argv[3], "error": argv[4]}
    elif cmd == "table":
        return table(argv[2], argv[3])
    else:
        sys.exit(__doc__)
    print(json.dumps(row))


if __name__ == "__main__":
    main(sys.argv)
