#!/usr/bin/env bash
# CI for the wheel and the Spark job (python/, fleet/): a headless JDK from
# Debian if the machine has none, the venv with pyspark, pyarrow, pandas<3,
# maturin and pytest (.ci/fleet-prefetch.sh, which .ci/run starts in the
# background at its start), the wheel built and installed, then the pytest
# suite (Spark in local[2]).
#
# Cost (2026-12-01, 2 cores at a load average of ~10 from other builds;
# README.md, "Fleet", CI cost): the venv from nothing, no pip cache, took
# 475 s and now runs behind the Rust lints and tests; what this script adds
# after `cargo test` took 419 s there (7 s venv check, 135 s CLI and debug
# wheel, 277 s pytest), 172 s on a less loaded day.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
need=()
command -v java >/dev/null 2>&1 || need+=(default-jre-headless)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
VENV=${BATCHDIAG_VENV:-target/venv}
# Waits for the background prefetch (its lock), or makes the venv now; a
# prefetch that failed (say, before python3-venv was installed above) is redone.
bash .ci/fleet-prefetch.sh
if [ -s target/fleet-prefetch.log ]; then cat target/fleet-prefetch.log; fi
echo "fleet: venv ready after $((SECONDS - start))s here"
t=$SECONDS
# The CLI and generator the tests compare against: `cargo test --workspace`
# built them already (the generator for benches/tests), so nothing compiles.
cargo build -q --locked -p batchdiag -p batchdiag-benches --bins
rm -rf target/wheels
# A debug wheel: it is what the tests need, and builds in a fraction of a
# release's time. It recompiles the libraries under it rather than reusing
# `cargo test`'s: cargo unifies features over the packages it builds, and the
# whole workspace turns on more (serde's `alloc`, the parser's `internals`...)
# than the wheel's own dependencies do, so every crate above serde differs.
(cd python && "../$VENV/bin/maturin" build --locked -q -o ../target/wheels)
# The platform tag pyproject.toml pins (maturin audited the symbol versions against it).
ls target/wheels/batchdiag-*-cp39-abi3-manylinux_2_34_*.whl >/dev/null
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-compile --force-reinstall --no-deps \
    target/wheels/batchdiag-*.whl
echo "fleet: CLI and wheel built and installed in $((SECONDS - t))s"
t=$SECONDS
# pytest exits 5 when it collected nothing: that fails here like any other code.
BATCHDIAG_FLEET_SIZE=${BATCHDIAG_FLEET_SIZE:-200} "$VENV/bin/python" -m pytest -q -p no:cacheprovider python/tests
echo "fleet: pytest in $((SECONDS - t))s; fleet CI: $((SECONDS - start))s"
