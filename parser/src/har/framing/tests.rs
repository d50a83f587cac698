use super::*;
use proptest::prelude::*;

/// Drives the framer like `read_har` does, feeding `chunk` bytes at a time.
fn frame(doc: &[u8], chunk: usize) -> (Vec<String>, Vec<(LogField, String)>, Option<FrameError>) {
    let mut f = Framer::new();
    let mut buf: Vec<u8> = Vec::new();
    let mut base = 0u64;
    let mut fed = 0usize;
    let mut entries = Vec::new();
    let mut fields = Vec::new();
    loop {
        let eof = fed >= doc.len();
        match f.next(&buf, base, eof) {
            Ok(Event::Entry { index, start, end }) => {
                assert_eq!(index as usize, entries.len());
                let s = &buf[(start - base) as usize..(end - base) as usize];
                entries.push(String::from_utf8_lossy(s).into_owned());
            }
            Ok(Event::Field { field, start, end }) => {
                let s = &buf[(start - base) as usize..(end - base) as usize];
                fields.push((field, String::from_utf8_lossy(s).into_owned()));
            }
            Ok(Event::Discarded { .. }) => panic!("nothing is discarded here"),
            Ok(Event::NeedMore) => {
                assert!(!eof, "NeedMore at eof");
                let keep = f.keep_from();
                let n = (keep - base) as usize;
                buf.drain(..n);
                base = keep;
                let take = chunk.min(doc.len() - fed);
                buf.extend_from_slice(&doc[fed..fed + take]);
                fed += take;
            }
            Ok(Event::End) => return (entries, fields, None),
            Err(e) => return (entries, fields, Some(e)),
        }
    }
}

const DOC: &str = r#"{
  "log": {
    "version": "1.2",
    "creator": {"name": "WebInspector", "version": "537.36"},
    "pages": [{"id": "page_1", "title": "https://portal.azure.com/ ] } \" {"}],
    "entries": [
      {"request": {"url": "a\"}]\\"}, "n": [1, 2.5e3, true, null]},
      {"request": {"url": "b"}, "x": "{[{["}
    ],
    "comment": ""
  }
}
"#;

#[test]
fn frames_entries_and_fields() {
    let (entries, fields, err) = frame(DOC.as_bytes(), 1 << 20);
    assert_eq!(err, None);
    assert_eq!(entries.len(), 2);
    assert!(entries[0].starts_with("{\"request\""));
    assert!(entries[0].ends_with("null]}"));
    assert_eq!(entries[1], r#"{"request": {"url": "b"}, "x": "{[{["}"#);
    assert_eq!(fields[0], (LogField::Version, "\"1.2\"".into()));
    assert_eq!(fields[1].0, LogField::Creator);
}

#[test]
fn one_byte_at_a_time_gives_the_same() {
    let whole = frame(DOC.as_bytes(), 1 << 20);
    for chunk in [1, 2, 3, 7, 64] {
        assert_eq!(frame(DOC.as_bytes(), chunk), whole, "chunk {chunk}");
    }
}

#[test]
fn bom_and_minified() {
    let doc = b"\xEF\xBB\xBF{\"log\":{\"entries\":[{},{}]}}";
    let (entries, _, err) = frame(doc, 1);
    assert_eq!(err, None);
    assert_eq!(entries, vec!["{}", "{}"]);
}

#[test]
fn truncated_inside_an_entry_names_it() {
    let cut = &DOC.as_bytes()[..DOC.find("\"x\"").unwrap()];
    let (entries, _, err) = frame(cut, 5);
    assert_eq!(entries.len(), 1);
    let err = err.unwrap();
    assert!(err.message.contains("inside entry 1"), "{}", err.message);
    assert!(err.message.contains("truncated"), "{}", err.message);
    assert_eq!(err.offset, cut.len() as u64);
}

#[test]
fn truncated_between_entries() {
    let cut = &DOC.as_bytes()[..DOC.find("{\"request\": {\"url\": \"b\"").unwrap()];
    let (entries, _, err) = frame(cut, 3);
    assert_eq!(entries.len(), 1);
    assert!(err.unwrap().message.contains("unexpected end of input"));
}

#[test]
fn structural_errors() {
    let cases: &[(&str, &str)] = &[
        ("", "empty input"),
        ("[1]", "expected '{'"),
        ("{\"log\": []}", "must be an object"),
        ("{\"log\": {\"entries\": {}}}", "must be an array"),
        ("{\"other\": 1}", "no \"log\""),
        ("{\"log\": {\"version\": \"1.2\"}}", "no \"entries\""),
        ("{\"log\": {\"entries\": []}} x", "after the end"),
        ("{\"log\": {\"entries\": [{} {}]}}", "expected ',' or ']'"),
        ("{\"log\" 1}", "expected ':'"),
    ];
    for (doc, want) in cases {
        let (_, _, err) = frame(doc.as_bytes(), 2);
        let err = err.unwrap_or_else(|| panic!("no error for {doc:?}"));
        assert!(err.message.contains(want), "{doc:?}: {}", err.message);
    }
}

#[test]
fn empty_entries_and_trailing_whitespace() {
    let (entries, _, err) = frame(b"{\"log\":{\"entries\":[]}}\n\n", 4);
    assert!(entries.is_empty());
    assert_eq!(err, None);
}

#[test]
fn discarding_a_large_entry_keeps_framing() {
    let doc = br#"{"log":{"entries":[{"a":"0123456789abcdef0123456789"},{"b":1}]}}"#;
    let mut f = Framer::new();
    let mut buf = Vec::new();
    let mut base = 0u64;
    let mut fed = 0;
    let mut events = Vec::new();
    loop {
        let eof = fed >= doc.len();
        match f.next(&buf, base, eof).unwrap() {
            Event::NeedMore => {
                let keep = f.keep_from();
                buf.drain(..(keep - base) as usize);
                base = keep;
                if buf.len() > 12 && f.in_value() {
                    f.discard_current();
                    let keep = f.keep_from();
                    buf.drain(..(keep - base) as usize);
                    base = keep;
                }
                let take = 4.min(doc.len() - fed);
                buf.extend_from_slice(&doc[fed..fed + take]);
                fed += take;
            }
            Event::End => break,
            e => events.push(e),
        }
    }
    assert!(matches!(
        events[0],
        Event::Discarded {
            index: 0,
            start: 19,
            ..
        }
    ));
    assert!(matches!(events[1], Event::Entry { index: 1, .. }));
}

fn arb_json(depth: u32) -> BoxedStrategy<String> {
    let leaf = prop_oneof![
        Just("null".to_string()),
        any::<i32>().prop_map(|n| n.to_string()),
        "[a-z{}\\[\\]\":,\\\\ ]{0,12}".prop_map(|s| serde_json::to_string(&s).unwrap()),
    ];
    if depth == 0 {
        return leaf.boxed();
    }
    prop_oneof![
        leaf,
        prop::collection::vec(arb_json(depth - 1), 0..4).prop_map(|v| format!("[{}]", v.join(","))),
        prop::collection::vec(("[a-z\"{]{0,5}", arb_json(depth - 1)), 0..4).prop_map(|v| {
            let items: Vec<String> = v
                .into_iter()
                .map(|(k, val)| format!("{}: {val}", serde_json::to_string(&k).unwrap()))
                .collect();
            format!("{{{}}}", items.join(",\n "))
        }),
    ]
    .boxed()
}

proptest! {
    /// Framing does not depend on how the input is chunked, and each framed
    /// entry is exactly the JSON value that was written.
    #[test]
    fn chunking_invariance(entries in prop::collection::vec(arb_json(3), 0..6), chunk in 1usize..40) {
        let doc = format!("{{\"log\": {{\"pages\": [\"]\"], \"entries\": [\n{}\n]}}}}", entries.join(",\n"));
        let (got, _, err) = frame(doc.as_bytes(), chunk);
        prop_assert_eq!(err, None);
        prop_assert_eq!(got, entries);
    }

    /// Long entries (strings of quotes, backslashes and brackets across
    /// 64-byte blocks) frame the same at any read size.
    #[test]
    fn long_entries_frame_the_same_at_any_read_size(
        entries in prop::collection::vec(
            prop::collection::vec(("[a-z{}\\[\\]\":,\\\\ ]{0,80}", 0usize..3), 1..12).prop_map(|v| {
                let items: Vec<String> = v.iter().enumerate().map(|(i, (t, n))| {
                    let val = serde_json::to_string(t).unwrap();
                    format!("\"k{i}\": {}{val}{}", "[{\"a\":".repeat(*n), "}]".repeat(*n))
                }).collect();
                format!("{{{}}}", items.join(",\n        "))
            }),
            0..5,
        ),
        chunk in 1usize..300,
    ) {
        let doc = format!("{{\"log\": {{\"entries\": [\n{}\n]}}}}", entries.join(",\n"));
        let (got, _, err) = frame(doc.as_bytes(), chunk);
        prop_assert_eq!(err, None);
        prop_assert_eq!(got, entries);
    }

    /// Bytes that are not JSON (a backslash outside a string, stray quotes)
    /// frame the same whole as one byte at a time.
    #[test]
    fn whole_and_byte_by_byte_agree_on_any_bytes(
        bytes in prop::collection::vec(prop::sample::select(b"{}[]\"\\a ,:".to_vec()), 0..600),
    ) {
        let mut doc = b"{\"log\":{\"entries\":[{".to_vec();
        doc.extend_from_slice(&bytes);
        prop_assert_eq!(frame(&doc, 1), frame(&doc, doc.len()));
    }

    /// Arbitrary bytes never panic and never loop forever.
    #[test]
    fn arbitrary_bytes_do_not_panic(bytes in prop::collection::vec(any::<u8>(), 0..300), chunk in 1usize..50) {
        let _ = frame(&bytes, chunk);
    }

    /// Any prefix of a valid document either frames a prefix of its entries and
    /// errors, or is the whole document.
    #[test]
    fn prefixes_error_cleanly(cut in 0usize..DOC.trim_end().len()) {
        let (entries, _, err) = frame(&DOC.as_bytes()[..cut], 3);
        prop_assert!(entries.len() <= 2);
        prop_assert!(err.is_some());
    }
}
