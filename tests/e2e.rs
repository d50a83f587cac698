//! End-to-end tests: run the `batchdiag` binary as a user would.
//!
//! - Golden tests: every bundle under `corpus/` is analysed in JSON, text and Markdown;
//!   the whole output and the exit code must equal `corpus/expected/<bundle>.*`.
//!   Refresh them with `UPDATE_GOLDEN=1 cargo test --test e2e`, then review the diff.
//! - Secrets: canaries planted in every place a capture holds a credential
//!   never reach any output format or error message.
//! - Inputs from stdin, exit codes, colour and the catalog commands.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("cli/ has a parent")
        .to_path_buf()
}

fn batchdiag(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_batchdiag"));
    cmd.args(args)
        .current_dir(root())
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE");
    // The user's defaults must not change what a test sees.
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("BATCHDIAG_") {
            cmd.env_remove(k);
        }
    }
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("the binary runs");
    if let Some(data) = stdin {
        let mut pipe = child.stdin.take().expect("stdin is piped");
        let data = data.to_vec();
        std::thread::spawn(move || {
            let _ = pipe.write_all(&data);
        });
    }
    child.wait_with_output().expect("the binary finishes")
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(o)))
}

fn bundles() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root().join("corpus"))
        .expect("corpus/ exists")
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir() && e.file_name() != "expected")
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 16, "corpus has bundles: {names:?}");
    names
}

/// Compares with the golden file, or rewrites it under UPDATE_GOLDEN=1.
fn golden(name: &str, got: &str) -> Option<String> {
    let path = root().join("corpus/expected").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().expect("has parent")).expect("mkdir");
        std::fs::write(&path, got).expect("write golden");
        return None;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing {}; run with UPDATE_GOLDEN=1", path.display()));
    (want != got).then(|| {
        format!(
            "{name} differs from {}:\n--- want\n{want}\n--- got\n{got}",
            path.display()
        )
    })
}

#[test]
fn corpus_golden_outputs() {
    let mut failures = Vec::new();
    for b in bundles() {
        let dir = format!("corpus/{b}");
        let j = batchdiag(&["analyze", "--format", "json", &dir], None);
        let t = batchdiag(&["analyze", "--color", "never", &dir], None);
        let m = batchdiag(&["analyze", "--format", "markdown", &dir], None);
        let v = batchdiag(&["analyze", "-v", "--color", "never", &dir], None);
        let h = batchdiag(&["analyze", "--format", "html", &dir], None);
        assert_eq!(
            (j.status.code(), m.status.code(), h.status.code()),
            (t.status.code(), t.status.code(), t.status.code()),
            "{b}: every format exits alike"
        );
        failures.extend(golden(&format!("{b}.json"), &text(&j)));
        failures.extend(golden(&format!("{b}.txt"), &text(&t)));
        failures.extend(golden(&format!("{b}.md"), &text(&m)));
        failures.extend(golden(&format!("{b}.verbose.txt"), &text(&v)));
        failures.extend(golden(&format!("{b}.html"), &text(&h)));
        failures.extend(golden(
            &format!("{b}.exit"),
            &format!("{}\n", j.status.code().unwrap_or(-1)),
        ));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn corpus_expectations_in_plain_words() {
    // Independent of the golden files: what each bundle must show.
    let codes = |b: &str| -> (Vec<String>, i32) {
        let o = batchdiag(
            &["analyze", "--format", "json", &format!("corpus/{b}")],
            None,
        );
        let v = json(&o);
        let codes = v["diagnoses"]
            .as_array()
            .expect("array")
            .iter()
            .map(|d| d["code"].as_str().unwrap_or("").to_string())
            .collect();
        (codes, o.status.code().unwrap_or(-1))
    };
    for b in [
        "bd101-chrome",
        "bd101-chrome-gz",
        "bd101-firefox",
        "bd101-sanitized-base64",
        "bd101-direct-put",
    ] {
        assert_eq!(codes(b), (vec!["BD101".to_string()], 1), "{b}");
    }
    assert_eq!(codes("bd101-truncated"), (vec!["BD101".to_string()], 3));
    assert_eq!(
        codes("mixed-two-accounts"),
        (vec!["BD101".to_string(), "BD101".to_string()], 1)
    );
    assert_eq!(codes("healthy-upload"), (vec![], 0));
    assert_eq!(codes("other-409"), (vec![], 0));
    for b in [
        "bd201-upload-logs",
        "bd201-zip",
        "bd201-targz",
        "bd201-flat-content",
        "bd201-nested",
    ] {
        assert_eq!(codes(b), (vec!["BD201".to_string()], 1), "{b}");
    }
    assert_eq!(codes("joined-nodes"), (vec![], 0));
    assert_eq!(codes("scenario1-healthy"), (vec![], 0));
    assert_eq!(codes("sas-resource-files"), (vec![], 0));
    let v = json(&batchdiag(
        &["analyze", "-f", "json", "corpus/sas-resource-files"],
        None,
    ));
    assert!(v["notes"][0]
        .as_str()
        .expect("note")
        .contains("no managed identity is involved"));
    for (b, code) in [
        ("bd201-scenario3-confirmed", "BD201"),
        ("bd202-scenario2", "BD202"),
        ("bd203-scenario4", "BD203"),
        ("bd301-resource-file-identity", "BD301"),
        ("bd401-imds-client-id", "BD401"),
        ("bd402-imds-multiple-identities", "BD402"),
        ("bd403-storage-no-version", "BD403"),
        ("bd202-storage-denied", "BD202"),
    ] {
        assert_eq!(codes(b), (vec![code.to_string()], 1), "{b}");
    }
    assert_eq!(
        codes("bd204-pool-without-identity"),
        (vec!["BD204".to_string()], 1)
    );
    assert_eq!(
        codes("ambiguous-denied-task"),
        (vec!["BD201".to_string(), "BD202".to_string()], 1)
    );
    assert_eq!(
        codes("mixed-bd101-bd201"),
        (vec!["BD101".to_string(), "BD201".to_string()], 1)
    );
    assert_eq!(codes("hostile-archives"), (vec![], 3));
}

/// The directory, the zip and the tar.gz of one upload give the same nodes and loops.
#[test]
fn log_bundle_shapes_agree() {
    let loops = |b: &str| -> Vec<(String, String, u64, bool, String, String)> {
        let v = json(&batchdiag(
            &["analyze", "-f", "json", &format!("corpus/{b}")],
            None,
        ));
        v["evidence"]
            .as_array()
            .expect("array")
            .iter()
            .filter(|e| e["kind"] == "join_loop")
            .map(|e| {
                (
                    e["pool"].as_str().unwrap_or("").to_string(),
                    e["node"].as_str().unwrap_or("").to_string(),
                    e["count"].as_u64().unwrap_or(0),
                    e["ended"].as_bool().unwrap_or(false),
                    e["first"].as_str().unwrap_or("").to_string(),
                    e["last"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    };
    let dir = loops("bd201-upload-logs");
    assert_eq!(dir.len(), 3);
    assert_eq!(
        dir.iter().filter(|l| !l.3).count(),
        2,
        "two loops never ended"
    );
    assert_eq!(loops("bd201-zip"), dir);
    assert_eq!(loops("bd201-targz"), dir);
    // Every evidence item names its virtual path and line.
    let v = json(&batchdiag(
        &["analyze", "-f", "json", "corpus/bd201-zip"],
        None,
    ));
    let e = &v["evidence"][0]["source"];
    assert_eq!(e["path"], "corpus/bd201-zip/upload-batch-logs.zip");
    assert!(e["member"]
        .as_str()
        .expect("member")
        .ends_with("/agent-debug.log.2.gz"));
    assert!(e["line"].as_u64().expect("line") > 0);
}

#[test]
fn join_threshold_flag() {
    let o = batchdiag(
        &[
            "analyze",
            "-f",
            "json",
            "--join-threshold",
            "2h",
            "corpus/bd201-upload-logs",
        ],
        None,
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "45-minute loops are not stuck under a 2-hour threshold"
    );
    let o = batchdiag(
        &[
            "analyze",
            "-f",
            "json",
            "--join-threshold",
            "2m",
            "corpus/joined-nodes",
        ],
        None,
    );
    let v = json(&o);
    assert_eq!(
        v["diagnoses"][0]["code"], "BD201",
        "a 3-minute unended loop is stuck over a 2-minute threshold"
    );
    assert_eq!(
        v["diagnoses"][0]["subjects"]["nodes"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert_eq!(
        batchdiag(&["analyze", "--join-threshold", "soon", "corpus"], None)
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn hostile_archives_each_get_a_named_error_and_the_rest_is_read() {
    let v = json(&batchdiag(
        &["analyze", "-f", "json", "corpus/hostile-archives"],
        None,
    ));
    let inputs = v["inputs"].as_array().expect("array");
    let error_of = |suffix: &str| -> String {
        inputs
            .iter()
            .find(|i| i["path"].as_str().is_some_and(|p| p.ends_with(suffix)))
            .unwrap_or_else(|| panic!("no input {suffix}"))["error"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    let warnings_of = |suffix: &str| -> String {
        inputs
            .iter()
            .find(|i| i["path"].as_str().is_some_and(|p| p.ends_with(suffix)))
            .unwrap_or_else(|| panic!("no input {suffix}"))["warnings"]
            .to_string()
    };
    assert!(error_of("bomb.zip!/pool-h/tvm-bomb/0000/agent-debug.log").contains("max_ratio"));
    // Members with unsafe names are read in memory, with a warning; never written anywhere.
    for hostile in [
        "traversal.zip!/../../../etc/cron.d/agent-debug.log",
        "traversal.zip!//var/log/agent-debug.log",
    ] {
        assert_eq!(error_of(hostile), "", "{hostile} is read");
    }
    assert!(warnings_of("traversal.zip!/../../../etc/cron.d/agent-debug.log").contains("'..'"));
    assert!(warnings_of("traversal.zip!//var/log/agent-debug.log").contains("absolute path"));
    assert!(error_of("odd-members.zip!/secret/agent-debug.log").contains("encrypted"));
    assert!(error_of("odd-members.zip!/lzma/agent-debug.log").contains("compression method"));
    assert!(error_of("links.tar!/pool-h/tvm-x/l1/agent-debug.log").contains("not followed"));
    assert!(error_of("links.tar!/pool-h/tvm-x/l2/agent-debug.log").contains("not followed"));
    assert!(error_of("cut.tar.gz").contains("decompress"));
    assert!(error_of("cut.zip").contains("not a complete zip archive"));
    assert_eq!(
        error_of("cut.zip!/pool-h/tvm-5550001111-1-20240501t095900z/a7/agent-debug.log"),
        "",
        "the member before the cut is read"
    );
    assert!(error_of("level1.zip").contains("max_depth"));
    assert!(error_of("fake.zip").contains("named like a zip"));
    assert!(error_of("logs.tar.xz").contains("xz"));
    // Next to each hostile member, the good one was read.
    for tag in ["a1", "a2", "a3", "a4", "a5"] {
        let good = inputs
            .iter()
            .find(|i| {
                i["path"]
                    .as_str()
                    .is_some_and(|p| p.ends_with(&format!("/{tag}/agent-debug.log")))
            })
            .expect("good member");
        assert!(good["error"].is_null(), "{good}");
        assert!(good["log"]["join_reports"].as_u64().unwrap_or(0) > 0);
    }
}

#[test]
fn smaller_caps_stop_bombs_sooner() {
    let v = json(&batchdiag(
        &[
            "analyze",
            "-f",
            "json",
            "--max-member-size",
            "1M",
            "corpus/hostile-archives/bomb.zip",
        ],
        None,
    ));
    let bomb = &v["inputs"][1];
    assert!(bomb["error"]
        .as_str()
        .expect("error")
        .contains("max_member_size"));
    assert!(bomb["log"]["bytes"].as_u64().expect("bytes") <= 1 << 20);
    let v = json(&batchdiag(
        &[
            "analyze",
            "-f",
            "json",
            "--max-total-size",
            "2M",
            "corpus/hostile-archives/bomb.zip",
        ],
        None,
    ));
    assert!(v["inputs"][1]["error"]
        .as_str()
        .expect("error")
        .contains("max_total_size"));
}

#[test]
fn logs_from_stdin_and_nothing_written_to_disk() {
    let zip = std::fs::read(root().join("corpus/bd201-zip/upload-batch-logs.zip")).expect("read");
    let v = json(&batchdiag(&["analyze", "-f", "json", "-"], Some(&zip)));
    assert_eq!(v["inputs"][0]["kind"], "zip");
    assert_eq!(v["diagnoses"][0]["code"], "BD201");
    let tgz = std::fs::read(root().join("corpus/bd201-targz/batchlogs.tar.gz")).expect("read");
    let v = json(&batchdiag(&["analyze", "-f", "json", "-"], Some(&tgz)));
    assert_eq!(
        v["diagnoses"][0]["subjects"]["nodes"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
}

#[test]
fn confidence_follows_the_configuration() {
    let diag = |b: &str| -> Vec<(String, String, usize)> {
        let v = json(&batchdiag(
            &["analyze", "-f", "json", &format!("corpus/{b}")],
            None,
        ));
        v["diagnoses"]
            .as_array()
            .expect("array")
            .iter()
            .map(|d| {
                (
                    d["code"].as_str().unwrap_or("").to_string(),
                    d["confidence"].as_str().unwrap_or("").to_string(),
                    d["missing_evidence"].as_array().map_or(0, Vec::len),
                )
            })
            .collect()
    };
    // Symptoms and configuration agree: confirmed, nothing missing.
    assert_eq!(
        diag("bd201-scenario3-confirmed"),
        vec![("BD201".into(), "confirmed".into(), 0)]
    );
    assert_eq!(diag("bd203-scenario4")[0].1, "confirmed");
    // The same join loops without the account JSON: likely, and the account JSON is what would decide.
    let d = diag("bd201-upload-logs");
    assert_eq!((d[0].1.as_str(), d[0].2 > 0), ("likely", true));
    // One symptom, two causes: both candidates, each saying which file decides.
    let v = json(&batchdiag(
        &["analyze", "-f", "json", "corpus/ambiguous-denied-task"],
        None,
    ));
    for d in v["diagnoses"].as_array().expect("array") {
        assert_eq!(d["confidence"], "possible");
        assert!(d["missing_evidence"][0]
            .as_str()
            .expect("text")
            .contains("account JSON"));
    }
    // Healthy configuration says what was checked.
    let v = json(&batchdiag(
        &["analyze", "-f", "json", "corpus/scenario1-healthy"],
        None,
    ));
    let checked: Vec<&str> = v["checked"]
        .as_array()
        .expect("array")
        .iter()
        .map(|c| c["outcome"].as_str().unwrap_or(""))
        .collect();
    assert!(
        checked.iter().filter(|o| **o == "not_found").count() >= 5,
        "{checked:?}"
    );
    // Old node agents are noted on the diagnoses they matter to.
    let v = json(&batchdiag(
        &["analyze", "-f", "json", "corpus/bd203-scenario4"],
        None,
    ));
    assert!(v["diagnoses"][0]["notes"][0]
        .as_str()
        .expect("note")
        .contains("1.10.5"));
}

#[test]
fn utf16_har_is_decoded() {
    let v = json(&batchdiag(
        &["analyze", "-f", "json", "corpus/bd101-utf16-powershell"],
        None,
    ));
    assert_eq!(v["inputs"][0]["encoding"], "utf-16le");
    assert_eq!(v["inputs"][0]["kind"], "har");
    assert_eq!(v["diagnoses"][0]["subjects"]["account"], "northwind-batch");
}

#[test]
fn json_contract_v1_shape() {
    let v = json(&batchdiag(
        &["analyze", "-f", "json", "corpus/bd101-truncated"],
        None,
    ));
    assert_eq!(v["schema_version"], 1);
    assert!(v["bundle"].is_null(), "present, null without --each");
    let input = &v["inputs"][0];
    assert_eq!(input["kind"], "har");
    assert!(input["error"]
        .as_str()
        .expect("an error message")
        .contains("byte"));
    let d = &v["diagnoses"][0];
    for key in [
        "code",
        "slug",
        "title",
        "confidence",
        "scenario",
        "evidence",
        "remediation",
        "missing_evidence",
    ] {
        assert!(d.get(key).is_some(), "diagnosis has {key}");
    }
    assert_eq!(d["slug"], "autostorage-no-permission");
    assert_eq!(d["confidence"], "confirmed");
    assert!(d["scenario"].is_null());
    let eid = d["evidence"][0].as_str().expect("evidence id");
    let e = v["evidence"]
        .as_array()
        .expect("array")
        .iter()
        .find(|e| e["id"] == eid)
        .expect("cited evidence exists");
    assert_eq!(e["kind"], "arm_error");
    assert_eq!(e["status"], 409);
    assert_eq!(e["envelope"]["status"], 200);
    assert_eq!(e["source"]["entry"], 150);
    assert_eq!(d["subjects"]["account"], "contosobatch");
    assert_eq!(d["subjects"]["applications"][0]["application"], "render");
}

#[test]
fn stdin_plain_and_gzip() {
    let plain =
        std::fs::read(root().join("corpus/bd101-firefox/firefox-upload.har")).expect("read");
    let o = batchdiag(&["analyze", "-f", "json", "-"], Some(&plain));
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    assert_eq!(v["inputs"][0]["path"], "-");
    assert_eq!(v["diagnoses"][0]["code"], "BD101");
    let gz =
        std::fs::read(root().join("corpus/bd101-chrome-gz/portal-upload.har.gz")).expect("read");
    let v = json(&batchdiag(&["analyze", "-f", "json", "-"], Some(&gz)));
    assert_eq!(v["inputs"][0]["compression"], "gzip");
    assert_eq!(v["diagnoses"][0]["subjects"]["account"], "contosobatch");
}

#[test]
fn exit_codes() {
    assert_eq!(
        batchdiag(&["analyze"], None).status.code(),
        Some(2),
        "no path"
    );
    assert_eq!(
        batchdiag(&["analyze", "--format", "xml", "corpus"], None)
            .status
            .code(),
        Some(2)
    );
    assert_eq!(batchdiag(&["frobnicate"], None).status.code(), Some(2));
    let o = batchdiag(
        &[
            "analyze",
            "-f",
            "json",
            "does/not/exist.har",
            "corpus/healthy-upload",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(3));
    let v = json(&o);
    assert!(v["inputs"][0]["error"]
        .as_str()
        .expect("error")
        .starts_with("does/not/exist.har: cannot read"));
    assert!(
        v["inputs"][1]["error"].is_null(),
        "the other input is still read"
    );
    let o = batchdiag(
        &[
            "analyze",
            "-f",
            "json",
            "corpus/mixed-two-accounts/notes.txt",
        ],
        None,
    );
    assert_eq!(
        o.status.code(),
        Some(3),
        "a named file of unknown format is an error"
    );
    assert!(json(&o)["inputs"][0]["error"]
        .as_str()
        .expect("error")
        .contains("not a recognized input"));
}

#[test]
fn random_bytes_named_har_and_empty_files() {
    let dir = tempdir("junk");
    std::fs::write(dir.join("random.har"), [0x00u8, 0xff, 0x13, 0x37, 0x42]).expect("write");
    std::fs::write(dir.join("empty.har"), b"").expect("write");
    std::fs::write(dir.join("array.har"), b"[1,2,3]").expect("write");
    let o = batchdiag(
        &["analyze", "-f", "json", dir.to_str().expect("utf-8 path")],
        None,
    );
    assert_eq!(o.status.code(), Some(3));
    let v = json(&o);
    for input in v["inputs"].as_array().expect("array") {
        assert!(input["error"].is_string(), "{input}");
    }
    // Every input not fully read also gets one line on stderr, naming it.
    let err = String::from_utf8_lossy(&o.stderr);
    for name in ["random.har", "empty.har", "array.har"] {
        assert_eq!(
            err.lines()
                .filter(|l| l.starts_with("batchdiag: ") && l.contains(name))
                .count(),
            1,
            "{name}: {err}"
        );
    }
    // The only captures could not be read at all: their rules could not be shown.
    for c in v["checked"].as_array().expect("array") {
        if ["BD101", "BD401", "BD402", "BD403"].contains(&c["code"].as_str().expect("code")) {
            assert_eq!(c["outcome"], "no_input", "{c}");
        }
    }
}

#[test]
fn colour_only_when_asked() {
    let plain = batchdiag(&["analyze", "corpus/bd101-direct-put"], None);
    assert!(
        !text(&plain).contains('\u{1b}'),
        "no colour when stdout is not a terminal"
    );
    let forced = batchdiag(
        &["analyze", "--color", "always", "corpus/bd101-direct-put"],
        None,
    );
    assert!(text(&forced).contains("\u{1b}["));
}

#[test]
fn catalog_commands() {
    let o = batchdiag(&["rules"], None);
    assert_eq!(o.status.code(), Some(0));
    assert!(text(&o).contains("BD101  autostorage-no-permission"));
    let o = batchdiag(&["explain", "autostorage-no-permission"], None);
    assert!(text(&o).contains("AutoStorageNoPermission"));
    // Aligned: every cause starts in the same column, and wrapped lines under it.
    let col = |l: &str| {
        l.len()
            - l[7..]
                .trim_start_matches(|c: char| c != ' ')
                .trim_start()
                .len()
    };
    let starts: Vec<usize> = text(&o)
        .lines()
        .filter(|l| l.starts_with("BD"))
        .map(col)
        .collect();
    assert!(starts.windows(2).all(|w| w[0] == w[1]), "{}", text(&o));
    let o = batchdiag(&["explain", "BD201"], None);
    let out = text(&o);
    for l in out.lines() {
        let table = l.contains(" | ");
        let command = l.trim_start().starts_with("az ") || l.trim_start().starts_with("--body");
        assert!(
            l.chars().count() <= 80 || table || command,
            "not wrapped: {l}"
        );
    }
    let bars: Vec<Vec<usize>> = out
        .lines()
        .filter(|l| l.contains(" | "))
        .map(|l| l.match_indices(" | ").map(|(i, _)| i).collect())
        .collect();
    assert_eq!(bars.len(), 5, "{out}");
    assert!(
        bars.windows(2).all(|w| w[0] == w[1]),
        "table aligned:\n{out}"
    );
    let o = batchdiag(&["explain", "BD999"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown diagnosis"));
}

/// A scratch directory removed when dropped, also when the test panics:
/// some hold canary secrets, which must not outlive the run.
struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for TempDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tempdir(tag: &str) -> TempDir {
    let d = std::env::temp_dir().join(format!("batchdiag-e2e-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("mkdir");
    TempDir(d)
}

const CANARIES: &[&str] = &[
    "CANARYJWTSIG",
    "CANARYCOOKIE",
    "CANARYSETCOOKIE",
    "CANARYSASSIG",
    "CANARYINNERSIG",
    "CANARYACCESS",
    "CANARYREFRESH",
    "CANARYMSGBEARER",
    "CANARYKEY",
    "CANARYPATHSECRET",
    "CANARYTASKSIG",
    "CANARYCONTAINERSIG",
    "CANARYMSGSIG",
    "CANARYIMDSSIG",
    "CANARYIMDSREFRESH",
    "CANARYPROBESIG",
    "CANARYPROBECOOKIE",
    "CANARYACCOUNTKEY",
    "CANARYLOGSIG",
];

/// Canaries in the node-plane inputs: task resource-file URLs, failure messages, a saved IMDS
/// answer, a curl transcript, account JSON and an agent log.
fn plant_node_plane_canaries(dir: &Path) {
    let jwt = |sig: &str| {
        format!("eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJvaWQiOiJvMSIsInhtc19taXJpZCI6Ii9zdWJzY3JpcHRpb25zL3MvdSJ9.{sig}")
    };
    let task = serde_json::json!({"id": "t1", "url": "https://a.westeurope.batch.azure.com/jobs/j/tasks/t1", "commandLine": "x",
        "resourceFiles": [{"httpUrl": "https://sa.blob.core.windows.net/c/b?sv=2022-11-02&sig=CANARYTASKSIG&sp=r"},
                          {"storageContainerUrl": "https://sa.blob.core.windows.net/c?sig=CANARYCONTAINERSIG", "identityReference": {"resourceId": "/subscriptions/s/u"}}],
        "executionInfo": {"failureInfo": {"code": "ResourceContainerAccessDenied", "message": "denied for https://sa.blob.core.windows.net/c?sig=CANARYMSGSIG",
            "details": [{"name": "Url", "value": "https://sa.blob.core.windows.net/c?sig=CANARYMSGSIG"}]}}});
    std::fs::write(dir.join("task.json"), task.to_string()).expect("write");
    let imds = serde_json::json!({"access_token": jwt("CANARYIMDSSIG"), "refresh_token": "CANARYIMDSREFRESH", "client_id": "c1", "token_type": "Bearer", "resource": "https://storage.azure.com/"});
    std::fs::write(dir.join("imds-answer.json"), imds.to_string()).expect("write");
    let probe = format!(
        "> GET /c/b HTTP/1.1\n> Host: sa.blob.core.windows.net\n> Authorization: Bearer {}\n> Cookie: s=CANARYPROBECOOKIE\n>\n< HTTP/1.1 403 Forbidden\n< x-ms-error-code: AuthenticationFailed\n<\n<Error><Code>AuthenticationFailed</Code><AuthenticationErrorDetail>Authentication scheme Bearer is not supported in this version.</AuthenticationErrorDetail></Error>\n",
        jwt("CANARYPROBESIG")
    );
    std::fs::write(dir.join("probe.txt"), probe).expect("write");
    let account = serde_json::json!({"id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Batch/batchAccounts/a", "name": "a",
        "properties": {"autoStorage": {"storageAccountId": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/sa", "authenticationMode": "BatchAccountManagedIdentity"},
                       "keys": {"primaryKey": "CANARYACCOUNTKEY"}}});
    std::fs::write(dir.join("account.json"), account.to_string()).expect("write");
    std::fs::write(
        dir.join("agent-debug.log"),
        "2024-05-01T10:00:00Z fetching https://sa.blob.core.windows.net/c?sig=CANARYLOGSIG health=Status.TvmJoinPoolInProgress\n2024-05-01T11:00:00Z health=Status.TvmJoinPoolInProgress\n",
    )
    .expect("write");
}

/// A capture with a canary in every place a credential can sit, including
/// places that end up in evidence (inner URLs, error messages, file names).
fn canary_har() -> String {
    let jwt = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJvaWQiOiIxMjMiLCJ4bXNfbWlyaWQiOiIvc3Vicy94In0.CANARYJWTSIG";
    let inner_url = "https://management.azure.com/subscriptions/s/resourceGroups/g/providers/Microsoft.Batch/batchAccounts/a/applications/app/versions/1?api-version=2024-07-01&sig=CANARYINNERSIG";
    let message = format!("The managed identity does not have permission. Authorization: Bearer {jwt} token=CANARYMSGBEARER AccountKey=CANARYKEY==");
    let req = serde_json::json!({"requests": [{"httpMethod": "PUT", "name": "n1", "url": inner_url, "content": {"access_token": "CANARYACCESS"}}]}).to_string();
    let resp = serde_json::json!({"responses": [{"name": "n1", "httpStatusCode": 409, "content": {"error": {"code": "AutoStorageNoPermission", "message": message, "target": "BatchAccount"}}}]}).to_string();
    let token_body = serde_json::json!({"access_token": jwt, "refresh_token": "CANARYREFRESH", "expires_in": "3599"}).to_string();
    serde_json::json!({"log": {"version": "1.2", "creator": {"name": "WebInspector", "version": "537.36"}, "entries": [
        {"startedDateTime": "2024-05-01T10:00:00Z",
         "request": {"method": "POST", "url": "https://management.azure.com/batch?api-version=2020-06-01",
            "headers": [{"name": "Authorization", "value": format!("Bearer {jwt}")}, {"name": "Cookie", "value": "s=CANARYCOOKIE"}],
            "cookies": [{"name": "s", "value": "CANARYCOOKIE"}],
            "postData": {"mimeType": "application/json", "text": req}},
         "response": {"status": 200, "headers": [{"name": "Set-Cookie", "value": "t=CANARYSETCOOKIE"}], "cookies": [{"name": "t", "value": "CANARYSETCOOKIE"}],
            "content": {"mimeType": "application/json", "text": resp}}},
        {"startedDateTime": "2024-05-01T10:00:01Z",
         "request": {"method": "GET", "url": "https://sa.blob.core.windows.net/c/b.zip?sv=2022-11-02&sig=CANARYSASSIG", "headers": []},
         "response": {"status": 403, "content": {"mimeType": "application/xml", "text": "<Error><Code>AuthorizationPermissionMismatch</Code></Error>"}}},
        {"startedDateTime": "2024-05-01T10:00:02Z",
         "request": {"method": "PUT", "url": "https://management.azure.com/subscriptions/s/resourceGroups/g/providers/Microsoft.Batch/batchAccounts/a/applications/app/versions/2?sig=CANARYSASSIG", "headers": []},
         "response": {"status": 409, "content": {"mimeType": "application/json", "text": serde_json::json!({"error": {"code": "AutoStorageNoPermission", "message": format!("refresh_token={}", "CANARYREFRESH")}}).to_string()}}},
        {"startedDateTime": "2024-05-01T10:00:03Z",
         "request": {"method": "POST", "url": "https://login.microsoftonline.com/common/oauth2/v2.0/token", "headers": [],
            "postData": {"mimeType": "application/x-www-form-urlencoded", "text": "refresh_token=CANARYREFRESH&client_secret=CANARYKEY"}},
         "response": {"status": 200, "content": {"mimeType": "application/json", "text": token_body}}}
    ]}})
    .to_string()
}

#[test]
fn no_output_repeats_a_secret() {
    let dir = tempdir("canary");
    let har = canary_har();
    std::fs::write(dir.join("capture.har"), &har).expect("write");
    // A truncated copy whose error message quotes the place it broke, and a
    // file whose very name carries a SAS signature.
    std::fs::write(dir.join("cut.har"), &har[..har.len() - 300]).expect("write");
    let odd = dir.join("export?sig=CANARYPATHSECRET.har");
    std::fs::write(&odd, b"\x00\x01 not json").expect("write");
    plant_node_plane_canaries(&dir);
    let d = dir.to_str().expect("utf-8");
    let mut outputs = Vec::new();
    for args in [
        vec!["analyze", "-f", "json", d],
        vec!["analyze", "--color", "always", d],
        vec!["analyze", "--color", "never", d],
        vec!["analyze", "-f", "markdown", d],
        vec!["analyze", "--each", "-f", "json", d],
    ] {
        let o = batchdiag(&args, None);
        assert_eq!(o.status.code(), Some(3), "{args:?}: {}", text(&o));
        outputs.push(text(&o) + &String::from_utf8_lossy(&o.stderr));
    }
    let o = batchdiag(&["analyze", "-f", "json", "-"], Some(har.as_bytes()));
    outputs.push(text(&o) + &String::from_utf8_lossy(&o.stderr));
    // The sanitized copies are outputs too.
    for f in [
        "capture.har",
        "probe.txt",
        "task.json",
        "imds-answer.json",
        "agent-debug.log",
    ] {
        let o = batchdiag(&["redact", dir.join(f).to_str().expect("utf-8")], None);
        outputs.push(text(&o) + &String::from_utf8_lossy(&o.stderr));
    }
    let v: serde_json::Value =
        serde_json::from_str(&outputs[0][..outputs[0].rfind('}').expect("json") + 1])
            .expect("json");
    assert_eq!(
        v["diagnoses"][0]["code"], "BD101",
        "the diagnosis survives redaction"
    );
    for out in &outputs {
        for c in CANARIES {
            assert!(!out.contains(c), "output repeats {c}:\n{out}");
        }
        assert!(!out.contains("eyJ0eXAi"), "a JWT leaked");
    }
    assert!(
        outputs[0].contains("sig=[REDACTED]"),
        "the URL is kept, its signature is not"
    );
}

#[test]
fn corpus_outputs_hold_no_credentials() {
    // The corpus captures carry bearer tokens, cookies, refresh tokens and SAS URLs.
    for b in bundles() {
        for args in [
            vec!["analyze", "-f", "json"],
            vec!["analyze", "--color", "never"],
            vec!["analyze", "-f", "markdown"],
        ] {
            let mut a = args.clone();
            let dir = format!("corpus/{b}");
            a.push(&dir);
            let out = text(&batchdiag(&a, None));
            assert!(!out.contains("eyJ0eXAi"), "{b}: JWT in output");
            assert!(!out.contains("portalId="), "{b}: cookie in output");
            assert!(!out.contains("refresh_token="), "{b}: token in output");
            assert!(
                !out.contains("sig=") || out.contains("sig=[REDACTED]"),
                "{b}: SAS signature in output"
            );
        }
    }
}

#[test]
fn redact_makes_a_clean_copy_that_diagnoses_the_same() {
    let dir = tempdir("redact");
    for b in [
        "bd101-chrome/portal-upload.har",
        "bd101-sanitized-base64/sanitized.har",
        "bd101-chrome-gz/portal-upload.har.gz",
    ] {
        let input = format!("corpus/{b}");
        let out = dir.join("copy.har");
        let o = batchdiag(
            &["redact", &input, "-o", out.to_str().expect("utf-8")],
            None,
        );
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let bytes = std::fs::read(&out).expect("copy written");
        // A .har.gz stays a .har.gz.
        let copy = if bytes.starts_with(&[0x1f, 0x8b]) {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut s)
                .expect("a valid gzip copy");
            s
        } else {
            String::from_utf8(bytes).expect("UTF-8")
        };
        assert!(
            !copy.contains("eyJ0eXAi")
                && !copy.contains("portalId=")
                && !copy.contains("refresh_token=ey"),
            "{b}: secret left"
        );
        let original = json(&batchdiag(&["analyze", "-f", "json", &input], None));
        let sanitized = json(&batchdiag(
            &["analyze", "-f", "json", out.to_str().expect("utf-8")],
            None,
        ));
        assert_eq!(
            original["diagnoses"].as_array().map(Vec::len),
            sanitized["diagnoses"].as_array().map(Vec::len),
            "{b}"
        );
        assert_eq!(
            original["diagnoses"][0]["summary"], sanitized["diagnoses"][0]["summary"],
            "{b}"
        );
        assert_eq!(
            batchdiag(&["redact", "--check", out.to_str().expect("utf-8")], None)
                .status
                .code(),
            Some(0),
            "{b}: copy is clean"
        );
        assert_eq!(
            batchdiag(&["redact", "--check", &input], None)
                .status
                .code(),
            Some(1),
            "{b}: original holds secrets"
        );
    }
    // From stdin to stdout, and text files line by line.
    let probe = std::fs::read(root().join("corpus/bd403-storage-no-version/storage-probe.txt"))
        .expect("read");
    let o = batchdiag(&["redact", "-"], Some(&probe));
    assert_eq!(o.status.code(), Some(0));
    assert!(
        !text(&o).contains("eyJ0eXAi")
            && text(&o).contains("x-ms-error-code: AuthenticationFailed")
    );
    // Archives are rewritten member by member (tar.gz stays tar.gz, zip needs -o), and still diagnose the same.
    for (input, out) in [
        ("corpus/bd201-targz/batchlogs.tar.gz", "clean.tar.gz"),
        ("corpus/bd201-zip/upload-batch-logs.zip", "clean.zip"),
    ] {
        let out = dir.join(out);
        let o = batchdiag(&["redact", input, "-o", out.to_str().expect("utf-8")], None);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let a = json(&batchdiag(&["analyze", "-f", "json", input], None));
        let b = json(&batchdiag(
            &["analyze", "-f", "json", out.to_str().expect("utf-8")],
            None,
        ));
        assert_eq!(
            a["diagnoses"][0]["summary"], b["diagnoses"][0]["summary"],
            "{input}"
        );
        assert_eq!(
            a["evidence"].as_array().map(Vec::len),
            b["evidence"].as_array().map(Vec::len),
            "{input}"
        );
    }
    // A zip can be streamed to a pipe too: it is still a valid zip.
    let o = batchdiag(&["redact", "corpus/bd201-zip/upload-batch-logs.zip"], None);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.stdout.starts_with(b"PK\x03\x04"));
    // What cannot be read makes the gate fail: no clean verdict about unread bytes.
    let o = batchdiag(
        &["redact", "--check", "corpus/hostile-archives/cut.zip"],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not read"));
    let o = batchdiag(
        &[
            "redact",
            "corpus/bd101-truncated/portal-upload-partial.har",
            "-o",
            dir.join("t.har").to_str().expect("utf-8"),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("byte"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn hostile_inputs_are_named_errors_and_the_rest_is_read() {
    let dir = tempdir("hostile");
    // JSON nested 100,000 deep, as resource JSON and as a HAR entry.
    std::fs::write(dir.join("deep.json"), "[".repeat(100_000)).expect("write");
    let deep_entry = format!(
        "{{\"log\":{{\"entries\":[{}{}, {{\"request\":{{\"method\":\"GET\",\"url\":\"u\"}}}}]}}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    std::fs::write(dir.join("deep.har"), deep_entry).expect("write");
    // Invalid UTF-8 inside a string of one entry; the next entry is still read.
    let mut bad = br#"{"log":{"entries":[{"request":{"method":"GET","url":"https://x/"#.to_vec();
    bad.extend_from_slice(&[0xff, 0xfe]);
    bad.extend_from_slice(br#""},"response":{"status":200}},"#);
    bad.extend_from_slice(br#"{"request":{"method":"PUT","url":"https://management.azure.com/subscriptions/s/resourceGroups/g/providers/Microsoft.Batch/batchAccounts/a/applications/p/versions/1"},"response":{"status":409,"content":{"text":"{\"error\":{\"code\":\"AutoStorageNoPermission\",\"message\":\"m\"}}"}}}]}}"#);
    std::fs::write(dir.join("badutf8.har"), bad).expect("write");
    let v = json(&batchdiag(
        &["analyze", "-f", "json", dir.to_str().expect("utf-8")],
        None,
    ));
    let error = |name: &str| -> String {
        v["inputs"]
            .as_array()
            .expect("array")
            .iter()
            .find(|i| i["path"].as_str().is_some_and(|p| p.ends_with(name)))
            .expect("input")["error"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    assert!(
        error("deep.json").contains("recursion limit"),
        "{}",
        error("deep.json")
    );
    assert!(
        error("deep.har").contains("1 of 2 entries could not be read"),
        "{}",
        error("deep.har")
    );
    assert!(
        error("badutf8.har").contains("log.entries[0]"),
        "{}",
        error("badutf8.har")
    );
    assert_eq!(
        v["diagnoses"][0]["code"], "BD101",
        "the good entry after the bad one is still analysed"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_one_gigabyte_single_line_is_read_in_bounded_memory() {
    // Streamed through stdin, never stored: a timestamp, then 1 GiB without a newline.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_batchdiag"));
    cmd.args(["analyze", "-f", "json", "-"])
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("runs");
    let mut pipe = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(b"2024-05-01T10:00:00Z start of a line that never ends ");
        let block = vec![b'x'; 1 << 20];
        for _ in 0..1024 {
            if pipe.write_all(&block).is_err() {
                break;
            }
        }
    });
    let pid = child.id();
    // Sample the child's peak resident memory while it runs.
    let mut peak_kb = 0u64;
    while writer.is_finished().then_some(()).is_none() {
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            if let Some(v) = status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
            {
                peak_kb = peak_kb.max(v);
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = writer.join();
    let o = child.wait_with_output().expect("finishes");
    let v = json(&o);
    let input = &v["inputs"][0];
    assert_eq!(input["kind"], "log");
    assert_eq!(input["log"]["lines"], 1);
    assert!(input["log"]["bytes"].as_u64().expect("bytes") > 1 << 30);
    assert!(
        input["warnings"][0]
            .as_str()
            .expect("warning")
            .contains("longer than"),
        "{input}"
    );
    assert!(peak_kb < 200 * 1024, "peak RSS {peak_kb} KB");
}

#[test]
fn redact_never_prints_a_secret_from_a_file_name() {
    let dir = tempdir("redact-name");
    let odd = dir.join("capture?sig=CANARYREDACTNAME.har");
    std::fs::copy(
        root().join("corpus/bd101-direct-put/fiddler-capture.har"),
        &odd,
    )
    .expect("copy");
    let p = odd.to_str().expect("utf-8");
    for args in [vec!["redact", "--check", p], vec!["redact", p]] {
        let o = batchdiag(&args, None);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!err.contains("CANARYREDACTNAME"), "{args:?}: {err}");
        assert!(err.contains("sig=[REDACTED]"), "{err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn each_path_is_its_own_bundle() {
    // Two bundles whose accounts share a name: analysed together their
    // configurations mix; with --each each keeps its own diagnosis.
    let paths = [
        "corpus/bd202-scenario2",
        "corpus/bd203-scenario4",
        "corpus/scenario1-healthy",
    ];
    let o = batchdiag(
        &[&["analyze", "--each", "-f", "json"][..], &paths[..]].concat(),
        None,
    );
    assert_eq!(o.status.code(), Some(1), "diagnoses, nothing unreadable");
    let out = text(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), paths.len(), "one report per line: {out}");
    for (line, path) in lines.iter().zip(paths) {
        let got: serde_json::Value = serde_json::from_str(line).expect("each line is a report");
        assert_eq!(got["schema_version"], 1);
        assert_eq!(got["bundle"], path);
        // The same diagnoses as the bundle analysed alone.
        let alone = json(&batchdiag(&["analyze", "-f", "json", path], None));
        assert_eq!(got["diagnoses"], alone["diagnoses"], "{path}");
        assert!(alone["bundle"].is_null());
    }
    let codes = |v: &serde_json::Value| -> Vec<String> {
        v["diagnoses"]
            .as_array()
            .expect("array")
            .iter()
            .map(|d| d["code"].as_str().expect("code").to_string())
            .collect()
    };
    let first: serde_json::Value = serde_json::from_str(lines[0]).expect("json");
    assert_eq!(codes(&first), ["BD202"]);

    // Text: a heading per bundle and a closing tally; a missing path is one
    // unreadable bundle and the others are still analysed.
    let o = batchdiag(
        &[
            "analyze",
            "--each",
            "--color",
            "never",
            "corpus/bd203-scenario4",
            "corpus/no-such-bundle",
            "corpus/scenario1-healthy",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(3));
    let t = text(&o);
    let heading = t.find("corpus/no-such-bundle\n===").expect("heading");
    assert!(t.find("corpus/bd203-scenario4\n===").expect("heading") < heading);
    assert!(t.contains("BD203 node-identity-not-in-pool"));
    assert!(
        t.trim_end().ends_with(
            "3 bundles: 1 with diagnoses, 1 clean, 1 not fully read: corpus/no-such-bundle."
        ),
        "{t}"
    );

    // Markdown: one title, a level-2 heading per bundle, the same tally.
    let o = batchdiag(
        &[
            "analyze",
            "--each",
            "-f",
            "markdown",
            "corpus/bd203-scenario4",
            "corpus/scenario1-healthy",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    let m = text(&o);
    assert!(m.starts_with("# batchdiag reports\n"), "{m}");
    assert_eq!(
        m.matches("# batchdiag reports").count(),
        1,
        "one title: {m}"
    );
    assert!(m.contains("## batchdiag report: `corpus/bd203-scenario4`"));
    assert!(m.contains("### BD203 `node-identity-not-in-pool`"));
    assert!(m.contains("## batchdiag report: `corpus/scenario1-healthy`\n\n**No diagnosis**"));
    assert!(m
        .trim_end()
        .ends_with("**2 bundles**: 1 with diagnoses, 1 clean."));
}

#[test]
fn each_redacts_the_bundle_name() {
    let dir = tempdir("each-name");
    let odd = dir.join("bundle?sig=CANARYEACHNAME");
    std::fs::create_dir_all(&odd).expect("mkdir");
    std::fs::copy(
        root().join("corpus/bd101-direct-put/fiddler-capture.har"),
        odd.join("capture.har"),
    )
    .expect("copy");
    let p = odd.to_str().expect("utf-8");
    for format in ["json", "text"] {
        let o = batchdiag(&["analyze", "--each", "-f", format, p], None);
        let all = format!("{}{}", text(&o), String::from_utf8_lossy(&o.stderr));
        assert!(!all.contains("CANARYEACHNAME"), "{format}: {all}");
        assert!(all.contains("sig=[REDACTED]"), "{format}: {all}");
        assert_eq!(o.status.code(), Some(1), "{format}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn stdin_named_twice_is_a_usage_error() {
    let o = batchdiag(&["analyze", "-", "-"], Some(b"{}"));
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("only once"));
}

#[test]
fn nothing_analysable_is_not_a_clean_result() {
    let dir = tempdir("nothing");
    std::fs::write(dir.join("photo.bin"), [0xffu8, 0xd8, 0xff, 0xe0, 1, 2, 3]).unwrap();
    let path = dir.to_string_lossy().to_string();
    let o = batchdiag(&["analyze", "-f", "json", &path], None);
    assert_eq!(o.status.code(), Some(3));
    let v = json(&o);
    assert!(v["notes"][0]
        .as_str()
        .unwrap()
        .contains("nothing could be analysed"));
    // The text report and stderr say so first, not a green "No diagnosis.".
    let o = batchdiag(&["analyze", &path], None);
    assert!(
        text(&o).starts_with("Nothing could be analysed"),
        "{}",
        text(&o)
    );
    assert!(!text(&o).contains("No diagnosis"));
    assert!(String::from_utf8_lossy(&o.stderr).contains("Nothing could be analysed"));
    // A path that does not exist is not clean either, and says so on stderr.
    let o = batchdiag(&["analyze", "does/not/exist"], None);
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("batchdiag: does/not/exist: does/not/exist: cannot read")
            || err.contains("batchdiag: does/not/exist: cannot read"),
        "{err}"
    );
    assert!(!text(&o).contains("No diagnosis"), "{}", text(&o));
}

#[test]
fn temp_dirs_are_removed_even_when_a_test_fails() {
    let path = {
        let d = tempdir("guard");
        std::fs::write(d.join("secret.txt"), "CANARYGUARD").expect("write");
        d.to_path_buf()
    };
    assert!(!path.exists(), "{} left behind", path.display());
}

/// Rows a terminal of `cols` columns needs for `out` (long lines wrap).
fn rows(out: &str, cols: usize) -> usize {
    out.lines()
        .map(|l| l.chars().count().div_ceil(cols).max(1))
        .sum()
}

#[test]
fn the_answer_fits_one_screen_at_80_columns() {
    let o = batchdiag(
        &["analyze", "--width", "80", "corpus/mixed-bd101-bd201"],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    let out = text(&o);
    assert!(rows(&out, 80) <= 50, "{} rows:\n{out}", rows(&out, 80));
    // Prose is wrapped; only the fix commands (which must paste whole) are longer.
    let report = json(&batchdiag(
        &["analyze", "-f", "json", "corpus/mixed-bd101-bd201"],
        None,
    ));
    let commands: Vec<String> = report["diagnoses"]
        .as_array()
        .expect("diagnoses")
        .iter()
        .flat_map(|d| {
            d["remediation"]["commands"]
                .as_array()
                .expect("commands")
                .clone()
        })
        .flat_map(|c| {
            let shell = c["shell"].as_str().expect("shell").to_string();
            shell
                .lines()
                .map(|l| format!("    {l}"))
                .collect::<Vec<_>>()
        })
        .collect();
    for l in out.lines() {
        assert!(
            l.chars().count() <= 80 || commands.iter().any(|c| c == l),
            "not wrapped: {l:?}"
        );
    }
    for want in [
        "BD101 autostorage-no-permission [confirmed]",
        "BD201 node-identity-reference-missing [confirmed]",
        "az role assignment create",
        "az batch node reboot --pool-id pool-render --node-id tvm-1695681911_2-20240501t095900z",
    ] {
        assert!(out.contains(want), "{want}:\n{out}");
    }
    let last = out.lines().last().expect("a last line");
    assert_eq!(
        last,
        "2 diagnoses from 6 inputs: BD101 confirmed, BD201 confirmed."
    );
    // The same width from the environment; -v has every detail.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_batchdiag"));
    let env = cmd
        .args(["analyze", "corpus/mixed-bd101-bd201"])
        .current_dir(root())
        .env("BATCHDIAG_WIDTH", "80")
        .output()
        .expect("runs");
    assert_eq!(text(&env), out);
    let v = text(&batchdiag(
        &["analyze", "-v", "--width", "80", "corpus/mixed-bd101-bd201"],
        None,
    ));
    assert!(rows(&v, 80) > 50, "the details take more room");
    for want in [
        "Inputs\n",
        "Checked\n",
        "agent-debug.log",
        "1. Find the identity",
    ] {
        assert!(v.contains(want), "{want}");
        assert!(!out.contains(want), "not without -v: {want}");
    }
    assert_eq!(v.lines().last(), Some(last));
}

#[test]
fn a_full_disk_is_an_output_error() {
    if !Path::new("/dev/full").exists() {
        return;
    }
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let o = Command::new(env!("CARGO_BIN_EXE_batchdiag"))
        .args(["analyze", "corpus/mixed-bd101-bd201"])
        .current_dir(root())
        .stdout(full)
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("cannot write the report"), "{err}");
}

#[test]
fn quiet_writes_nothing_but_keeps_the_exit_code_and_problems() {
    let o = batchdiag(&["analyze", "-q", "corpus/mixed-bd101-bd201"], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty() && o.stderr.is_empty());
    let o = batchdiag(&["analyze", "-q", "corpus/bd101-truncated"], None);
    assert_eq!(o.status.code(), Some(3));
    assert!(o.stdout.is_empty());
    assert!(String::from_utf8_lossy(&o.stderr).contains("portal-upload-partial.har"));
}

#[test]
fn environment_defaults_and_flags_win_over_them() {
    let run = |env: &[(&str, &str)], args: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_batchdiag"));
        cmd.args(args).current_dir(root());
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().expect("runs")
    };
    let o = run(
        &[("BATCHDIAG_FORMAT", "json")],
        &["analyze", "corpus/bd101-chrome"],
    );
    assert_eq!(json(&o)["schema_version"], 1);
    let o = run(
        &[("BATCHDIAG_FORMAT", "json")],
        &["analyze", "-f", "markdown", "corpus/bd101-chrome"],
    );
    assert!(text(&o).starts_with("# batchdiag report"));
    let o = run(
        &[
            ("BATCHDIAG_JOIN_THRESHOLD", "10min"),
            ("BATCHDIAG_JOBS", "2"),
        ],
        &["analyze", "-f", "json", "corpus/bd201-zip"],
    );
    assert_eq!(o.status.code(), Some(1));
    let o = run(
        &[("BATCHDIAG_JOIN_THRESHOLD", "99999999999999999999h")],
        &["analyze", "corpus/bd201-zip"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("out of range"));
    let help = text(&batchdiag(&["analyze", "--help"], None));
    for var in [
        "BATCHDIAG_FORMAT",
        "BATCHDIAG_JOBS",
        "BATCHDIAG_WIDTH",
        "BATCHDIAG_COLOR",
    ] {
        assert!(help.contains(var), "{var} in --help");
    }
}

#[test]
fn completions_man_and_version() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let o = batchdiag(&["completions", shell], None);
        assert_eq!(o.status.code(), Some(0), "{shell}");
        assert!(text(&o).contains("analyze"), "{shell}");
    }
    let o = batchdiag(&["man"], None);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        text(&o).starts_with(".ie") || text(&o).contains(".TH batchdiag"),
        "{}",
        text(&o)
    );
    let o = batchdiag(&["--version"], None);
    let v = text(&o);
    assert!(
        v.starts_with(&format!("batchdiag {} (commit ", env!("CARGO_PKG_VERSION"))),
        "{v}"
    );
    assert!(v.contains("features: "), "{v}");
    // A closed pipe ends them quietly.
    for args in [&["completions", "bash"][..], &["man"][..]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_batchdiag"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("runs");
        drop(child.stdout.take());
        let o = child.wait_with_output().expect("ends");
        assert!(
            o.stderr.is_empty(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(o.status.code(), Some(0), "{args:?}");
    }
}

#[test]
fn saved_reports_in_the_bundle_are_listed_not_analysed() {
    let dir = tempdir("own-reports");
    let src = root().join("corpus/healthy-upload");
    for e in std::fs::read_dir(&src).expect("bundle") {
        let e = e.expect("entry");
        std::fs::copy(e.path(), dir.join(e.file_name())).expect("copy");
    }
    let p = dir.to_str().expect("utf-8");
    let clean = json(&batchdiag(&["analyze", "-f", "json", p], None));
    // As the README suggests: the notes saved into the bundle folder.
    for (f, name) in [
        ("markdown", "case-notes.md"),
        ("json", "report.json"),
        ("text", "report.txt"),
    ] {
        let o = batchdiag(&["analyze", "-f", f, p], None);
        std::fs::write(dir.join(name), &o.stdout).expect("write");
    }
    let o = batchdiag(&["analyze", "-f", "json", p], None);
    let v = json(&o);
    assert_eq!(o.status.code(), Some(0), "{v}");
    assert_eq!(
        v["evidence"], clean["evidence"],
        "nothing invented from the reports"
    );
    assert_eq!(v["diagnoses"], clean["diagnoses"]);
    for name in ["case-notes.md", "report.json", "report.txt"] {
        let i = v["inputs"]
            .as_array()
            .expect("inputs")
            .iter()
            .find(|i| i["path"].as_str().is_some_and(|s| s.ends_with(name)))
            .unwrap_or_else(|| panic!("{name} listed: {v}"));
        assert_eq!(i["kind"], "report", "{i}");
        assert!(i["error"].is_null(), "{i}");
    }
}

#[test]
fn jobs_zero_means_every_core_and_huge_is_capped() {
    for jobs in ["0", "100000"] {
        let o = batchdiag(
            &["analyze", "-f", "json", "-j", jobs, "corpus/bd101-chrome"],
            None,
        );
        assert_eq!(o.status.code(), Some(1), "-j {jobs}");
    }
    let o = batchdiag(&["analyze", "-j", "100000", "corpus/bd101-chrome"], None);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("maximum of 64"), "{err}");
}

#[test]
fn each_tally_adds_up_and_names_what_was_not_fully_read() {
    let o = batchdiag(
        &[
            "analyze",
            "--each",
            "corpus/bd101-chrome",
            "corpus/healthy-upload",
            "corpus/bd101-truncated",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(3));
    let last = text(&o).lines().last().unwrap_or_default().to_string();
    assert_eq!(
        last,
        "3 bundles: 1 with diagnoses, 1 clean, 1 not fully read (1 with diagnoses): corpus/bd101-truncated."
    );
}

/// The bundles of issue 13's shapes and verdict fixes, in plain words:
/// (bundle, codes with confidence, exit code), independent of the goldens.
#[test]
fn real_world_shape_bundles_in_plain_words() {
    let verdict = |path: &str| -> (Vec<String>, i32) {
        let o = batchdiag(&["analyze", "--format", "json", path], None);
        let v = json(&o);
        let mut codes: Vec<String> = v["diagnoses"]
            .as_array()
            .expect("array")
            .iter()
            .map(|d| {
                format!(
                    "{}:{}",
                    d["code"].as_str().unwrap_or(""),
                    d["confidence"].as_str().unwrap_or("")
                )
            })
            .collect();
        codes.sort();
        (codes, o.status.code().unwrap_or(-1))
    };
    let cases: &[(&str, &[&str], i32)] = &[
        // Nothing understood is nothing analysed, never clean.
        ("unknown-json-only", &[], 3),
        // Seen 10 s after allocation: starting, not stuck.
        ("nodes-starting-fresh", &[], 0),
        // The nodes' own logs show them joining for 26 minutes.
        ("nodes-starting-stuck", &["BD201:likely"], 1),
        // A later idle snapshot replaces the starting one.
        ("nodes-snapshot-superseded", &[], 0),
        // A SAS request denied: no identity involved.
        ("storage-403-sas", &[], 0),
        // Each pool judged by its own configuration.
        (
            "two-pools-own-config",
            &["BD202:confirmed", "BD203:likely"],
            1,
        ),
        ("start-task-sas-files", &[], 0),
        ("pool-resize-errors", &[], 0),
        ("rest-example-wrappers", &["BD203:confirmed"], 1),
        ("arm-template-export", &["BD201:likely"], 1),
        ("az-group-export", &["BD204:likely"], 1),
        ("activity-log-bd101", &["BD101:confirmed"], 1),
        ("service-log-taskfail", &["BD201:confirmed"], 1),
        ("az-yaml", &["BD203:confirmed"], 1),
        ("az-json-all-nulls", &[], 0),
        (
            "powershell-imds",
            &["BD401:confirmed", "BD402:confirmed"],
            1,
        ),
        ("powershell-storage-stripped-xml", &["BD202:confirmed"], 1),
        (
            "dotnet-node-storage-errors",
            &["BD202:possible", "BD403:confirmed"],
            1,
        ),
        ("curl-plain-imds", &["BD203:confirmed"], 1),
        ("utf16-agent-log", &["BD201:likely"], 1),
        (
            "sdk-test-proxy-recording",
            &["BD101:confirmed", "BD201:confirmed"],
            1,
        ),
    ];
    let mut wrong = Vec::new();
    for (b, codes, exit) in cases {
        let want = (
            codes.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
            *exit,
        );
        let got = verdict(&format!("corpus/{b}"));
        if got != want {
            wrong.push(format!("{b}: got {got:?}, want {want:?}"));
        }
    }
    // The starting snapshot alone (its answer's Date 19 minutes after the
    // node entered the state) is a stuck node: only the later one clears it.
    let alone = verdict("corpus/nodes-snapshot-superseded/recording-1220.json");
    if alone.0 != ["BD201:possible"] {
        wrong.push(format!("the starting snapshot alone: {alone:?}"));
    }
    // Every layout of the Activity Log is read, and each counts for BD101.
    for f in ["az-activity-log.json", "rest-activity-log.json"] {
        let v = json(&batchdiag(
            &[
                "analyze",
                "-f",
                "json",
                &format!("corpus/activity-log-bd101/{f}"),
            ],
            None,
        ));
        if v["diagnoses"][0]["code"] != "BD101" || v["inputs"][0]["shapes"][0] != "activity_log" {
            wrong.push(format!("{f}: {}", v["diagnoses"]));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// No diagnosis of any corpus bundle asks for an input the bundle holds:
/// read from the reviewed goldens (which `corpus_golden_outputs` keeps equal
/// to the binary's output), by what each line asks for.
#[test]
fn missing_evidence_never_asks_for_what_the_bundle_holds() {
    let mut wrong = Vec::new();
    for b in bundles() {
        let path = root().join("corpus/expected").join(format!("{b}.json"));
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let v: serde_json::Value = serde_json::from_str(&text).expect("golden JSON");
        let held = |kind: &str| {
            v["evidence"]
                .as_array()
                .expect("array")
                .iter()
                .any(|e| e["kind"] == kind)
        };
        for d in v["diagnoses"].as_array().expect("array") {
            for line in d["missing_evidence"].as_array().expect("array") {
                let line = line.as_str().unwrap_or_default();
                let asks = [
                    ("The Batch account JSON", "account_config"),
                    ("The pool JSON", "pool_config"),
                    ("A storage probe", "storage_request"),
                ];
                for (opening, kind) in asks {
                    if line.starts_with(opening) && held(kind) {
                        wrong.push(format!(
                            "{b} {}: asks for {kind}, which the bundle holds: {line}",
                            d["code"]
                        ));
                    }
                }
                if !asks.iter().any(|(o, _)| line.starts_with(o)) {
                    wrong.push(format!("{b}: a line this test does not know: {line}"));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
