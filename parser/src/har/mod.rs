//! HAR captures (HTTP Archive 1.1/1.2) from Chrome, Edge, Firefox and sanitizers.
//!
//! [`read_har`] streams any reader (a file, a gzip stream, stdin) through a
//! sliding buffer: [`framing`] cuts `log.entries` into elements, each batch of
//! complete elements is parsed in parallel by [`entry`] and [`extract`], and
//! the buffer then drops what it no longer needs. Memory is bounded by the
//! chunk size plus the largest entry (itself capped by
//! [`HarOptions::max_entry_bytes`]), never by the file.

pub(crate) mod blocks;
pub mod calls;
pub mod entry;
pub mod extract;
pub mod framing;
pub mod prefilter;
pub mod shape;
pub mod stream;

use std::io::Read;
use std::ops::Range;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{InputError, InputErrorKind};
use crate::evidence::Evidence;
use crate::location::Location;
use crate::readbuf::Window;
use framing::{Event, Framer, LogField};

/// The index of the first byte of a slice that is not JSON white space
/// (16 bytes a step): for the other JSON walkers of the workspace (the
/// `redact` copier's token tape) to cross indentation as the entry check does.
pub use blocks::non_ws;

/// Limits and buffer sizes for [`read_har`].
#[derive(Debug, Clone)]
pub struct HarOptions {
    /// An entry larger than this is skipped (with a warning) instead of buffered.
    pub max_entry_bytes: usize,
    /// How much to read at a time.
    pub chunk_bytes: usize,
}

impl Default for HarOptions {
    fn default() -> Self {
        HarOptions {
            max_entry_bytes: 64 << 20,
            chunk_bytes: 4 << 20,
        }
    }
}

/// What a HAR capture held, besides evidence.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HarSummary {
    /// `log.version`.
    #[serde(default)]
    pub version: Option<String>,
    /// `log.creator` as `name version`.
    #[serde(default)]
    pub creator: Option<String>,
    /// `log.browser` as `name version`.
    #[serde(default)]
    pub browser: Option<String>,
    /// Entries framed in `log.entries`.
    pub entries: u64,
    /// Portal `POST /batch` calls.
    pub batch_calls: u64,
    /// Inner requests in those calls.
    pub batch_requests: u64,
    /// `/batch` calls whose response body the capture did not keep.
    pub batch_without_response: u64,
    /// Every `/batch` call in time, successful or not (bounded: in
    /// buckets past [`calls::CALLS_MAX`]); `None` without any.
    #[serde(default)]
    pub batch_timeline: Option<calls::BatchCalls>,
}

/// Everything [`read_har`] found in one capture.
#[derive(Debug, Default)]
pub struct HarResult {
    /// Evidence in entry order.
    pub evidence: Vec<Evidence>,
    /// Counts and creator.
    pub summary: HarSummary,
    /// The error that stopped reading, or that summarises unreadable entries.
    pub error: Option<InputError>,
    /// Problems that did not lose evidence.
    pub warnings: Vec<String>,
}

const MAX_WARNINGS: usize = 20;

struct Collector<'l> {
    base_loc: &'l Location,
    /// Skip entries that cannot give anything (off only to test that it changes nothing).
    prefilter: bool,
    result: HarResult,
    calls: calls::CallLog,
    bad_entries: u64,
    first_bad: Option<String>,
    warnings_dropped: u64,
}

impl Collector<'_> {
    fn warn(&mut self, w: String) {
        if self.result.warnings.len() < MAX_WARNINGS {
            self.result.warnings.push(w);
        } else {
            self.warnings_dropped += 1;
        }
    }

    fn entry_loc(&self, index: u64, offset: u64) -> Location {
        Location {
            entry: Some(index),
            offset: Some(offset),
            ..self.base_loc.clone()
        }
    }

    /// Parses framed entries in parallel, keeping entry order.
    fn parse(
        &self,
        buf: &[u8],
        base: u64,
        entries: &[(u64, Range<usize>)],
    ) -> Vec<(u64, u64, Result<extract::EntryOutcome, String>)> {
        entries
            .par_iter()
            .map(|(index, r)| {
                let offset = base + r.start as u64;
                // The location is built only for entries that give evidence or fail.
                let loc = || self.entry_loc(*index, offset);
                let bytes = &buf[r.clone()];
                let outcome = if self.prefilter && skippable(bytes) {
                    Ok(extract::EntryOutcome::default())
                } else {
                    extract::extract_entry(bytes, &loc)
                };
                (*index, offset, outcome)
            })
            .collect()
    }

    /// Parses and merges at once (used where there is nothing to overlap with).
    fn process(&mut self, buf: &[u8], base: u64, entries: &mut Vec<(u64, Range<usize>)>) {
        let outcomes = self.parse(buf, base, entries);
        entries.clear();
        self.merge(outcomes);
    }

    fn merge(&mut self, outcomes: Vec<(u64, u64, Result<extract::EntryOutcome, String>)>) {
        for (index, offset, outcome) in outcomes {
            match outcome {
                Ok(o) => {
                    let s = &mut self.result.summary;
                    s.batch_calls += u64::from(o.call.is_some());
                    s.batch_requests += o.inner_requests;
                    s.batch_without_response += u64::from(o.batch_without_response);
                    if let Some(call) = o.call {
                        self.calls.push(call, index);
                    }
                    self.result.evidence.extend(o.evidence);
                    if let Some(w) = o.warning {
                        self.warn(format!("{}: {w}", self.entry_loc(index, offset)));
                    }
                    if let Some(msg) = o.unreadable {
                        self.bad_entries += 1;
                        if self.first_bad.is_none() {
                            self.first_bad =
                                Some(format!("{}: {msg}", self.entry_loc(index, offset)));
                        }
                    }
                }
                Err(msg) => {
                    self.bad_entries += 1;
                    if self.first_bad.is_none() {
                        self.first_bad = Some(format!("{}: {msg}", self.entry_loc(index, offset)));
                    }
                }
            }
        }
    }

    fn field(&mut self, field: LogField, bytes: &[u8]) {
        #[derive(Deserialize)]
        struct NameVersion {
            #[serde(default)]
            name: String,
            #[serde(default)]
            version: String,
        }
        let s = &mut self.result.summary;
        match field {
            LogField::Version => s.version = serde_json::from_slice::<String>(bytes).ok(),
            LogField::Creator | LogField::Browser => {
                let text = serde_json::from_slice::<NameVersion>(bytes)
                    .ok()
                    .map(|nv| format!("{} {}", nv.name, nv.version).trim().to_string());
                if field == LogField::Creator {
                    s.creator = text;
                } else {
                    s.browser = text;
                }
            }
        }
    }

    fn finish(mut self, entries: u64) -> HarResult {
        self.result.summary.entries = entries;
        self.result.summary.batch_timeline = std::mem::take(&mut self.calls).finish();
        if self.warnings_dropped > 0 {
            let n = self.warnings_dropped;
            self.result
                .warnings
                .push(format!("... and {n} more warnings"));
        }
        if let (Some(first), None) = (self.first_bad.take(), self.result.error.as_ref()) {
            self.result.error = Some(InputError::new(
                self.base_loc.clone(),
                InputErrorKind::Records {
                    count: self.bad_entries,
                    total: entries,
                    first,
                },
            ));
        }
        self.result
    }
}

/// Where framing a window stopped.
enum Stop {
    NeedMore,
    End,
    Frame(framing::FrameError),
}

/// What framing one window produced; applied by the caller in order.
struct Step {
    entries: Vec<(u64, Range<usize>)>,
    fields: Vec<(LogField, Range<usize>)>,
    discarded: Vec<(u64, u64, u64)>,
    stop: Stop,
}

impl Step {
    /// Nothing framed yet; more input wanted.
    fn waiting() -> Self {
        Step {
            entries: Vec::new(),
            fields: Vec::new(),
            discarded: Vec::new(),
            stop: Stop::NeedMore,
        }
    }
}

/// Frames `buf` (at absolute offset `base`) until the framer needs more input.
fn frame_window(framer: &mut Framer, buf: &[u8], base: u64, eof: bool) -> Step {
    let rel = |a: u64, b: u64| (a - base) as usize..(b - base) as usize;
    let mut step = Step::waiting();
    loop {
        match framer.next(buf, base, eof) {
            Ok(Event::Entry { index, start, end }) => step.entries.push((index, rel(start, end))),
            Ok(Event::Field { field, start, end }) => step.fields.push((field, rel(start, end))),
            Ok(Event::Discarded { index, start, end }) => step.discarded.push((index, start, end)),
            Ok(Event::NeedMore) => return step,
            Ok(Event::End) => {
                step.stop = Stop::End;
                return step;
            }
            Err(e) => {
                step.stop = Stop::Frame(e);
                return step;
            }
        }
    }
}

/// Streams a HAR document from `reader` and extracts its evidence.
///
/// Never fails as a whole: a read error, a truncated file or a broken entry
/// ends up in [`HarResult::error`] with its location, and everything read
/// before it is kept.
///
/// Two buffers take turns: while the entries framed in one are parsed (in
/// parallel), the next chunk is read into the other and framed, so reading,
/// framing and parsing overlap.
pub fn read_har<R: Read>(reader: R, loc: &Location, opts: &HarOptions) -> HarResult {
    read_har_with(reader, loc, opts, true)
}

/// An entry that serde would read and that cannot give evidence, a `/batch`
/// call or a warning (its URL holds no literal an extractor needs, even
/// behind an escape): what parsing it would return is known,
/// [`extract::EntryOutcome`]'s default.
fn skippable(entry: &[u8]) -> bool {
    shape::check(entry).is_some_and(|s| !prefilter::raw_url_may_matter(&entry[s.url]))
}

/// [`read_har`], with the prefilter on or off.
fn read_har_with<R: Read>(
    mut reader: R,
    loc: &Location,
    opts: &HarOptions,
    prefilter: bool,
) -> HarResult {
    let mut framer = Framer::new();
    let mut c = Collector {
        base_loc: loc,
        prefilter,
        result: HarResult::default(),
        calls: calls::CallLog::default(),
        bad_entries: 0,
        first_bad: None,
        warnings_dropped: 0,
    };
    let chunk = opts.chunk_bytes.max(1);
    let mut buf = Window::new(0);
    let mut base: u64 = 0;
    let mut step = Step::waiting();

    loop {
        for (field, r) in std::mem::take(&mut step.fields) {
            c.field(field, &buf[r]);
        }
        for (index, start, end) in std::mem::take(&mut step.discarded) {
            c.warn(format!(
                "{}: entry of {} bytes is larger than the {} byte limit and was skipped",
                c.entry_loc(index, start),
                end - start,
                opts.max_entry_bytes
            ));
        }
        match step.stop {
            Stop::End => {
                c.process(&buf, base, &mut step.entries);
                break;
            }
            Stop::Frame(fe) => {
                c.process(&buf, base, &mut step.entries);
                c.result.error = Some(InputError::new(
                    loc.at_offset(fe.offset),
                    InputErrorKind::Syntax(fe.message),
                ));
                break;
            }
            Stop::NeedMore => {}
        }
        // The next window starts with what the framer still needs of this one.
        let mut next_base = framer.keep_from();
        // Windows come from the thread's pool: a small capture (most of a
        // fleet's) reuses the last one's memory instead of a fresh 6 MiB.
        let mut next = Window::new(chunk + chunk / 2);
        next.extend_from_slice(&buf[((next_base - base) as usize).min(buf.len())..]);
        if next.len() >= opts.max_entry_bytes {
            if framer.in_value() {
                framer.discard_current();
                let n = (framer.keep_from().saturating_sub(next_base) as usize).min(next.len());
                next.drain_front(n);
                next_base += n as u64;
            } else {
                c.process(&buf, base, &mut step.entries);
                c.result.error = Some(InputError::new(
                    loc.at_offset(next_base),
                    InputErrorKind::Syntax(format!(
                        "a single token is larger than the {} byte limit",
                        opts.max_entry_bytes
                    )),
                ));
                break;
            }
        }
        let mut entries = std::mem::take(&mut step.entries);
        // Parse this window's entries on other cores while the next window
        // is read and framed here (the reader need not be Send).
        let mut outcomes = Vec::new();
        let (read, next_step) = rayon::in_place_scope(|s| {
            let (c, buf, entries, slot) = (&c, &buf, &entries, &mut outcomes);
            s.spawn(move |_| *slot = c.parse(buf, base, entries));
            match next.fill(&mut reader, chunk) {
                Ok(n) => {
                    let at_eof = n == 0;
                    (
                        Ok(at_eof),
                        frame_window(&mut framer, &next, next_base, at_eof),
                    )
                }
                Err(e) => (Err(e), Step::waiting()),
            }
        });
        c.merge(outcomes);
        entries.clear();
        buf = next;
        base = next_base;
        step = next_step;
        match read {
            Ok(_) => {}
            Err(e) => {
                let at = base + buf.len() as u64;
                let kind = InputErrorKind::from_io(&e);
                c.result.error = Some(InputError::new(loc.at_offset(at), kind));
                break;
            }
        }
    }
    let entries = framer.entries_seen();
    c.finish(entries)
}

/// Drops the bytes before absolute offset `keep` from a window that starts at `base`.
pub(crate) fn drop_front(buf: &mut Vec<u8>, base: &mut u64, keep: u64) {
    let n = (keep.saturating_sub(*base) as usize).min(buf.len());
    if n > 0 {
        buf.drain(..n);
        *base += n as u64;
    }
}

#[cfg(test)]
mod tests;
