"""Fixtures: a generated fleet, a local[2] SparkSession, and the job's output."""

import json
import os
import shutil
import subprocess
import tempfile

import sys

import pytest

# The Spark workers run the same interpreter (the venv with the wheel).
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("BATCHDIAG_BIN", os.path.join(REPO, "target", "debug", "batchdiag"))
GEN = os.environ.get("BATCHDIAG_GEN", os.path.join(REPO, "target", "debug", "batchdiag-gen"))
FLEET_SIZE = int(os.environ.get("BATCHDIAG_FLEET_SIZE", "300"))
CAP = 2 << 20  # the generator's oversized bundle is 3 MiB


@pytest.fixture(scope="session")
def workdir():
    d = tempfile.mkdtemp(prefix="batchdiag-pytest-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def fleet(workdir):
    d = os.path.join(workdir, "fleet")
    subprocess.run([GEN, "fleet", str(FLEET_SIZE), d], check=True)
    with open(os.path.join(d, "labels.jsonl")) as f:
        labels = [json.loads(l) for l in f]
    return d, labels


@pytest.fixture(scope="session")
def spark():
    from pyspark.sql import SparkSession

    s = (
        SparkSession.builder.master("local[2]")
        .appName("batchdiag-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )
    yield s
    s.stop()


@pytest.fixture(scope="session")
def job(spark, fleet, workdir):
    from batchdiag.fleet import run

    out = os.path.join(workdir, "out-capped")
    agg = run(spark, os.path.join(fleet[0], "bundles"), out, max_bundle_size=CAP)
    return out, agg


def label_of(labels, spark_path):
    """The label of a bundle Spark names as file:/.../bundles/..."""
    for l in labels:
        if spark_path.endswith("/" + l["path"]):
            return l
    raise KeyError(spark_path)
