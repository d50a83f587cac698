#!/usr/bin/env bash
# The API against the CLI on the same 100 MB HAR (issue 16: at most 1.3x;
# issue 18: 1.2x), in one run: `batchdiag analyze -f json FILE` vs a POST of
# FILE to `batchdiag serve` on loopback (answer to /dev/null), median wall
# time of hyperfine (or a loop when it is missing), then the ratios. Not
# part of CI.
#
# Two clients: `curl -T FILE` sends the file as it reads it (the upload a
# client of a large file makes, and the API's own time: the target's
# ratio); `curl --data-binary @FILE` first reads the whole file into its
# own memory and only then connects, so that time is the client's, and the
# server cannot overlap it (shown for comparison with earlier runs). The
# server's log then gives its split of the streamed runs: when the upload
# had arrived whole, when the read ended, how long the report took.
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
URL="http://$ADDR/api/v1/analyze"
API="curl -sS -o /dev/null -X POST -H 'x-file-name: $HAR' -T $HAR $URL"
BUF="curl -sS -o /dev/null -H 'x-file-name: $HAR' --data-binary @$HAR $URL"
# Same answer, or the timing means nothing.
cmp <(eval "$CLI" || true) <(curl -sS -X POST -H "x-file-name: $HAR" -T "$HAR" "$URL")
cmp <(eval "$CLI" || true) <(curl -sS -H "x-file-name: $HAR" --data-binary @"$HAR" "$URL")
SKIP=$(grep -c 'POST analyze' "$LOG" || true)

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
if command -v hyperfine >/dev/null 2>&1; then
  J=$(mktemp)
  hyperfine -N --warmup 1 --runs "$RUNS" -i --export-json "$J" "$CLI" "$API" "$BUF" >/dev/null
  read -r T_CLI T_API T_BUF < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; print(r[0]["median"], r[1]["median"], r[2]["median"])' "$J")
  rm -f "$J"
  WARM=1
else
  t() { local s e; s=$(date +%s.%N); eval "$1" >/dev/null || true; e=$(date +%s.%N); echo "$e - $s" | bc; }
  T_CLI=$(for _ in $(seq "$RUNS"); do t "$CLI"; done | median)
  T_API=$(for _ in $(seq "$RUNS"); do t "$API"; done | median)
  T_BUF=$(for _ in $(seq "$RUNS"); do t "$BUF"; done | median)
  WARM=0
fi
printf '%s MB HAR, median of %s: CLI %.3f s, API %.3f s (curl -T), API/CLI %.2fx\n' \
  "$MB" "$RUNS" "$T_CLI" "$T_API" "$(echo "$T_API / $T_CLI" | bc -l)"
printf '  curl --data-binary @FILE (reads the file whole before it connects): %.3f s, %.2fx\n' \
  "$T_BUF" "$(echo "$T_BUF / $T_CLI" | bc -l)"
# The server's split of the streamed runs (their log lines, warm-up left out).
SPLIT=$(grep 'POST analyze' "$LOG" | tail -n +$((SKIP + WARM + 1)) | head -n "$RUNS" |
  sed -n 's/.* \([0-9]*\)ms (upload \([0-9]*\)ms, read \([0-9]*\)ms, report \([0-9]*\)ms)/\1 \2 \3 \4/p')
if [ -n "$SPLIT" ]; then
  col() { echo "$SPLIT" | cut -d' ' -f"$1" | median; }
  echo "  server, medians of the streamed runs: $(col 1) ms in all; the upload whole at $(col 2) ms, read done at $(col 3) ms, report $(col 4) ms"
fi
