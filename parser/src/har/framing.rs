//! Entry framing for HAR documents.
//!
//! A HAR file is one JSON document whose interesting part, `log.entries`, can
//! hold tens of thousands of entries and hundreds of megabytes. This module
//! walks the document's outer structure byte by byte, without building a
//! tree, and reports the byte range of each element of `log.entries` (and of
//! the small `log.creator` / `log.browser` / `log.version` values). The
//! grammar of an entry is someone else's job ([`super::entry`]): the framer
//! only needs to know where strings, objects and arrays begin and end.
//!
//! The framer is resumable: it is fed a window of the input (`buf`, starting
//! at absolute offset `base`) and answers [`Event::NeedMore`] when the window
//! ends inside a token. The caller must then keep every byte from
//! [`Framer::keep_from`] on, append more input and call again. This is what
//! lets the same code run over a sliding buffer of a file, a gzip stream or
//! stdin with memory bounded by the largest entry, not by the file.

use memchr::memchr2;

use super::blocks::{self, BLOCK};

/// A top-level field of `log` whose value the caller may want to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogField {
    /// `log.version`
    Version,
    /// `log.creator`
    Creator,
    /// `log.browser`
    Browser,
}

/// What the framer found next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// One element of `log.entries`, `start..end` in absolute offsets.
    Entry {
        /// Position of the element in `log.entries`, from 0.
        index: u64,
        /// Absolute offset of the element's first byte.
        start: u64,
        /// Absolute offset one past the element's last byte.
        end: u64,
    },
    /// An element that the caller asked to discard (see
    /// [`Framer::discard_current`]) because it was too large to hold.
    Discarded {
        /// Position of the element in `log.entries`, from 0.
        index: u64,
        /// Absolute offset of the element's first byte.
        start: u64,
        /// Absolute offset one past the element's last byte.
        end: u64,
    },
    /// The value of a small field of `log`.
    Field {
        /// Which field.
        field: LogField,
        /// Absolute offset of the value's first byte.
        start: u64,
        /// Absolute offset one past the value's last byte.
        end: u64,
    },
    /// The window ends inside a token: keep bytes from `keep_from()` and feed more.
    NeedMore,
    /// The document is complete.
    End,
}

/// A structural error: the bytes are not a HAR document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameError {
    /// Absolute byte offset of the problem.
    pub offset: u64,
    /// What was wrong.
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Root,
    Log,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Log,
    Entries,
    Field(LogField),
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Start,
    ObjKey(Level, bool),
    Colon(Level, Key),
    Value(Level, Key),
    ObjComma(Level),
    ArrElem(bool),
    ArrComma,
    InValue { start: u64, what: Capture },
    Trailing,
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Capture {
    Entry,
    Field(LogField),
    Skip(Level),
}

/// Resumable scanner over one JSON value of any size.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Skipper {
    depth: u32,
    /// The bracket pair of the outermost container: only it moves `depth`,
    /// since the other kind nests evenly inside valid JSON (invalid JSON is
    /// caught by the entry grammar afterwards).
    open: u8,
    close: u8,
    in_str: bool,
    /// The next byte is escaped by a backslash. Inside a container this
    /// holds outside strings too (where valid JSON has no backslash), which
    /// is what the block masks compute.
    escaped: bool,
    scalar: bool,
    begun: bool,
}

impl Skipper {
    /// Scans `buf[i..]`; returns the index one past the value's end, or `Err(n)`
    /// when the window ended after consuming up to `n` (state is kept).
    fn run(&mut self, buf: &[u8], mut i: usize, eof: bool) -> Result<usize, usize> {
        if !self.begun {
            let Some(&b) = buf.get(i) else {
                return Err(buf.len());
            };
            self.begun = true;
            match b {
                b'{' => (self.depth, self.open, self.close) = (1, b'{', b'}'),
                b'[' => (self.depth, self.open, self.close) = (1, b'[', b']'),
                b'"' => self.in_str = true,
                _ => self.scalar = true,
            }
            i += 1;
        }
        if self.depth > 0 {
            return self.container(buf, i);
        }
        if self.scalar {
            return match buf[i..]
                .iter()
                .position(|b| matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'))
            {
                Some(k) => Ok(i + k),
                None if eof => Ok(buf.len()),
                None => Err(buf.len()),
            };
        }
        // A string value: jump from quote or backslash to the next.
        while i < buf.len() {
            if self.escaped {
                self.escaped = false;
                i += 1;
                continue;
            }
            let Some(k) = memchr2(b'"', b'\\', &buf[i..]) else {
                return Err(buf.len());
            };
            i += k;
            if buf[i] == b'"' {
                self.in_str = false;
                return Ok(i + 1);
            }
            self.escaped = true;
            i += 1;
        }
        Err(buf.len())
    }

    /// The inside of an object or array, from `buf[i]` on: 64 bytes at a
    /// time through [`blocks`], one at a time for a last partial block.
    fn container(&mut self, buf: &[u8], mut i: usize) -> Result<usize, usize> {
        loop {
            if self.in_str && !self.escaped {
                // Strings hold almost all of a HAR's bytes (bodies, base64):
                // cross them straight to the next quote or backslash.
                match memchr2(b'"', b'\\', &buf[i..]) {
                    None => return Err(buf.len()),
                    Some(k) => i += k,
                }
            }
            if buf.len() - i < BLOCK {
                break;
            }
            let m = blocks::masks(&buf[i..], self.open, self.close);
            let escaped = blocks::escaped(m.backslash, &mut self.escaped);
            let inside =
                blocks::prefix_xor(m.quote & !escaped) ^ if self.in_str { u64::MAX } else { 0 };
            self.in_str = inside >> 63 == 1;
            let live = !inside & !escaped;
            let (opens, closes) = (m.open & live, m.close & live);
            if closes.count_ones() < self.depth {
                // The value cannot end in this block.
                self.depth = self.depth + opens.count_ones() - closes.count_ones();
                i += BLOCK;
                continue;
            }
            let mut marks = opens | closes;
            while marks != 0 {
                let k = marks.trailing_zeros();
                marks &= marks - 1;
                if opens >> k & 1 == 1 {
                    self.depth += 1;
                } else {
                    self.depth -= 1;
                    if self.depth == 0 {
                        return Ok(i + k as usize + 1);
                    }
                }
            }
            i += BLOCK;
        }
        while i < buf.len() {
            let b = buf[i];
            i += 1;
            if self.escaped {
                self.escaped = false;
                continue;
            }
            match b {
                b'\\' => self.escaped = true,
                b'"' => self.in_str = !self.in_str,
                _ if self.in_str => {}
                c if c == self.open => self.depth += 1,
                c if c == self.close => {
                    self.depth -= 1;
                    if self.depth == 0 {
                        return Ok(i);
                    }
                }
                _ => {}
            }
        }
        Err(buf.len())
    }
}

/// The HAR entry framer. See the module documentation.
#[derive(Debug, Clone)]
pub struct Framer {
    state: State,
    pos: u64,
    skip: Skipper,
    next_index: u64,
    discard: bool,
    saw_log: bool,
    saw_entries: bool,
}

impl Default for Framer {
    fn default() -> Self {
        Self::new()
    }
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

impl Framer {
    /// A framer positioned at the start of a document.
    pub fn new() -> Self {
        Framer {
            state: State::Start,
            pos: 0,
            skip: Skipper::default(),
            next_index: 0,
            discard: false,
            saw_log: false,
            saw_entries: false,
        }
    }

    /// The earliest absolute offset the framer still needs to see again.
    pub fn keep_from(&self) -> u64 {
        match self.state {
            State::InValue { start, .. } if !self.discard => start,
            _ => self.pos,
        }
    }

    /// True while the framer is inside an entry (or field) whose bytes it must keep.
    pub fn in_value(&self) -> bool {
        matches!(self.state, State::InValue { .. }) && !self.discard
    }

    /// Absolute offset where the value being scanned began, if any.
    pub fn value_start(&self) -> Option<u64> {
        match self.state {
            State::InValue { start, .. } => Some(start),
            _ => None,
        }
    }

    /// Index the next entry will get: the number of entries framed so far.
    pub fn entries_seen(&self) -> u64 {
        self.next_index
    }

    /// Gives up holding the value being scanned: its bytes before the current
    /// position need not be kept, and it is reported as [`Event::Discarded`].
    pub fn discard_current(&mut self) {
        if matches!(self.state, State::InValue { .. }) {
            self.discard = true;
        }
    }

    fn err(&self, offset: u64, message: impl Into<String>) -> FrameError {
        FrameError {
            offset,
            message: message.into(),
        }
    }

    /// Advances over `buf` (which starts at absolute offset `base` and must
    /// include every byte from [`Framer::keep_from`] on). `eof` says no more
    /// input will follow.
    pub fn next(&mut self, buf: &[u8], base: u64, eof: bool) -> Result<Event, FrameError> {
        debug_assert!(self.keep_from() >= base, "caller dropped needed bytes");
        loop {
            let rel = (self.pos - base) as usize;
            if let State::InValue { start, what } = self.state {
                match self.skip.run(buf, rel, eof) {
                    Ok(end_rel) => {
                        let end = base + end_rel as u64;
                        self.pos = end;
                        self.skip = Skipper::default();
                        let discarded = std::mem::take(&mut self.discard);
                        return Ok(match what {
                            Capture::Entry => {
                                self.state = State::ArrComma;
                                let index = self.next_index;
                                self.next_index += 1;
                                if discarded {
                                    Event::Discarded { index, start, end }
                                } else {
                                    Event::Entry { index, start, end }
                                }
                            }
                            Capture::Field(field) => {
                                self.state = State::ObjComma(Level::Log);
                                if discarded {
                                    continue;
                                }
                                Event::Field { field, start, end }
                            }
                            Capture::Skip(level) => {
                                self.state = State::ObjComma(level);
                                continue;
                            }
                        });
                    }
                    Err(consumed) => {
                        self.pos = base + consumed as u64;
                        if eof {
                            return Err(self.truncated(start, what));
                        }
                        return Ok(Event::NeedMore);
                    }
                }
            }

            // Structural states: skip white space, then look at one byte.
            let mut i = rel;
            if self.state == State::Start && self.pos == 0 && buf.len() < UTF8_BOM.len() && !eof {
                return Ok(Event::NeedMore);
            }
            if self.state == State::Start && self.pos == 0 && buf.starts_with(UTF8_BOM) {
                i += UTF8_BOM.len();
            }
            while i < buf.len() && is_ws(buf[i]) {
                i += 1;
            }
            self.pos = base + i as u64;
            if i >= buf.len() {
                if !eof {
                    return Ok(Event::NeedMore);
                }
                return match self.state {
                    State::Trailing | State::Done => {
                        self.state = State::Done;
                        Ok(Event::End)
                    }
                    State::Start => Err(self.err(self.pos, "empty input: expected a HAR document")),
                    _ => Err(self.err(
                        self.pos,
                        format!("unexpected end of input {}", self.where_text()),
                    )),
                };
            }
            let b = buf[i];
            let at = self.pos;
            match self.state {
                State::Start => {
                    if b != b'{' {
                        return Err(self.err(
                            at,
                            format!("expected '{{' to open the HAR document, found {}", show(b)),
                        ));
                    }
                    self.pos += 1;
                    self.state = State::ObjKey(Level::Root, true);
                }
                State::ObjKey(level, first) => {
                    if b == b'}' && first {
                        self.pos += 1;
                        self.close(level)?;
                        continue;
                    }
                    if b != b'"' {
                        return Err(
                            self.err(at, format!("expected an object key, found {}", show(b)))
                        );
                    }
                    // Keys are short; a key cut by the window is re-read whole.
                    let body = &buf[i + 1..];
                    let Some(q) = find_string_end(body) else {
                        if eof {
                            return Err(self.err(
                                at,
                                format!(
                                    "unexpected end of input inside an object key {}",
                                    self.where_text()
                                ),
                            ));
                        }
                        return Ok(Event::NeedMore);
                    };
                    let key = &body[..q];
                    let kind = match (level, key) {
                        (Level::Root, b"log") => Key::Log,
                        (Level::Log, b"entries") => Key::Entries,
                        (Level::Log, b"version") => Key::Field(LogField::Version),
                        (Level::Log, b"creator") => Key::Field(LogField::Creator),
                        (Level::Log, b"browser") => Key::Field(LogField::Browser),
                        _ => Key::Other,
                    };
                    self.pos = at + q as u64 + 2;
                    self.state = State::Colon(level, kind);
                }
                State::Colon(level, key) => {
                    if b != b':' {
                        return Err(self.err(
                            at,
                            format!("expected ':' after an object key, found {}", show(b)),
                        ));
                    }
                    self.pos += 1;
                    self.state = State::Value(level, key);
                }
                State::Value(level, key) => match key {
                    Key::Log => {
                        if b != b'{' {
                            return Err(self
                                .err(at, format!("\"log\" must be an object, found {}", show(b))));
                        }
                        self.saw_log = true;
                        self.pos += 1;
                        self.state = State::ObjKey(Level::Log, true);
                    }
                    Key::Entries => {
                        if b != b'[' {
                            return Err(self.err(
                                at,
                                format!("\"log.entries\" must be an array, found {}", show(b)),
                            ));
                        }
                        self.saw_entries = true;
                        self.pos += 1;
                        self.state = State::ArrElem(true);
                    }
                    Key::Field(field) => self.begin_value(at, Capture::Field(field)),
                    Key::Other => self.begin_value(at, Capture::Skip(level)),
                },
                State::ObjComma(level) => match b {
                    b',' => {
                        self.pos += 1;
                        self.state = State::ObjKey(level, false);
                    }
                    b'}' => {
                        self.pos += 1;
                        self.close(level)?;
                    }
                    _ => {
                        return Err(self.err(
                            at,
                            format!("expected ',' or '}}' in an object, found {}", show(b)),
                        ))
                    }
                },
                State::ArrElem(first) => {
                    if b == b']' && first {
                        self.pos += 1;
                        self.state = State::ObjComma(Level::Log);
                        continue;
                    }
                    if b == b',' || b == b']' || b == b'}' || b == b':' {
                        return Err(self.err(
                            at,
                            format!("expected an entry in \"log.entries\", found {}", show(b)),
                        ));
                    }
                    self.begin_value(at, Capture::Entry);
                }
                State::ArrComma => match b {
                    b',' => {
                        self.pos += 1;
                        self.state = State::ArrElem(false);
                    }
                    b']' => {
                        self.pos += 1;
                        self.state = State::ObjComma(Level::Log);
                    }
                    _ => {
                        return Err(self.err(
                            at,
                            format!(
                                "expected ',' or ']' after entry {}, found {}",
                                self.next_index.saturating_sub(1),
                                show(b)
                            ),
                        ))
                    }
                },
                State::Trailing | State::Done => {
                    return Err(self.err(
                        at,
                        format!(
                            "unexpected data after the end of the HAR document: {}",
                            show(b)
                        ),
                    ));
                }
                State::InValue { .. } => unreachable!("handled above"),
            }
        }
    }

    fn begin_value(&mut self, at: u64, what: Capture) {
        self.skip = Skipper::default();
        self.state = State::InValue { start: at, what };
    }

    fn close(&mut self, level: Level) -> Result<(), FrameError> {
        match level {
            Level::Log => {
                self.state = State::ObjComma(Level::Root);
                Ok(())
            }
            Level::Root => {
                if !self.saw_log {
                    return Err(self.err(
                        self.pos,
                        "not a HAR document: the top-level object has no \"log\"",
                    ));
                }
                if !self.saw_entries {
                    return Err(
                        self.err(self.pos, "not a HAR document: \"log\" has no \"entries\"")
                    );
                }
                self.state = State::Trailing;
                Ok(())
            }
        }
    }

    fn where_text(&self) -> String {
        match self.state {
            State::ArrElem(_) | State::ArrComma => format!(
                "in \"log.entries\" after entry {}",
                self.next_index.saturating_sub(1)
            ),
            State::ObjKey(Level::Log, _)
            | State::ObjComma(Level::Log)
            | State::Colon(Level::Log, _)
            | State::Value(Level::Log, _) => "inside \"log\"".into(),
            _ => "in the HAR document".into(),
        }
    }

    fn truncated(&self, start: u64, what: Capture) -> FrameError {
        let message = match what {
            Capture::Entry => format!(
                "unexpected end of input inside entry {} (the entry began at byte {start}); the file is truncated",
                self.next_index
            ),
            _ => format!("unexpected end of input inside a value that began at byte {start}; the file is truncated"),
        };
        self.err(self.pos, message)
    }
}

/// Index of the closing quote of a JSON string whose opening quote was just
/// consumed, honouring backslash escapes.
fn find_string_end(s: &[u8]) -> Option<usize> {
    let mut i = 0;
    loop {
        let k = memchr2(b'"', b'\\', s.get(i..)?)?;
        i += k;
        if s[i] == b'"' {
            return Some(i);
        }
        i += 2;
    }
}

fn show(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("'{}'", b as char)
    } else {
        format!("byte 0x{b:02x}")
    }
}

#[cfg(test)]
mod tests;
