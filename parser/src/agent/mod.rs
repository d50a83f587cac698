//! Node-agent logs (`agent-debug.log`, rotated `.1`, `.2.gz`, ...).
//!
//! [`read_agent_log`] frames the input into chunks of whole lines and scans
//! them ([`scan`]) while the next chunk is read, so inflating an archive
//! member and scanning it use both cores. Lines of any length are handled in
//! bounded memory: a line longer than [`LogOptions::max_line_bytes`] is
//! scanned up to that length and the rest of it is skipped with a warning.
//! [`assemble`] joins the files of each node, in time order, into join-loop
//! evidence.

pub mod assemble;
pub mod line;
pub mod scan;

use std::io::Read;

use memchr::{memchr, memrchr};

use crate::error::{InputError, InputErrorKind};
use crate::location::Location;
use crate::readbuf::fill;
use scan::{scan_chunk, Summary};

/// Buffer sizes for [`read_agent_log`].
#[derive(Debug, Clone)]
pub struct LogOptions {
    /// How much to read at a time.
    pub chunk_bytes: usize,
    /// Lines longer than this are cut (with a warning).
    pub max_line_bytes: usize,
}

impl Default for LogOptions {
    fn default() -> Self {
        LogOptions {
            chunk_bytes: 2 << 20,
            max_line_bytes: 1 << 20,
        }
    }
}

/// What one log file held.
#[derive(Debug, Clone, Default)]
pub struct LogResult {
    /// Summary of the whole file.
    pub summary: Summary,
    /// Set when reading stopped early; the summary covers what was read.
    pub error: Option<InputError>,
    /// Problems that lost no evidence.
    pub warnings: Vec<String>,
}

/// Reads a whole log and summarizes it. Never fails as a whole: a read
/// error ends up in [`LogResult::error`] with the byte offset it happened at.
pub fn read_agent_log<R: Read>(mut reader: R, loc: &Location, opts: &LogOptions) -> LogResult {
    let chunk = opts.chunk_bytes.max(1);
    let max_line = opts.max_line_bytes.max(1);
    let mut result = LogResult::default();
    let mut total = Summary::default();
    // Whole lines ready to scan, and what was read after them.
    let mut ready: Vec<u8> = Vec::new();
    let mut buf: Vec<u8> = Vec::with_capacity(chunk);
    // The 1-based number of a too-long line whose rest is being skipped.
    let mut skipping: Option<u64> = None;
    loop {
        // Scan the lines in hand (on another core) while the next chunk is read
        // here: the reader need not be Send, so archive members qualify.
        let mut summary = None;
        let read = rayon::in_place_scope(|s| {
            let ready = &ready;
            let slot = &mut summary;
            s.spawn(move |_| *slot = Some(scan_chunk(ready)));
            fill(&mut reader, &mut buf, chunk)
        });
        total = total.merge(summary.unwrap_or_default());
        ready.clear();
        let eof = match read {
            Ok(n) => n == 0,
            Err(e) => {
                let at = total.bytes + buf.len() as u64;
                result.error = Some(InputError::new(
                    loc.at_offset(at),
                    InputErrorKind::from_io(&e),
                ));
                true
            }
        };
        if let Some(line) = skipping {
            let skip = match memchr(b'\n', &buf) {
                Some(p) => {
                    skipping = None;
                    warn(&mut result, long_line(loc, line, max_line));
                    p + 1
                }
                None => buf.len(),
            };
            total = total.merge(Summary {
                bytes: skip as u64,
                ..Summary::default()
            });
            buf.drain(..skip);
        }
        let cut = if eof {
            buf.len()
        } else if let Some(p) = memrchr(b'\n', &buf) {
            p + 1
        } else if buf.len() >= max_line {
            // No newline within the limit: scan the head of the line, skip its rest.
            skipping = Some(total.lines + 1);
            max_line
        } else {
            0
        };
        ready.extend_from_slice(&buf[..cut]);
        buf.drain(..cut);
        if eof {
            total = total.merge(scan_chunk(&ready));
            if let Some(line) = skipping {
                warn(&mut result, long_line(loc, line, max_line));
            }
            break;
        }
    }
    result.summary = total;
    result
}

fn long_line(loc: &Location, line: u64, max_line: usize) -> String {
    format!("{}: line {line} is longer than {max_line} bytes; only its first {max_line} bytes were read", Location { line: Some(line), ..loc.clone() })
}

fn warn(r: &mut LogResult, w: String) {
    if r.warnings.len() < 20 {
        r.warnings.push(w);
    }
}

#[cfg(test)]
mod tests;
