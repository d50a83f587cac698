#!/usr/bin/env bash
# The API against the CLI on the same 100 MB HAR (issue 16: at most 1.3x;
# issue 18: 1.2x), in one run: `batchdiag analyze -f json FILE` vs a POST of
# FILE to `batchdiag serve` on loopback (curl --data-binary, answer to
# /dev/null), median wall time of hyperfine (or a loop when it is missing),
# then the ratio. Not part of CI.
#
#   benches/serve.sh              # 100 MB
#   MB=400 RUNS=10 benches/serve.sh
set -euo pipefail
cd "$(dirname "$0")/.."
MB=${MB:-100}
RUNS=${RUNS:-7}
DATA=benches/data
export LC_ALL=C

cargo build --release --quiet -p batchdiag -p batchdiag-benches
BD=target/release/batchdiag
mkdir -p "$DATA"
HAR="$DATA/serve-$MB.har"
[ -f "$HAR" ] || target/release/batchdiag-gen har "$MB" "$HAR"
cat "$HAR" > /dev/null

LOG=$(mktemp)
"$BD" serve --no-auth --bind 127.0.0.1:0 --max-concurrent 2 2> "$LOG" &
PID=$!
trap 'kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; rm -f "$LOG"' EXIT
for _ in $(seq 100); do
  ADDR=$(sed -n 's/.*listening on http:\/\/\([^ ]*\).*/\1/p' "$LOG")
  [ -n "$ADDR" ] && break
  sleep 0.1
done
[ -n "$ADDR" ] || { echo "the server did not start" >&2; cat "$LOG" >&2; exit 1; }

CLI="$BD analyze -f json $HAR"
API="curl -sS -o /dev/null -H 'x-file-name: $HAR' --data-binary @$HAR http://$ADDR/api/v1/analyze"
# Same answer, or the timing means nothing.
cmp <(eval "$CLI" || true) <(curl -sS -H "x-file-name: $HAR" --data-binary @"$HAR" "http://$ADDR/api/v1/analyze")

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
if command -v hyperfine >/dev/null 2>&1; then
  J=$(mktemp)
  hyperfine -N --warmup 1 --runs "$RUNS" -i --export-json "$J" "$CLI" "$API" >/dev/null
  read -r T_CLI T_API < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; print(r[0]["median"], r[1]["median"])' "$J")
  rm -f "$J"
else
  t() { local s e; s=$(date +%s.%N); eval "$1" >/dev/null || true; e=$(date +%s.%N); echo "$e - $s" | bc; }
  T_CLI=$(for _ in $(seq "$RUNS"); do t "$CLI"; done | median)
  T_API=$(for _ in $(seq "$RUNS"); do t "$API"; done | median)
fi
printf '%s MB HAR, median of %s: CLI %.3f s, API %.3f s, API/CLI %.2fx\n' \
  "$MB" "$RUNS" "$T_CLI" "$T_API" "$(echo "$T_API / $T_CLI" | bc -l)"
