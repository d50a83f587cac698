"""The fleet aggregate: counts per diagnosis code, per subscription and
account, and the commonest input errors, as Markdown and HTML.

One implementation for both front ends: the Spark job feeds it the rows of
its ``bundles`` and ``diagnoses`` tables, ``batchdiag-summarize`` the rows
of ``batchdiag analyze --each -f json`` (both made by :func:`batchdiag.rows.rows`).
Memory is bounded by the number of distinct codes, accounts and error
texts, not by the number of bundles.
"""

from __future__ import annotations

import html
from collections import Counter
from typing import Any, Dict, Iterable, List, Optional, Tuple

TOP_ERRORS = 10
STATUSES = ("clean", "diagnosed", "input_error", "oversized", "failed")


class Aggregate:
    """Counts that grow bundle by bundle and diagnosis by diagnosis."""

    def __init__(self) -> None:
        self.bundles = 0
        self.status: Counter = Counter()
        self.codes: Counter = Counter()
        self.bundles_per_code: Counter = Counter()
        self.per_subscription: Counter = Counter()
        self.per_account: Counter = Counter()
        self.errors: Counter = Counter()

    def add_bundle(self, status: str, error_kinds: Iterable[str] = (), error: Optional[str] = None) -> None:
        """One bundle: its status and the texts of its input errors (or its own error)."""
        self.bundles += 1
        self.status[status] += 1
        kinds = list(error_kinds or ())
        if error and not kinds:
            kinds = [error]
        for k in kinds:
            self.errors[k] += 1

    def add_diagnoses(self, codes_and_subjects: Iterable[Tuple[str, Optional[str], Optional[str]]]) -> None:
        """The diagnoses of ONE bundle, as ``(code, subscription, account)``."""
        seen = set()
        for code, sub, account in codes_and_subjects:
            self.codes[code] += 1
            seen.add(code)
            self.per_subscription[(sub or "(unknown)", code)] += 1
            self.per_account[(account or "(unknown)", code)] += 1
        for code in seen:
            self.bundles_per_code[code] += 1

    def add_report_rows(self, bundle: Dict[str, Any], diagnoses: List[Dict[str, Any]]) -> None:
        """One bundle from :func:`batchdiag.rows.rows`."""
        self.add_bundle(bundle["status"], bundle.get("error_kinds") or (), bundle.get("error"))
        self.add_diagnoses((d["code"], d.get("subscription"), d.get("account")) for d in diagnoses)

    def tables(self) -> List[Tuple[str, List[str], List[List[str]]]]:
        """Every table of the aggregate: ``(title, header, rows)``, rows sorted so output is reproducible."""
        status = [[s, str(self.status[s])] for s in STATUSES if self.status[s]]
        status += [[s, str(n)] for s, n in sorted(self.status.items()) if s not in STATUSES]
        codes = [[c, str(n), str(self.bundles_per_code[c])] for c, n in sorted(self.codes.items())]
        subs = [[s, c, str(n)] for (s, c), n in sorted(self.per_subscription.items())]
        accounts = [[a, c, str(n)] for (a, c), n in sorted(self.per_account.items())]
        errors = [[e, str(n)] for e, n in sorted(self.errors.items(), key=lambda x: (-x[1], x[0]))[:TOP_ERRORS]]
        return [
            (f"Bundles ({self.bundles})", ["status", "bundles"], status),
            ("Diagnoses per code", ["code", "diagnoses", "bundles"], codes),
            ("Per subscription", ["subscription", "code", "diagnoses"], subs),
            ("Per Batch account", ["account", "code", "diagnoses"], accounts),
            (f"Top {TOP_ERRORS} input errors", ["error", "bundles"], errors),
        ]

    def markdown(self) -> str:
        """The aggregate as Markdown (cells escaped for tables)."""

        def cell(s: str) -> str:
            return s.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")

        out = ["# batchdiag fleet summary", ""]
        for title, header, rows in self.tables():
            out += [f"## {title}", ""]
            if not rows:
                out += ["(none)", ""]
                continue
            out.append("| " + " | ".join(header) + " |")
            out.append("|" + "---|" * len(header))
            out += ["| " + " | ".join(cell(c) for c in r) + " |" for r in rows]
            out.append("")
        return "\n".join(out)

    def html(self) -> str:
        """The aggregate as a standalone HTML page; every value escaped."""
        e = html.escape
        out = [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8"><title>batchdiag fleet summary</title>',
            "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1.5em}"
            "th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left}td.n{text-align:right}</style>",
            "</head><body>",
            "<h1>batchdiag fleet summary</h1>",
        ]
        for title, header, rows in self.tables():
            out.append(f"<h2>{e(title)}</h2>")
            if not rows:
                out.append("<p>(none)</p>")
                continue
            out.append("<table><thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in header) + "</tr></thead><tbody>")
            for r in rows:
                tds = "".join(f'<td class="n">{e(c)}</td>' if c.isdigit() else f"<td>{e(c)}</td>" for c in r)
                out.append(f"<tr>{tds}</tr>")
            out.append("</tbody></table>")
        out.append("</body></html>")
        return "\n".join(out) + "\n"
