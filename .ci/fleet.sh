#!/usr/bin/env bash
# CI for the wheel and the Spark job (python/, fleet/): a headless JDK from
# Debian, a venv with pyspark, pyarrow, pandas<3, maturin and pytest, the
# wheel built and installed, then the pytest suite (Spark in local[2]).
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
if [ ! -x "$VENV/bin/pytest" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check pyspark pyarrow 'pandas<3' maturin pytest
fi
# The CLI and generator the tests compare against (debug: what cargo test built).
cargo build -q --locked -p batchdiag -p batchdiag-benches --bins
rm -rf target/wheels
# A debug wheel: it is what the tests need, and builds in a fraction of a release's time.
(cd python && "../$VENV/bin/maturin" build --locked -q -o ../target/wheels)
# The platform tag pyproject.toml pins (maturin audited the symbol versions against it).
ls target/wheels/batchdiag-*-cp39-abi3-manylinux_2_34_*.whl >/dev/null
"$VENV/bin/pip" install -q --force-reinstall --no-deps target/wheels/batchdiag-*.whl
echo "fleet setup: $((SECONDS - start))s"
# pytest exits 5 when it collected nothing: that fails here like any other code.
BATCHDIAG_FLEET_SIZE=${BATCHDIAG_FLEET_SIZE:-200} "$VENV/bin/pytest" -q -p no:cacheprovider python/tests
echo "fleet CI: $((SECONDS - start))s"
