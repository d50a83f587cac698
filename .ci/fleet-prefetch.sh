#!/usr/bin/env bash
# The download-bound half of .ci/fleet.sh: the venv with pyspark, pyarrow,
# pandas<3, maturin and pytest. .ci/run starts it in the background first
# thing, so that the downloads (~500 MB, most of it pyspark's source archive,
# which pip then builds into a wheel) overlap the Rust lints, builds and
# tests instead of adding to them; .ci/fleet.sh waits for it (the lock) and
# runs it itself when nobody started it. Measured on 2026-12-01 (2 shared
# cores, no pip cache): 475 s under a load average of ~10; README.md, "Fleet", CI cost.
#
#   bash .ci/fleet-prefetch.sh               # makes $BATCHDIAG_VENV (default target/venv) once
#   bash .ci/fleet-prefetch.sh --background  # the same, detached, into target/fleet-prefetch.log
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = --background ]; then
    mkdir -p target
    bash .ci/fleet-prefetch.sh > target/fleet-prefetch.log 2>&1 < /dev/null &
    exit 0
fi
VENV=${BATCHDIAG_VENV:-target/venv}
mkdir -p target
exec 9> target/fleet-prefetch.lock
flock 9
# Ready when everything imports: a venv that a failed or cut install left behind is completed.
ready() {
    [ -x "$VENV/bin/maturin" ] && "$VENV/bin/python" -c 'import pyspark, pyarrow, pandas, pytest' >/dev/null 2>&1
}
if ready; then exit 0; fi
start=$SECONDS
python3 -m venv "$VENV"
# --no-compile: no .pyc for pyspark's thousands of modules up front (Python
# writes the few imported ones on first use); --prefer-binary: a wheel over a
# newer source archive wherever there is one.
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-compile --prefer-binary \
    pyspark pyarrow 'pandas<3' maturin pytest
ready
echo "fleet prefetch: venv in $((SECONDS - start))s"
