//! End-to-end tests of the trust boundary: the reader and the `redact`
//! copier see a bundle the same way, at any depth.
//!
//! - Members with hostile names are analysed (with a warning) and copied
//!   under safe names.
//! - Every container kind carries a planted canary that appears in no copy
//!   and no `analyze` output; `--check` fails on the original and passes on
//!   the copy; a part the copier cannot read makes `--check` fail.
//! - Over every corpus bundle, the copy analyses to the same diagnoses.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use base64::Engine as _;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("cli/ has a parent")
        .to_path_buf()
}

fn batchdiag(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_batchdiag"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs")
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&o.stdout)))
}

/// A temporary directory removed when dropped, even when the test fails.
struct Temp(PathBuf);

impl Temp {
    fn new(tag: &str) -> Temp {
        let d = std::env::temp_dir().join(format!("batchdiag-redact-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("mkdir");
        Temp(d)
    }
    fn path(&self, name: &str) -> String {
        self.0.join(name).to_string_lossy().into_owned()
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn stuck_log(node: &str, canary: &str) -> Vec<u8> {
    let mut s = String::new();
    for i in 0..90 {
        s.push_str(&format!(
            "2024-05-01T10:{:02}:{:02}.000Z INFO agent \"PoolName\":\"pool-x\" \"TVMName\":\"{node}\" pool not fully joined yet, health=Status.TvmJoinPoolInProgress\n",
            i / 6,
            (i % 6) * 10
        ));
    }
    s.push_str(&format!(
        "2024-05-01T10:15:00.000Z fetch https://sa.blob.core.windows.net/c/x?sv=2022-11-02&sig={canary}%3D\n"
    ));
    s.into_bytes()
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).expect("in memory");
    e.finish().expect("in memory")
}

/// A tar whose member names are written raw (the tar crate refuses `..` through its setters).
fn tar_raw(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut h = tar::Header::new_gnu();
        h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        tar.append(&h, &data[..]).expect("in memory");
    }
    tar.into_inner().expect("in memory")
}

fn zip_of(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (n, b) in files {
        w.start_file(*n, zip::write::SimpleFileOptions::default())
            .expect("in memory");
        w.write_all(b).expect("in memory");
    }
    w.finish().expect("in memory").into_inner()
}

/// Everything in a file, unpacked at every depth (gzip, zip, tar, base64
/// strings of JSON), as text: what a canary search must look through.
fn unpacked(bytes: &[u8]) -> String {
    let mut all = String::new();
    unpack(bytes, &mut all, 0);
    all
}

fn unpack(bytes: &[u8], all: &mut String, depth: u32) {
    if depth > 6 {
        return;
    }
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut inner = Vec::new();
        let _ = flate2::read::MultiGzDecoder::new(bytes).read_to_end(&mut inner);
        return unpack(&inner, all, depth + 1);
    }
    if bytes.starts_with(b"PK") {
        if let Ok(mut z) = zip::ZipArchive::new(std::io::Cursor::new(bytes)) {
            for i in 0..z.len() {
                let Ok(mut m) = z.by_index(i) else { continue };
                all.push_str(&m.name().map(|n| n.into_owned()).unwrap_or_default());
                all.push('\n');
                let mut b = Vec::new();
                let _ = m.read_to_end(&mut b);
                unpack(&b, all, depth + 1);
            }
        }
        return;
    }
    if bytes.get(257..262) == Some(b"ustar") {
        let mut t = tar::Archive::new(bytes);
        if let Ok(entries) = t.entries() {
            for e in entries.flatten() {
                let mut e = e;
                all.push_str(&String::from_utf8_lossy(&e.path_bytes()));
                all.push('\n');
                let mut b = Vec::new();
                let _ = e.read_to_end(&mut b);
                unpack(&b, all, depth + 1);
            }
        }
        return;
    }
    // UTF-16 text (with or without a BOM) as UTF-8.
    let utf16 = bytes.len() > 8 && bytes.iter().skip(1).step_by(2).take(16).all(|b| *b == 0);
    if utf16 {
        let units: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|p| u16::from_le_bytes([p[0], p[1]]))
            .collect();
        all.push_str(&String::from_utf16_lossy(&units));
        return;
    }
    all.push_str(&String::from_utf8_lossy(bytes));
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(bytes) {
        strings(&v, all, depth);
    }
}

fn strings(v: &serde_json::Value, all: &mut String, depth: u32) {
    match v {
        serde_json::Value::String(s) => {
            if let Ok(b) = base64::engine::general_purpose::STANDARD.decode(s) {
                unpack(&b, all, depth + 1);
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| strings(x, all, depth)),
        serde_json::Value::Object(o) => o.values().for_each(|x| strings(x, all, depth)),
        _ => {}
    }
}

#[test]
fn hostile_member_names_are_analysed_and_copied_safely() {
    let t = Temp::new("names");
    let log = stuck_log("tvm-1_1-20240501t095900z", "NAMETESTSIG");
    let cases = [
        (
            "evil.zip",
            zip_of(&[("../../x/agent-debug.log", log.clone())]),
        ),
        (
            "evil.tar",
            tar_raw(&[("../../x/agent-debug.log", log.clone())]),
        ),
    ];
    for (name, bytes) in cases {
        let input = t.path(name);
        std::fs::write(&input, &bytes).expect("write");
        let v = json(&batchdiag(&["analyze", "-f", "json", &input]));
        let member = v["inputs"]
            .as_array()
            .expect("inputs")
            .iter()
            .find(|i| {
                i["path"]
                    .as_str()
                    .is_some_and(|p| p.ends_with("!/../../x/agent-debug.log"))
            })
            .unwrap_or_else(|| panic!("{name}: the member is listed: {v}"));
        assert!(
            member["error"].is_null(),
            "{name}: read, not refused: {member}"
        );
        assert!(
            member["warnings"].to_string().contains("'..'"),
            "{name}: {member}"
        );
        let loops: Vec<_> = v["evidence"]
            .as_array()
            .expect("evidence")
            .iter()
            .filter(|e| e["kind"] == "join_loop")
            .collect();
        assert_eq!(loops.len(), 1, "{name}: its join loop is evidence");
        // The copy is a valid archive whose names cannot climb.
        let copy = t.path(&format!("copy-{name}"));
        let o = batchdiag(&["redact", &input, "-o", &copy]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let listing = unpacked(&std::fs::read(&copy).expect("copy"));
        assert!(
            listing.starts_with("x/agent-debug.log\n"),
            "{name}: {listing}"
        );
        assert!(!listing.contains(".."), "{name}");
        assert!(!listing.contains("NAMETESTSIG"), "{name}");
        let again = json(&batchdiag(&["analyze", "-f", "json", &copy]));
        assert_eq!(
            again["evidence"]
                .as_array()
                .map(|e| e.iter().filter(|x| x["kind"] == "join_loop").count()),
            Some(1),
            "{name}: the copy analyses the same"
        );
    }
}

/// A HAR with one entry whose body is gzip inside base64 and a binary WebSocket frame.
fn har_with(canary_body: &str, canary_frame: &str) -> Vec<u8> {
    let body = format!("{{\"access_token\":\"eyJ0eXAiOiJKV1QifQ.eyJvaWQiOiJ4In0.{canary_body}\",\"client_id\":\"c\"}}");
    let frame = format!("Authorization: Bearer eyJ0eXAiOiJKV1QifQ.eyJvaWQiOiJ4In0.{canary_frame}");
    let enc = base64::engine::general_purpose::STANDARD;
    serde_json::json!({"log": {"version": "1.2", "creator": {"name": "WebInspector", "version": "537.36"}, "entries": [
        {"startedDateTime": "2024-05-01T10:00:00Z", "time": 1,
         "request": {"method": "GET", "url": "http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://storage.azure.com/", "headers": [{"name": "Metadata", "value": "true"}]},
         "response": {"status": 200, "headers": [], "content": {"mimeType": "application/json", "text": enc.encode(gz(body.as_bytes())), "encoding": "base64"}}},
        {"startedDateTime": "2024-05-01T10:00:01Z", "time": 1,
         "request": {"method": "GET", "url": "wss://portal.azure.com/ws", "headers": []},
         "response": {"status": 101, "headers": [], "content": {"mimeType": "x-unknown"}},
         "_webSocketMessages": [{"type": "receive", "time": 1714557601.5, "opcode": 2, "data": enc.encode(frame)}]}
    ]}})
    .to_string()
    .into_bytes()
}

#[test]
fn every_container_kind_hides_no_canary_from_the_copy_or_the_report() {
    let t = Temp::new("containers");
    let utf16_no_bom: Vec<u8> =
        String::from_utf8(stuck_log("tvm-2_1-20240501t095900z", "CANARYUTF16"))
            .expect("UTF-8")
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
    let zip_in = zip_of(&[(
        "p/n/agent-debug.log",
        stuck_log("tvm-3_1-20240501t095900z", "CANARYZIPINTGZ"),
    )]);
    let tar_in = tar_raw(&[(
        "p/n/agent-debug.log",
        stuck_log("tvm-4_1-20240501t095900z", "CANARYTARINZIP"),
    )]);
    let cases: Vec<(&str, Vec<u8>, &[&str])> = vec![
        (
            "zip-in.tar.gz",
            gz(&tar_raw(&[("logs.zip", zip_in.clone())])),
            &["CANARYZIPINTGZ"],
        ),
        (
            "tar-in.zip",
            zip_of(&[("inner.tar", tar_in.clone())]),
            &["CANARYTARINZIP"],
        ),
        ("logs.zip.gz", gz(&zip_in), &["CANARYZIPINTGZ"]),
        ("logs.tar.gz", gz(&tar_in), &["CANARYTARINZIP"]),
        (
            "capture.har",
            har_with("CANARYGZBODY", "CANARYWSFRAME"),
            &["CANARYGZBODY", "CANARYWSFRAME"],
        ),
        (
            "har-in.zip",
            zip_of(&[("c.har", har_with("CANARYZIPGZBODY", "CANARYZIPWS"))]),
            &["CANARYZIPGZBODY", "CANARYZIPWS"],
        ),
        ("agent-debug.log", utf16_no_bom, &["CANARYUTF16"]),
    ];
    for (name, bytes, canaries) in cases {
        let input = t.path(name);
        std::fs::write(&input, &bytes).expect("write");
        let original = unpacked(&bytes);
        for c in canaries {
            assert!(original.contains(c), "{name}: the canary {c} is planted");
        }
        let check = batchdiag(&["redact", "--check", &input]);
        assert_eq!(
            check.status.code(),
            Some(1),
            "{name}: the original holds secrets"
        );
        let copy = t.path(&format!("copy-{name}"));
        let o = batchdiag(&["redact", &input, "-o", &copy]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let copied = std::fs::read(&copy).expect("copy written");
        if bytes.starts_with(b"PK") || bytes.starts_with(&[0x1f, 0x8b]) {
            assert_eq!(
                copied[..2],
                bytes[..2],
                "{name}: the same kind of container"
            );
        }
        let clean = unpacked(&copied);
        let again = batchdiag(&["redact", "--check", &copy]);
        assert_eq!(
            again.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&again.stderr)
        );
        for format in ["json", "text", "markdown"] {
            for path in [&input, &copy] {
                let out = batchdiag(&["analyze", "-f", format, path]);
                let all = format!(
                    "{}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
                for c in canaries {
                    assert!(
                        !all.contains(c),
                        "{name}: {c} in analyze -f {format} {path}"
                    );
                }
            }
        }
        for out in [&check, &o, &again] {
            for c in canaries {
                assert!(
                    !String::from_utf8_lossy(&out.stderr).contains(c),
                    "{name}: {c} on stderr"
                );
            }
        }
        for c in canaries {
            assert!(!clean.contains(c), "{name}: {c} left in the copy");
        }
        // The copy still shows what the original shows.
        let a = json(&batchdiag(&["analyze", "-f", "json", &input]));
        let b = json(&batchdiag(&["analyze", "-f", "json", &copy]));
        let kinds = |v: &serde_json::Value| {
            v["evidence"]
                .as_array()
                .map(|e| e.iter().map(|x| x["kind"].to_string()).collect::<Vec<_>>())
        };
        assert_eq!(kinds(&a), kinds(&b), "{name}");
    }
}

#[test]
fn a_part_the_copier_cannot_read_fails_the_gate() {
    let t = Temp::new("unread");
    let binary: Vec<u8> = (0u8..=255).cycle().take(8192).collect();
    let bundle = zip_of(&[
        (
            "p/n/agent-debug.log",
            stuck_log("tvm-5_1-20240501t095900z", "CANARYBESIDEBLOB"),
        ),
        ("dump.bin", binary),
    ]);
    let input = t.path("b.zip");
    std::fs::write(&input, &bundle).expect("write");
    let o = batchdiag(&["redact", "--check", &input]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("dump.bin: not read"));
    let copy = t.path("copy.zip");
    let o = batchdiag(&["redact", &input, "-o", &copy]);
    assert_eq!(
        o.status.code(),
        Some(3),
        "a part was left out: not everything was read"
    );
    let o = batchdiag(&["redact", "--check", &copy]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!unpacked(&std::fs::read(&copy).expect("copy")).contains("dump.bin"));
}

#[test]
fn jobs_sets_the_threads_and_the_copy_is_the_same_on_one_or_two() {
    let t = Temp::new("jobs");
    let har = har_with("jobs-body", "jobs-frame");
    let input = t.path("in.har");
    std::fs::write(&input, &har).expect("write the capture");
    let copies: Vec<Vec<u8>> = ["1", "2"]
        .iter()
        .map(|j| {
            let out = t.path(&format!("copy-{j}.har"));
            let o = batchdiag(&["redact", "-j", j, &input, "-o", &out]);
            assert_eq!(
                o.status.code(),
                Some(0),
                "{}",
                String::from_utf8_lossy(&o.stderr)
            );
            std::fs::read(&out).expect("the copy")
        })
        .collect();
    assert!(!copies[0].is_empty());
    assert_eq!(copies[0], copies[1], "-j 1 and -j 2 write the same copy");
    // And by the environment, as `analyze` reads it.
    let out = t.path("copy-env.har");
    let o = Command::new(env!("CARGO_BIN_EXE_batchdiag"))
        .args(["redact", &input, "-o", &out])
        .env("BATCHDIAG_JOBS", "1")
        .output()
        .expect("run batchdiag");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(std::fs::read(&out).expect("the copy"), copies[0]);
}

#[test]
fn every_corpus_bundle_copied_analyses_to_the_same_diagnoses() {
    let t = Temp::new("corpus");
    let mut bundles: Vec<String> = std::fs::read_dir(root().join("corpus"))
        .expect("corpus/")
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir() && e.file_name() != "expected")
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    bundles.sort();
    assert!(bundles.len() >= 16);
    let diagnoses = |v: &serde_json::Value| -> Vec<(String, String)> {
        v["diagnoses"]
            .as_array()
            .expect("diagnoses")
            .iter()
            .map(|d| (d["code"].to_string(), d["confidence"].to_string()))
            .collect()
    };
    for b in bundles {
        let out = t.path(&b);
        let o = batchdiag(&["redact", &format!("corpus/{b}"), "-o", &out]);
        assert!(
            matches!(o.status.code(), Some(0) | Some(3)),
            "{b}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let a = json(&batchdiag(&[
            "analyze",
            "-f",
            "json",
            &format!("corpus/{b}"),
        ]));
        let c = json(&batchdiag(&["analyze", "-f", "json", &out]));
        assert_eq!(
            diagnoses(&a),
            diagnoses(&c),
            "{b}: the copy diagnoses the same"
        );
        let gate = batchdiag(&["redact", "--check", &out]);
        if o.status.code() == Some(0) {
            assert_eq!(
                gate.status.code(),
                Some(0),
                "{b}: {}",
                String::from_utf8_lossy(&gate.stderr)
            );
        }
    }
}
