//! Scanning a chunk of whole lines into a [`Summary`].
//!
//! One search over the whole chunk finds the health markers
//! ([`super::marker`]); lines are counted between them, and only the few
//! reports a chunk cites are cut out and parsed. Summaries
//! of consecutive chunks [`merge`](Summary::merge) into the summary of the
//! whole file, and those of rotated files into the summary of a node, so
//! chunks can be scanned in parallel and in any grouping.

use memchr::{memchr, memrchr};

use super::marker::{Markers, NameKeys};
use super::line::{field_value, find_timestamp, health_status, status_len, HEALTH_MARKER};

pub use super::line::JOIN_IN_PROGRESS;

/// Pool and node names are looked for only this far into each file: the
/// agent writes them when it starts, and a bounded search keeps the one
/// full pass over the data the health search.
pub const NAME_WINDOW: u64 = 4 << 20;

/// A health report found in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthPoint {
    /// Status name after `health=Status.`.
    pub status: String,
    /// Unix milliseconds, when the line had a timestamp.
    pub time: Option<i64>,
    /// Line index from the start of the summarized span (0-based).
    pub line: u64,
    /// Byte offset of the line from the start of the summarized span.
    pub offset: u64,
    /// Which file of a node's logs the line is in (set by [`Summary::in_file`]).
    pub file: usize,
}

/// What a span of a log (a chunk, a file, a node's files) holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Lines in the span.
    pub lines: u64,
    /// Bytes in the span.
    pub bytes: u64,
    /// The first timestamp of the span.
    pub first_time: Option<i64>,
    /// The last timestamp of the span.
    pub last_time: Option<i64>,
    /// `health=Status.TvmJoinPoolInProgress` reports.
    pub join_count: u64,
    /// The first of them.
    pub join_first: Option<HealthPoint>,
    /// The last of them.
    pub join_last: Option<HealthPoint>,
    /// The first other health report after the last join report: the loop ended there.
    pub ended_by: Option<HealthPoint>,
    /// The first other health report in the span.
    pub first_other: Option<HealthPoint>,
    /// The last health report of any status.
    pub last_health: Option<HealthPoint>,
    /// Node id named in the content (`TVMName`).
    pub node: Option<String>,
    /// Pool id named in the content (`PoolName`).
    pub pool: Option<String>,
    /// Lines longer than the line limit: only their head was read.
    pub long_lines: u64,
    /// The first of them (line index from the start of the span).
    pub first_long_line: Option<u64>,
}

fn shift(p: &Option<HealthPoint>, lines: u64, bytes: u64) -> Option<HealthPoint> {
    p.as_ref().map(|h| HealthPoint {
        line: h.line + lines,
        offset: h.offset + bytes,
        ..h.clone()
    })
}

impl Summary {
    /// The summary of `self` followed by `next`, the next bytes of the same input.
    pub fn merge(self, next: Summary) -> Summary {
        let (l, b) = (self.lines, self.bytes);
        self.join(next, l, b)
    }

    /// The summary of `self` followed by `next`, another file (a later
    /// rotation): positions in `next` stay relative to its own file.
    pub fn then_file(self, next: Summary) -> Summary {
        self.join(next, 0, 0)
    }

    /// Tags every position with the index of the file it is in.
    pub fn in_file(mut self, file: usize) -> Summary {
        for p in [
            &mut self.join_first,
            &mut self.join_last,
            &mut self.ended_by,
            &mut self.first_other,
            &mut self.last_health,
        ]
        .into_iter()
        .flatten()
        {
            p.file = file;
        }
        self
    }

    fn join(self, next: Summary, l: u64, b: u64) -> Summary {
        let (total_l, total_b) = (self.lines + next.lines, self.bytes + next.bytes);
        let next_first_other = shift(&next.first_other, l, b);
        let ended_by = if next.join_count > 0 {
            shift(&next.ended_by, l, b)
        } else if self.join_count > 0 {
            self.ended_by.clone().or(next_first_other.clone())
        } else {
            None
        };
        Summary {
            lines: total_l,
            bytes: total_b,
            first_time: self.first_time.or(next.first_time),
            last_time: next.last_time.or(self.last_time),
            join_count: self.join_count + next.join_count,
            join_first: self
                .join_first
                .clone()
                .or_else(|| shift(&next.join_first, l, b)),
            join_last: shift(&next.join_last, l, b).or(self.join_last.clone()),
            ended_by,
            first_other: self.first_other.clone().or(next_first_other),
            last_health: shift(&next.last_health, l, b).or(self.last_health.clone()),
            node: self.node.or(next.node),
            pool: self.pool.or(next.pool),
            long_lines: self.long_lines + next.long_lines,
            first_long_line: self.first_long_line.or(next.first_long_line.map(|n| n + l)),
        }
    }
}

/// Newlines in `s`.
fn count_lines(s: &[u8]) -> u64 {
    bytecount::count(s, b'\n') as u64
}

/// The part of a line that is read: its first `max_line` bytes, without a trailing CR.
fn line_head(line: &[u8], max_line: usize) -> &[u8] {
    trim_cr(&line[..line.len().min(max_line)])
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Where the line holding position `at` ends (its newline, or the chunk's end).
fn line_end(chunk: &[u8], at: usize) -> usize {
    // A report's status usually ends its line: a look at the next byte or
    // two spares a search call per report.
    match chunk.get(at..at + 2) {
        Some([b'\n', _]) => at,
        Some([b'\r', b'\n']) => at + 1,
        _ => memchr(b'\n', &chunk[at..]).map_or(chunk.len(), |p| at + p),
    }
}

/// The bounds of the line around position `at`.
fn line_around(chunk: &[u8], at: usize) -> (usize, usize) {
    let start = memrchr(b'\n', &chunk[..at]).map_or(0, |p| p + 1);
    let end = memchr(b'\n', &chunk[at..]).map_or(chunk.len(), |p| at + p);
    (start, end)
}

/// The value of `key` on the first line that has one, within the first `limit` bytes.
#[cfg(test)]
fn first_name(chunk: &[u8], key: &[u8], limit: usize, max_line: usize) -> Option<String> {
    let finder = memchr::memmem::Finder::new(key);
    let mut from = 0;
    while let Some(k) = finder.find(&chunk[from..limit]) {
        let at = from + k;
        let (start, end) = line_around(chunk, at);
        from = end.min(limit);
        if at + key.len() - start <= max_line {
            if let Some(v) = field_value(&chunk[start..end.min(start + max_line)], key) {
                return Some(String::from_utf8_lossy(v).into_owned());
            }
        }
        if from >= limit {
            break;
        }
    }
    None
}

/// A health report within a chunk, before it is parsed: only where its
/// marker is and which line it is on. The line's bounds are found only for
/// the few reports a chunk cites.
#[derive(Debug, Clone, Copy)]
struct Hit {
    /// Where the marker starts (the first one on its line).
    at: usize,
    /// Line index within the chunk.
    line: u64,
}

impl Hit {
    fn point(self, chunk: &[u8], max_line: usize) -> Option<HealthPoint> {
        let (start, end) = line_around(chunk, self.at);
        let line = trim_cr(&chunk[start..end.min(start + max_line)]);
        Some(HealthPoint {
            status: String::from_utf8_lossy(health_status(line)?).into_owned(),
            time: find_timestamp(line),
            line: self.line,
            offset: start as u64,
            file: 0,
        })
    }
}

/// The reports a chunk cites, as positions.
#[derive(Debug, Default)]
struct Hits {
    join_first: Option<Hit>,
    join_last: Option<Hit>,
    ended_by: Option<Hit>,
    first_other: Option<Hit>,
    last_health: Option<Hit>,
}

/// Which names a scan still looks for: the first chunk that finds one
/// settles it for the file, so later chunks need not search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wanted {
    /// Look for the node id (`TVMName`).
    pub node: bool,
    /// Look for the pool id (`PoolName`).
    pub pool: bool,
}

impl Wanted {
    /// Both names.
    pub const BOTH: Wanted = Wanted {
        node: true,
        pool: true,
    };
    /// Neither name.
    pub const NONE: Wanted = Wanted {
        node: false,
        pool: false,
    };

    /// The names a file whose chunks so far are summarized in `s` still lacks.
    pub fn after(s: &Summary) -> Wanted {
        Wanted {
            node: s.node.is_none(),
            pool: s.pool.is_none(),
        }
    }
}

/// Summarizes `chunk`, which holds whole lines (the last may lack its newline
/// only at the end of the input or when it was cut for length) and starts
/// `base` bytes into its file. Only the first `max_line` bytes of a line are
/// read: a marker further in is not seen, and the line is counted in
/// [`Summary::long_lines`].
pub fn scan_chunk(chunk: &[u8], base: u64, max_line: usize) -> Summary {
    scan_chunk_wanting(chunk, base, max_line, Wanted::BOTH)
}

/// [`scan_chunk`], looking only for the names in `wanted` (the others stay `None`).
pub fn scan_chunk_wanting(chunk: &[u8], base: u64, max_line: usize, wanted: Wanted) -> Summary {
    let mut s = scan_reports(chunk, max_line);
    let (node, pool) = names(chunk, base, max_line, wanted);
    s.node = node;
    s.pool = pool;
    s
}

/// The node and pool ids a chunk starting `base` bytes into its file names
/// within the file's first [`NAME_WINDOW`] bytes, for the names `wanted`.
pub fn names(
    chunk: &[u8],
    base: u64,
    max_line: usize,
    wanted: Wanted,
) -> (Option<String>, Option<String>) {
    if base >= NAME_WINDOW || wanted == Wanted::NONE {
        return (None, None);
    }
    let limit = chunk.len().min((NAME_WINDOW - base) as usize);
    first_names(chunk, limit, max_line, wanted)
}

/// What [`first_name`] finds for `TVMName` and for `PoolName` (those
/// `wanted`), in one pass over the window instead of one per key: both end
/// in `Name`. Half the files of an upload name neither, and each of them
/// cost two searches of its whole window.
fn first_names(
    chunk: &[u8],
    limit: usize,
    max_line: usize,
    wanted: Wanted,
) -> (Option<String>, Option<String>) {
    const SUFFIX: &[u8] = b"Name";
    struct Key {
        key: &'static [u8],
        want: bool,
        found: Option<String>,
        // Where first_name's next search would start: past the last line tried.
        from: usize,
    }
    let mut keys = [
        Key {
            key: b"TVMName",
            want: wanted.node,
            found: None,
            from: 0,
        },
        Key {
            key: b"PoolName",
            want: wanted.pool,
            found: None,
            from: 0,
        },
    ];
    // Settled before the first hit, and after each: the search must stop
    // at the hit that settles the last name, not at the next "Name" (the
    // file's usual one occurrence of each made that a pass over the whole
    // window for nothing).
    let settled = |keys: &[Key; 2]| keys.iter().all(|k| !k.want || k.found.is_some());
    if settled(&keys) {
        return (None, None);
    }
    let mut probe = NameKeys::new(&chunk[..limit], wanted.node, wanted.pool);
    let mut next = 0;
    while let Some(n) = probe.find(next) {
        next = n + 1;
        for k in keys.iter_mut().filter(|k| k.want && k.found.is_none()) {
            let prefix = k.key.len() - SUFFIX.len();
            let Some(at) = n.checked_sub(prefix) else {
                continue;
            };
            if at < k.from || chunk[at..n] != k.key[..prefix] {
                continue;
            }
            let (start, end) = line_around(chunk, at);
            k.from = end.min(limit);
            if at + k.key.len() - start <= max_line {
                if let Some(v) = field_value(&chunk[start..end.min(start + max_line)], k.key) {
                    k.found = Some(String::from_utf8_lossy(v).into_owned());
                }
            }
        }
        if settled(&keys) {
            break;
        }
    }
    let [node, pool] = keys;
    (node.found, pool.found)
}

/// Everything of [`scan_chunk`] but the names.
fn scan_reports(chunk: &[u8], max_line: usize) -> Summary {
    let mut s = Summary {
        bytes: chunk.len() as u64,
        ..Summary::default()
    };
    // Most chunks hold thousands of reports but cite at most five: reports
    // are kept as marker positions, and only the cited ones are parsed
    // (line bounds, time, name). Per report there is one newline count over
    // the bytes since the last one, a compare of its status and a search for
    // its line's end, so a second marker on the line is not counted.
    let mut hits = Hits::default();
    let mut line_no = 0u64;
    let mut counted_to = 0usize;
    let mut markers = Markers::new(chunk);
    // Each search starts where the last report's line ends: a second marker
    // on a line is never looked at.
    while let Some(at) = markers.find(counted_to) {
        // `counted_to` is where a line starts and no newline lies between the
        // marker's line start and the marker: counting to the marker counts
        // the lines before its line.
        line_no += count_lines(&chunk[counted_to..at]);
        let name_at = at + HEALTH_MARKER.len();
        let name_end = name_at + status_len(&chunk[name_at..]);
        let end = line_end(chunk, name_end);
        let status = if name_end - counted_to <= max_line {
            // The line starts at or after `counted_to`: the whole name is
            // within the part of the line that is read.
            Some(&chunk[name_at..name_end]).filter(|n| !n.is_empty())
        } else {
            // A long line (or a long way from the last report): where the
            // line starts decides what is read.
            let start = memrchr(b'\n', &chunk[counted_to..at]).map_or(counted_to, |p| counted_to + p + 1);
            if at + HEALTH_MARKER.len() - start <= max_line {
                health_status(&chunk[at..end.min(start + max_line)])
            } else {
                None
            }
        };
        if let Some(status) = status {
            let hit = Hit { at, line: line_no };
            if status == JOIN_IN_PROGRESS {
                s.join_count += 1;
                hits.join_first.get_or_insert(hit);
                hits.join_last = Some(hit);
                hits.ended_by = None;
            } else {
                hits.first_other.get_or_insert(hit);
                if s.join_count > 0 && hits.ended_by.is_none() {
                    hits.ended_by = Some(hit);
                }
            }
            hits.last_health = Some(hit);
        }
        // Move past this line without counting it twice.
        if end < chunk.len() {
            line_no += 1;
            counted_to = end + 1;
        } else {
            counted_to = chunk.len();
            // The chunk ends inside this (unterminated) line: the tail rule below counts it.
        }
    }
    let point = |h: Option<Hit>| h.and_then(|h| h.point(chunk, max_line));
    s.join_first = point(hits.join_first);
    s.join_last = point(hits.join_last);
    s.ended_by = point(hits.ended_by);
    s.first_other = point(hits.first_other);
    s.last_health = point(hits.last_health);
    line_no += count_lines(&chunk[counted_to..]);
    // A line longer than `max_line` contains a whole aligned window of half
    // that size without a newline: probing a few windows finds every long
    // line without walking all lines.
    let w = (max_line / 2).max(1);
    let mut k = 0;
    while k + w <= chunk.len() {
        if memchr(b'\n', &chunk[k..k + w]).is_some() {
            k += w;
            continue;
        }
        let start = memrchr(b'\n', &chunk[..k]).map_or(0, |p| p + 1);
        let end = memchr(b'\n', &chunk[k + w..]).map_or(chunk.len(), |p| k + w + p);
        if end - start > max_line {
            s.long_lines += 1;
            if s.first_long_line.is_none() {
                s.first_long_line = Some(count_lines(&chunk[..start]));
            }
        }
        k = end + 1;
    }
    if chunk.last().is_some_and(|&b| b != b'\n') {
        line_no += 1;
    }
    s.lines = line_no;
    // The first and last lines that carry a timestamp, wherever they are, so
    // that the result does not depend on how the input was cut.
    // Like every other read, only the first `max_line` bytes of a line count.
    // A timestamp starts with a digit, so lines without one are skipped in
    // blocks: a file of blank or digit-free lines (a decompression bomb of
    // newlines is 47 M of them) costs a pass over its bytes, not a call per line.
    s.first_time = first_time(chunk, max_line);
    s.last_time = last_time(chunk, max_line);
    s
}

/// Bytes tested at once for a digit; the fold over a block is vectorized.
const DIGIT_BLOCK: usize = 64;

fn has_digit(block: &[u8]) -> bool {
    block.iter().fold(false, |any, b| any | b.is_ascii_digit())
}

/// The position of the first ASCII digit in `s`.
fn first_digit(s: &[u8]) -> Option<usize> {
    let mut at = 0;
    for block in s.chunks(DIGIT_BLOCK) {
        if has_digit(block) {
            return block.iter().position(u8::is_ascii_digit).map(|p| at + p);
        }
        at += block.len();
    }
    None
}

/// The position of the last ASCII digit in `s`.
fn last_digit(s: &[u8]) -> Option<usize> {
    let mut end = s.len();
    for block in s.rchunks(DIGIT_BLOCK) {
        end -= block.len();
        if has_digit(block) {
            return block.iter().rposition(u8::is_ascii_digit).map(|p| end + p);
        }
    }
    None
}

/// The timestamp of the first line that has one (only its first `max_line` bytes read).
fn first_time(chunk: &[u8], max_line: usize) -> Option<i64> {
    let mut from = 0;
    while let Some(d) = first_digit(&chunk[from..]) {
        let (start, end) = line_around(chunk, from + d);
        if let Some(t) = find_timestamp(line_head(&chunk[start..end], max_line)) {
            return Some(t);
        }
        from = end + 1;
        if from >= chunk.len() {
            break;
        }
    }
    None
}

/// The timestamp of the last line that has one (only its first `max_line` bytes read).
fn last_time(chunk: &[u8], max_line: usize) -> Option<i64> {
    let mut to = chunk.len();
    while let Some(d) = last_digit(&chunk[..to]) {
        let (start, end) = line_around(chunk, d);
        if let Some(t) = find_timestamp(line_head(&chunk[start..end], max_line)) {
            return Some(t);
        }
        if start == 0 {
            break;
        }
        to = start - 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use memchr::memchr_iter;

    fn log(lines: &[&str]) -> Vec<u8> {
        lines
            .iter()
            .flat_map(|l| format!("{l}\n").into_bytes())
            .collect()
    }

    const JOIN: &str = "pool not fully joined yet, health=Status.TvmJoinPoolInProgress";

    fn sample() -> Vec<u8> {
        log(&[
            r#"2024-05-01T10:00:00.000Z INFO start {"TVMName":"tvm-1_2-x","PoolName":"pool-a"}"#,
            &format!("2024-05-01T10:00:05.000Z INFO join_pool: {JOIN}"),
            "2024-05-01T10:00:06.000Z DEBUG nothing to see",
            &format!("2024-05-01T10:00:10.000Z INFO join_pool: {JOIN}\r"),
            "2024-05-01T10:00:11.000Z INFO health=Status.Ok",
            &format!("2024-05-01T10:00:15.000Z INFO join_pool: {JOIN}"),
            "2024-05-01T10:00:20.000Z INFO health=Status.Ok",
            "2024-05-01T10:00:30.000Z INFO the end",
        ])
    }

    #[test]
    fn summarizes_a_chunk() {
        let s = scan_chunk(&sample(), 0, 1 << 20);
        assert_eq!(s.lines, 8);
        assert_eq!(s.join_count, 3);
        assert_eq!(s.join_first.as_ref().unwrap().line, 1);
        assert_eq!(s.join_last.as_ref().unwrap().line, 5);
        let end = s.ended_by.as_ref().unwrap();
        assert_eq!((end.line, end.status.as_str()), (6, "Ok"));
        assert_eq!(s.first_other.as_ref().unwrap().line, 4);
        assert_eq!(s.node.as_deref(), Some("tvm-1_2-x"));
        assert_eq!(s.pool.as_deref(), Some("pool-a"));
        assert_eq!(s.first_time, Some(1_714_557_600_000));
        assert_eq!(s.last_time, Some(1_714_557_630_000));
    }

    #[test]
    fn merging_any_split_equals_the_whole() {
        let data = sample();
        let whole = scan_chunk(&data, 0, 1 << 20);
        let cuts: Vec<usize> = memchr_iter(b'\n', &data).map(|p| p + 1).collect();
        for &a in &cuts {
            for &b in cuts.iter().filter(|&&b| b >= a) {
                let merged = scan_chunk(&data[..a], 0, 1 << 20)
                    .merge(scan_chunk(&data[a..b], 0, 1 << 20))
                    .merge(scan_chunk(&data[b..], 0, 1 << 20));
                assert_eq!(merged, whole, "cuts {a} {b}");
            }
        }
    }

    #[test]
    fn an_unended_loop_has_no_end() {
        let s = scan_chunk(
            &log(&[
                "x health=Status.Ok",
                &format!("2024-05-01T10:00:00Z {JOIN}"),
                &format!("2024-05-01T10:30:00Z {JOIN}"),
            ]),
            0,
            1 << 20,
        );
        assert_eq!(s.join_count, 2);
        assert_eq!(s.ended_by, None);
        assert_eq!(s.join_last.unwrap().time, Some(1_714_559_400_000));
    }

    /// The per-line reference the block skipping must agree with.
    fn times_line_by_line(chunk: &[u8], max_line: usize) -> (Option<i64>, Option<i64>) {
        let body = chunk.strip_suffix(b"\n").unwrap_or(chunk);
        let read = |l: &[u8]| find_timestamp(line_head(l, max_line));
        (
            chunk.split(|&b| b == b'\n').find_map(read),
            body.rsplit(|&b| b == b'\n').find_map(read),
        )
    }

    #[test]
    fn first_and_last_time_skip_lines_without_digits() {
        let t = "2024-05-01T10:00:05.000Z";
        let mut cases: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"\n\n\n".to_vec(),
            b"no digits here\nnor here\n".to_vec(),
            format!("{t} only line").into_bytes(),
            format!("\n\n{t} a\nx 42 not a time\n\n").into_bytes(),
            format!("7\n{t} a\n9\r\n{}\n", t.replace("05.000", "09.000")).into_bytes(),
            // The timestamp past the window, and past max_line: not read either way.
            format!("{} {t}\n", "1 ".repeat(60)).into_bytes(),
            format!("{}{t}\n{t}", "x".repeat(30)).into_bytes(),
        ];
        // A block boundary inside the digit run and the line.
        cases.push(format!("{}\n{t}\n{}", "\n".repeat(63), "\n".repeat(65)).into_bytes());
        for chunk in &cases {
            for max_line in [16, 40, 1 << 20] {
                assert_eq!(
                    (first_time(chunk, max_line), last_time(chunk, max_line)),
                    times_line_by_line(chunk, max_line),
                    "{:?} max_line {max_line}",
                    String::from_utf8_lossy(chunk)
                );
            }
        }
        assert_eq!(
            first_time(&cases[4], 1 << 20),
            Some(1_714_557_605_000),
            "a case that finds one"
        );
    }

    proptest::proptest! {
        #[test]
        fn block_skipping_equals_line_by_line(
            pieces in proptest::collection::vec(proptest::prop_oneof![
                proptest::prelude::Just("2024-05-01T10:00:05.000Z".to_string()),
                proptest::prelude::Just("20240501T100005Z".to_string()),
                "[0-9TZ:. \r\n-]{0,12}",
                "[a-z \n]{0,80}",
            ], 0..40),
            max_line in 1usize..120,
        ) {
            let chunk = pieces.concat().into_bytes();
            proptest::prop_assert_eq!(
                (first_time(&chunk, max_line), last_time(&chunk, max_line)),
                times_line_by_line(&chunk, max_line)
            );
        }
    }

    /// The per-line reference the report search must agree with: every
    /// line's first marker, when it and a status name lie within the line's
    /// first `max_line` bytes.
    fn reports_line_by_line(chunk: &[u8], max_line: usize) -> Vec<(u64, u64, String)> {
        let body = chunk.strip_suffix(b"\n").unwrap_or(chunk);
        let mut offset = 0u64;
        let mut out = Vec::new();
        if chunk.is_empty() {
            return out;
        }
        for (i, line) in body.split(|&b| b == b'\n').enumerate() {
            let head = &line[..line.len().min(max_line)];
            if let Some(status) = health_status(head) {
                out.push((i as u64, offset, String::from_utf8_lossy(status).into_owned()));
            }
            offset += line.len() as u64 + 1;
        }
        out
    }

    fn at(p: &Option<HealthPoint>) -> Option<(u64, u64, String)> {
        p.as_ref().map(|p| (p.line, p.offset, p.status.clone()))
    }

    proptest::proptest! {
        #[test]
        fn reports_equal_line_by_line(
            pieces in proptest::collection::vec(proptest::prop_oneof![
                proptest::prelude::Just("health=Status.TvmJoinPoolInProgress".to_string()),
                proptest::prelude::Just("health=Status.TvmJoinPoolInProgressX".to_string()),
                proptest::prelude::Just("health=Status.Ok".to_string()),
                proptest::prelude::Just("health=Status.".to_string()),
                "[a-zA-Z_ \r\n.=]{0,30}",
                "\n{1,3}",
            ], 0..30),
            max_line in 1usize..80,
        ) {
            let chunk = pieces.concat().into_bytes();
            let s = scan_chunk(&chunk, 0, max_line);
            let all = reports_line_by_line(&chunk, max_line);
            let joins: Vec<_> = all.iter().filter(|r| r.2 == "TvmJoinPoolInProgress").cloned().collect();
            let others: Vec<_> = all.iter().filter(|r| r.2 != "TvmJoinPoolInProgress").cloned().collect();
            let ended_by = joins.last().and_then(|j| others.iter().find(|o| o.0 > j.0)).cloned();
            proptest::prop_assert_eq!(s.join_count, joins.len() as u64);
            proptest::prop_assert_eq!(at(&s.join_first), joins.first().cloned());
            proptest::prop_assert_eq!(at(&s.join_last), joins.last().cloned());
            proptest::prop_assert_eq!(at(&s.first_other), others.first().cloned());
            proptest::prop_assert_eq!(at(&s.ended_by), ended_by);
            proptest::prop_assert_eq!(at(&s.last_health), all.last().cloned());
            let newlines = chunk.iter().filter(|&&b| b == b'\n').count() as u64;
            proptest::prop_assert_eq!(s.lines, newlines + u64::from(chunk.last().is_some_and(|&b| b != b'\n')));
        }
    }

    proptest::proptest! {
        #[test]
        fn one_pass_names_equal_a_search_per_key(
            pieces in proptest::collection::vec(proptest::prop_oneof![
                proptest::prelude::Just("\"TVMName\":\"tvm-1\"".to_string()),
                proptest::prelude::Just("'PoolName': 'p-2'".to_string()),
                proptest::prelude::Just("PoolName=p3 TVMName=n3".to_string()),
                proptest::prelude::Just("TVMName\"\"".to_string()),
                proptest::prelude::Just("xPoolNameName".to_string()),
                // Enough V and P to make the key probe fall back.
                "[VP]{1,40}",
                "[a-zA-Z:='\" ]{0,12}",
                "\n{1,2}",
            ], 0..24),
            limit_cut in 0usize..400,
            max_line in 1usize..90,
            node in proptest::prelude::any::<bool>(),
            pool in proptest::prelude::any::<bool>(),
        ) {
            let chunk = pieces.concat().into_bytes();
            let limit = chunk.len().min(limit_cut);
            let per_key = (
                node.then(|| first_name(&chunk, b"TVMName", limit, max_line)).flatten(),
                pool.then(|| first_name(&chunk, b"PoolName", limit, max_line)).flatten(),
            );
            proptest::prop_assert_eq!(first_names(&chunk, limit, max_line, Wanted { node, pool }), per_key);
        }
    }

    #[test]
    fn partial_last_line_and_empty() {
        assert_eq!(scan_chunk(b"a\nb", 0, 8).lines, 2);
        assert_eq!(scan_chunk(b"", 0, 8).lines, 0);
        assert_eq!(scan_chunk(b"\n\n", 0, 8).lines, 2);
        let s = scan_chunk(b"short\nthis line is long health=Status.Ok\nok\n", 0, 20);
        assert_eq!(
            (s.long_lines, s.first_long_line, s.first_other),
            (1, Some(1), None)
        );
    }
}
