#!/usr/bin/env bash
# Side-by-side, whole-process comparison of batchdiag with its floor (the
# least work that reads the same bytes) and with the tools a support engineer
# would otherwise use, on the same data, in one run: every row of issue 18.
#
#   benches/compare.sh                  # every row, then the ratio table
#   RUNS=7 benches/compare.sh           # more runs per command (the median is reported)
#   SCALE=1 benches/compare.sh          # also the scaling table: 1x/4x/16x input, --jobs 1 vs 2
#   ROWS="har logs" benches/compare.sh  # only some rows: har logs tgz zip rotated redact each serve spark
#
# Builds release, generates the inputs under benches/data/ if missing (a
# ~400 MB Chrome HAR; ~800 MB of agent logs for 80 nodes as a directory, a
# tar.gz and a zip; the same logs rotated; a fleet of 2,000 small bundles),
# installs the peers it needs (ripgrep, pigz, jq, hyperfine, time from
# Debian; wiretrail from crates.io), then prints each row as it is measured
# and one table of ratios against the targets at the end. A row whose tool
# is missing is skipped with a note. Not part of CI.
#
# Times: median wall time from hyperfine (which subtracts its shell's own
# start-up, so sub-second commands compare fairly); peak RSS from one more
# run under /usr/bin/time. Spark is timed by `date` over SPARK_RUNS runs
# (default 1): its runs take tens of seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
SPARK_RUNS=${SPARK_RUNS:-1}
SCALE=${SCALE:-0}
ROWS=${ROWS:-har logs tgz zip rotated redact each serve spark}
DATA=benches/data
VENV=${BATCHDIAG_VENV:-target/venv}
export LC_ALL=C

need() { command -v "$1" >/dev/null 2>&1; }
want() { [[ " $ROWS " == *" $1 "* ]]; }
if ! need rg || ! need pigz || ! need jq || ! need hyperfine || ! need curl || [ ! -x /usr/bin/time ]; then
  apt-get update -qq >/dev/null && apt-get install -y -qq ripgrep pigz jq hyperfine time curl >/dev/null
fi
if want har && ! need wiretrail; then
  cargo install --quiet --locked wiretrail >/dev/null 2>&1 || echo "note: wiretrail could not be installed; its row is skipped" >&2
fi

cargo build --release --quiet -p batchdiag -p batchdiag-benches
BD=target/release/batchdiag
GEN=target/release/batchdiag-gen
TMP=$(mktemp -d)
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT
mkdir -p "$DATA"

# Inputs at 1x, 4x and 16x (16x is the size of the headline rows).
har() { # MB -> path
  local f=$DATA/har-$1.har
  [ "$1" = 400 ] && f=$DATA/large.har
  [ -f "$f" ] || "$GEN" har "$1" "$f"
  echo "$f"
}
logs() { # MB [parts] -> directory (DIR.tar.gz and DIR.zip beside it)
  local d=$DATA/logs-$1
  [ "$1" = 800 ] && d=$DATA/logs
  [ "${2:-1}" != 1 ] && d=$DATA/logs-rotated
  [ -d "$d" ] || "$GEN" logs "$1" "$d" "${2:-1}"
  echo "$d"
}
fleet() { # N -> directory of bundles
  local d=$DATA/fleet-$1
  [ -d "$d" ] || "$GEN" fleet "$1" "$d" > /dev/null
  echo "$d/bundles"
}
warm() { find "$@" -type f -exec cat {} + > /dev/null; }

# measure CMD [RUNS] -> "median_seconds max_rss_kb"
measure() {
  local tf js median rss
  tf=$(mktemp -p "$TMP")
  js=$(mktemp -p "$TMP")
  hyperfine --style none --warmup 1 --runs "${2:-$RUNS}" --ignore-failure --export-json "$js" "$1" > /dev/null 2>&1
  median=$(jq '.results[0].median' "$js")
  /usr/bin/time -o "$tf" -f "%M" bash -c "$1" > /dev/null 2>&1 || true
  rss=$(tail -1 "$tf")
  echo "$median $rss"
}

# Every measured line also goes into the table printed at the end.
SUMMARY=$TMP/summary
: > "$SUMMARY"
line() { # label time_s rss_kb ratio_text
  awk -v l="$1" -v t="$2" -v r="$3" -v x="$4" \
    'BEGIN { printf "  %-52s %8.3f s %8.1f MB  %s\n", l, t, r/1024, x }'
}
base() { # section title, label, command -> sets BT BRSS
  echo
  echo "$1"
  read -r BT BRSS <<< "$(measure "$3")"
  line "$2" "$BT" "$BRSS" "1.00x"
}
peer() { # label, command [runs] -> sets PT PRSS and prints the peer's time relative to batchdiag's
  read -r PT PRSS <<< "$(measure "$2" "${3:-$RUNS}")"
  line "$1" "$PT" "$PRSS" "$(awk -v p="$PT" -v b="$BT" 'BEGIN { printf "%.2fx (batchdiag takes %.2fx its time)", p / b, b / p }')"
}
target() { # work, floor or peer, batchdiag/peer ratio, target text, met (1/0)
  printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$([ "$5" = 1 ] && echo met || echo "NOT met")" >> "$SUMMARY"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }' && echo 1 || echo 0; }

echo "runs per command: $RUNS (median wall time, peak RSS, time relative to batchdiag)"

if want har; then
  HAR=$(har 400)
  warm "$HAR"
  base "HAR: $(du -h "$HAR" | cut -f1) Chrome capture, find the failing inner /batch responses" \
    "batchdiag analyze --format json" "$BD analyze --format json $HAR"
  bd_rss=$BRSS
  peer "rg -c -F management.azure.com/batch (the floor)" "rg -c -F management.azure.com/batch $HAR"
  target "401 MB HAR, analyze -f json" "rg -c -F (literal scan)" "$(ratio "$BT" "$PT")x" "<= 2x, <= 64 MB RSS ($((bd_rss / 1024)) MB)" \
    "$(( $(le "$(ratio "$BT" "$PT")" 2) && bd_rss <= 65536 ))"
  peer "jq (parse, decode, filter inner >= 400)" \
    "jq -c '.log.entries[] | select(.request.url | contains(\"/batch?\")) | (.response.content | if .encoding == \"base64\" then (.text|@base64d) else .text end) | fromjson? | .responses[]? | select(.httpStatusCode >= 400)' $HAR"
  if need wiretrail; then
    peer "wiretrail errors (4xx/5xx by endpoint)" "wiretrail $HAR errors"
  else
    echo "  note: wiretrail missing; row skipped"
  fi
fi

if want logs; then
  LOGS=$(logs 800)
  warm "$LOGS"
  base "Logs: $(du -sh "$LOGS" | cut -f1) of agent-debug.log, 80 nodes, as a directory" \
    "batchdiag analyze --format json" "$BD analyze --format json $LOGS"
  peer "rg -c -F TvmJoinPoolInProgress DIR (the peer)" "rg -c -F TvmJoinPoolInProgress $LOGS"
  target "802 MB log directory" "rg -c -F TvmJoinPoolInProgress DIR" "$(ratio "$BT" "$PT")x" "<= 1.0x" "$(le "$(ratio "$BT" "$PT")" 1.0)"
  DIR_BASE=$BT
fi

if want tgz; then
  TGZ=$(logs 800).tar.gz
  warm "$TGZ"
  base "Logs as a tar.gz ($(du -h "$TGZ" | cut -f1), one DEFLATE stream)" \
    "batchdiag analyze --format json" "$BD analyze --format json $TGZ"
  TGZ_BASE=$BT
  peer "batchdiag-gen inflate (the same inflater alone: the floor)" "$GEN inflate $TGZ"
  target "67 MB logs tar.gz" "inflate alone (same inflater)" "$(ratio "$BT" "$PT")x" "<= 1.1x" "$(le "$(ratio "$BT" "$PT")" 1.1)"
  peer "pigz -dc X.tar.gz" "pigz -dc $TGZ"
  peer "pigz -dc X.tar.gz | rg -c ..." "pigz -dc $TGZ | rg -c -F TvmJoinPoolInProgress"
  target "67 MB logs tar.gz" "pigz -dc | rg -c" "$(ratio "$BT" "$PT")x" "<= 0.3x" "$(le "$(ratio "$BT" "$PT")" 0.3)"
fi

if want zip; then
  ZIP=$(logs 800).zip
  warm "$ZIP"
  base "Logs as a zip ($(du -h "$ZIP" | cut -f1))" "batchdiag analyze --format json" "$BD analyze --format json $ZIP"
  [ -n "${TGZ_BASE:-}" ] && [ -n "${DIR_BASE:-}" ] &&
    awk -v z="$BT" -v g="$TGZ_BASE" -v d="$DIR_BASE" 'BEGIN { printf "  zip / tar.gz time: %.2f; directory / tar.gz: %.2f\n", z / g, d / g }'
fi

if want rotated; then
  ROT=$(logs 800 4)
  warm "$ROT" "$ROT.tar.gz"
  base "Rotated logs (half the bytes in .2.gz and .3.gz members) as a tar.gz ($(du -h "$ROT.tar.gz" | cut -f1))" \
    "batchdiag analyze --format json" "$BD analyze --format json $ROT.tar.gz"
  peer "batchdiag on the directory" "$BD analyze --format json $ROT"
  peer "rg -z -c ... on the directory" "rg -z -c -F TvmJoinPoolInProgress $ROT"
fi

if want redact; then
  HAR=$(har 400)
  warm "$HAR"
  base "redact: a sanitized copy of the $(du -h "$HAR" | cut -f1) HAR" \
    "batchdiag redact -o COPY" "$BD redact $HAR -o $TMP/copy.har"
  bd_rss=$BRSS
  rm -f "$TMP/copy.har"
  peer "jq -c . (rewriting the same file)" "jq -c . $HAR"
  # The target is against the first pass's 5-6 s: at most 2.75 s.
  target "redact of the 401 MB HAR" "jq -c . (and the first pass's 5-6 s)" "$(ratio "$BT" "$PT")x jq, $(printf %.2f "$BT") s" \
    "<= 2.75 s (2x faster than 5.5 s), bounded memory ($((bd_rss / 1024)) MB)" "$(le "$BT" 2.75)"
fi

if want each; then
  FLEET=$(fleet 2000)
  n=$(find "$FLEET" -type f | wc -l)
  find "$FLEET" -type f | sort > "$TMP/fleet.list"
  warm "$FLEET"
  # Every bundle as an argument of one process (2,000 paths fit a command line).
  base "--each over $n small bundles ($(du -sh "$FLEET" | cut -f1); corpus recipes as zip/tar.gz, corrupt ones, one oversized)" \
    "batchdiag analyze --each -f json (one process)" "$BD analyze --each -f json $FLEET/*/*/*"
  EACH_BASE=$BT
  awk -v n="$n" -v t="$BT" 'BEGIN { printf "  %.0f bundles/s, %.2f ms per bundle\n", n / t, t * 1000 / n }'
  peer "one process per bundle (xargs -P 2 -n 1)" "xargs -a $TMP/fleet.list -P 2 -n 1 $BD analyze -f json" 3
  awk -v n="$n" -v t="$PT" 'BEGIN { printf "  %.0f bundles/s\n", n / t }'
  target "--each over $n small bundles" "one process per bundle" "$(awk -v n="$n" -v t="$BT" 'BEGIN { printf "%.0f bundles/s", n / t }')" \
    ">= 1,000 bundles/s" "$(awk -v n="$n" -v t="$BT" 'BEGIN { print (n / t >= 1000) ? 1 : 0 }')"
fi

# A server on loopback; $1 is extra flags. Sets SERVER_PID and PORT.
start_server() {
  PORT=$((20000 + RANDOM % 20000))
  # shellcheck disable=SC2086
  $BD serve --no-auth --bind "127.0.0.1:$PORT" --max-body 4G $1 2> "$TMP/serve.log" &
  SERVER_PID=$!
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$PORT/healthz" > /dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "note: batchdiag serve did not start: $(cat "$TMP/serve.log")" >&2
  return 1
}
stop_server() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
}
post() { # file -> the curl command that posts it, sending the file as it reads it (-T)
  echo "curl -sS -o /dev/null -X POST -H 'X-File-Name: $(basename "$1")' -T $1 http://127.0.0.1:$PORT/api/v1/analyze"
}
post_buffered() { # file -> the same POST by a client that reads the file whole before it connects
  echo "curl -sS -o /dev/null -H 'X-File-Name: $(basename "$1")' --data-binary @$1 http://127.0.0.1:$PORT/api/v1/analyze"
}

if want serve; then
  HAR100=$(har 100)
  warm "$HAR100"
  base "serve: a $(du -h "$HAR100" | cut -f1) HAR" "batchdiag analyze --format json (the CLI)" "$BD analyze --format json $HAR100"
  if start_server ""; then
    peer "curl --data-binary @FILE POST (the client reads it whole first)" "$(post_buffered "$HAR100")"
    peer "curl -T FILE POST /api/v1/analyze (serve --no-auth, loopback)" "$(post "$HAR100")"
    target "serve: 100 MB HAR through the API" "the CLI on the same file" "$(ratio "$PT" "$BT")x" "<= 1.2x" "$(le "$(ratio "$PT" "$BT")" 1.2)"
    echo "  (server peak RSS over the run: $(awk '/VmHWM/ { printf "%.1f MB", $2 / 1024 }' "/proc/$SERVER_PID/status"))"
    stop_server
  fi
fi

spark_time() { # input dir -> seconds of a spark-submit local[2] run (median of SPARK_RUNS)
  local times=() s e
  for _ in $(seq "$SPARK_RUNS"); do
    rm -rf "$TMP/spark-out"
    s=$(date +%s.%N)
    PYSPARK_PYTHON=$VENV/bin/python "$VENV/bin/spark-submit" --master 'local[2]' \
      fleet/batchdiag_fleet.py --input "$1" --output "$TMP/spark-out" > "$TMP/spark.log" 2>&1 ||
      { echo "note: the Spark run failed: $(tail -3 "$TMP/spark.log")" >&2; return 1; }
    e=$(date +%s.%N)
    times+=("$(awk -v s="$s" -v e="$e" 'BEGIN { print e - s }')")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}
# The wheel the job imports is a release build of this tree (.ci/fleet.sh
# installs a debug one for the tests; it reinstalls that when it runs).
spark_ready() {
  if [ ! -x "$VENV/bin/spark-submit" ] || ! need java; then
    echo "note: no Spark venv at $VENV (bash .ci/fleet.sh makes one) or no java; the Spark row is skipped" >&2
    return 1
  fi
  rm -rf target/wheels-release
  (cd python && "../$VENV/bin/maturin" build --release --locked -q -o ../target/wheels-release) > /dev/null 2>&1 &&
    "$VENV/bin/pip" install -q --force-reinstall --no-deps target/wheels-release/batchdiag-*.whl > /dev/null 2>&1 ||
    { echo "note: the release wheel could not be built; the Spark row is skipped" >&2; return 1; }
}

if want spark && spark_ready; then
  FLEET=$(fleet 2000)
  one=$TMP/one-bundle
  mkdir -p "$one"
  cp "$(find "$FLEET" -type f | sort | head -1)" "$one/"
  echo
  echo "Spark local[2] over the same $(find "$FLEET" -type f | wc -l) bundles ($SPARK_RUNS run(s) each)"
  if startup=$(spark_time "$one") && full=$(spark_time "$FLEET"); then
    work=$(awk -v a="$full" -v b="$startup" 'BEGIN { print a - b }')
    line "spark-submit, 1 bundle (the fixed start-up)" "$startup" 0 ""
    line "spark-submit, all bundles" "$full" 0 ""
    line "spark, all bundles less the start-up" "$work" 0 ""
    if [ -z "${EACH_BASE:-}" ]; then
      read -r EACH_BASE _ <<< "$(measure "$BD analyze --each -f json $FLEET/*/*/*")"
    fi
    line "batchdiag analyze --each -f json" "$EACH_BASE" 0 "$(ratio "$work" "$EACH_BASE")x (Spark less start-up / --each)"
    target "Spark local[2] over 2,000 bundles" "analyze --each" "$(ratio "$work" "$EACH_BASE")x (start-up $(printf %.1f "$startup") s apart)" \
      "<= 2x" "$(le "$(ratio "$work" "$EACH_BASE")" 2)"
  fi
fi

if [ "$SCALE" = 1 ]; then
  echo
  echo "Scaling: whole process at 1x, 4x, 16x the input (jobs 2), then --jobs 1 vs 2 at 16x"
  printf '  %-26s %12s %12s %12s %10s %10s %8s\n' "row" "1x" "4x" "16x" "jobs 1" "jobs 2" "speed-up"
  scale_row() { # label, command template with @ for the input, then the three inputs
    local label=$1 tmpl=$2 out=() t j1 j2
    shift 2
    for input in "$@"; do
      read -r t _ <<< "$(measure "${tmpl//@/$input}")"
      out+=("$t")
    done
    # By the environment, which `analyze` and `redact` read as their --jobs.
    read -r j1 _ <<< "$(measure "BATCHDIAG_JOBS=1 RAYON_NUM_THREADS=1 ${tmpl//@/$3}")"
    read -r j2 _ <<< "$(measure "BATCHDIAG_JOBS=2 RAYON_NUM_THREADS=2 ${tmpl//@/$3}")"
    printf '  %-26s %10.3f s %10.3f s %10.3f s %8.3f s %8.3f s %7.2fx\n' "$label" "${out[@]}" "$j1" "$j2" "$(ratio "$j1" "$j2")"
  }
  want har && scale_row "HAR (25/100/400 MB)" "$BD analyze --format json @" "$(har 25)" "$(har 100)" "$(har 400)"
  want logs && scale_row "log dir (50/200/800 MB)" "$BD analyze --format json @" "$(logs 50)" "$(logs 200)" "$(logs 800)"
  want tgz && scale_row "logs tar.gz" "$BD analyze --format json @" "$(logs 50).tar.gz" "$(logs 200).tar.gz" "$(logs 800).tar.gz"
  want zip && scale_row "logs zip" "$BD analyze --format json @" "$(logs 50).zip" "$(logs 200).zip" "$(logs 800).zip"
  want redact && scale_row "redact HAR" "$BD redact -o $TMP/copy.har @" "$(har 25)" "$(har 100)" "$(har 400)"
  want each && scale_row "--each (125/500/2000)" "$BD analyze --each -f json @" \
    "$(fleet 125)/*/*/*" "$(fleet 500)/*/*/*" "$(fleet 2000)/*/*/*"
  if want serve && start_server ""; then
    # The server's threads are its --max-concurrent and the machine's cores; jobs 1 vs 2 is the CLI's.
    out=()
    for f in "$(har 25)" "$(har 100)" "$(har 400)"; do
      read -r t _ <<< "$(measure "$(post "$f")")"
      out+=("$t")
    done
    printf '  %-26s %10.3f s %10.3f s %10.3f s %10s %10s\n' "serve HAR (curl)" "${out[@]}" "-" "-"
    stop_server
  fi
  if want spark && [ -x "$VENV/bin/spark-submit" ]; then
    out=()
    for n in 125 500 2000; do
      out+=("$(spark_time "$(fleet "$n")")")
    done
    printf '  %-26s %10.3f s %10.3f s %10.3f s %10s %10s  (start-up included)\n' "Spark local[2]" "${out[@]}" "-" "-"
  fi
  rm -f "$TMP/copy.har"
fi

echo
echo "Targets (issue 18): batchdiag's time over the floor's or peer's, in this run"
printf '  %-36s %-40s %-34s %-50s %s\n' "work" "floor or peer" "ratio" "target" ""
while IFS=$'\t' read -r w f r t m; do
  printf '  %-36s %-40s %-34s %-50s %s\n' "$w" "$f" "$r" "$t" "$m"
done < "$SUMMARY"
