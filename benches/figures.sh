#!/usr/bin/env bash
# The README's Performance figures, one whole set in one run: the in-process
# `bench` configurations, the stream and the paced unary runs against a real
# server, each configuration interleaved run by run with the others (the VM's
# speed drifts within minutes, and interleaving spreads that over all of
# them), then medians and ranges as Markdown on stdout.
#
#   benches/figures.sh [RUNS] [MILLION_RUNS]
#
# RUNS (default 5) runs of each configuration at 20,000 articles and on the
# stream, 2*RUNS-1 paced unary runs (9 by default); MILLION_RUNS (default 3;
# 0 skips them, about 12 minutes saved here) runs of lean over a million, with and
# without --capacity, and of the defaults with --capacity, and one of the
# defaults under /usr/bin/time when it is there. The peers' table is
# benches/peers/run.sh; criterion's is `cargo bench`. Everything stays under
# target/figures/.
set -euo pipefail

RUNS="${1:-5}"
MILLION="${2:-3}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/target/figures"
mkdir -p "$OUT"
log() { echo "[figures] $*" >&2; }

log "building syndetect (release)"
(cd "$ROOT" && cargo build --release --quiet)
BIN="$ROOT/target/release/syndetect"
CORPUS="$OUT/corpus-20k.jsonl"
[ -s "$CORPUS" ] || "$BIN" gen-corpus --n 20000 >"$CORPUS"
RESULTS="$OUT/results.tsv" # configuration, then: articles/s, bytes beyond the id | p99 ms
: >"$RESULTS"
log "started $(date -u '+%F %T') UTC at $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?')"

# `record NAME FILE`: one line of results from `bench --json`'s FILE.
record() {
  python3 -c '
import json, sys
d = json.load(open(sys.argv[2]))
print(sys.argv[1], round(d["end_to_end_per_s"]), round(d["rss_bytes_per_article"] - d["id_bytes_per_article"]), sep="\t")
' "$1" "$2" >>"$RESULTS"
}

# `bench NAME FLAGS`: one in-process run.
bench() {
  local name="$1"
  shift
  "$BIN" bench "$@" --json >"$OUT/bench.json"
  record "$name" "$OUT/bench.json"
}

# The server running, if any: stopped however the script ends.
PID=""
trap '[ -n "$PID" ] && kill -INT "$PID" 2>/dev/null; true' EXIT

# `serve FLAGS` on a free port, in the background: sets PID and ADDR.
serve() {
  local logf="$OUT/serve.log"
  "$BIN" serve --listen 127.0.0.1:0 "$@" >"$logf" 2>&1 &
  PID=$!
  ADDR=""
  for _ in $(seq 300); do
    ADDR="$(grep -o 'ready to serve on [0-9.:]*' "$logf" | awk '{print $5}' || true)"
    [ -n "$ADDR" ] && return 0
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.1
  done
  log "the server did not start: $(tail -n 3 "$logf")"
  exit 1
}

stop() {
  kill -INT "$PID"
  wait "$PID" || true
  PID=""
}

# `stream NAME FLAGS`: a server with FLAGS, 4 streaming clients.
stream() {
  local name="$1"
  shift
  serve "$@"
  local rate
  rate="$("$BIN" bench-grpc "$CORPUS" --server "$ADDR" --mode stream --clients 4 --quiet |
    grep -o '= [0-9]* articles/s' | grep -o '[0-9]*')"
  stop
  printf '%s\t%s\n' "$name" "$rate" >>"$RESULTS"
}

# `unary NAME FLAGS`: a server with FLAGS, 8 clients paced at 5,000/s.
unary() {
  local name="$1"
  shift
  serve "$@"
  local p99
  p99="$("$BIN" bench-grpc "$CORPUS" --server "$ADDR" --mode unary --clients 8 --rate 5000 --quiet |
    grep -o 'p99 [0-9.]* ms' | head -n 1 | awk '{print $2}')"
  stop
  printf '%s\t%s\n' "$name" "$p99" >>"$RESULTS"
}

for i in $(seq "$RUNS"); do
  log "in process at 20k, round $i of $RUNS"
  bench "bench --n 20000 --footprint lean" --n 20000 --footprint lean
  bench "bench --n 20000 --footprint lean --capacity 20000" --n 20000 --footprint lean --capacity 20000
  bench "bench --n 20000" --n 20000
  bench "bench --n 20000 --capacity 20000" --n 20000 --capacity 20000
done
for i in $(seq "$MILLION"); do
  log "in process over a million, round $i of $MILLION"
  bench "bench --n 1000000 --footprint lean" --n 1000000 --footprint lean
  bench "bench --n 1000000 --footprint lean --capacity 1000000" --n 1000000 --footprint lean --capacity 1000000
  bench "bench --n 1000000 --capacity 1000000" --n 1000000 --capacity 1000000
done
if [ "$MILLION" -gt 0 ]; then
  log "the defaults over a million, once"
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -v "$BIN" bench --n 1000000 --json >"$OUT/defaults-1m.json" 2>"$OUT/defaults-1m.time"
    log "$(grep -E 'Maximum resident|Elapsed' "$OUT/defaults-1m.time" | tr -s ' \t' ' ')"
    record "bench --n 1000000" "$OUT/defaults-1m.json"
  else
    bench "bench --n 1000000" --n 1000000
  fi
fi
for i in $(seq "$RUNS"); do
  log "stream, round $i of $RUNS"
  stream "stream, server --footprint lean" --footprint lean
  stream "stream, server --footprint lean --capacity 100000" --footprint lean --capacity 100000
  stream "stream, server with the defaults"
  stream "stream, server --capacity 100000" --capacity 100000
done
for i in $(seq $((2 * RUNS - 1))); do
  log "paced unary, round $i of $((2 * RUNS - 1))"
  unary "unary p99 ms at 5,000/s, defaults"
  unary "unary p99 ms at 5,000/s, server --footprint lean" --footprint lean
  unary "unary p99 ms at 5,000/s, server --capacity 20000" --capacity 20000
done
FINISHED="$(date -u '+%F %T')"
log "finished $FINISHED UTC"

CPU="$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | xargs || echo '?')"
echo "Machine: $(nproc) CPUs ($CPU); commit $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?'); finished $FINISHED UTC"
echo

python3 - "$RESULTS" <<'PY'
import collections, statistics, sys
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    name, *values = line.rstrip("\n").split("\t")
    runs[name].append([float(v) for v in values])
print("| what | median (range) | runs | bytes beyond the id |")
print("|---|---|--:|---|")
for name, rows in runs.items():
    first = [r[0] for r in rows]
    unit = " ms" if name.startswith("unary") else "/s"
    fmt = (lambda v: f"{v:.2f}") if name.startswith("unary") else (lambda v: f"{v:,.0f}")
    mem = sorted({int(r[1]) for r in rows if len(r) > 1})
    mem = f"{mem[0]:,}–{mem[-1]:,}" if len(mem) > 1 else (f"{mem[0]:,}" if mem else "")
    print(f"| `{name}` | {fmt(statistics.median(first))}{unit} ({fmt(min(first))}–{fmt(max(first))}) | {len(rows)} | {mem} |")
PY
