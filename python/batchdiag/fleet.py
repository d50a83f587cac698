"""The fleet job: thousands of bundles on Spark.

``spark-submit fleet/batchdiag_fleet.py --input 'GLOB' --output DIR`` (or
``python -m batchdiag.fleet ...``) reads every bundle with Spark's
``binaryFile`` source (recursive, filtered by ``--glob``, bundles over
``--max-bundle-size`` never read), analyses each in ``mapInArrow`` with this
wheel, and writes Parquet tables ``DIR/bundles``, ``DIR/diagnoses`` and
``DIR/evidence`` and the aggregate as ``DIR/summary.md`` and
``DIR/summary.html``. A bundle that cannot be read, is too big or makes the
analysis fail is an error row, never a failed task. Bundles' bytes are
never written anywhere: only report fields, already redacted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Iterator

DEFAULT_MAX_BUNDLE = 256 << 20

#: What Spark counts opening a file as, in bytes, when it packs files into
#: tasks. Its default (4 MiB) is made for splitting big files: 2,000 bundles
#: of 36 KiB became 64 tasks of 31 bundles each (and, through the tables'
#: writes and the driver's reads, hundreds of tasks and a job per partition),
#: far more than their 73 MB of work needs. Big bundles still split at
#: spark.sql.files.maxPartitionBytes (128 MiB), which bounds a task's input.
OPEN_COST = 64 << 10
#: Tasks per core at least: Spark packs files by bytes, not by work, so one
#: task per core left a core idle while the other finished a task twice as
#: long; a few per core even that out.
TASKS_PER_CORE = 4
#: Bundles per Arrow batch: the JVM reads the next batch's files while the
#: Python worker analyses this one (Spark's default, 10,000, made one batch of
#: a whole task, read in full before any analysis began).
BATCH_ROWS = 64


def _run_conf(spark, partitions: int | None = None) -> dict:
    """The session settings the job runs under (restored when it ends).

    ``partitions`` sets how many tasks the scan splits the files into. It is a
    setting of the scan, not a ``repartition``: a shuffle would write the
    bundles' bytes to Spark's local shuffle files, and bundles are never
    written anywhere.
    """
    tasks = partitions or TASKS_PER_CORE * spark.sparkContext.defaultParallelism
    return {
        "spark.sql.files.openCostInBytes": str(OPEN_COST),
        "spark.sql.files.minPartitionNum": str(tasks),
        "spark.sql.execution.arrow.maxRecordsPerBatch": str(BATCH_ROWS),
    }

BUNDLE_FIELDS = (
    "path string, size long, modification_time timestamp, status string, exit_code int, "
    "diagnosis_count int, input_errors array<string>, error_kinds array<string>, error string"
)
DIAGNOSIS_FIELDS = (
    "code string, slug string, confidence string, subscription string, resource_group string, "
    "account string, storage_account string, identity string, pools array<string>, "
    "nodes array<string>, tasks array<string>, summary string, evidence array<string>"
)
EVIDENCE_FIELDS = (
    "id string, kind string, time string, path string, member string, entry long, line long, "
    "status long, code string, detail string"
)
SCHEMA = f"{BUNDLE_FIELDS}, diagnoses array<struct<{DIAGNOSIS_FIELDS}>>, evidence array<struct<{EVIDENCE_FIELDS}>>"


def analyse_batches(batches: Iterator, limits: dict, threads: int = 1) -> Iterator:
    """mapInArrow: (path, modificationTime, length, content) in; one row per bundle out.

    A whole Arrow batch goes into the wheel in one call (analysed in parallel
    with the GIL released), and the columns come out whole: the bundle's own
    columns pass through as they arrived, the report columns are built a
    column at a time.
    """
    import pyarrow as pa

    import batchdiag
    from batchdiag.rows import rows

    if batchdiag.threads() != threads:
        batchdiag.set_threads(threads)
    schema = _arrow_schema()
    for batch in batches:
        paths = batch.column("path").to_pylist()
        contents = [c if c is not None else b"" for c in batch.column("content").to_pylist()]
        try:
            outcomes = batchdiag.analyze_many(paths, contents, each=True, **limits)
        except Exception as e:  # misuse (a bad limit): every bundle of the batch says so
            msg = batchdiag.redact_message(f"{type(e).__name__}: {e}")
            outcomes = [(None, 3, msg)] * len(paths)
        del contents
        cols = {n: [] for n in _REPORT_COLUMNS}
        for (text, code, failure) in outcomes:
            try:
                if text is None:
                    raise RuntimeError(failure)
                bundle, diagnoses, evidence = rows(json.loads(text), code)
            except Exception as e:  # the wheel reports bad input as fields; this is the last guard
                msg = batchdiag.redact_message(f"{type(e).__name__}: {e}")
                bundle, diagnoses, evidence = _error_row("failed", f"analysis failed: {msg}")
            for n in _BUNDLE_REPORT_COLUMNS:
                cols[n].append(bundle[n])
            cols["diagnoses"].append(diagnoses)
            cols["evidence"].append(evidence)
        arrays = [
            batch.column("path").cast(pa.string()),
            batch.column("length").cast(pa.int64()),
            batch.column("modificationTime").cast(schema.field("modification_time").type),
        ] + [pa.array(cols[n], type=schema.field(n).type) for n in _REPORT_COLUMNS]
        yield pa.RecordBatch.from_arrays(arrays, schema=schema)


#: The columns of a bundle row that come from its report (the rest are the file's own).
_BUNDLE_REPORT_COLUMNS = ("status", "exit_code", "diagnosis_count", "input_errors", "error_kinds", "error")
_REPORT_COLUMNS = _BUNDLE_REPORT_COLUMNS + ("diagnoses", "evidence")


def _same_path(p: str) -> str:
    """The listing writes file:///x, the scan file:/x: one spelling for both."""
    return "file:/" + p[5:].lstrip("/") if p.startswith("file:") else p


def _error_row(status: str, error: str):
    return (
        {"status": status, "exit_code": 3, "diagnosis_count": 0, "input_errors": [], "error_kinds": [], "error": error},
        [],
        [],
    )


def _arrow_schema():
    import pyarrow as pa

    s = pa.string()
    ls = pa.list_(s)
    diag = pa.struct(
        [(n, s) for n in ("code", "slug", "confidence", "subscription", "resource_group", "account", "storage_account", "identity")]
        + [("pools", ls), ("nodes", ls), ("tasks", ls), ("summary", s), ("evidence", ls)]
    )
    ev = pa.struct(
        [("id", s), ("kind", s), ("time", s), ("path", s), ("member", s), ("entry", pa.int64()), ("line", pa.int64()),
         ("status", pa.int64()), ("code", s), ("detail", s)]
    )
    return pa.schema(
        [("path", s), ("size", pa.int64()), ("modification_time", pa.timestamp("us", tz="UTC")), ("status", s),
         ("exit_code", pa.int32()), ("diagnosis_count", pa.int32()), ("input_errors", ls), ("error_kinds", ls),
         ("error", s), ("diagnoses", pa.list_(diag)), ("evidence", pa.list_(ev))]
    )


def run(spark, input_glob: str, output: str, *, glob: str = "*", max_bundle_size: int = DEFAULT_MAX_BUNDLE,
        limits: dict | None = None, partitions: int | None = None, threads: int = 1):
    """Runs the job; returns the :class:`batchdiag.aggregate.Aggregate` it wrote.

    For the run's duration the session packs small bundles into a few tasks
    per core and streams them in Arrow batches of :data:`BATCH_ROWS`
    (:func:`_run_conf`; the session's own settings are restored afterwards).
    """
    limits = dict(limits or {})
    conf = spark.conf
    want = _run_conf(spark, partitions)
    saved = {k: conf.get(k, None) for k in want}
    for k, v in want.items():
        conf.set(k, v)
    try:
        return _run(spark, input_glob, output, glob=glob, max_bundle_size=max_bundle_size, limits=limits,
                    threads=threads)
    finally:
        for k, v in saved.items():
            if v is None:
                conf.unset(k)
            else:
                conf.set(k, v)


def _run(spark, input_glob, output, *, glob, max_bundle_size, limits, threads):
    from pyspark.sql import functions as F

    from batchdiag.aggregate import Aggregate

    files = (
        spark.read.format("binaryFile")
        .option("recursiveFileLookup", "true")
        .option("pathGlobFilter", glob)
        .load(input_glob)
    )
    # binaryFile pushes filters on length down: an oversized bundle's bytes are never read.
    small = files.filter(F.col("length") <= max_bundle_size)
    # Spark's scan drops zero-length files, so an empty upload would vanish:
    # every listed file the scan does not return is analysed as empty, by the
    # same code as the rest (the reader names what an empty bundle lacks).
    listed = {_same_path(p) for p in files.inputFiles()}
    seen = {_same_path(r["path"]) for r in files.select("path").toLocalIterator()}
    unseen = sorted(listed - seen)
    if unseen:
        empty = spark.createDataFrame(
            [(p, None, 0, bytearray()) for p in unseen],
            "path string, modificationTime timestamp, length long, content binary",
        )
        small = small.unionByName(empty)
    analysed = small.mapInArrow(lambda it: analyse_batches(it, limits, threads), SCHEMA)
    # Oversized bundles are few and need no work: one task for all of them.
    big = files.filter(F.col("length") > max_bundle_size).coalesce(1).select(
        F.col("path"),
        F.col("length").alias("size"),
        F.col("modificationTime").alias("modification_time"),
        F.lit("oversized").alias("status"),
        F.lit(3).alias("exit_code"),
        F.lit(0).alias("diagnosis_count"),
        F.array().cast("array<string>").alias("input_errors"),
        F.array(F.lit(f"bundle larger than the size cap of {max_bundle_size} bytes (--max-bundle-size)")).alias("error_kinds"),
        F.lit(f"bundle larger than the size cap of {max_bundle_size} bytes (--max-bundle-size); not read").alias("error"),
        F.array().cast(f"array<struct<{DIAGNOSIS_FIELDS}>>").alias("diagnoses"),
        F.array().cast(f"array<struct<{EVIDENCE_FIELDS}>>").alias("evidence"),
    )
    everything = analysed.unionByName(big).persist()
    try:
        bundle_cols = [c.split(" ")[0] for c in BUNDLE_FIELDS.split(", ")]
        everything.select(*bundle_cols).write.mode("overwrite").parquet(os.path.join(output, "bundles"))
        everything.select(F.col("path").alias("bundle"), F.explode("diagnoses").alias("d")).select("bundle", "d.*").write.mode(
            "overwrite"
        ).parquet(os.path.join(output, "diagnoses"))
        everything.select(F.col("path").alias("bundle"), F.explode("evidence").alias("e")).select("bundle", "e.*").write.mode(
            "overwrite"
        ).parquet(os.path.join(output, "evidence"))
        # The aggregate on the driver, by the same code as batchdiag-summarize: only
        # statuses, error texts and (code, subscription, account) travel there.
        agg = Aggregate()
        slim = everything.select(
            "status", "error_kinds", "error",
            F.transform("diagnoses", lambda d: F.struct(d["code"], d["subscription"], d["account"])).alias("d"),
        )
        for r in slim.toLocalIterator():
            agg.add_bundle(r["status"], r["error_kinds"] or (), r["error"])
            agg.add_diagnoses((x[0], x[1], x[2]) for x in r["d"] or ())
    finally:
        everything.unpersist()
    _write_text(spark, os.path.join(output, "summary.md"), agg.markdown())
    _write_text(spark, os.path.join(output, "summary.html"), agg.html())
    return agg


def _write_text(spark, path: str, text: str) -> None:
    """A small text file next to the tables, on any file system Spark's Hadoop knows (abfss://, dbfs:/, local)."""
    jvm = spark.sparkContext._jvm
    jpath = jvm.org.apache.hadoop.fs.Path(path)
    fs = jpath.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    out = fs.create(jpath, True)
    try:
        out.write(bytearray(text.encode("utf-8")))
    finally:
        out.close()


def parse_size(s: str) -> int:
    """``256M``, ``2G``, ``4096``."""
    t = s.strip().upper()
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(t[-1:], 1)
    n = int(t[:-1] if mult > 1 else t)
    if n <= 0:
        raise argparse.ArgumentTypeError(f"{s!r} must be positive")
    return n * mult


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="batchdiag_fleet", description=__doc__.split("\n\n")[0])
    p.add_argument("--input", required=True, help="bundles: a path or glob Spark reads (abfss://..., dbfs:/..., /local/...)")
    p.add_argument("--output", required=True, help="directory for the Parquet tables and the summary")
    p.add_argument("--glob", default="*", help="file-name filter (pathGlobFilter), e.g. '*.{zip,gz}' (default: every file)")
    p.add_argument("--max-bundle-size", type=parse_size, default=DEFAULT_MAX_BUNDLE, help="bundles larger than this are error rows, never read (default 256M)")
    p.add_argument("--partitions", type=int, help="how many tasks the scan splits the bundles into, without a shuffle "
                   "(default: a few per core)")
    p.add_argument("--threads", type=int, default=1, help="analysis threads per Spark task (default 1: Spark runs one task per core)")
    a = p.parse_args(argv)
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.appName("batchdiag-fleet").getOrCreate()
    agg = run(spark, a.input, a.output, glob=a.glob, max_bundle_size=a.max_bundle_size,
              partitions=a.partitions, threads=a.threads)
    print(agg.markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main())
