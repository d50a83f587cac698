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
mod marker;
pub mod scan;

use std::io::Read;

use memchr::{memchr, memrchr};

use crate::error::{InputError, InputErrorKind};
use crate::location::Location;
use crate::readbuf::fill_slice;
use scan::{scan_chunk_wanting, Summary, Wanted};

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
///
/// Two fixed buffers take turns (and are reused across files on a thread):
/// the whole lines of one are scanned on another core while the next chunk
/// is read into the other, behind the few bytes of the last partial line.
pub fn read_agent_log<R: Read>(mut reader: R, loc: &Location, opts: &LogOptions) -> LogResult {
    let chunk = opts.chunk_bytes.max(1);
    let max_line = opts.max_line_bytes.max(1);
    let cap = chunk + max_line;
    let mut result = LogResult::default();
    let mut total = Summary::default();
    let (mut cur, mut next) = (pool::take(cap), pool::take(cap));
    let mut cur_len = 0usize;
    // Inside a too-long line whose rest is being skipped.
    let mut skipping = false;
    let mut eof = false;
    loop {
        let mut start = 0;
        if skipping {
            start = match memchr(b'\n', &cur[..cur_len]) {
                Some(p) => {
                    skipping = false;
                    p + 1
                }
                None => cur_len,
            };
            total = total.merge(Summary {
                bytes: start as u64,
                ..Summary::default()
            });
        }
        let data = &cur[start..cur_len];
        let (cut, head_of_long_line) = if eof {
            (data.len(), false)
        } else if let Some(p) = memrchr(b'\n', data) {
            (p + 1, false)
        } else if data.len() > max_line {
            // No newline within the limit: scan the head of the line, skip its rest.
            (max_line, true)
        } else {
            (0, false)
        };
        skipping |= head_of_long_line;
        if eof {
            let base = total.bytes;
            let wanted = Wanted::after(&total);
            total = total.merge(scan_chunk_wanting(&data[..cut], base, max_line, wanted));
            break;
        }
        let rem = data.len() - cut;
        next[..rem].copy_from_slice(&data[cut..]);
        let lines = &data[..cut];
        let base = total.bytes;
        let mut summary = None;
        // Names found in an earlier chunk are not searched for again.
        let wanted = Wanted::after(&total);
        // The reader need not be Send (archive members are not): it stays here.
        let read = rayon::in_place_scope(|s| {
            let slot = &mut summary;
            s.spawn(move |_| *slot = Some(scan_chunk_wanting(lines, base, max_line, wanted)));
            fill_slice(&mut reader, &mut next[rem..])
        });
        let mut summary = summary.unwrap_or_default();
        if head_of_long_line {
            // The chunk is the head of one long line: count it as such.
            summary.long_lines += 1;
            summary
                .first_long_line
                .get_or_insert(summary.lines.saturating_sub(1));
        }
        total = total.merge(summary);
        match read {
            Ok(n) => {
                eof = n == 0;
                cur_len = rem + n;
            }
            Err(e) => {
                let at = total.bytes + rem as u64;
                result.error = Some(InputError::new(
                    loc.at_offset(at),
                    InputErrorKind::from_io(&e),
                ));
                eof = true;
                cur_len = rem;
            }
        }
        std::mem::swap(&mut cur, &mut next);
    }
    pool::give(cur);
    pool::give(next);
    finish(total, result, loc, max_line)
}

/// Reads a whole log held in memory (a memory-mapped file): line-aligned
/// chunks are scanned in parallel and merged in order. Gives exactly what
/// [`read_agent_log`] gives for the same bytes.
pub fn read_agent_slice(data: &[u8], loc: &Location, opts: &LogOptions) -> LogResult {
    use rayon::prelude::*;
    let chunk = opts.chunk_bytes.max(1);
    let max_line = opts.max_line_bytes.max(1);
    let mut bounds = vec![0];
    let mut at = 0;
    while at < data.len() {
        let target = (at + chunk).min(data.len());
        let end = memchr(b'\n', &data[target..]).map_or(data.len(), |p| target + p + 1);
        bounds.push(end);
        at = end;
    }
    // The names are searched for in each chunk of the file's head right
    // where its reports are, while its bytes are in cache: a search of
    // its own over the whole head (beside the chunks) read it from memory a
    // second time. A chunk skips a name an earlier chunk has found; merging
    // keeps the earliest anyway, so which chunks skip changes no result.
    let found = names_found::Found::default();
    let total = bounds
        .par_windows(2)
        .enumerate()
        .map(|(k, w)| {
            let (chunk, base) = (&data[w[0]..w[1]], w[0] as u64);
            // The first chunk looks before its reports: a file that names
            // both on its first line tells the other chunks at once.
            let early = (k == 0).then(|| found.search(k, chunk, base, max_line));
            let s = scan_chunk_wanting(chunk, base, max_line, Wanted::NONE);
            let (node, pool) = early.unwrap_or_else(|| found.search(k, chunk, base, max_line));
            Summary { node, pool, ..s }
        })
        .collect::<Vec<_>>()
        .into_iter()
        .fold(Summary::default(), Summary::merge);
    finish(total, LogResult::default(), loc, max_line)
}

fn finish(total: Summary, mut result: LogResult, loc: &Location, max_line: usize) -> LogResult {
    if let Some(first) = total.first_long_line {
        let at = Location {
            line: Some(first + 1),
            ..loc.clone()
        };
        warn(
            &mut result,
            format!(
                "{at}: {} line{} longer than {max_line} bytes, this one first; only the first {max_line} bytes of each were read",
                total.long_lines,
                if total.long_lines == 1 { " is" } else { "s are" }
            ),
        );
    }
    result.summary = total;
    result
}

/// Which chunks of a file being scanned in parallel have found its names.
mod names_found {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::scan::{names, Wanted};

    /// The index of the first chunk known to hold each name.
    #[derive(Debug)]
    pub struct Found {
        node: AtomicUsize,
        pool: AtomicUsize,
    }

    impl Default for Found {
        fn default() -> Self {
            Found {
                node: AtomicUsize::new(usize::MAX),
                pool: AtomicUsize::new(usize::MAX),
            }
        }
    }

    impl Found {
        /// The names chunk `k` (starting `base` bytes into the file) holds,
        /// of those no earlier chunk has been seen to hold.
        pub fn search(
            &self,
            k: usize,
            chunk: &[u8],
            base: u64,
            max_line: usize,
        ) -> (Option<String>, Option<String>) {
            let wanted = Wanted {
                node: self.node.load(Ordering::Relaxed) > k,
                pool: self.pool.load(Ordering::Relaxed) > k,
            };
            let (node, pool) = names(chunk, base, max_line, wanted);
            if node.is_some() {
                self.node.fetch_min(k, Ordering::Relaxed);
            }
            if pool.is_some() {
                self.pool.fetch_min(k, Ordering::Relaxed);
            }
            (node, pool)
        }
    }
}

/// Scan buffers, reused by the files a thread reads one after another.
mod pool {
    use std::cell::RefCell;

    thread_local! {
        static FREE: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
    }

    /// A zeroed buffer of at least `cap` bytes.
    pub fn take(cap: usize) -> Vec<u8> {
        FREE.with(|f| f.borrow_mut().pop())
            .filter(|b| b.len() >= cap)
            .unwrap_or_else(|| vec![0; cap])
    }

    /// Returns a buffer for the next file (two per thread are kept).
    pub fn give(b: Vec<u8>) {
        FREE.with(|f| {
            let mut f = f.borrow_mut();
            if f.len() < 2 {
                f.push(b);
            }
        });
    }
}

fn warn(r: &mut LogResult, w: String) {
    if r.warnings.len() < 20 {
        r.warnings.push(w);
    }
}

#[cfg(test)]
mod tests;
