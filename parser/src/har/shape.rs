//! A fast check that an entry's bytes are a HAR entry, and where its
//! request URL is, for the entries the [`super::prefilter`] may skip.
//!
//! A skipped entry is not parsed, yet one that is not a HAR entry must still
//! be reported as not read. [`check`] answers "would
//! `serde_json::from_slice::<Entry>` succeed?" without building anything: it
//! walks the JSON once, checking what serde checks (syntax, no control
//! characters in strings, valid escapes, the types and single occurrence of
//! the fields [`super::entry::Entry`] declares, UTF-8 where serde reads text)
//! and nothing it does not (serde ignores the other fields without reading
//! their text as UTF-8). On the way it notes the raw bytes of
//! `request.url`, the one string every extractor is keyed on.
//!
//! It may say no to an entry serde would read (a `\u` escape, a status
//! written `2e2`, a value nested 64 deep): that entry is parsed, which costs
//! time, not correctness. It must never say yes to one serde rejects; a
//! property test holds it to that over mutated entries.

use std::ops::Range;

use super::blocks;

/// What [`check`] learned of an entry serde would read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape {
    /// The raw bytes (between the quotes, escapes as written) of
    /// `request.url`; empty when the entry has none (serde's default).
    pub url: Range<usize>,
}

/// `Some` only when `bytes` would parse as a [`super::entry::Entry`].
pub fn check(bytes: &[u8]) -> Option<Shape> {
    let mut c = Cursor {
        b: bytes,
        i: 0,
        url: 0..0,
    };
    c.entry()?;
    c.ws();
    (c.i == bytes.len()).then_some(Shape { url: c.url })
}

/// True only when `bytes` would parse as a [`super::entry::Entry`].
pub fn is_entry(bytes: &[u8]) -> bool {
    check(bytes).is_some()
}

/// Nesting the ignored-value walk follows (serde has no limit there); deeper
/// values go to the parser.
const MAX_NESTING: u32 = 64;

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
    /// Where `request.url` was seen.
    url: Range<usize>,
}

/// Records a field; `None` when it was already seen (serde's "duplicate field").
fn once(seen: &mut u8, bit: u8) -> Option<()> {
    if *seen & bit != 0 {
        return None;
    }
    *seen |= bit;
    Some(())
}

fn utf8(s: &[u8]) -> Option<()> {
    std::str::from_utf8(s).ok().map(|_| ())
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        self.i += blocks::non_ws(&self.b[self.i..]).unwrap_or(self.b.len() - self.i);
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        self.ws();
        (self.peek()? == c).then(|| self.i += 1)
    }

    fn lit(&mut self, word: &[u8]) -> Option<()> {
        self.b[self.i..]
            .starts_with(word)
            .then(|| self.i += word.len())
    }

    /// A string at the cursor; returns the range of its raw contents and
    /// whether they hold a byte that is not ASCII.
    fn string(&mut self) -> Option<(Range<usize>, bool)> {
        if self.peek()? != b'"' {
            return None;
        }
        self.i += 1;
        let start = self.i;
        let mut non_ascii = false;
        loop {
            // Once a byte is known not to be ASCII, the rest need not stop at one.
            let k = blocks::string_stop(&self.b[self.i..], !non_ascii)?;
            self.i += k;
            match self.b[self.i] {
                b'"' => {
                    self.i += 1;
                    return Some((start..self.i - 1, non_ascii));
                }
                b'\\' => match self.b.get(self.i + 1)? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.i += 2,
                    // `\u` is left to serde: it may stand for a lone surrogate,
                    // which serde refuses only where it reads the text.
                    _ => return None,
                },
                0x80.. => {
                    non_ascii = true;
                    self.i += 1;
                }
                _ => return None,
            }
        }
    }

    /// A string serde reads as text (`Cow<str>`): it must be UTF-8.
    fn text(&mut self) -> Option<()> {
        self.text_at().map(|_| ())
    }

    /// [`Self::text`], giving the range of its raw contents.
    fn text_at(&mut self) -> Option<Range<usize>> {
        let (r, non_ascii) = self.string()?;
        if non_ascii {
            utf8(&self.b[r.clone()])?;
        }
        Some(r)
    }

    /// `null`, or what `f` accepts (an `Option<T>` field).
    fn opt(&mut self, f: impl FnOnce(&mut Self) -> Option<()>) -> Option<()> {
        if self.peek()? == b'n' {
            return self.lit(b"null");
        }
        f(self)
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
    }

    fn number(&mut self) -> Option<()> {
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek()? {
            b'0' => self.i += 1,
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if !self.peek()?.is_ascii_digit() {
                return None;
            }
            self.digits();
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if !self.peek()?.is_ascii_digit() {
                return None;
            }
            self.digits();
        }
        Some(())
    }

    /// An object key followed by its colon; and whether it is not ASCII.
    fn key(&mut self) -> Option<(Range<usize>, bool)> {
        self.ws();
        let k = self.string()?;
        self.eat(b':')?;
        self.ws();
        Some(k)
    }

    /// Any JSON value, ignored as serde ignores one (no text read).
    fn value(&mut self) -> Option<()> {
        // One bit per open container: 1 for an object.
        let mut stack: u64 = 0;
        let mut depth: u32 = 0;
        loop {
            self.ws();
            match self.peek()? {
                open @ (b'{' | b'[') => {
                    if depth == MAX_NESTING {
                        return None;
                    }
                    self.i += 1;
                    self.ws();
                    let close = if open == b'{' { b'}' } else { b']' };
                    if self.peek()? == close {
                        self.i += 1;
                    } else {
                        stack = (stack << 1) | u64::from(open == b'{');
                        depth += 1;
                        if open == b'{' {
                            self.key()?;
                        }
                        continue;
                    }
                }
                b'"' => {
                    self.string()?;
                }
                b't' => self.lit(b"true")?,
                b'f' => self.lit(b"false")?,
                b'n' => self.lit(b"null")?,
                b'-' | b'0'..=b'9' => self.number()?,
                _ => return None,
            }
            // A value ended: close what it ended, up to the next one.
            loop {
                if depth == 0 {
                    return Some(());
                }
                self.ws();
                let in_object = stack & 1 == 1;
                match self.peek()? {
                    b',' => {
                        self.i += 1;
                        if in_object {
                            self.key()?;
                        }
                        break;
                    }
                    b'}' if in_object => {}
                    b']' if !in_object => {}
                    _ => return None,
                }
                self.i += 1;
                stack >>= 1;
                depth -= 1;
            }
        }
    }

    /// A value kept raw (`&RawValue`): any JSON, whose bytes must be UTF-8.
    fn raw(&mut self) -> Option<()> {
        // Almost always a string (a body): its scan already knows.
        if self.peek()? == b'"' {
            return self.text();
        }
        let start = self.i;
        self.value()?;
        utf8(&self.b[start..self.i])
    }

    /// An object whose fields `field` checks, given each key (UTF-8, as
    /// serde reads a struct's keys) with the cursor at its value.
    fn object(&mut self, mut field: impl FnMut(&mut Self, &[u8]) -> Option<()>) -> Option<()> {
        self.eat(b'{')?;
        self.ws();
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(());
        }
        let b = self.b;
        loop {
            let (k, non_ascii) = self.key()?;
            let k = &b[k];
            if non_ascii {
                utf8(k)?;
            }
            field(self, k)?;
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn entry(&mut self) -> Option<()> {
        let mut seen = 0;
        self.object(|c, key| match key {
            b"startedDateTime" => {
                once(&mut seen, 1)?;
                c.opt(Self::text)
            }
            b"request" => {
                once(&mut seen, 2)?;
                c.request()
            }
            b"response" => {
                once(&mut seen, 4)?;
                c.opt(Self::response)
            }
            _ => c.value(),
        })?;
        // `request` is the one field without a default.
        (seen & 2 != 0).then_some(())
    }

    fn request(&mut self) -> Option<()> {
        let mut seen = 0;
        self.object(|c, key| match key {
            b"method" => {
                once(&mut seen, 1)?;
                c.text()
            }
            b"url" => {
                once(&mut seen, 2)?;
                c.url = c.text_at()?;
                Some(())
            }
            b"headers" => {
                once(&mut seen, 4)?;
                c.headers()
            }
            b"postData" => {
                once(&mut seen, 8)?;
                c.opt(Self::post_data)
            }
            _ => c.value(),
        })
    }

    fn post_data(&mut self) -> Option<()> {
        let mut seen = 0;
        self.object(|c, key| match key {
            b"mimeType" => {
                once(&mut seen, 1)?;
                c.opt(Self::text)
            }
            b"text" => {
                once(&mut seen, 2)?;
                c.raw()
            }
            _ => c.value(),
        })
    }

    fn response(&mut self) -> Option<()> {
        let mut seen = 0;
        self.object(|c, key| match key {
            b"status" => {
                once(&mut seen, 1)?;
                c.status()
            }
            b"headers" => {
                once(&mut seen, 2)?;
                c.headers()
            }
            b"content" => {
                once(&mut seen, 4)?;
                c.opt(Self::content)
            }
            _ => c.value(),
        })
    }

    /// What the lenient status reader surely takes: a short number
    /// without exponent (no overflow), a string, `null`, `true`, `false`.
    fn status(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.text(),
            b'-' | b'0'..=b'9' => {
                let start = self.i;
                self.number()?;
                let n = &self.b[start..self.i];
                (n.len() <= 15 && !n.iter().any(|&b| b == b'e' || b == b'E')).then_some(())
            }
            b't' => self.lit(b"true"),
            b'f' => self.lit(b"false"),
            b'n' => self.lit(b"null"),
            _ => None,
        }
    }

    fn content(&mut self) -> Option<()> {
        let mut seen = 0;
        self.object(|c, key| match key {
            b"mimeType" => {
                once(&mut seen, 1)?;
                c.opt(Self::text)
            }
            b"text" => {
                once(&mut seen, 2)?;
                c.raw()
            }
            b"encoding" => {
                once(&mut seen, 4)?;
                c.opt(Self::text)
            }
            _ => c.value(),
        })
    }

    fn headers(&mut self) -> Option<()> {
        self.eat(b'[')?;
        self.ws();
        if self.peek()? == b']' {
            self.i += 1;
            return Some(());
        }
        loop {
            self.ws();
            let mut seen = 0;
            self.object(|c, key| match key {
                b"name" => {
                    once(&mut seen, 1)?;
                    c.text()
                }
                b"value" => {
                    once(&mut seen, 2)?;
                    c.text()
                }
                _ => c.value(),
            })?;
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests;
