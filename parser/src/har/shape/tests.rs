use proptest::prelude::*;

use super::*;
use crate::har::entry::Entry;

fn serde_reads(b: &[u8]) -> bool {
    serde_json::from_slice::<Entry>(b).is_ok()
}

/// Entries of every shape the readers meet, all HAR entries.
const GOOD: &[&str] = &[
    r#"{"request":{}}"#,
    r#"{"startedDateTime":null,"request":{"method":"GET","url":"https://x/a.js","headers":[]},"response":null}"#,
    r#"{
      "startedDateTime": "2024-05-01T10:00:00.245Z",
      "time": 245.5e-1,
      "request": {"method": "GET", "url": "https://portal.azure.com/c.css", "httpVersion": "http/2.0",
        "headers": [{"name": ":authority", "value": "portal.azure.com"}, {"name": "a", "value": "b", "x": [1, {"y": null}]}],
        "queryString": [], "cookies": [], "headersSize": -1, "bodySize": 0,
        "postData": {"mimeType": "text/plain", "text": "a=\"1\"\n\t\/\\"}},
      "response": {"status": 200, "statusText": "", "headers": [],
        "content": {"size": 960, "mimeType": "image/png", "text": "iVBORw0KGgo=", "encoding": "base64"},
        "redirectURL": "", "_error": null},
      "cache": {}, "timings": {"blocked": 0.6, "dns": -1, "wait": 0, "_q": [true, false, null, "é"]},
      "_initiator": {"type": "script", "stack": {"callFrames": [{"lineNumber": 1}]}}
    }"#,
    r#"{"request":{"url":"u","postData":null},"response":{"status":"404","content":{"text":{"raw":[1,2]}}}}"#,
    r#"{"request":{"url":"u"},"response":{"status":-1.5,"content":null,"headers":[{}]}}"#,
    r#"{"request":{"url":"ü"},"response":{"status":true},"x":"\ud800 is fine where serde skips it"}"#,
];

#[test]
fn ordinary_entries_are_entries() {
    for g in GOOD {
        assert!(serde_reads(g.as_bytes()), "serde: {g}");
        // The \u one is left to serde; every other one passes.
        assert_eq!(is_entry(g.as_bytes()), !g.contains("\\u"), "{g}");
    }
}

#[test]
fn what_serde_refuses_is_refused() {
    let bad: &[&[u8]] = &[
        b"[]",
        b"5",
        br#"{"response":{}}"#,
        br#"{"request":null}"#,
        br#"{"request":{},"request":{}}"#,
        br#"{"request":{"url":"a","url":"b"}}"#,
        br#"{"request":{"headers":null}}"#,
        br#"{"request":{"headers":[{"name":1}]}}"#,
        br#"{"request":{"headers":[{"name":"a","name":"b"}]}}"#,
        br#"{"request":{"headers":[1]}}"#,
        br#"{"request":{"headers":[{},]}}"#,
        br#"{"request":{"method":null}}"#,
        br#"{"request":{},"response":{"status":1e999}}"#,
        br#"{"request":{},"response":{"content":{"encoding":5}}}"#,
        br#"{"request":{},"x":[1,]}"#,
        br#"{"request":{},"x":{"a":1,}}"#,
        br#"{"request":{},"x":01}"#,
        br#"{"request":{},"x":1.}"#,
        br#"{"request":{},"x":-}"#,
        br#"{"request":{},"x":tru}"#,
        br#"{"request":{},"x":"a	b"}"#,
        br#"{"request":{},"x":"\q"}"#,
        br#"{"request":{},"x":[}"#,
        br#"{"request":{},"x":{]}"#,
        br#"{"request":{},"x":{1:2}}"#,
        br#"{"request":{}} x"#,
        br#"{"request":{}"#,
        b"{\"request\":{\"url\":\"\xff\"}}",
        b"{\"request\":{},\"response\":{\"content\":{\"text\":\"\xc3\"}}}",
        b"{\"request\":{},\"k\xff\":1}",
    ];
    for b in bad {
        let text = String::from_utf8_lossy(b);
        assert!(!serde_reads(b), "serde reads {text}: a bad example");
        assert!(!is_entry(b), "{text}");
    }
    // serde reads a struct from an array too; that is left to it.
    assert!(serde_reads(br#"{"request":[]}"#) && !is_entry(br#"{"request":[]}"#));
    // serde reads an ignored string without checking its UTF-8; so may we.
    let ignored = b"{\"request\":{},\"x\":\"\xff\"}";
    assert!(serde_reads(ignored) && is_entry(ignored));
}

#[test]
fn deep_values_are_left_to_serde() {
    let deep = format!(
        r#"{{"request":{{}},"x":{}1{}}}"#,
        "[".repeat(70),
        "]".repeat(70)
    );
    assert!(serde_reads(deep.as_bytes()));
    assert!(!is_entry(deep.as_bytes()));
    let ok = deep
        .replace(&"[".repeat(10), "")
        .replace(&"]".repeat(10), "");
    assert!(is_entry(ok.as_bytes()));
}

#[test]
fn strings_see_control_and_non_ascii_bytes_at_every_offset() {
    for len in 0..80 {
        for at in 0..len {
            for (c, ok, high) in [
                (b'\n', false, false),
                (1u8, false, false),
                (0x1f, false, false),
                (b' ', true, false),
                (0x7f, true, false),
                (0x80, true, true),
                (0xff, true, true),
            ] {
                let mut s = vec![b'"'];
                s.extend(std::iter::repeat_n(b'a', len));
                s[1 + at] = c;
                s.push(b'"');
                let mut cur = Cursor {
                    b: &s,
                    i: 0,
                    url: 0..0,
                };
                let got = cur.string();
                assert_eq!(got.is_some(), ok, "{len} {at} {c}");
                if let Some((r, non_ascii)) = got {
                    assert_eq!((r, non_ascii), (1..1 + len, high));
                }
            }
        }
    }
}

#[test]
fn the_request_url_is_found_raw() {
    let e = br#"{"x":{"url":"no"},"request":{"method":"GET","url":"https:\/\/a\"b"}}"#;
    let s = check(e).expect("an entry");
    assert_eq!(&e[s.url], br#"https:\/\/a\"b"#);
    assert_eq!(check(br#"{"request":{}}"#), Some(Shape { url: 0..0 }));
}

/// Bytes a mutation writes: JSON's structure, escapes, digits, text that is
/// not UTF-8, and field names the checker treats apart.
fn piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::sample::select(vec![
            "{",
            "}",
            "[",
            "]",
            ",",
            ":",
            "\"",
            "\\",
            "\\u",
            "\\/",
            " ",
            "\n",
            "\t",
            "0",
            "1",
            "-",
            ".",
            "e",
            "+",
            "null",
            "true",
            "false",
            "\"request\"",
            "\"response\"",
            "\"url\"",
            "\"headers\"",
            "\"status\"",
            "\"content\"",
            "\"text\"",
            "\"encoding\"",
            "\"name\"",
            "\"postData\"",
            "\"mimeType\"",
            "\"startedDateTime\"",
            "\"method\"",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
        prop::collection::vec(any::<u8>(), 1..3),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    /// Never says yes where serde says no, whatever is done to a good entry.
    #[test]
    fn never_accepts_what_serde_refuses(
        which in 0..GOOD.len(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0usize..3, piece()), 1..4),
    ) {
        let mut b = GOOD[which].as_bytes().to_vec();
        for (at, how, bytes) in edits {
            let i = at.index(b.len() + 1);
            match how {
                0 => { b.splice(i..i, bytes); }
                1 => { let end = (i + bytes.len()).min(b.len()); b.splice(i..end, bytes); }
                _ => { let end = (i + bytes.len()).min(b.len()); b.drain(i..end); }
            }
        }
        if is_entry(&b) {
            prop_assert!(serde_reads(&b), "accepted but serde refuses: {}", String::from_utf8_lossy(&b));
        }
    }
}
