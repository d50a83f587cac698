"""``batchdiag analyze --each -f json PATH... | batchdiag-summarize``: the
fleet aggregate on one machine, the same as the Spark job's (same
:mod:`batchdiag.rows`, same :class:`batchdiag.aggregate.Aggregate`).

Reads JSON Lines on stdin (or the files named), one report per bundle, and
prints the Markdown summary; ``--html FILE`` writes the HTML page too.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import IO, Iterable

from . import exit_code_of
from .aggregate import Aggregate
from .rows import rows

def summarize(lines: Iterable[str]) -> Aggregate:
    """The aggregate of JSON Lines reports."""
    agg = Aggregate()
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            report = json.loads(line)
            code = exit_code_of(line)
        except ValueError as e:
            raise SystemExit(f"batchdiag-summarize: line {n} is not a batchdiag JSON report: {e}") from None
        bundle, diagnoses, _ = rows(report, code)
        agg.add_report_rows(bundle, diagnoses)
    return agg


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="batchdiag-summarize", description=__doc__.split("\n\n")[0])
    p.add_argument("files", nargs="*", help="JSON Lines files (default: stdin)")
    p.add_argument("--html", metavar="FILE", help="also write the summary as HTML")
    a = p.parse_args(argv)
    streams: list[IO[str]] = [open(f, encoding="utf-8") for f in a.files] or [sys.stdin]
    agg = summarize(line for s in streams for line in s)
    sys.stdout.write(agg.markdown())
    if a.html:
        with open(a.html, "w", encoding="utf-8") as f:
            f.write(agg.html())
    return 0


if __name__ == "__main__":
    sys.exit(main())
