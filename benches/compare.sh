#!/usr/bin/env bash
# Side-by-side, whole-process comparison of batchdiag with the tools a support
# engineer would otherwise use, on the same data, in one run.
#
#   benches/compare.sh            # all comparisons
#   RUNS=7 benches/compare.sh     # more runs per command (median is reported)
#
# Builds release, generates the inputs under benches/data/ if missing
# (a ~400 MB Chrome HAR; ~800 MB of agent logs for 80 nodes as a directory,
# a tar.gz and a zip), installs the peers it needs (ripgrep, pigz, jq from
# Debian; wiretrail from crates.io), then prints one table: median wall time
# (hyperfine), peak RSS (/usr/bin/time) and the ratio to batchdiag. Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
DATA=benches/data
export LC_ALL=C

need() { command -v "$1" >/dev/null 2>&1; }
if ! need rg || ! need pigz || ! need jq || ! need hyperfine || [ ! -x /usr/bin/time ]; then
  apt-get update -qq >/dev/null && apt-get install -y -qq ripgrep pigz jq hyperfine time >/dev/null
fi
if ! need wiretrail; then
  cargo install --quiet --locked wiretrail >/dev/null 2>&1 || echo "note: wiretrail could not be installed; its row is skipped" >&2
fi

cargo build --release --quiet -p batchdiag -p batchdiag-benches
BD=target/release/batchdiag
GEN=target/release/batchdiag-gen
mkdir -p "$DATA"
[ -f "$DATA/large.har" ] || "$GEN" har 400 "$DATA/large.har"
[ -d "$DATA/logs" ] || "$GEN" logs 800 "$DATA/logs"
# The same 800 MB rotated into agent-debug.log, .1, .2.gz and .3.gz per node.
[ -d "$DATA/logs-rotated" ] || "$GEN" logs 800 "$DATA/logs-rotated" 4

# Warm the page cache so every tool reads from memory.
cat "$DATA/large.har" "$DATA"/logs*.tar.gz "$DATA"/logs*.zip > /dev/null
find "$DATA/logs" "$DATA/logs-rotated" -type f -exec cat {} + > /dev/null

# measure CMD -> "median_seconds max_rss_kb"
# hyperfine times the runs (it subtracts the shell's own start-up, so tiny
# commands compare fairly); one more run under /usr/bin/time gives the peak RSS.
measure() {
  local tf js median rss
  tf=$(mktemp)
  js=$(mktemp)
  hyperfine --style none --warmup 1 --runs "$RUNS" --ignore-failure --export-json "$js" "$1" > /dev/null 2>&1
  median=$(jq '.results[0].median' "$js")
  /usr/bin/time -o "$tf" -f "%M" bash -c "$1" > /dev/null 2>&1 || true
  rss=$(tail -1 "$tf")
  rm -f "$tf" "$js"
  echo "$median $rss"
}

row() { # label, batchdiag-median, peer-command-description, command
  local label=$1 base=$2 cmd=$3
  read -r t rss <<< "$(measure "$cmd")"
  awk -v l="$label" -v t="$t" -v r="$rss" -v b="$base" \
    'BEGIN { printf "  %-44s %8.3f s %9.1f MB %8.2fx\n", l, t, r/1024, (b > 0 ? t / b : 0) }'
}

section() { # title, batchdiag command
  echo
  echo "$1"
  read -r bt brss <<< "$(measure "$2")"
  awk -v t="$bt" -v r="$brss" 'BEGIN { printf "  %-44s %8.3f s %9.1f MB %8s\n", "batchdiag", t, r/1024, "1.00x" }'
  BASE=$bt
}

echo "runs per command: $RUNS (median wall time, peak RSS, time relative to batchdiag)"

section "HAR: $(du -h "$DATA/large.har" | cut -f1) Chrome capture, find the failing inner /batch responses" \
  "$BD analyze --format json $DATA/large.har"
row "jq (parse, decode, filter inner >= 400)" "$BASE" \
  "jq -c '.log.entries[] | select(.request.url | contains(\"/batch?\")) | (.response.content | if .encoding == \"base64\" then (.text|@base64d) else .text end) | fromjson? | .responses[]? | select(.httpStatusCode >= 400)' $DATA/large.har"
if need wiretrail; then
  row "wiretrail errors (4xx/5xx by endpoint)" "$BASE" "wiretrail $DATA/large.har errors"
fi

section "Logs: $(du -sh "$DATA/logs" | cut -f1) of agent-debug.log, 80 nodes, as a directory" \
  "$BD analyze --format json $DATA/logs"
row "rg -c -F TvmJoinPoolInProgress DIR" "$BASE" "rg -c -F TvmJoinPoolInProgress $DATA/logs"
DIR_BASE=$BASE

section "Logs as a tar.gz ($(du -h "$DATA/logs.tar.gz" | cut -f1))" "$BD analyze --format json $DATA/logs.tar.gz"
TGZ_BASE=$BASE
row "pigz -dc X.tar.gz" "$BASE" "pigz -dc $DATA/logs.tar.gz"
row "pigz -dc X.tar.gz | rg -c ..." "$BASE" "pigz -dc $DATA/logs.tar.gz | rg -c -F TvmJoinPoolInProgress"

section "Logs as a zip ($(du -h "$DATA/logs.zip" | cut -f1))" "$BD analyze --format json $DATA/logs.zip"
awk -v z="$BASE" -v g="$TGZ_BASE" -v d="$DIR_BASE" 'BEGIN { printf "  zip / tar.gz time: %.2f; directory / tar.gz: %.2f\n", z / g, d / g }'

section "Rotated logs (half the bytes in .2.gz and .3.gz members) as a tar.gz ($(du -h "$DATA/logs-rotated.tar.gz" | cut -f1))" \
  "$BD analyze --format json $DATA/logs-rotated.tar.gz"
row "batchdiag on the directory" "$BASE" "$BD analyze --format json $DATA/logs-rotated"
row "rg -z -c ... on the directory" "$BASE" "rg -z -c -F TvmJoinPoolInProgress $DATA/logs-rotated"

echo
echo "Scaling (whole process): --jobs 1 vs --jobs 2"
for input in large.har logs logs.zip logs-rotated.tar.gz; do
  read -r j1 _ <<< "$(measure "$BD analyze --jobs 1 --format json $DATA/$input")"
  read -r j2 _ <<< "$(measure "$BD analyze --jobs 2 --format json $DATA/$input")"
  awk -v n="$input" -v a="$j1" -v b="$j2" \
    'BEGIN { printf "  %-14s jobs 1: %.3f s, jobs 2: %.3f s, speed-up %.2fx\n", n, a, b, a / b }'
done

echo
echo "Size scaling (HAR, whole process): time should grow linearly with the input"
[ -f "$DATA/har-25.har" ] || "$GEN" har 25 "$DATA/har-25.har"
[ -f "$DATA/har-100.har" ] || "$GEN" har 100 "$DATA/har-100.har"
for f in har-25.har har-100.har large.har; do
  cat "$DATA/$f" > /dev/null
  read -r t rss <<< "$(measure "$BD analyze --format json $DATA/$f")"
  size=$(stat -c %s "$DATA/$f")
  awk -v f="$f" -v t="$t" -v s="$size" -v r="$rss" 'BEGIN { printf "  %-12s %7.1f MB %7.3f s %8.0f MB/s %7.1f MB RSS\n", f, s/1048576, t, (t > 0 ? s/1048576/t : 0), r/1024 }'
done

echo
echo "Size scaling (logs, whole process): directory and tar.gz at 1x, 4x, 16x"
[ -d "$DATA/logs-50" ] || "$GEN" logs 50 "$DATA/logs-50"
[ -d "$DATA/logs-200" ] || "$GEN" logs 200 "$DATA/logs-200"
for f in logs-50 logs-200 logs logs-50.tar.gz logs-200.tar.gz logs.tar.gz; do
  find "$DATA/$f" -type f -exec cat {} + > /dev/null
  read -r t rss <<< "$(measure "$BD analyze --format json $DATA/$f")"
  size=$(du -sb "$DATA/$f" | cut -f1)
  awk -v f="$f" -v t="$t" -v s="$size" -v r="$rss" 'BEGIN { printf "  %-16s %7.1f MB %7.3f s %8.0f MB/s %7.1f MB RSS\n", f, s/1048576, t, (t > 0 ? s/1048576/t : 0), r/1024 }'
done
