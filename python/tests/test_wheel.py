"""The wheel: the CLI's JSON byte for byte, input errors as fields, misuse as exceptions."""

import json
import os
import subprocess

import pytest

import batchdiag
from conftest import BIN, REPO

CORPUS = sorted(d for d in os.listdir(os.path.join(REPO, "corpus")) if d != "expected")


def cli(*args):
    return subprocess.run([BIN, *args], cwd=REPO, capture_output=True, text=True)


@pytest.mark.parametrize("bundle", CORPUS)
def test_json_equals_the_cli_on_every_corpus_bundle(bundle):
    path = f"corpus/{bundle}"
    want = cli("analyze", "-f", "json", path)
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        got, code = batchdiag.analyze_paths_full([path])
        each, each_code = batchdiag.analyze_paths_full([path], each=True)
    finally:
        os.chdir(cwd)
    assert got == want.stdout
    assert code == want.returncode
    assert batchdiag.exit_code_of(got) == code
    want_each = cli("analyze", "--each", "-f", "json", path)
    assert each == want_each.stdout and each_code == want_each.returncode


def test_bytes_equal_paths_for_a_file():
    path = os.path.join(REPO, "corpus", "bd201-zip", "upload-batch-logs.zip")
    data = open(path, "rb").read()
    assert batchdiag.analyze_bytes_json(path, data) == batchdiag.analyze_paths_json([path])
    line = batchdiag.analyze_bytes_json(path, data, each=True)
    assert json.loads(line)["bundle"] == path and line.endswith("\n") and line.count("\n") == 1
    assert batchdiag.analyze_bytes(path, data)["diagnoses"][0]["code"] == "BD201"


def test_bad_input_is_a_report_field_not_an_exception():
    for data in (b"", b"PK\x03\x04" + b"\xff" * 100, b"\x1f\x8b\x08" + b"\x00" * 20):
        text, code = batchdiag.analyze_bytes_full("x.zip", data)
        assert code == 3, text
    r = batchdiag.analyze_bytes("cut.zip", b"PK\x03\x04" + b"\x00" * 40)
    assert any(i["error"] for i in r["inputs"]) or r["diagnoses"] == []


def test_limits_are_applied():
    path = os.path.join(REPO, "corpus", "bd201-nested", "case-2231.zip")
    data = open(path, "rb").read()
    r = batchdiag.analyze_bytes(path, data, max_depth=1)
    assert any("max_depth" in (i["error"] or "") for i in r["inputs"])


def test_misuse_raises():
    with pytest.raises(TypeError):
        batchdiag.analyze_bytes("x", "not bytes")
    with pytest.raises(TypeError):
        batchdiag.analyze_bytes(1, b"")
    with pytest.raises(TypeError):
        batchdiag.analyze_bytes("x", b"", no_such_limit=1)
    with pytest.raises(ValueError):
        batchdiag.analyze_bytes("x", b"", max_ratio=0)
    with pytest.raises(TypeError):
        batchdiag.analyze_paths("corpus")
    with pytest.raises(ValueError):
        batchdiag.analyze_paths([])
    with pytest.raises(ValueError):
        batchdiag.set_threads(10_000)
    with pytest.raises(ValueError):
        batchdiag.exit_code_of("{}")


def test_threads_and_rules():
    assert batchdiag.set_threads(1) == 1 and batchdiag.threads() == 1
    assert batchdiag.set_threads(0) >= 1
    assert batchdiag.analyze_paths_json([os.path.join(REPO, "corpus", "bd101-chrome")], threads=2)
    codes = [r["code"] for r in batchdiag.rules()]
    want = json.loads(cli("rules", "-f", "json").stdout)
    assert codes == [r["code"] for r in want] and batchdiag.rules() == want
    assert batchdiag.__version__ == "0.1.0"


def test_redact_bytes_removes_secrets_and_names_no_value():
    secret = "sv=2022-11-02&sr=c&sig=AbCdEfGhIjKlMnOp%2BqRsTuVwXyZ0123456789%3D"
    data = f"GET https://acct.blob.core.windows.net/c/f?{secret}\n".encode()
    copy, findings = batchdiag.redact_bytes("agent.log", data)
    assert copy is not None and b"AbCdEfGh" not in copy
    assert findings["secrets"] >= 1 and "AbCdEfGh" not in json.dumps(findings)
    assert batchdiag.contains_secret(data.decode()) and not batchdiag.contains_secret(copy.decode())


def test_html_aggregate_is_escaped():
    from batchdiag.aggregate import Aggregate

    a = Aggregate()
    a.add_bundle("input_error", ["<script>alert(1)</script> & co"])
    a.add_diagnoses([("BD101", "<sub>", "a|b")])
    page = a.html()
    assert "<script>" not in page and "&lt;script&gt;" in page and "&lt;sub&gt;" in page
    assert "a\\|b" in a.markdown()


def test_analyze_many_equals_one_call_per_bundle():
    files = sorted(
        os.path.join(root, f)
        for root, _, names in os.walk(os.path.join(REPO, "corpus"))
        if "expected" not in root
        for f in names
        if f.endswith((".zip", ".gz", ".tgz", ".har"))
    )[:12]
    assert len(files) >= 4
    names = files + ["cut.zip", "empty.zip"]
    datas = [open(f, "rb").read() for f in files] + [b"PK\x03\x04" + b"\xff" * 100, b""]
    for threads in (1, 2):
        batchdiag.set_threads(threads)
        got = batchdiag.analyze_many(names, datas, max_depth=4)
        want = [(*batchdiag.analyze_bytes_full(n, d, each=True, max_depth=4), None) for n, d in zip(names, datas)]
        assert got == want
    assert got[-1][1] == 3 and got[-2][1] == 3
    assert batchdiag.analyze_many([], []) == []
    one = batchdiag.analyze_many(names[:1], datas[:1], each=False)[0]
    assert one[0] == batchdiag.analyze_bytes_json(names[0], datas[0])


def test_analyze_many_misuse_raises():
    with pytest.raises(ValueError, match="differ in length"):
        batchdiag.analyze_many(["a", "b"], [b""])
    with pytest.raises(TypeError):
        batchdiag.analyze_many(["a"], ["not bytes"])
    with pytest.raises(TypeError):
        batchdiag.analyze_many("a", [b""])
    with pytest.raises(TypeError):
        batchdiag.analyze_many([1], [b""])
    with pytest.raises(TypeError):
        batchdiag.analyze_many(["a"], [b""], no_such_limit=1)
