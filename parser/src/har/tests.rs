use std::io::Write as _;

use super::*;

fn doc(n_noise: usize) -> String {
    let mut entries = Vec::new();
    for i in 0..n_noise {
        entries.push(format!(
            r#"{{"startedDateTime":"2024-05-01T10:00:{:02}.000Z","request":{{"method":"GET","url":"https://portal.azure.com/c/{i}.js","headers":[]}},"response":{{"status":200,"headers":[],"content":{{"size":3,"mimeType":"text/javascript","text":"x=1"}}}}}}"#,
            i % 60
        ));
    }
    let err_body = r#"{\"error\":{\"code\":\"AutoStorageNoPermission\",\"message\":\"m\",\"target\":\"BatchAccount\"}}"#;
    entries.insert(
        n_noise / 2,
        format!(
            r#"{{"startedDateTime":"2024-05-01T10:01:00Z","request":{{"method":"PUT","url":"https://management.azure.com/subscriptions/s/resourceGroups/g/providers/Microsoft.Batch/batchAccounts/a/applications/app/versions/1"}},"response":{{"status":409,"content":{{"text":"{err_body}"}}}}}}"#
        ),
    );
    format!(
        "{{\"log\":{{\"version\":\"1.2\",\"creator\":{{\"name\":\"Firefox\",\"version\":\"125.0\"}},\"browser\":{{\"name\":\"Firefox\",\"version\":\"125.0\"}},\"entries\":[\n{}\n]}}}}",
        entries.join(",\n")
    )
}

fn opts(chunk: usize, max: usize) -> HarOptions {
    HarOptions {
        chunk_bytes: chunk,
        max_entry_bytes: max,
    }
}

#[test]
fn reads_summary_and_evidence() {
    let d = doc(10);
    let r = read_har(
        d.as_bytes(),
        &Location::file("f.har"),
        &HarOptions::default(),
    );
    assert_eq!(r.error, None);
    assert_eq!(r.summary.entries, 11);
    assert_eq!(r.summary.creator.as_deref(), Some("Firefox 125.0"));
    assert_eq!(r.summary.version.as_deref(), Some("1.2"));
    assert_eq!(r.evidence.len(), 1);
    assert_eq!(r.evidence[0].source.entry, Some(5));
}

#[test]
fn same_result_for_any_chunk_size() {
    let d = doc(40);
    let whole = read_har(
        d.as_bytes(),
        &Location::file("f.har"),
        &HarOptions::default(),
    );
    for chunk in [1, 13, 100, 4096] {
        let r = read_har(
            d.as_bytes(),
            &Location::file("f.har"),
            &opts(chunk, 1 << 20),
        );
        assert_eq!(r.evidence, whole.evidence, "chunk {chunk}");
        assert_eq!(r.summary, whole.summary, "chunk {chunk}");
        assert_eq!(r.error, None);
    }
}

#[test]
fn gzip_stream() {
    let d = doc(5);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(d.as_bytes()).unwrap();
    let bytes = gz.finish().unwrap();
    let r = read_har(
        flate2::read::MultiGzDecoder::new(&bytes[..]),
        &Location::file("f.har.gz"),
        &opts(64, 1 << 20),
    );
    assert_eq!(r.error, None);
    assert_eq!(r.evidence.len(), 1);
    // A cut gzip stream loses the tail, keeps the head, and says so.
    let cut = &bytes[..bytes.len() / 2];
    let r = read_har(
        flate2::read::MultiGzDecoder::new(cut),
        &Location::file("f.har.gz"),
        &opts(64, 1 << 20),
    );
    assert!(r.error.is_some());
}

#[test]
fn truncated_file_keeps_entries_before_the_cut() {
    let d = doc(10);
    let cut = &d.as_bytes()[..d.len() - 200];
    let r = read_har(cut, &Location::file("t.har"), &opts(50, 1 << 20));
    let e = r.error.unwrap();
    assert_eq!(e.location.offset, Some(cut.len() as u64));
    assert!(e.to_string().contains("truncated"), "{e}");
    assert_eq!(r.evidence.len(), 1);
    assert!(r.summary.entries >= 8);
}

#[test]
fn a_broken_entry_does_not_hide_the_others() {
    let d = doc(4).replacen(
        r#""request":{"method":"GET""#,
        r#""request":7,"x":{"method":"GET""#,
        1,
    );
    let r = read_har(
        d.as_bytes(),
        &Location::file("b.har"),
        &HarOptions::default(),
    );
    assert_eq!(r.evidence.len(), 1);
    let e = r.error.unwrap();
    assert!(
        matches!(
            e.kind,
            InputErrorKind::Records {
                count: 1,
                total: 5,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("log.entries[0]"), "{e}");
}

#[test]
fn oversized_entries_are_skipped_with_a_warning() {
    let d = doc(3).replace("x=1", &"y".repeat(5000));
    let r = read_har(d.as_bytes(), &Location::file("big.har"), &opts(256, 2048));
    assert_eq!(r.error, None);
    assert_eq!(r.summary.entries, 4);
    assert_eq!(r.warnings.len(), 3, "{:?}", r.warnings);
    assert!(r.warnings[0].contains("larger than the 2048 byte limit"));
    let a = r.evidence[0].fact.as_arm_error().unwrap();
    assert_eq!(a.status, 409);
}

#[test]
fn read_errors_are_reported_with_offset() {
    struct Failing(usize);
    impl std::io::Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0 == 0 {
                return Err(std::io::Error::other("disk on fire"));
            }
            let d = b"{\"log\":{\"entries\":[";
            let n = d.len().min(buf.len());
            buf[..n].copy_from_slice(&d[..n]);
            self.0 -= 1;
            Ok(n)
        }
    }
    let r = read_har(Failing(1), &Location::file("io.har"), &opts(64, 1024));
    let e = r.error.unwrap();
    assert!(e.to_string().contains("disk on fire"), "{e}");
    assert_eq!(e.location.offset, Some(19));
}

proptest::proptest! {
    #[test]
    fn any_bytes_any_chunk_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400), chunk in 1usize..64) {
        let mut d = b"{\"log\":{\"entries\":[".to_vec();
        d.extend_from_slice(&bytes);
        let _ = read_har(&d[..], &Location::file("r.har"), &opts(chunk, 256));
    }
}

#[test]
fn batch_calls_are_recorded_with_their_entry_and_time_at_any_chunk_size() {
    let ok = r#"{"startedDateTime":"2024-05-01T12:00:0#.000+02:00","request":{"method":"POST","url":"https://management.azure.com/batch?api-version=2020-06-01","postData":{"text":"{\"requests\":[{\"name\":\"a\",\"httpMethod\":\"GET\",\"url\":\"/x\"}]}"}},"response":{"status":200,"content":{"text":"{\"responses\":[{\"name\":\"a\",\"httpStatusCode\":200}]}"}}}"#;
    let noise = r#"{"startedDateTime":"2024-05-01T10:00:00Z","request":{"method":"GET","url":"https://portal.azure.com/a.js"},"response":{"status":200}}"#;
    let entries: Vec<String> = (0..6)
        .map(|i| {
            if i % 2 == 1 {
                ok.replace('#', &i.to_string())
            } else {
                noise.to_string()
            }
        })
        .collect();
    let d = format!("{{\"log\":{{\"entries\":[{}]}}}}", entries.join(","));
    let whole = read_har(d.as_bytes(), &Location::file("f.har"), &opts(7, 1 << 20));
    let t = whole.summary.batch_timeline.as_ref().expect("calls");
    assert_eq!(
        t.calls.iter().map(|c| c.entry).collect::<Vec<_>>(),
        [1, 3, 5]
    );
    assert_eq!(t.calls[1].time.as_deref(), Some("2024-05-01T10:00:03Z"));
    assert!(t.calls.iter().all(|c| c.status == 200 && c.responses == 1));
    let big = read_har(
        d.as_bytes(),
        &Location::file("f.har"),
        &HarOptions::default(),
    );
    assert_eq!(big.summary, whole.summary);
}

/// One generated entry: a URL that may hold a literal plainly, in another
/// case, behind `\/` or `\u` escapes, or not at all; bodies that may hide
/// literals in base64; and now and then an entry that is not a HAR entry.
fn gen_entry() -> impl proptest::strategy::Strategy<Value = String> {
    use base64::Engine as _;
    use proptest::prelude::*;
    let urls = prop::sample::select(vec![
        "https://portal.azure.com/Content/a.js",
        "https://afd-v2.hosting.portal.azure.net/batch/Content/x.css",
        "https://management.azure.com/batch?api-version=2020-06-01",
        "https://MANAGEMENT.Azure.com/BATCH",
        "/batch",
        "https://management.azure.com/subscriptions/s/resourceGroups/g/providers/Microsoft.Batch/batchAccounts/a/applications/app/versions/1",
        "https://example.com/subscriptions/s/x",
        "http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&client_id=abc",
        "https://acct.blob.core.windows.net/c/b?sv=x",
        "https://acct.dfs.core.windows.net/c/b",
    ]);
    let bodies = prop::sample::select(vec![
        None,
        Some(
            r#"{"error":{"code":"AutoStorageNoPermission","message":"m","target":"BatchAccount"}}"#,
        ),
        Some(
            r#"{"responses":[{"name":"a","httpStatusCode":409,"content":{"error":{"code":"Conflict"}}},{"name":"b","httpStatusCode":200}]}"#,
        ),
        Some(
            r#"{"access_token":"eyJ0eXAiOiJKV1QifQ.e30.sig","client_id":"abc","resource":"https://storage.azure.com/"}"#,
        ),
        Some("<Error><Code>AuthorizationPermissionMismatch</Code></Error>"),
        Some("see https://management.azure.com/batch and /subscriptions/s"),
        Some("not json"),
    ]);
    (
        urls,
        0..4usize,
        prop::sample::select(vec!["GET", "POST", "post", "PUT"]),
        prop::sample::select(vec!["200", "409", "500", "\"409\"", "0"]),
        bodies,
        0..3usize,
        any::<bool>(),
        0..9usize,
    )
        .prop_map(|(url, esc, method, status, body, enc, with_post, extra)| {
            let url = match esc {
                // The literal hidden behind escapes a raw search cannot see.
                1 => url.replace('/', "\\/"),
                2 => url.replacen('b', "\\u0062", 1).replacen('m', "\\u006d", 1),
                3 => url.replacen('s', "\\u0073", 2),
                _ => url.to_string(),
            };
            let content = match (body, enc) {
                (None, _) => r#"{"size":0}"#.to_string(),
                (Some(b), 0) => format!(r#"{{"mimeType":"application/json","text":{}}}"#, serde_json::json!(b)),
                (Some(b), 1) => format!(
                    r#"{{"mimeType":"application/json","text":"{}","encoding":"base64"}}"#,
                    base64::engine::general_purpose::STANDARD.encode(b)
                ),
                (Some(_), _) => r#"{"text":"***not base64","encoding":"base64"}"#.to_string(),
            };
            let post = if with_post {
                r#","postData":{"mimeType":"application/json","text":"{\"requests\":[{\"name\":\"a\",\"httpMethod\":\"PUT\",\"url\":\"/subscriptions/s/resourceGroups/g/providers/Microsoft.Batch/batchAccounts/a\"}]}"}"#
            } else {
                ""
            };
            let headers = r#"[{"name":"referer","value":"https://portal.azure.com/"}]"#;
            let e = format!(
                r#"{{"startedDateTime":"2024-05-01T10:00:00.000Z","time":1.5,"request":{{"method":"{method}","url":"{url}","headers":{headers}{post}}},"response":{{"status":{status},"headers":[],"content":{content}}},"timings":{{"wait":1}}}}"#
            );
            match extra {
                // Not HAR entries, or not JSON, in ways framing lets through.
                1 => e.replacen(r#""request":{"#, r#""request":5,"x":{"#, 1),
                2 => e.replacen(r#""time":1.5"#, r#""time":1.5,"request":{}"#, 1),
                3 => e.replacen(r#""wait":1"#, r#""wait":1,}"#, 1),
                4 => e.replacen(r#""status":"#, r#""status":[1,"#, 1).replacen(r#","headers":[],"#, r#"],"headers":[],"#, 1),
                // A literal outside the URL.
                5 => e.replacen("https://portal.azure.com/\"", "https://management.azure.com/batch\"", 1),
                6 => e.replacen(r#","response":{"#, r#","x":{"#, 1),
                7 => e.replacen(r#""wait":1"#, "\"wait\":\"tab\there\"", 1),
                _ => e,
            }
        })
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

    /// The prefilter changes nothing the reader reports: evidence, summary
    /// (counts, the `/batch` timeline), errors and warnings, at any read size.
    #[test]
    fn the_prefilter_changes_nothing(
        entries in proptest::collection::vec(gen_entry(), 1..12),
        chunk in 1usize..600,
    ) {
        let d = format!("{{\"log\":{{\"entries\":[{}]}}}}", entries.join(",\n"));
        let loc = Location::file("p.har");
        let on = read_har_with(d.as_bytes(), &loc, &opts(chunk, 1 << 20), true);
        let off = read_har_with(d.as_bytes(), &loc, &opts(chunk, 1 << 20), false);
        proptest::prop_assert_eq!(&on.evidence, &off.evidence);
        proptest::prop_assert_eq!(&on.summary, &off.summary);
        proptest::prop_assert_eq!(&on.error, &off.error);
        proptest::prop_assert_eq!(&on.warnings, &off.warnings);
    }
}

#[test]
fn portal_noise_is_skipped_and_literals_are_not() {
    // An entry of `doc`'s noise.
    let noise = r#"{"startedDateTime":"2024-05-01T10:00:01.000Z","request":{"method":"GET","url":"https://portal.azure.com/c/1.js","headers":[]},"response":{"status":200,"headers":[],"content":{"size":3,"mimeType":"text/javascript","text":"x=1"}}}"#;
    assert!(doc(3).contains(noise));
    assert!(skippable(noise.as_bytes()));
    assert!(!skippable(noise.replace("/c/1.js", "/batch").as_bytes()));
    assert!(!skippable(
        noise.replace("/c/1.js", "\\/c\\/1.js").as_bytes()
    ));
    assert!(!skippable(
        noise
            .replace(r#""request":{"#, r#""request":5,"x":{"#)
            .as_bytes()
    ));
}
