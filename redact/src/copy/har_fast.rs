//! The HAR entry cleaner's fast path: the entry is read into a
//! [`Tape`](super::json_tape::Tape) (spans, no values), the same rules as
//! [`clean_entry`](super::har::clean_entry) are applied to the strings they
//! name, and the entry is written compact with every string that needs no
//! change copied as its raw bytes. Most of a capture (base64 images,
//! scripts, headers without credentials) is copied that way, without being
//! decoded into `serde_json::Value`s, cleaned and serialized again.
//!
//! The copy is byte for byte the slow path's (the tests hold the two to
//! each other): serde_json writes a string without escapes as its raw text,
//! numbers are copied raw by both, and whatever the tape refuses (a
//! duplicate key, an escaped key, deep nesting, text that is not JSON) is
//! left to the slow path.

use std::fmt::Write as _;
use std::io;

use super::har::clean_encoded_text;
use super::json_tape::{Kind, Tape};
use crate::findings::Findings;
use crate::vocabulary::{redact_noting, secret_header, secret_pair, REDACTED};

/// Buffers kept from one entry to the next.
#[derive(Default)]
pub(super) struct Scratch {
    tape: Tape,
    /// Per token: [`ENCODED`] when it is an encoded body (cleaned decoded,
    /// never as text), and 1 + the index of its new text in `new`, or 0.
    marks: Vec<u32>,
    new: Vec<String>,
    /// Where the writer is: object keys (token index) and array positions.
    path: Vec<Seg>,
}

const ENCODED: u32 = 1 << 31;

#[derive(Clone, Copy)]
enum Seg {
    Key(usize),
    Index(usize),
}

/// Cleans the entry `raw` into `out` as the slow path would, with its
/// findings; `Ok(false)` (and nothing written or found) when the entry is
/// one for the slow path.
pub(super) fn clean(
    raw: &[u8],
    place: &dyn Fn() -> String,
    out: &mut Vec<u8>,
    f: &mut Findings,
    s: &mut Scratch,
) -> io::Result<bool> {
    if !s.tape.read(raw) || s.tape.toks.first().map(|t| t.kind) != Some(Kind::Object) {
        return Ok(false);
    }
    s.marks.clear();
    s.marks.resize(s.tape.toks.len(), 0);
    s.new.clear();
    s.path.clear();
    let mut c = Cleaner {
        raw,
        t: &s.tape,
        marks: &mut s.marks,
        new: &mut s.new,
        place,
        f,
    };
    c.rules();
    c.write(0, out, &mut s.path)?;
    Ok(true)
}

struct Cleaner<'a> {
    raw: &'a [u8],
    t: &'a Tape,
    marks: &'a mut Vec<u32>,
    new: &'a mut Vec<String>,
    place: &'a dyn Fn() -> String,
    f: &'a mut Findings,
}

impl<'a> Cleaner<'a> {
    fn get(&self, obj: Option<usize>, key: &str) -> Option<usize> {
        self.t.get(self.raw, obj, key)
    }

    fn str(&self, i: Option<usize>) -> Option<&'a str> {
        self.t.str(self.raw, i)
    }

    fn replace(&mut self, i: usize, text: String) {
        self.new.push(text);
        self.marks[i] = (self.marks[i] & ENCODED) | self.new.len() as u32;
    }

    /// The rules of `clean_entry` before its pass over every string, in its order.
    fn rules(&mut self) {
        let root = Some(0);
        for side in ["request", "response"] {
            let Some(part) = self.get(root, side) else {
                continue;
            };
            self.headers(self.get(Some(part), "headers"), side);
            self.cookies(self.get(Some(part), "cookies"), side);
            self.pairs(
                self.get(Some(part), "queryString"),
                &format!("{side}.queryString"),
            );
            let post = self.get(Some(part), "postData");
            self.pairs(self.get(post, "params"), &format!("{side}.postData.params"));
        }
        let content = self.get(self.get(root, "response"), "content");
        let encoded = self
            .str(self.get(content, "encoding"))
            .is_some_and(|e| e.eq_ignore_ascii_case("base64"));
        if encoded {
            if let Some(text) = self.get(content, "text") {
                self.encoded(text, "response.content.text");
            }
        }
        let frames = self.t.elements(self.get(root, "_webSocketMessages"));
        for (i, frame) in frames.into_iter().enumerate() {
            // Opcode 2 (a binary frame) as serde reads it: the integer `2`.
            let opcode = self.get(Some(frame), "opcode").map(|o| self.t.toks[o]);
            let binary = opcode.is_some_and(|o| {
                o.kind == Kind::Num && &self.raw[o.start as usize..o.end as usize] == b"2"
            });
            if binary {
                if let Some(data) = self.get(Some(frame), "data") {
                    self.encoded(data, &format!("_webSocketMessages[{i}].data"));
                }
            }
        }
    }

    fn headers(&mut self, headers: Option<usize>, side: &str) {
        for h in self.t.elements(headers) {
            let Some(name) = self.str(self.get(Some(h), "name")) else {
                continue;
            };
            let value = self.get(Some(h), "value");
            let has_value = self
                .str(value)
                .is_some_and(|v| !v.is_empty() && v != REDACTED);
            if let (true, Some(v)) = (secret_header(name) && has_value, value) {
                let name = name.to_string();
                let place = self.place;
                self.f.secret(
                    || format!("{} {side}.headers[{name}]", place()),
                    "credential-header",
                );
                self.replace(v, REDACTED.into());
            }
        }
    }

    fn cookies(&mut self, cookies: Option<usize>, side: &str) {
        for c in self.t.elements(cookies) {
            let value = self.get(Some(c), "value");
            let set = self
                .str(value)
                .is_some_and(|v| !v.is_empty() && v != REDACTED);
            if let (true, Some(v)) = (set, value) {
                let name = self
                    .str(self.get(Some(c), "name"))
                    .unwrap_or("?")
                    .to_string();
                let place = self.place;
                self.f
                    .secret(|| format!("{} {side}.cookies[{name}]", place()), "cookie");
                self.replace(v, REDACTED.into());
            }
        }
    }

    fn pairs(&mut self, pairs: Option<usize>, field: &str) {
        for p in self.t.elements(pairs) {
            let value = self.get(Some(p), "value");
            let (Some(name), Some(v), Some(vi)) =
                (self.str(self.get(Some(p), "name")), self.str(value), value)
            else {
                continue;
            };
            if secret_pair(name, v) {
                let name = name.to_string();
                let place = self.place;
                self.f.secret(
                    || format!("{} {field}[{name}]", place()),
                    "secret-parameter",
                );
                self.replace(vi, REDACTED.into());
            }
        }
    }

    /// A base64 body or binary frame: cleaned decoded, and kept out of the
    /// pass over strings.
    fn encoded(&mut self, i: usize, field: &str) {
        let Some(text) = self.str(Some(i)) else {
            return;
        };
        let place = (self.place)();
        let new = clean_encoded_text(text, &place, field, self.f);
        self.marks[i] |= ENCODED;
        if let Some(new) = new {
            self.replace(i, new);
        }
    }

    /// Writes token `i` compact, each string through the vocabulary.
    fn write(&mut self, i: usize, out: &mut Vec<u8>, path: &mut Vec<Seg>) -> io::Result<()> {
        let t = self.t.toks[i];
        match t.kind {
            Kind::Object => {
                out.push(b'{');
                let mut c = i + 1;
                while c < t.next as usize {
                    if c > i + 1 {
                        out.push(b',');
                    }
                    // Keys hold no escape (the tape refuses them): their raw text is serde's.
                    let k = self.t.toks[c];
                    out.push(b'"');
                    out.extend_from_slice(&self.raw[k.start as usize..k.end as usize]);
                    out.extend_from_slice(b"\":");
                    path.push(Seg::Key(c));
                    self.write(c + 1, out, path)?;
                    path.pop();
                    c = self.t.toks[c + 1].next as usize;
                }
                out.push(b'}');
            }
            Kind::Array => {
                out.push(b'[');
                let mut c = i + 1;
                let mut n = 0;
                while c < t.next as usize {
                    if n > 0 {
                        out.push(b',');
                    }
                    path.push(Seg::Index(n));
                    self.write(c, out, path)?;
                    path.pop();
                    n += 1;
                    c = self.t.toks[c].next as usize;
                }
                out.push(b']');
            }
            Kind::Num | Kind::Lit => {
                out.extend_from_slice(&self.raw[t.start as usize..t.end as usize]);
            }
            Kind::Str => self.string(i, out, path)?,
        }
        Ok(())
    }

    fn string(&mut self, i: usize, out: &mut Vec<u8>, path: &[Seg]) -> io::Result<()> {
        let t = self.t.toks[i];
        let mark = self.marks[i];
        let new = match mark & !ENCODED {
            0 => None,
            n => Some(n as usize - 1),
        };
        let text: &str = match new {
            Some(n) => &self.new[n],
            None => self.t.str(self.raw, Some(i)).unwrap_or(""),
        };
        if mark & ENCODED == 0 {
            let mut hits: Vec<&'static str> = Vec::new();
            let clean = redact_noting(text, &mut |k| hits.push(k));
            if !hits.is_empty() {
                let at = self.path_text(path);
                let place = self.place;
                for k in hits {
                    self.f.secret(|| format!("{} {at}", place()), k);
                }
            }
            if let std::borrow::Cow::Owned(o) = clean {
                return serde_json::to_writer(&mut *out, &o).map_err(io::Error::other);
            }
        }
        if new.is_none() && t.canonical {
            // serde_json writes such a string as it is.
            out.push(b'"');
            out.extend_from_slice(&self.raw[t.start as usize..t.end as usize]);
            out.push(b'"');
            return Ok(());
        }
        serde_json::to_writer(&mut *out, text).map_err(io::Error::other)
    }

    /// The JSON path of the string being written, as the slow path names it.
    fn path_text(&self, path: &[Seg]) -> String {
        let mut s = String::new();
        for seg in path {
            match *seg {
                Seg::Key(k) => {
                    s.push('.');
                    s.push_str(self.str(Some(k)).unwrap_or(""));
                }
                Seg::Index(n) => {
                    let _ = write!(s, "[{n}]");
                }
            }
        }
        s.trim_start_matches('.').to_string()
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use proptest::prelude::*;

    use super::super::har::{copy_how, How};
    use crate::findings::Findings;

    /// The copy and findings of `entries` (JSON texts) by one path.
    fn copy(entries: &[String], fast: bool) -> (String, Vec<String>, u64, u64) {
        let doc = format!(
            "{{\"log\":{{\"version\":\"1.2\",\"entries\":[\n{}\n]}}}}",
            entries.join(",\n")
        );
        let how = How {
            max_entry_bytes: 1 << 20,
            chunk_bytes: 4096,
            threads: 1,
            batch_bytes: 1 << 20,
            fast,
        };
        let mut out = Vec::new();
        let mut f = Findings::default();
        copy_how(doc.as_bytes(), "t.har", &mut out, &mut f, &how).unwrap();
        let listed = f.listed.iter().map(|x| x.to_string()).collect();
        (
            String::from_utf8(out).unwrap(),
            listed,
            f.secrets,
            f.entries,
        )
    }

    fn same(entries: &[String]) {
        let slow = copy(entries, false);
        let fast = copy(entries, true);
        assert_eq!(fast.0, slow.0, "copies differ for {entries:?}");
        assert_eq!(fast.1, slow.1, "findings differ for {entries:?}");
        assert_eq!((fast.2, fast.3), (slow.2, slow.3));
    }

    fn b64(b: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(b)
    }

    fn gzip(b: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(b).unwrap();
        e.finish().unwrap()
    }

    /// Entries for every rule of `clean_entry`, and texts the tape refuses.
    fn entries() -> Vec<String> {
        let jwt =
            "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJvaWQiOiJjYW5hcnkifQ.c2lnbmF0dXJlLWNhbmFyeQ";
        let mut image = b"\x89PNG\r\n\x1a\n\xff\xfe".to_vec();
        image.extend_from_slice(b" https://user:IMGPASS@host/x @ -- == ");
        image.extend((0..3000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
        let plain_image = b"\x89PNG\r\n\x1a\n\x00\x01\x02\xff\xfe".to_vec();
        let gz_secret = gzip(format!("{{\"access_token\":\"{jwt}\"}}").as_bytes());
        vec![
            format!(r#"{{"startedDateTime":"2024-05-01T10:00:00Z","time":0.27399999999999997,"request":{{"method":"GET","url":"https://sa.blob.core.windows.net/c/b?sv=1&sig=SIGC%3D","headers":[{{"name":"Authorization","value":"Bearer {jwt}"}},{{"name":"accept","value":"*/*"}},{{"name":"Cookie","value":""}},{{"name":"x-api-key","value":"[REDACTED]"}},{{"name":"x-ms-token-aad","value":"abc"}},{{"name":5,"value":"v"}},{{"value":"only"}}],"queryString":[{{"name":"sv","value":"1"}},{{"name":"sig","value":"SIGC%3D"}},{{"name":"code","value":"$code"}},{{"name":1,"value":"x"}}],"cookies":[{{"name":"s","value":"COOK"}},{{"value":"nameless"}},{{"name":"e","value":""}}],"headersSize":-1,"bodySize":0}},"response":{{"status":200,"headers":[{{"name":"Set-Cookie","value":"a=b"}}],"cookies":[],"content":{{"size":1E2,"mimeType":"text/plain","text":"ok"}}}}}}"#),
            format!(r#"{{"request":{{"postData":{{"mimeType":"application/x-www-form-urlencoded","text":"client_secret=FORMC&x=1","params":[{{"name":"client_secret","value":"FORMC"}},{{"name":"x","value":"1"}}]}}}},"response":{{"content":{{"encoding":"BASE64","text":"{}"}}}}}}"#, b64(&image)),
            format!(r#"{{"response":{{"content":{{"encoding":"base64","text":"{}"}}}}}}"#, b64(&plain_image)),
            format!(r#"{{"response":{{"content":{{"encoding":"base64","text":"{}"}}}}}}"#, b64(&gz_secret)),
            format!(r#"{{"response":{{"content":{{"encoding":"base64","text":"{}"}}}}}}"#, b64(&gzip(b"plain words"))),
            r#"{"response":{"content":{"encoding":"base64","text":"not base64 at all!"}}}"#.into(),
            r#"{"response":{"content":{"encoding":"base64","text":""}}}"#.into(),
            r#"{"response":{"content":{"encoding":"base64","text":7}}}"#.into(),
            r#"{"response":{"content":{"encoding":"utf8","text":"sig=NOTENC"}}}"#.into(),
            format!(r#"{{"_webSocketMessages":[{{"type":"send","opcode":1,"data":"{{\"password\":\"WSTEXT\"}}"}},{{"type":"receive","opcode":2,"data":"{}"}},{{"opcode":2.0,"data":"{}"}},{{"opcode":2,"data":"%%%"}},"odd",{{"opcode":2}}]}}"#, b64(format!("token {jwt}").as_bytes()), b64(b"sig=FLOATOP")),
            // Escapes: decoded before the vocabulary reads them, written as serde writes them.
            r#"{"request":{"url":"https://a/?\u0073ig=ESCSIG","headers":[{"name":"\u0041uthorization","value":"Basic ESCBASICabcdefghijklmnopqrstu"}]},"response":{"content":{"text":"{\"password\":\"ESCPW\",\"n\":\"\u00e9\/\\\b\f\n\r\t\u0001\u007f\"}"}}}"#.into(),
            "{\"comment\":\"caf\u{e9} \u{2028} \u{1F600} /\",\"n\":[-0,0.5,1e5,2E-7,-12.25e+10,123456789012345678901234567890],\"t\":true,\"f\":false,\"z\":null,\"o\":{},\"a\":[]}".into(),
            // Pretty-printed, as Chrome writes.
            "{\n  \"request\": {\n    \"url\": \"https://x/?a=1\",\n    \"headers\": [\n      {\n        \"name\": \"cookie\",\n        \"value\": \"p=PRETTYC\"\n      }\n    ]\n  },\n  \"response\": {}\n}".into(),
            // For the slow path: a duplicate key, an escaped key, a broken entry, not an object.
            r#"{"request":{"url":"https://a/?sig=DUP1"},"request":{"url":"https://a/?sig=DUP2"}}"#.into(),
            r#"{"req\u0075est":{"headers":[{"name":"cookie","value":"ESCKEY"}]}}"#.into(),
            r#"{"broken": tru}"#.into(),
            r#"["sig=ARRAYSIG", 1]"#.into(),
            r#""https://a/?sig=STRSIG""#.into(),
            r#"{"request":"not an object","response":[{"headers":[{"name":"cookie","value":"x"}]}],"x":1e400}"#.into(),
            r#"{"request":{"headers":{"name":"cookie","value":"NOTARRAY"}},"big":1e99}"#.into(),
            // Only the short escapes serde writes itself: copied raw when unchanged.
            r#"{"response":{"content":{"mimeType":"application/javascript","text":"define(\"Batch/M\",[\"require\"],function(n){\n\t\"use strict\";\\\r\b\f})"}},"x":"a\"sig=SHORTESC\""}"#.into(),
        ]
    }

    #[test]
    fn the_fast_path_copies_and_finds_as_the_slow_path() {
        let all = entries();
        same(&all);
        for e in &all {
            same(std::slice::from_ref(e));
        }
        let (copy, listed, secrets, _) = copy(&all, true);
        for c in [
            "SIGC", "COOK", "FORMC", "IMGPASS", "ESCSIG", "ESCPW", "PRETTYC", "DUP2", "ESCKEY",
            "ARRAYSIG", "STRSIG", "ESCBASIC", "WSTEXT",
        ] {
            assert!(!copy.contains(c), "{c} in {copy}");
        }
        assert!(secrets > 15 && listed.iter().any(|l| l.contains("does not decode")));
        // Entries 13 to 18 are the slow path's to copy, the others the fast path's.
        let mut s = super::Scratch::default();
        for (i, e) in all.iter().enumerate() {
            let mut f = Findings::default();
            let fast = super::clean(
                e.as_bytes(),
                &|| "p".into(),
                &mut Vec::new(),
                &mut f,
                &mut s,
            );
            assert_eq!(fast.unwrap(), !(13..=18).contains(&i), "entry {i}: {e}");
        }
    }

    fn piece() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "plain",
            "",
            "sig=PSIG",
            "Bearer abcdefghijklmnopqrstuvwxyz0123",
            "a@b",
            "https://u:PW@h/",
            "\\u0073ig=USIG",
            "\\\"password\\\":\\\"QPW\\\"",
            "caf\u{e9}",
            "\\n",
            "[REDACTED]",
            "$TOKEN",
            "key",
            "value",
            "--password PPW",
            "AccountKey=AKEY;",
            "==",
            "0.AXoA",
        ])
        .prop_map(str::to_string)
    }

    fn name() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "authorization",
            "Cookie",
            "set-cookie",
            "accept",
            "x-ms-client-request-id",
            "sig",
            "code",
            "client_secret",
            "x",
            "value",
            "name",
            "x-functions-key",
            "password",
        ])
        .prop_map(str::to_string)
    }

    fn entry() -> impl Strategy<Value = String> {
        let pair =
            || (name(), piece()).prop_map(|(n, v)| format!(r#"{{"name":"{n}","value":"{v}"}}"#));
        (
            prop::collection::vec(pair(), 0..4),
            prop::collection::vec(pair(), 0..3),
            prop::collection::vec(pair(), 0..3),
            prop::collection::vec(piece(), 1..4),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|(headers, cookies, query, text, encode, pretty)| {
                let text = text.join(" ");
                let content = if encode {
                    let decoded: String = serde_json::from_str(&format!("\"{text}\"")).unwrap_or_default();
                    format!(r#"{{"encoding":"base64","text":"{}"}}"#, b64(decoded.as_bytes()))
                } else {
                    format!(r#"{{"mimeType":"text/plain","text":"{text}"}}"#)
                };
                let e = format!(
                    r#"{{"time":1.50,"request":{{"url":"https://h/p?{text}","headers":[{}],"cookies":[{}],"queryString":[{}]}},"response":{{"status":200,"headers":[{}],"content":{content}}}}}"#,
                    headers.join(","), cookies.join(","), query.join(","), headers.join(",")
                );
                if pretty {
                    serde_json::from_str::<serde_json::Value>(&e)
                        .map(|v| serde_json::to_string_pretty(&v).unwrap())
                        .unwrap_or(e)
                } else {
                    e
                }
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn random_entries_are_copied_as_the_slow_path_copies_them(es in prop::collection::vec(entry(), 1..6)) {
            let slow = copy(&es, false);
            let fast = copy(&es, true);
            prop_assert_eq!(fast, slow);
        }
    }
}
