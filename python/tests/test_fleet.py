"""The Spark job over a labelled fleet: counts, error rows, no secrets, same aggregate as the CLI."""

import collections
import glob
import os
import re
import subprocess
import sys

import pyarrow.parquet as pq

import batchdiag
from batchdiag.summarize import summarize
from conftest import BIN, CAP, label_of

JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.")
SAS = re.compile(r"[?&]sig=(?!\[REDACTED\])[A-Za-z0-9%+/=]{8,}")


def table(out, name):
    return pq.read_table(os.path.join(out, name)).to_pylist()


def test_every_bundle_has_one_row_with_its_label_status(job, fleet):
    out, _ = job
    bundles = table(out, "bundles")
    _, labels = fleet
    assert len(bundles) == len(labels)
    for b in bundles:
        l = label_of(labels, b["path"])
        assert b["status"] == l["status"], (b, l)
        assert b["size"] == l["size"]
        if l["status"] in ("input_error", "oversized"):
            assert b["exit_code"] == 3
            assert b["input_errors"] or b["error"], b
    statuses = collections.Counter(b["status"] for b in bundles)
    assert statuses["oversized"] == 1 and statuses["input_error"] >= 4, statuses


def test_counts_per_code_match_the_labels(job, fleet):
    out, agg = job
    _, labels = fleet
    want = collections.Counter(c for l in labels if l["status"] != "oversized" for c in l["codes"])
    got = collections.Counter(d["code"] for d in table(out, "diagnoses"))
    assert got == want
    assert dict(agg.codes) == dict(want)
    assert {"BD101", "BD201", "BD202", "BD203", "BD204", "BD301", "BD401", "BD402", "BD403"} <= set(got)


def test_diagnoses_and_evidence_name_their_bundle(job):
    out, _ = job
    paths = {b["path"] for b in table(out, "bundles")}
    diags = table(out, "diagnoses")
    ev = table(out, "evidence")
    assert diags and ev
    assert {d["bundle"] for d in diags} <= paths and {e["bundle"] for e in ev} <= paths
    ids = {(e["bundle"], e["id"]) for e in ev}
    assert all((d["bundle"], i) in ids for d in diags for i in d["evidence"])


def test_summary_files_are_written(job):
    out, agg = job
    md = open(os.path.join(out, "summary.md"), encoding="utf-8").read()
    assert md == agg.markdown() and "| BD101 |" in md
    page = open(os.path.join(out, "summary.html"), encoding="utf-8").read()
    assert page.startswith("<!DOCTYPE html>") and "<td>BD201</td>" in page


def test_no_credential_shaped_string_in_any_table(job, fleet):
    out, _ = job
    # The fleet does carry credentials, so this test can fail.
    carrying = 0
    for p in glob.glob(os.path.join(fleet[0], "bundles", "**", "*sas-resource-files*"), recursive=True)[:2]:
        _, findings = batchdiag.redact_bytes(os.path.basename(p), open(p, "rb").read())
        carrying += findings["secrets"]
    assert carrying > 0
    strings = 0

    def walk(v):
        nonlocal strings
        if isinstance(v, str):
            strings += 1
            assert not batchdiag.contains_secret(v), v[:200]
            assert not JWT.search(v) and not SAS.search(v), v[:200]
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    for name in ("bundles", "diagnoses", "evidence"):
        for row in table(out, name):
            walk(row)
    for name in ("summary.md", "summary.html"):
        walk(open(os.path.join(out, name), encoding="utf-8").read())
    assert strings > 1000


def test_same_aggregate_as_cli_and_summarize(spark, fleet, workdir):
    from batchdiag.fleet import run

    d, labels = fleet
    # With the scan split into an odd number of tasks (no shuffle: --partitions).
    agg = run(spark, os.path.join(d, "bundles"), os.path.join(workdir, "out-all"), partitions=3)
    paths = [os.path.join(d, l["path"]) for l in labels]
    cli = subprocess.run([BIN, "analyze", "--each", "-f", "json", *paths], capture_output=True, text=True)
    assert cli.returncode == 3, cli.stderr[-2000:]
    local = summarize(cli.stdout.splitlines())
    assert local.markdown() == agg.markdown()
    assert local.html() == agg.html()
    # And through the command line, as the README shows it.
    shell = subprocess.run(
        [sys.executable, "-m", "batchdiag.summarize"], input=cli.stdout, capture_output=True, text=True, check=True
    )
    assert shell.stdout == agg.markdown()


def test_capped_run_differs_only_by_the_oversized_bundle(job):
    _, agg = job
    assert agg.status["oversized"] == 1
    assert any("size cap" in e for e in agg.errors)


def test_run_restores_the_session_settings(job, spark):
    from batchdiag.fleet import _run_conf

    # The job packs files and sizes batches for its own run only; the session
    # fixture set none of these, so after the run none is set.
    want = _run_conf(spark)
    assert want["spark.sql.files.minPartitionNum"] == str(4 * spark.sparkContext.defaultParallelism)
    assert _run_conf(spark, 3)["spark.sql.files.minPartitionNum"] == "3"
    for k in want:
        assert spark.conf.get(k, None) is None, k
