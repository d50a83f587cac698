//! A JSON text checked and indexed in one pass without building values: a
//! flat list of tokens (containers, keys, strings, numbers, literals) with
//! their byte spans, so the HAR copier can copy what needs no cleaning as
//! raw bytes instead of decoding it into `serde_json::Value`s and writing it
//! again.
//!
//! It accepts only what `serde_json::from_slice::<Value>` accepts and reads
//! the same way, and refuses more: a key with an escape, a key twice in
//! one object, an object of many keys, deep nesting, a number that could
//! overflow a float. A refused text is not an error: the copier cleans it
//! the slow way, whose reading is the reference.

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Object,
    Array,
    /// A string: a value, or a key when it stands first in an object member.
    Str,
    Num,
    /// `true`, `false`, `null`.
    Lit,
}

/// One token of the text.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tok {
    pub(crate) kind: Kind,
    /// Strings: the body between the quotes; other tokens: their bytes
    /// (containers: from the opening to the closing bracket).
    pub(crate) start: u32,
    pub(crate) end: u32,
    /// The token after this one's subtree: its next sibling, or its
    /// container's end.
    pub(crate) next: u32,
    /// Strings with an escape: 1 + their index in [`Tape::decoded`]; else 0.
    pub(crate) decoded: u32,
    /// The string's raw text is what serde_json writes for it: no escape,
    /// or only the short ones it writes itself (`\"`, `\\`, `\n`, ...).
    pub(crate) canonical: bool,
}

/// A checked JSON text's tokens; kept between texts so their buffers are reused.
#[derive(Default)]
pub(crate) struct Tape {
    pub(crate) toks: Vec<Tok>,
    /// The strings with escapes, decoded by serde_json itself (the same
    /// reading as the slow path's).
    pub(crate) decoded: Vec<String>,
    /// Keys of the objects open while reading, to find a key given twice.
    keys: Vec<(u32, u32)>,
}

/// Deeper than this, serde_json's recursion limit (128) is near: refused.
const MAX_DEPTH: u32 = 100;

/// An object with more keys than this is refused (the duplicate check is
/// quadratic in them, and HAR objects hold a few dozen at most).
const MAX_KEYS: usize = 64;

/// Integer digits a number may have before it might not fit a float.
const MAX_INT_DIGITS: usize = 200;

impl Tape {
    /// Reads `raw` (one JSON value, whitespace around it allowed); false
    /// when it is not JSON or is refused.
    pub(crate) fn read(&mut self, raw: &[u8]) -> bool {
        self.toks.clear();
        self.decoded.clear();
        self.keys.clear();
        if raw.len() >= u32::MAX as usize {
            return false;
        }
        let mut r = Reader { raw, i: 0, t: self };
        r.ws();
        if !r.value(0) {
            return false;
        }
        r.ws();
        r.i == raw.len()
    }

    /// The value of `key` when `obj` is an object holding it.
    pub(crate) fn get(&self, raw: &[u8], obj: Option<usize>, key: &str) -> Option<usize> {
        let obj = obj?;
        let t = self.toks.get(obj)?;
        if t.kind != Kind::Object {
            return None;
        }
        let mut c = obj + 1;
        while c < t.next as usize {
            let k = &self.toks[c];
            if &raw[k.start as usize..k.end as usize] == key.as_bytes() {
                return Some(c + 1);
            }
            c = self.toks[c + 1].next as usize;
        }
        None
    }

    /// The elements of `arr` when it is an array (none otherwise).
    pub(crate) fn elements(&self, arr: Option<usize>) -> Vec<usize> {
        let mut out = Vec::new();
        let Some(a) = arr else { return out };
        let Some(t) = self.toks.get(a) else {
            return out;
        };
        if t.kind != Kind::Array {
            return out;
        }
        let mut c = a + 1;
        while c < t.next as usize {
            out.push(c);
            c = self.toks[c].next as usize;
        }
        out
    }

    /// The text of string token `i` as decoded; `None` when it is no string.
    pub(crate) fn str<'a>(&'a self, raw: &'a [u8], i: Option<usize>) -> Option<&'a str> {
        let t = self.toks.get(i?)?;
        if t.kind != Kind::Str {
            return None;
        }
        if t.decoded > 0 {
            return self.decoded.get(t.decoded as usize - 1).map(String::as_str);
        }
        // Checked as UTF-8 when read.
        std::str::from_utf8(&raw[t.start as usize..t.end as usize]).ok()
    }
}

/// A string body whose only escapes are those serde_json writes itself
/// (`\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`), decoded; `None` for
/// any other (`\/`, `\u`, a stray `\`), a control character or text that
/// is not UTF-8, which are left to serde_json.
fn short_escapes(body: &[u8]) -> Option<String> {
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while let Some(j) = memchr::memchr(b'\\', &body[i..]) {
        out.extend_from_slice(&body[i..i + j]);
        out.push(match body.get(i + j + 1)? {
            b'"' => b'"',
            b'\\' => b'\\',
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            _ => return None,
        });
        i += j + 2;
    }
    out.extend_from_slice(&body[i..]);
    if body.iter().any(|&b| b < 0x20) {
        return None;
    }
    String::from_utf8(out).ok()
}

struct Reader<'r> {
    raw: &'r [u8],
    i: usize,
    t: &'r mut Tape,
}

impl Reader<'_> {
    fn ws(&mut self) {
        let rest = self.raw.get(self.i..).unwrap_or_default();
        self.i += batchdiag_parser::har::non_ws(rest).unwrap_or(rest.len());
    }

    fn push(&mut self, kind: Kind, start: usize, end: usize) -> usize {
        self.t.toks.push(Tok {
            kind,
            start: start as u32,
            end: end as u32,
            next: self.t.toks.len() as u32 + 1,
            decoded: 0,
            canonical: true,
        });
        self.t.toks.len() - 1
    }

    fn value(&mut self, depth: u32) -> bool {
        match self.raw.get(self.i) {
            Some(b'{') if depth < MAX_DEPTH => self.object(depth),
            Some(b'[') if depth < MAX_DEPTH => self.array(depth),
            Some(b'"') => self.string(false),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            _ => false,
        }
    }

    fn close(&mut self, at: usize) {
        let next = self.t.toks.len() as u32;
        let t = &mut self.t.toks[at];
        t.next = next;
        t.end = self.i as u32;
    }

    fn object(&mut self, depth: u32) -> bool {
        let at = self.push(Kind::Object, self.i, self.i);
        let base = self.t.keys.len();
        self.i += 1;
        self.ws();
        if self.raw.get(self.i) == Some(&b'}') {
            self.i += 1;
            self.close(at);
            return true;
        }
        loop {
            if self.raw.get(self.i) != Some(&b'"') || !self.string(true) {
                return false;
            }
            let k = self.t.toks[self.t.toks.len() - 1];
            let key = &self.raw[k.start as usize..k.end as usize];
            let open = &self.t.keys[base..];
            if open.len() >= MAX_KEYS
                || open
                    .iter()
                    .any(|&(s, e)| &self.raw[s as usize..e as usize] == key)
            {
                return false;
            }
            // A key that holds a secret goes the serde path, which cleans keys.
            if !super::har::key_is_clean(key) {
                return false;
            }
            self.t.keys.push((k.start, k.end));
            self.ws();
            if self.raw.get(self.i) != Some(&b':') {
                return false;
            }
            self.i += 1;
            self.ws();
            if !self.value(depth + 1) {
                return false;
            }
            self.ws();
            match self.raw.get(self.i) {
                Some(b',') => {
                    self.i += 1;
                    self.ws();
                }
                Some(b'}') => {
                    self.i += 1;
                    self.t.keys.truncate(base);
                    self.close(at);
                    return true;
                }
                _ => return false,
            }
        }
    }

    fn array(&mut self, depth: u32) -> bool {
        let at = self.push(Kind::Array, self.i, self.i);
        self.i += 1;
        self.ws();
        if self.raw.get(self.i) == Some(&b']') {
            self.i += 1;
            self.close(at);
            return true;
        }
        loop {
            if !self.value(depth + 1) {
                return false;
            }
            self.ws();
            match self.raw.get(self.i) {
                Some(b',') => {
                    self.i += 1;
                    self.ws();
                }
                Some(b']') => {
                    self.i += 1;
                    self.close(at);
                    return true;
                }
                _ => return false,
            }
        }
    }

    /// A string at the opening quote; a key with an escape is refused.
    fn string(&mut self, key: bool) -> bool {
        let start = self.i + 1;
        let mut i = start;
        let mut escaped = false;
        let end = loop {
            let Some(j) = self
                .raw
                .get(i..)
                .and_then(|r| memchr::memchr2(b'"', b'\\', r))
            else {
                return false;
            };
            if self.raw[i + j] == b'"' {
                break i + j;
            }
            escaped = true;
            i += j + 2;
        };
        self.i = end + 1;
        let at = self.push(Kind::Str, start, end);
        if escaped {
            if key {
                return false;
            }
            let body = &self.raw[start..end];
            let (s, canonical) = match short_escapes(body) {
                Some(s) => (s, true),
                // Anything else serde_json decodes, so `\u` escapes,
                // surrogates and UTF-8 are read (and refused) exactly as
                // the slow path reads them.
                None => match serde_json::from_slice::<String>(&self.raw[start - 1..end + 1]) {
                    Ok(s) => (s, false),
                    Err(_) => return false,
                },
            };
            self.t.decoded.push(s);
            let t = &mut self.t.toks[at];
            t.decoded = self.t.decoded.len() as u32;
            t.canonical = canonical;
            return true;
        }
        let body = &self.raw[start..end];
        // serde_json refuses control characters in a string, and text that
        // is not UTF-8. One pass of min and max (it vectorizes) finds both
        // kinds of byte; only text with bytes past ASCII is checked as UTF-8.
        let (lo, hi) = body
            .iter()
            .fold((u8::MAX, 0u8), |(lo, hi), &b| (lo.min(b), hi.max(b)));
        body.is_empty() || (lo >= 0x20 && (hi < 0x80 || std::str::from_utf8(body).is_ok()))
    }

    fn number(&mut self) -> bool {
        let raw = self.raw;
        let start = self.i;
        let mut i = start;
        let digits = |i: &mut usize| {
            let from = *i;
            while raw.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            *i - from
        };
        if raw.get(i) == Some(&b'-') {
            i += 1;
        }
        match raw.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => {
                if digits(&mut i) > MAX_INT_DIGITS {
                    return false;
                }
            }
            _ => return false,
        }
        if raw.get(i) == Some(&b'.') {
            i += 1;
            if digits(&mut i) == 0 {
                return false;
            }
        }
        if let Some(b'e' | b'E') = raw.get(i) {
            i += 1;
            if let Some(b'+' | b'-') = raw.get(i) {
                i += 1;
            }
            // Two digits at most: an exponent past 99 might overflow (serde_json refuses infinity).
            if !(1..=2).contains(&digits(&mut i)) {
                return false;
            }
        }
        self.i = i;
        self.push(Kind::Num, start, i);
        true
    }

    fn literal(&mut self, word: &[u8]) -> bool {
        if !self.raw[self.i..].starts_with(word) {
            return false;
        }
        let start = self.i;
        self.i += word.len();
        self.push(Kind::Lit, start, self.i);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    fn reads(text: &str) -> bool {
        Tape::default().read(text.as_bytes())
    }

    #[test]
    fn reads_what_serde_reads_and_indexes_it() {
        let raw = br#" {"a": [1, -2.5e3, "x\"y", true, null], "b": {"c": "d"}, "e": {}} "#;
        let mut t = Tape::default();
        assert!(t.read(raw));
        let b = t.get(raw, Some(0), "b");
        assert_eq!(t.str(raw, t.get(raw, b, "c")), Some("d"));
        let a = t.elements(t.get(raw, Some(0), "a"));
        assert_eq!(a.len(), 5);
        assert_eq!(t.str(raw, Some(a[2])), Some("x\"y"));
        assert_eq!(t.toks[a[1]].kind, Kind::Num);
        assert_eq!(t.get(raw, Some(0), "z"), None);
        assert_eq!(t.get(raw, Some(a[0]), "a"), None);
    }

    #[test]
    fn short_escapes_decode_as_serde_decodes_them() {
        for body in [
            r#"a\"b\\c\nd\re\tf\bg\fh"#,
            r#"\"\""#,
            "caf\u{e9}\\n",
            "plain",
        ] {
            let quoted = format!("\"{body}\"");
            let serde: String = serde_json::from_str(&quoted).unwrap();
            assert_eq!(
                short_escapes(body.as_bytes()).as_deref(),
                Some(&*serde),
                "{body}"
            );
            // Canonical: serde writes the decoded text back as the raw one.
            assert_eq!(serde_json::to_string(&serde).unwrap(), quoted);
        }
        for other in [r"\/", r"\u0041", r"\x", "\\", "a\u{1}b"] {
            assert_eq!(short_escapes(other.as_bytes()), None, "{other}");
        }
    }

    #[test]
    fn refuses_what_serde_refuses() {
        for bad in [
            "{",
            "{\"a\":}",
            "[1,]",
            "{\"a\":1,}",
            "01",
            "1.",
            "-",
            "1e",
            "\"\\x\"",
            "\"\\ud800\"",
            "\"a\nb\"",
            "tru",
            "nul",
            "{\"a\" 1}",
            "[1 2]",
            "1 2",
            "\"abc",
            "\"ab\\",
            "1e400",
            "{\"a\":1}x",
        ] {
            assert!(serde_json::from_str::<Value>(bad).is_err(), "{bad}");
            assert!(!reads(bad), "{bad}");
        }
        assert!(!Tape::default().read(b"\"\xff\""));
    }

    #[test]
    fn refuses_what_the_slow_path_reads_differently() {
        // Read by serde, but a duplicate key or an escaped key changes
        // what it writes: the slow path must take them.
        for odd in [r#"{"a":1,"a":2}"#, r#"{"\u0061":1}"#, "1e100"] {
            assert!(serde_json::from_str::<Value>(odd).is_ok(), "{odd}");
            assert!(!reads(odd), "{odd}");
        }
        let deep = format!("{}{}", "[".repeat(120), "]".repeat(120));
        assert!(!reads(&deep));
        let many = format!(
            "{{{}}}",
            (0..100)
                .map(|i| format!("\"k{i}\":{i}"))
                .collect::<Vec<_>>()
                .join(",")
        );
        assert!(!reads(&many));
    }

    proptest! {
        /// Whatever the tape accepts, serde reads (never the other way round
        /// only); mutated JSON texts of the HAR kind.
        #[test]
        fn accepts_nothing_serde_refuses(
            cut in 0usize..200,
            at in 0usize..200,
            byte in prop::sample::select(vec![b'"', b'\\', b',', b'}', b']', b':', b'0', b'e', b'-', b' ', 0x01, 0xc3, b'u', b'{']),
        ) {
            let base = br#"{"startedDateTime":"2024-05-01T10:00:00Z","time":12.5e-3,"request":{"url":"https://a/b?c=d","headers":[{"name":"x","value":"y\"z\\u00e9"}]},"n":[-0,1E+2,null,false,true]}"#;
            let mut m = base.to_vec();
            m.truncate(base.len() - cut % base.len());
            let at = at % (m.len() + 1);
            m.insert(at, byte);
            if Tape::default().read(&m) {
                prop_assert!(serde_json::from_slice::<Value>(&m).is_ok(), "{}", String::from_utf8_lossy(&m));
            }
        }
    }
}
