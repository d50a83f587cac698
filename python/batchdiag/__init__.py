"""batchdiag: forensic analyzer for Azure Batch managed-identity failures.

The same reader, rules, redaction and JSON writer as the ``batchdiag`` CLI
(``batchdiag analyze -f json``), built into this wheel: the ``*_json``
functions return the CLI's JSON byte for byte. Work runs with the GIL
released on a thread pool sized by :func:`set_threads` (default: one thread
per core) or a call's ``threads=``.

Limits are keyword arguments with the CLI's names, in bytes or seconds:
``max_member_size``, ``max_total_size``, ``max_ratio``, ``max_depth``,
``max_in_memory``, ``max_entry_size``, ``join_threshold``.

A bundle that cannot be read is not an exception: the report says so in
``inputs[].error`` and the exit code is 3. Misuse raises: ``TypeError`` for
a wrong type or an unknown keyword, ``ValueError`` for a bad value.
"""

from __future__ import annotations

import json as _json
from typing import Any, Dict, List, Optional, Sequence, Tuple

from . import _native

__version__: str = _native.__version__
__all__ = [
    "__version__",
    "analyze_bytes",
    "analyze_bytes_json",
    "analyze_bytes_full",
    "analyze_paths",
    "analyze_paths_json",
    "analyze_paths_full",
    "analyze_many",
    "redact_bytes",
    "rules",
    "contains_secret",
    "exit_code_of",
    "redact_message",
    "set_threads",
    "threads",
]

set_threads = _native.set_threads
threads = _native.threads
contains_secret = _native.contains_secret
exit_code_of = _native.exit_code_of
redact_message = _native.redact_message
redact_bytes = _native.redact_bytes


def _check_name(name: object) -> None:
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, not {type(name).__name__}")


def analyze_bytes_full(name: str, data: bytes, *, each: bool = False, **limits: int) -> Tuple[str, int]:
    """Analyse one bundle held in memory; return ``(json, exit_code)``.

    ``json`` is what ``batchdiag analyze -f json`` prints for it (with
    ``each=True``, the one line ``--each`` prints, whose ``bundle`` is
    ``name``); ``exit_code`` is the CLI's: 0 clean, 1 diagnosed, 3 not fully read.
    """
    _check_name(name)
    if not isinstance(data, bytes):
        raise TypeError(f"data must be bytes, not {type(data).__name__}")
    return _native.analyze_bytes(name, data, each=each, **limits)


def analyze_bytes_json(name: str, data: bytes, *, each: bool = False, **limits: int) -> str:
    """Analyse one bundle held in memory; return the CLI's JSON report."""
    return analyze_bytes_full(name, data, each=each, **limits)[0]


def analyze_bytes(name: str, data: bytes, **limits: int) -> Dict[str, Any]:
    """Analyse one bundle held in memory; return the report as a dict (schema_version 1)."""
    return _json.loads(analyze_bytes_json(name, data, **limits))


def analyze_many(
    names: Sequence[str], datas: Sequence[bytes], *, each: bool = True, **limits: int
) -> List[Tuple[Optional[str], int, Optional[str]]]:
    """Analyse many bundles held in memory in one call, in parallel on the pool.

    Returns one ``(json, exit_code, error)`` per bundle, in order: ``json`` is
    what :func:`analyze_bytes_full` gives for ``(names[i], datas[i])`` and
    ``error`` is ``None``; when a bundle's analysis fails, ``(None, 3,
    message)`` (the message redacted) and the other bundles are unaffected.
    One call per batch spares the per-bundle crossing into the extension.
    """
    if isinstance(names, (str, bytes)) or isinstance(datas, (str, bytes)):
        raise TypeError("names and datas must be lists, not a single string")
    for n in names:
        _check_name(n)
    for d in datas:
        if not isinstance(d, bytes):
            raise TypeError(f"each data must be bytes, not {type(d).__name__}")
    return _native.analyze_many(list(names), list(datas), each=each, **limits)


def _paths(paths: Sequence[str]) -> List[str]:
    if isinstance(paths, (str, bytes)):
        raise TypeError("paths must be a list of paths, not a single string")
    out = []
    for p in paths:
        if not isinstance(p, str):
            p = getattr(p, "__fspath__", lambda: p)()
        if not isinstance(p, str):
            raise TypeError(f"each path must be a str or os.PathLike, not {type(p).__name__}")
        out.append(p)
    return out


def analyze_paths_full(paths: Sequence[str], *, each: bool = False, **limits: int) -> Tuple[str, int]:
    """Analyse files and directories; return ``(json, exit_code)`` as ``batchdiag analyze -f json``.

    With ``each=True`` every path is a bundle of its own and ``json`` is JSON
    Lines, as ``--each``; the exit code is the worst bundle's.
    """
    return _native.analyze_paths(_paths(paths), each=each, **limits)


def analyze_paths_json(paths: Sequence[str], *, each: bool = False, **limits: int) -> str:
    """Analyse files and directories; return the CLI's JSON (JSON Lines with ``each=True``)."""
    return analyze_paths_full(paths, each=each, **limits)[0]


def analyze_paths(paths: Sequence[str], **limits: int) -> Dict[str, Any]:
    """Analyse files and directories as one bundle; return the report as a dict."""
    return _json.loads(analyze_paths_json(paths, **limits))


def rules() -> List[Dict[str, Any]]:
    """The diagnosis catalog, as ``batchdiag rules -f json`` lists it."""
    return _json.loads(_native.rules_json())
