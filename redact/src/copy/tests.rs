//! The copier over every container the reader opens: each carries a
//! planted canary that must appear nowhere in the copy, and each copy must
//! be a valid container of the same kind that reads back.

use std::io::{Cursor, Read, Write};

use base64::Engine as _;
use serde_json::Value;

use super::*;

const JWT: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJvaWQiOiJvMSJ9.U0lHQ0FOQVJZ";

fn capture() -> String {
    let inner = serde_json::json!({"responses": [{"name": "n", "httpStatusCode": 409, "content": {"error": {"code": "AutoStorageNoPermission", "message": "m"}}}]}).to_string();
    let token = serde_json::json!({"access_token": JWT, "client_id": "c"}).to_string();
    serde_json::json!({"log": {"version": "1.2", "creator": {"name": "WebInspector", "version": "537.36"}, "pages": [{"title": "https://x/?sig=PAGESIG"}], "entries": [
        {"startedDateTime": "2024-05-01T10:00:00Z",
         "request": {"method": "POST", "url": "https://management.azure.com/batch?api-version=2020-06-01", "headers": [{"name": "Authorization", "value": format!("Bearer {JWT}")}, {"name": "Accept", "value": "*/*"}], "cookies": [{"name": "s", "value": "COOKIECANARY"}]},
         "response": {"status": 200, "headers": [{"name": "Set-Cookie", "value": "t=SETCOOKIECANARY"}], "content": {"mimeType": "application/json", "text": base64::engine::general_purpose::STANDARD.encode(inner), "encoding": "base64"}}},
        {"startedDateTime": "2024-05-01T10:00:01Z",
         "request": {"method": "GET", "url": "https://sa.blob.core.windows.net/c/b?sv=1&sig=SASCANARY", "headers": []},
         "response": {"status": 200, "content": {"mimeType": "application/json", "text": token}}}
    ]}}).to_string()
}

const CANARIES: &[&str] = &[
    "U0lHQ0FOQVJZ",
    "COOKIECANARY",
    "SETCOOKIECANARY",
    "SASCANARY",
    "PAGESIG",
    "LOGCANARY",
];

pub(super) fn copy_bytes(name: &str, bytes: &[u8], keep_unread: bool) -> (Vec<u8>, Outcome) {
    let copier = Copier::new(CopyOptions {
        keep_unread,
        ..CopyOptions::default()
    });
    let mut out = Vec::new();
    let o = copier
        .copy(name, Input::Reader(Box::new(bytes)), &mut out)
        .unwrap();
    (out, o)
}

/// Everything the copy holds, decompressed and unpacked at every depth, as text.
fn unpacked(bytes: &[u8]) -> String {
    let mut all = String::new();
    unpack(bytes, &mut all, 0);
    all
}

fn unpack(bytes: &[u8], all: &mut String, depth: u32) {
    assert!(depth < 8);
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut inner = Vec::new();
        flate2::read::MultiGzDecoder::new(bytes)
            .read_to_end(&mut inner)
            .expect("the copy's gzip is valid");
        return unpack(&inner, all, depth + 1);
    }
    if bytes.starts_with(b"PK") {
        let mut z = zip::ZipArchive::new(Cursor::new(bytes)).expect("the copy's zip is valid");
        for i in 0..z.len() {
            let mut m = z.by_index(i).unwrap();
            all.push_str(&m.name().unwrap());
            all.push('\n');
            let mut b = Vec::new();
            m.read_to_end(&mut b).unwrap();
            unpack(&b, all, depth + 1);
        }
        return;
    }
    if bytes.get(257..262) == Some(b"ustar") {
        let mut t = tar::Archive::new(bytes);
        for e in t.entries().expect("the copy's tar is valid") {
            let mut e = e.expect("valid tar member");
            all.push_str(&String::from_utf8_lossy(&e.path_bytes()));
            all.push('\n');
            let mut b = Vec::new();
            e.read_to_end(&mut b).unwrap();
            unpack(&b, all, depth + 1);
        }
        return;
    }
    all.push_str(&String::from_utf8_lossy(bytes));
    // Base64 bodies are decoded too, so no canary hides in them.
    if let Ok(v) = serde_json::from_slice::<Value>(bytes) {
        collect_base64(&v, all);
    }
}

fn collect_base64(v: &Value, all: &mut String) {
    match v {
        Value::String(s) => {
            if let Ok(b) = base64::engine::general_purpose::STANDARD.decode(s) {
                unpack(&b, all, 1);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_base64(x, all)),
        Value::Object(o) => o.values().for_each(|x| collect_base64(x, all)),
        _ => {}
    }
}

/// The canary appears nowhere in the copy, at any depth, decoded.
pub(super) fn assert_gone(copy: &[u8], canary: &str, what: &str) {
    let text = unpacked(copy);
    assert!(
        !text.contains(canary),
        "{what}: {canary} left in the copy:\n{text:.2000}"
    );
}

fn assert_clean(copy: &[u8], what: &str) {
    let text = unpacked(copy);
    for c in CANARIES.iter().chain([&JWT]) {
        assert!(!text.contains(c), "{what}: {c} left in the copy:\n{text}");
    }
}

pub(super) fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

pub(super) fn tar_of(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        tar.append_data(&mut h, name, &data[..]).unwrap();
    }
    tar.into_inner().unwrap()
}

pub(super) fn zip_of(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (n, b) in files {
        w.start_file(*n, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(b).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn log() -> Vec<u8> {
    b"2024-05-01T10:00:00Z get https://sa.blob.core.windows.net/c?sig=LOGCANARY health=Status.Ok\n"
        .to_vec()
}

#[test]
fn a_har_copy_is_valid_har_without_secrets_and_reads_the_same() {
    let (out, o) = copy_bytes("capture.har", capture().as_bytes(), false);
    assert_clean(&out, "har");
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["log"]["entries"].as_array().unwrap().len(), 2);
    assert_eq!(
        v["log"]["entries"][0]["request"]["headers"][1]["value"],
        "*/*"
    );
    assert!(o.findings.secrets >= 5, "{:?}", o.findings);
    assert!(o.findings.listed.iter().any(|f| f
        .place
        .contains("log.entries[0] request.headers[Authorization]")));
    let bundle = batchdiag_parser::Reader::new(Default::default()).read_bytes("copy.har", &out);
    assert_eq!(
        bundle.evidence[0]
            .fact
            .as_arm_error()
            .unwrap()
            .code
            .as_deref(),
        Some("AutoStorageNoPermission")
    );
    // A copy is clean: copying it again finds nothing.
    let (_, again) = copy_bytes("copy.har", &out, false);
    assert!(!again.findings.any(), "{:?}", again.findings);
}

#[test]
fn every_container_kind_is_walked_and_written_back() {
    let har = capture().into_bytes();
    let nested_zip = zip_of(&[("p/n/u/agent-debug.log", log()), ("c.har", har.clone())]);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "a.tar",
            tar_of(&[("p/n/agent-debug.log", log()), ("c.har", har.clone())]),
        ),
        ("a.tar.gz", gz(&tar_of(&[("p/n/agent-debug.log", log())]))),
        (
            "a.zip",
            zip_of(&[("p/n/agent-debug.log", log()), ("c.har", har.clone())]),
        ),
        (
            "zip-in-tgz.tar.gz",
            gz(&tar_of(&[("logs.zip", nested_zip.clone())])),
        ),
        ("a.zip.gz", gz(&nested_zip)),
        (
            "tar-in-zip.zip",
            zip_of(&[("inner.tar", tar_of(&[("agent-debug.log", log())]))]),
        ),
        ("tar-in-gz.gz", gz(&tar_of(&[("agent-debug.log", log())]))),
        ("agent-debug.log.2.gz", gz(&log())),
        ("capture.har.gz", gz(&har)),
    ];
    for (name, bytes) in cases {
        // The original holds the canary (the test means something)...
        assert!(unpacked(&bytes).contains("CANARY"), "{name}");
        let (out, o) = copy_bytes(name, &bytes, false);
        // ...and the copy does not, and is the same kind of container.
        assert_clean(&out, name);
        assert_eq!(out[..2], bytes[..2], "{name}: same container kind");
        assert!(o.findings.secrets > 0, "{name}");
        assert_eq!(o.findings.unread, 0, "{name}: {:?}", o.findings.listed);
        // The copy still reads as the original does, member for member.
        let reader = batchdiag_parser::Reader::new(Default::default());
        let (a, b) = (
            reader.read_bytes(name, &bytes),
            reader.read_bytes(name, &out),
        );
        let paths = |x: &batchdiag_parser::Bundle| {
            x.inputs
                .iter()
                .map(|i| (i.path.clone(), i.kind))
                .collect::<Vec<_>>()
        };
        assert_eq!(paths(&a), paths(&b), "{name}");
        assert_eq!(a.evidence.len(), b.evidence.len(), "{name}");
    }
}

/// An open file (an upload spooled to an unlinked temporary file) is
/// copied as a local path is: a zip in it is read in place, with
/// positional reads, so an in-memory limit far below its size does not
/// leave it out, as it does the same zip from a stream.
#[test]
fn a_zip_in_an_open_file_is_read_in_place_not_held_in_memory() {
    let har = capture().into_bytes();
    let z = zip_of(&[("p/n/agent-debug.log", log()), ("c.har", har.clone())]);
    let limits = Limits {
        max_in_memory_bytes: 16,
        ..Limits::default()
    };
    let copier = Copier::new(CopyOptions {
        limits,
        ..CopyOptions::default()
    });
    let mut out = Vec::new();
    let o = copier
        .copy("a.zip", Input::Reader(Box::new(&z[..])), &mut out)
        .unwrap();
    assert!(
        out.is_empty() && o.findings.unread == 1,
        "a stream is held in memory"
    );

    for (name, bytes) in [("a.zip", &z), ("c.har", &har)] {
        let mut file = tempfile::tempfile().unwrap();
        // Left at its end, as a spool leaves the file it wrote.
        file.write_all(bytes).unwrap();
        let mut out = Vec::new();
        let o = copier
            .copy(name, Input::File(Arc::new(file)), &mut out)
            .unwrap();
        assert_eq!(o.findings.unread, 0, "{name}: {:?}", o.findings.listed);
        assert!(o.findings.secrets > 0, "{name}");
        assert_clean(&out, name);
        let (want, _) = copy_bytes(name, bytes, false);
        assert_eq!(
            unpacked(&out),
            unpacked(&want),
            "{name}: the copy a stream gives"
        );
    }
}

#[test]
fn encoded_har_content_is_decoded_before_it_is_cleaned() {
    let token_body = format!("{{\"access_token\":\"{JWT}\",\"client_id\":\"c\"}}");
    let gz_b64 = base64::engine::general_purpose::STANDARD.encode(gz(token_body.as_bytes()));
    let frame =
        base64::engine::general_purpose::STANDARD.encode(format!("Authorization: Bearer {JWT}"));
    let url_safe = base64::engine::general_purpose::URL_SAFE.encode(&token_body);
    let har = serde_json::json!({"log": {"version": "1.2", "creator": {"name": "t", "version": "1"}, "entries": [
        {"request": {"method": "GET", "url": "https://x/a", "headers": [{"name": "X-Api-Key", "value": "APIKEYCANARY"}]},
         "response": {"status": 200, "content": {"mimeType": "application/json", "text": gz_b64, "encoding": "base64"}}},
        {"request": {"method": "GET", "url": "wss://x/ws"}, "response": {"status": 101, "content": {}},
         "_webSocketMessages": [{"type": "receive", "time": 1.5, "opcode": 2, "data": frame}, {"type": "send", "time": 1.6, "opcode": 1, "data": format!("token={JWT}")}]},
        {"request": {"method": "GET", "url": "https://x/b", "queryString": [{"name": "sig", "value": "QSCANARY"}, {"name": "sv", "value": "2022-11-02"}]},
         "response": {"status": 200, "content": {"mimeType": "application/json", "text": url_safe, "encoding": "base64"}}},
        {"request": {"method": "GET", "url": "https://x/c"},
         "response": {"status": 200, "content": {"mimeType": "image/png", "text": "!!! not base64 !!!", "encoding": "base64"}}}
    ]}}).to_string();
    let (out, o) = copy_bytes("c.har", har.as_bytes(), false);
    let text = unpacked(&out);
    for c in [JWT, "APIKEYCANARY", "QSCANARY"] {
        assert!(!text.contains(c), "{c} left in {text}");
    }
    assert!(text.contains("2022-11-02"), "safe values stay");
    let v: Value = serde_json::from_slice(&out).unwrap();
    let body = v["log"]["entries"][0]["response"]["content"]["text"]
        .as_str()
        .unwrap();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap();
    assert!(decoded.starts_with(&[0x1f, 0x8b]), "a gzip body stays gzip");
    // The body that does not decode is blanked, and listed as not read.
    assert_eq!(v["log"]["entries"][3]["response"]["content"]["text"], "");
    assert_eq!(o.findings.unread, 1, "{:?}", o.findings.listed);
}

#[test]
fn utf16_with_and_without_bom_and_nul_led_text_are_cleaned() {
    let line = format!("2024-05-01T10:00:00Z token {JWT} health=Status.Ok\n");
    let le: Vec<u8> = line.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let mut bom = vec![0xff, 0xfe];
    bom.extend_from_slice(&le);
    let mut nul_led = vec![0u8; 64];
    nul_led.extend_from_slice(line.as_bytes());
    for (what, bytes) in [("bom", bom), ("no bom", le), ("nul", nul_led)] {
        let (out, o) = copy_bytes("agent-debug.log", &bytes, false);
        let text = String::from_utf8_lossy(&out);
        assert!(!text.contains("eyJ0eXAi"), "{what}: {text}");
        assert!(text.contains("health=Status.Ok"), "{what}: {text}");
        assert!(o.findings.secrets > 0, "{what}");
    }
}

#[test]
fn what_cannot_be_read_is_left_out_and_listed() {
    let binary: Vec<u8> = (0u8..=255).cycle().take(4096).collect();
    let xz = b"\xFD7zXZ\x00\x00CANARY-IN-XZ".to_vec();
    let z = zip_of(&[
        ("blob.bin", binary.clone()),
        ("logs.tar.xz", xz.clone()),
        ("agent-debug.log", log()),
    ]);
    let (out, o) = copy_bytes("b.zip", &z, false);
    let mut names = Vec::new();
    let mut back = zip::ZipArchive::new(Cursor::new(&out)).unwrap();
    for i in 0..back.len() {
        names.push(back.by_index(i).unwrap().name().unwrap().into_owned());
    }
    assert_eq!(names, ["agent-debug.log"]);
    assert_eq!(o.findings.unread, 2, "{:?}", o.findings.listed);
    assert!(o.findings.any());
    // Kept on request: copied unchanged, still listed.
    let (out, o) = copy_bytes("b.zip", &z, true);
    assert_eq!(zip::ZipArchive::new(Cursor::new(&out)).unwrap().len(), 3);
    assert_eq!(o.findings.unread, 2);
    // A whole input of no known format is left out too.
    let (out, o) = copy_bytes("photo.jpg", &binary, false);
    assert!(out.is_empty() && !o.written && o.findings.unread == 1);
}

#[test]
fn hostile_names_are_written_safe_and_cleaned() {
    let mut tar = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    let name = b"../../x/token=NAMECANARY/agent-debug.log";
    h.as_old_mut().name[..name.len()].copy_from_slice(name);
    let data = log();
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    tar.append(&h, &data[..]).unwrap();
    let bytes = tar.into_inner().unwrap();
    let (out, o) = copy_bytes("t.tar", &bytes, false);
    let mut back = tar::Archive::new(&out[..]);
    let names: Vec<String> = back
        .entries()
        .unwrap()
        .map(|e| String::from_utf8_lossy(&e.unwrap().path_bytes()).into_owned())
        .collect();
    assert_eq!(names, ["x/token=[REDACTED]"]);
    assert!(o.findings.secrets >= 2);
    let z = zip_of(&[("/abs/../../evil.log", log())]);
    let (out, _) = copy_bytes("z.zip", &z, false);
    let back = zip::ZipArchive::new(Cursor::new(&out)).unwrap();
    assert_eq!(back.name_for_index(0).unwrap().unwrap(), "abs/evil.log");
}

/// Found by the binary canary suite: two members whose names differed only
/// in a token became one name, and the zip writer refused the copy.
#[test]
fn names_made_equal_by_redaction_stay_distinct() {
    let a = format!("logs/ghp_{}/a.log", "a".repeat(36));
    let b = format!("logs/ghp_{}/a.log", "b".repeat(36));
    let z = zip_of(&[(&a, log()), (&b, log())]);
    let (out, o) = copy_bytes("z.zip", &z, false);
    let back = zip::ZipArchive::new(Cursor::new(&out)).unwrap();
    let names: Vec<String> = back.file_names().map(|n| n.unwrap().into_owned()).collect();
    assert_eq!(names, ["logs/[REDACTED]/a.log", "logs/[REDACTED-2]/a.log"]);
    assert!(o.findings.secrets >= 2, "both names are findings");
    let (_, again) = copy_bytes("z.zip", &out, false);
    assert!(!again.findings.any(), "{:?}", again.findings.listed);
    // A tar may hold a name twice on purpose: that stays as it was.
    let t = tar_of(&[("a.log", log()), ("a.log", log())]);
    let (out, _) = copy_bytes("t.tar", &t, false);
    let mut back = tar::Archive::new(&out[..]);
    let names: Vec<String> = back
        .entries()
        .unwrap()
        .map(|e| String::from_utf8_lossy(&e.unwrap().path_bytes()).into_owned())
        .collect();
    assert_eq!(names, ["a.log", "a.log"]);
}

/// Found by the binary canary suite: a finding's place named the member by
/// its original name, so a key that was a directory name was printed.
#[test]
fn a_finding_names_its_member_without_the_secret() {
    let key = format!("{}AzFubbbbbA==", "K".repeat(44));
    let z = zip_of(&[(&format!("logs/{key}/a.log"), log())]);
    let (_, o) = copy_bytes("z.zip", &z, false);
    assert!(o
        .findings
        .listed
        .iter()
        .any(|f| f.place.ends_with("(member name)")));
    for f in &o.findings.listed {
        assert!(!f.to_string().contains(&key[..44]), "{f}");
    }
}

#[test]
fn a_cut_input_gives_a_valid_copy_that_says_so() {
    let c = capture();
    let (out, o) = copy_bytes("cut.har", &c.as_bytes()[..c.len() - 40], false);
    let v: Value = serde_json::from_slice(&out).expect("still valid JSON");
    assert!(v["log"]["_batchdiag"].as_str().unwrap().contains("cut"));
    assert_eq!(o.findings.unread, 1);
    let whole = gz(&log().repeat(200));
    let (out, o) = copy_bytes("agent-debug.log.1.gz", &whole[..whole.len() / 2], false);
    let mut text = String::new();
    flate2::read::GzDecoder::new(&out[..])
        .read_to_string(&mut text)
        .expect("a valid gzip");
    assert!(
        text.lines().count() > 10,
        "the lines before the cut are kept"
    );
    assert!(o.findings.unread >= 1);
    let t = tar_of(&[
        ("a/agent-debug.log", log()),
        ("b/agent-debug.log", log().repeat(50)),
    ]);
    let (out, o) = copy_bytes("cut.tar", &t[..t.len() - 1500], false);
    assert!(tar::Archive::new(&out[..])
        .entries()
        .unwrap()
        .all(|e| e.is_ok()));
    assert!(o.findings.unread >= 1);
}

#[test]
fn an_oversized_entry_is_left_out_not_buffered() {
    let big = "x".repeat(3000);
    let doc = format!(
        r#"{{"log":{{"entries":[{{"request":{{"url":"https://a/?sig=S1","body":"{big}"}}}},{{"request":{{"url":"https://b/?sig=S2"}}}}]}}}}"#
    );
    let mut out = Vec::new();
    let mut f = Findings::default();
    har::copy_with(doc.as_bytes(), "x.har", &mut out, &mut f, 1024, 256).unwrap();
    assert_eq!((f.entries, f.unread), (1, 1));
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        v["log"]["entries"][0]["request"]["url"],
        "https://b/?sig=[REDACTED]"
    );
}

#[test]
fn output_errors_are_output_errors() {
    struct Full;
    impl Write for Full {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::new(io::ErrorKind::StorageFull, "no space"))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let copier = Copier::default();
    for name in ["c.har", "x.log", "a.tar"] {
        let bytes = if name == "a.tar" {
            tar_of(&[("agent-debug.log", log())])
        } else if name == "c.har" {
            capture().into_bytes()
        } else {
            log()
        };
        let e = copier
            .copy(name, Input::Reader(Box::new(&bytes[..])), &mut Full)
            .unwrap_err();
        assert!(matches!(e, CopyError::Output(_)), "{name}: {e}");
    }
}

#[test]
fn a_secret_in_an_object_key_is_cleaned_and_listed() {
    // A custom field named by a signed URL: keys are text the copy writes too
    // (review, session 22: keys were copied as they were and `--check` passed).
    let key = "https://u:KEYPASSCANARY@h.example/x?sv=2022-11-02&sig=KEYSIGCANARY";
    let har = serde_json::json!({"log": {"version": "1.2", "creator": {"name": "t", "version": "1"}, "entries": [
        {"request": {"method": "GET", "url": "https://x/a"}, "response": {"status": 200, "content": {}},
         "_custom": {key: 1, "plain": "v"}},
        {"request": {"method": "GET", "url": "https://x/b"}, "response": {"status": 200, "content": {}}}
    ]}}).to_string();
    let (out, o) = copy_bytes("k.har", har.as_bytes(), false);
    let text = String::from_utf8_lossy(&out).into_owned();
    for c in ["KEYPASSCANARY", "KEYSIGCANARY"] {
        assert!(!text.contains(c), "{c} left in {text}");
    }
    let v: Value = serde_json::from_slice(&out).expect("the copy is JSON");
    assert_eq!(
        v["log"]["entries"][0]["_custom"]["plain"], "v",
        "the rest stays"
    );
    assert_eq!(v["log"]["entries"].as_array().map(Vec::len), Some(2));
    let listed = format!("{:?}", o.findings.listed);
    assert!(!listed.contains("CANARY"), "{listed}");
    assert!(o.findings.secrets > 0, "{listed}");
}
