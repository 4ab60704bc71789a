#!/usr/bin/env bash
# syndetect side by side with datasketch, rensa and gaoya: one corpus, one
# process per contender, one thread, one Markdown table on stdout.
#   benches/peers/run.sh [N]      (N articles, default 20000)
set -euo pipefail

N="${1:-20000}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="$HERE/out"                       # corpus, results, pip logs (git-ignored)
VENV="$HERE/.venv"
PEERS=(datasketch==2.0.0 rensa==0.5.0 gaoya==0.2.2)
PSUTIL=psutil==7.2.2
PIP_FLAGS=(-q --disable-pip-version-check --only-binary=:all:)
mkdir -p "$OUT"
log() { echo "[peers] $*" >&2; }

[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
PY="$VENV/bin/python"
"$PY" -m pip install "${PIP_FLAGS[@]}" "$PSUTIL" >"$OUT/pip-psutil.log" 2>&1 \
  || log "psutil did not install (see $OUT/pip-psutil.log): memory is read from /proc/self/statm"

log "building syndetect (release)"
(cd "$ROOT" && cargo build --release --quiet)
BIN="$ROOT/target/release/syndetect"
CORPUS="$OUT/corpus.jsonl"
log "generating $N articles"
"$BIN" gen-corpus --n "$N" --seed 42 >"$CORPUS"

RESULTS="$OUT/results.jsonl"
: >"$RESULTS"
log "syndetect, defaults"
"$PY" "$HERE/peers.py" syndetect "$BIN" "$CORPUS" syndetect \
  "0.3, its default (32×2) + lead keys; verified on shingle sets (whole, or 1 in 4 above 256 shingles)" >>"$RESULTS"
log "syndetect, --lsh-threshold 0.5"
"$PY" "$HERE/peers.py" syndetect "$BIN" "$CORPUS" "syndetect --lsh-threshold 0.5" \
  "0.5 (23×3) + lead keys; verified on shingle sets (whole, or 1 in 4 above 256 shingles)" --lsh-threshold 0.5 >>"$RESULTS"
log "syndetect, --footprint lean"
"$PY" "$HERE/peers.py" syndetect "$BIN" "$CORPUS" "syndetect --footprint lean" \
  "0.3 (32×2), no lead keys; verified from signatures; no furniture model" --footprint lean >>"$RESULTS"

for spec in "${PEERS[@]}"; do
  name="${spec%%==*}" ver="${spec##*==}"
  if ! "$PY" -m pip install "${PIP_FLAGS[@]}" "$spec" >"$OUT/pip-$name.log" 2>&1; then
    why="$(grep -m1 -E '^ERROR' "$OUT/pip-$name.log" || tail -n1 "$OUT/pip-$name.log")"
    log "$name $ver did not install: $why"
    "$PY" "$HERE/peers.py" failed "$name" "$ver" "pip install failed: ${why//|/\\|}" >>"$RESULTS"
    continue
  fi
  log "$name $ver"
  if ! row="$("$PY" "$HERE/peers.py" run "$name" "$CORPUS" 2>"$OUT/$name.err")"; then
    why="$(tail -n1 "$OUT/$name.err")"
    log "$name failed: $why"
    row="$("$PY" "$HERE/peers.py" failed "$name" "$ver" "run failed: ${why//|/\\|}")"
  fi
  echo "$row" >>"$RESULTS"
done

"$PY" "$HERE/peers.py" table "$RESULTS" "$CORPUS"
