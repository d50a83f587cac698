"""One report (the CLI's JSON, as a dict) as the rows of the fleet tables.

The Spark job and ``batchdiag-summarize`` both go through :func:`rows`, so
a bundle counts the same in both. Every string here comes from a report,
which the wheel has already redacted.
"""

from __future__ import annotations

import json
import re
from typing import Any, Dict, List, Optional, Tuple

#: What a bundle came to: the CLI's verdict, or why it was not analysed.
STATUS_BY_EXIT = {0: "clean", 1: "diagnosed", 3: "input_error"}

_BYTE = re.compile(r"^ \(byte \d+\)")


def error_text(path: str, error: str) -> str:
    """An input error without the input's own path in front, to group alike errors."""
    msg = error[len(path):] if error.startswith(path) else error
    msg = _BYTE.sub("", msg)
    return msg[2:] if msg.startswith(": ") else msg.lstrip()


def _names(items: List[Any], key: str) -> List[str]:
    out = []
    for x in items or []:
        if isinstance(x, dict):
            x = x.get(key)
        if x is not None:
            out.append(str(x))
    return out


def rows(report: Dict[str, Any], exit_code: int) -> Tuple[Dict[str, Any], List[Dict[str, Any]], List[Dict[str, Any]]]:
    """``(bundle, diagnoses, evidence)`` for one report whose CLI exit code is ``exit_code``."""
    input_errors = [f"{i['path']}: {error_text(i['path'], i['error'])}" for i in report["inputs"] if i.get("error")]
    error_kinds = [error_text(i["path"], i["error"]) for i in report["inputs"] if i.get("error")]
    diagnoses = []
    for d in report["diagnoses"]:
        s = d.get("subjects") or {}
        diagnoses.append(
            {
                "code": d["code"],
                "slug": d.get("slug"),
                "confidence": d.get("confidence"),
                "subscription": s.get("subscription"),
                "resource_group": s.get("resource_group"),
                "account": s.get("account"),
                "storage_account": s.get("storage_account"),
                "identity": None if s.get("identity") is None else json.dumps(s.get("identity"), sort_keys=True),
                "pools": _names(s.get("pools"), "pool"),
                "nodes": _names(s.get("nodes"), "node"),
                "tasks": _names(s.get("tasks"), "task"),
                "summary": d.get("summary"),
                "evidence": [str(e) for e in d.get("evidence") or []],
            }
        )
    evidence = []
    for e in report["evidence"]:
        src = e.get("source") or {}
        status = e.get("status")
        evidence.append(
            {
                "id": e.get("id"),
                "kind": e.get("kind"),
                "time": e.get("time"),
                "path": src.get("path"),
                "member": src.get("member"),
                "entry": src.get("entry"),
                "line": src.get("line"),
                "status": status if isinstance(status, int) else None,
                "code": e.get("code") if isinstance(e.get("code"), str) else None,
                "detail": json.dumps(e, sort_keys=True),
            }
        )
    error: Optional[str] = None
    if exit_code == 3 and not input_errors:
        error = "nothing could be analysed: no HAR capture, node-agent log, resource JSON or probe"
    bundle = {
        "status": STATUS_BY_EXIT.get(exit_code, "failed"),
        "exit_code": exit_code,
        "diagnosis_count": len(diagnoses),
        "input_errors": input_errors,
        "error_kinds": error_kinds,
        "error": error,
    }
    return bundle, diagnoses, evidence
