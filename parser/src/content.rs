//! Content detection and dispatch: whatever a source or archive member
//! holds is recognized by its first bytes (and its name only as a hint) and
//! handed to the parser of that format; archives and compressed streams
//! recurse back here for each member, up to a nesting limit.

use std::io::{self, Read};

use serde::{Deserialize, Serialize};

use crate::agent::assemble::LogFile;
use crate::agent::{self, LogOptions};
use crate::archive;
use crate::error::{InputError, InputErrorKind};
use crate::evidence::Evidence;
use crate::har::{self, HarOptions, HarSummary};
use crate::limits::{Budget, Checks, Compressed, Counted, Guard};
use crate::location::Location;

/// What kind of input something turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum InputKind {
    /// A HAR capture.
    Har,
    /// A node-agent log (`agent-debug.log` and its rotations).
    AgentLog,
    /// Another timestamped text log; scanned for the same markers.
    Log,
    /// Resource JSON: Batch account, pool, node or task exports.
    Json,
    /// A hand-made probe: `curl -v` transcript, raw HTTP response or Storage error body.
    Probe,
    /// A zip archive (its members are listed as inputs of their own).
    Zip,
    /// A tar archive (its members are listed as inputs of their own).
    Tar,
    /// A file batchdiag does not read; listed so nothing is silently ignored.
    Unrecognized,
    /// A symbolic link (in a directory or an archive); not followed.
    Symlink,
    /// A source that could not be opened or a member that was not read.
    Unreadable,
}

/// Log statistics of a log input.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogStats {
    /// Lines read.
    pub lines: u64,
    /// Bytes read (after decompression).
    pub bytes: u64,
    /// `health=Status.TvmJoinPoolInProgress` reports.
    pub join_reports: u64,
    /// Node named in the content.
    #[serde(default)]
    pub node: Option<String>,
    /// Pool named in the content.
    #[serde(default)]
    pub pool: Option<String>,
}

/// One input and what reading it gave, besides evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputReport {
    /// The path as named or found; inside archives the virtual path `archive!/member`; `-` for stdin.
    pub path: String,
    /// Detected kind.
    pub kind: InputKind,
    /// `gzip` when the input was compressed.
    #[serde(default)]
    pub compression: Option<String>,
    /// `utf-16le` / `utf-16be` when the input was UTF-16 (transcoded before reading); null for UTF-8.
    #[serde(default)]
    pub encoding: Option<String>,
    /// Null when the input was read completely; otherwise what stopped it, with its location.
    pub error: Option<String>,
    /// Problems that lost no evidence.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// HAR counts, for HAR inputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub har: Option<HarSummary>,
    /// Log counts, for log inputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<LogStats>,
    /// Members, for archives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members: Option<u64>,
    /// Number of evidence items this input gave (join loops are counted on the node's first file).
    #[serde(default)]
    pub evidence_count: usize,
}

impl InputReport {
    /// A report for `loc` of this kind, with nothing found yet.
    pub fn new(loc: &Location, kind: InputKind) -> Self {
        InputReport {
            path: virtual_path(loc),
            kind,
            compression: None,
            encoding: None,
            error: None,
            warnings: Vec::new(),
            har: None,
            log: None,
            members: None,
            evidence_count: 0,
        }
    }

    /// A report for something that could not be read at all.
    pub fn failed(loc: &Location, kind: InputKind, error: InputErrorKind) -> Self {
        let mut r = InputReport::new(loc, kind);
        r.error = Some(InputError::new(loc.clone(), error).to_string());
        r
    }
}

/// `path` or `path!/member`.
pub fn virtual_path(loc: &Location) -> String {
    match &loc.member {
        Some(m) => format!("{}!/{m}", loc.path),
        None => loc.path.clone(),
    }
}

/// Options for reading content.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Decompression and nesting limits.
    pub limits: crate::limits::Limits,
    /// HAR limits.
    pub har: HarOptions,
    /// Log buffer sizes.
    pub log: LogOptions,
}

/// Everything found in some content.
#[derive(Debug, Default)]
pub struct Found {
    /// One report per input (archives first, then their members).
    pub inputs: Vec<InputReport>,
    /// Evidence, in input order.
    pub evidence: Vec<Evidence>,
    /// Log files, joined per node at the end.
    pub logs: Vec<LogFile>,
}

impl Found {
    /// Appends another result.
    pub fn extend(&mut self, other: Found) {
        self.inputs.extend(other.inputs);
        self.evidence.extend(other.evidence);
        self.logs.extend(other.logs);
    }

    fn one(report: InputReport) -> Found {
        Found {
            inputs: vec![report],
            ..Found::default()
        }
    }
}

/// The shared state of one run.
pub struct Ctx<'a> {
    /// Options.
    pub opts: &'a ReadOptions,
    /// Decompression budget.
    pub budget: &'a Budget,
}

/// A piece of content to read.
pub struct Item<'r> {
    /// Where it is.
    pub loc: Location,
    /// Its bytes.
    pub reader: Box<dyn Read + 'r>,
    /// Named by the user (not found in a directory or archive).
    pub explicit: bool,
    /// How many archives it is inside.
    pub depth: u32,
    /// The compression already removed around it, if any.
    pub compression: Option<String>,
    /// A path on disk, when the content is a whole local file (lets zip seek).
    pub disk_path: Option<std::path::PathBuf>,
}

/// What the first bytes (and the name) say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sniffed {
    Gzip,
    Zip,
    Tar,
    Har,
    Json,
    Probe,
    AgentLog,
    Log,
    Unsupported(&'static str),
    Unrecognized,
}

const HEAD: usize = 4096;

fn file_name(loc: &Location) -> String {
    let p = virtual_path(loc);
    p.rsplit(['/', '\\'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

pub(crate) fn sniff(head: &[u8], name: &str) -> Sniffed {
    if head.starts_with(&[0x1f, 0x8b]) {
        return Sniffed::Gzip;
    }
    if head.starts_with(b"PK\x03\x04")
        || head.starts_with(b"PK\x05\x06")
        || head.starts_with(b"PK\x07\x08")
    {
        return Sniffed::Zip;
    }
    if head.get(257..262) == Some(b"ustar") {
        return Sniffed::Tar;
    }
    for (magic, what) in [
        (&b"BZh"[..], "bzip2"),
        (b"\xFD7zXZ\x00", "xz"),
        (b"\x28\xB5\x2F\xFD", "zstd"),
        (b"7z\xBC\xAF\x27\x1C", "7-Zip"),
        (b"Rar!\x1A\x07", "RAR"),
    ] {
        if head.starts_with(magic) {
            return Sniffed::Unsupported(what);
        }
    }
    // A file named .har is read as one, so that a damaged capture gets the HAR parser's error.
    if looks_like_har(head) || name.ends_with(".har") {
        return Sniffed::Har;
    }
    let text = looks_textual(head);
    let json_start = matches!(first_non_ws(head), Some(b'{') | Some(b'['));
    if json_start && (name.ends_with(".json") || !name.contains(".log")) {
        return Sniffed::Json;
    }
    if text && crate::probe::looks_like_probe(head) {
        return Sniffed::Probe;
    }
    let named_agent = name.starts_with("agent") && name.contains(".log");
    if named_agent && text {
        return Sniffed::AgentLog;
    }
    if text && memchr::memmem::find(head, crate::agent::line::HEALTH_MARKER).is_some() {
        return Sniffed::AgentLog;
    }
    if text
        && head
            .split(|&b| b == b'\n')
            .next()
            .and_then(agent::line::find_timestamp)
            .is_some()
    {
        return Sniffed::Log;
    }
    Sniffed::Unrecognized
}

/// A response body saved on its own (`curl ... > token.json`): an IMDS
/// token or error, read as an exchange whose request is unknown.
fn saved_answer(bytes: &[u8], loc: &Location) -> Option<Evidence> {
    let body = bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(bytes)
        .trim_ascii();
    let x = crate::http::Exchange {
        body: Some(body),
        ..crate::http::Exchange::default()
    };
    crate::http::interpret(&x).map(|fact| Evidence {
        source: loc.clone(),
        time: None,
        fact,
    })
}

/// Text, as logs are: NUL bytes are ignored (a node that lost power leaves
/// runs of them in its logs), and few other control bytes remain.
pub(crate) fn looks_textual(head: &[u8]) -> bool {
    let mut content = 0usize;
    let mut control = 0usize;
    for &b in head {
        match b {
            0 => {}
            b'\t' | b'\n' | b'\r' | 0x0c | 0x1b => content += 1,
            0x01..=0x1f | 0x7f => {
                content += 1;
                control += 1;
            }
            _ => content += 1,
        }
    }
    control * 20 <= content
}

/// `head` without a UTF-8 BOM and leading white space.
fn skip_bom_ws(head: &[u8]) -> &[u8] {
    let h = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = h
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(h.len());
    &h[start..]
}

fn first_non_ws(head: &[u8]) -> Option<u8> {
    skip_bom_ws(head).first().copied()
}

/// A HAR document opens with `{` and its first key is `"log"`.
pub fn looks_like_har(head: &[u8]) -> bool {
    let Some(rest) = skip_bom_ws(head).strip_prefix(b"{") else {
        return false;
    };
    skip_bom_ws(rest).starts_with(b"\"log\"")
}

/// Reads up to `n` bytes without losing them: returns them and a reader that
/// yields them again followed by the rest.
pub(crate) fn peek<'r>(
    mut r: Box<dyn Read + 'r>,
    n: usize,
) -> io::Result<(Vec<u8>, Box<dyn Read + 'r>)> {
    let mut head = vec![0u8; n];
    let mut got = 0;
    while got < n {
        match r.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            // What was read is still content: its parser reads it and then
            // meets the error where it happened (a cut .gz keeps its lines).
            Err(e) if got > 0 => {
                head.truncate(got);
                return Ok((head.clone(), Box::new(Replay::new(head, Some(e)))));
            }
            Err(e) => return Err(e),
        }
    }
    head.truncate(got);
    let again = io::Cursor::new(head.clone()).chain(r);
    Ok((head, Box::new(again)))
}

/// Bytes already read, then the error that stopped the read, if one did:
/// reading it gives what reading the source would have, up to that error.
pub(crate) struct Replay {
    bytes: io::Cursor<Vec<u8>>,
    error: Option<io::Error>,
}

impl Replay {
    pub(crate) fn new(bytes: Vec<u8>, error: Option<io::Error>) -> Replay {
        Replay {
            bytes: io::Cursor::new(bytes),
            error,
        }
    }
}

impl Read for Replay {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.bytes.read(buf)?;
        match &self.error {
            // The error repeats, as the source's would: readers that fill a
            // buffer return the bytes first and expect to meet it again.
            Some(e) if n == 0 && !buf.is_empty() => Err(match crate::limits::limit_of(e) {
                Some(limit) => io::Error::other(limit.clone()),
                None => io::Error::new(e.kind(), e.to_string()),
            }),
            _ => Ok(n),
        }
    }
}

/// Turns a read error into the input error kind it stands for.
pub(crate) fn error_kind(e: &io::Error) -> InputErrorKind {
    InputErrorKind::from_io(e)
}

/// Reads one item: detects it and runs its parser, recursing into archives.
pub fn read_item(item: Item<'_>, ctx: &Ctx) -> Found {
    let name = file_name(&item.loc);
    let (head, reader) = match peek(item.reader, HEAD) {
        Ok(x) => x,
        Err(e) => {
            return Found::one(InputReport::failed(
                &item.loc,
                InputKind::Unreadable,
                error_kind(&e),
            ))
        }
    };
    if let Some(endian) = crate::utf16::bom(&head) {
        // UTF-16 (as Windows PowerShell saves files): transcode and look again.
        let mut reader = reader;
        let mut mark = [0u8; 2];
        if let Err(e) = reader.read_exact(&mut mark) {
            return Found::one(InputReport::failed(
                &item.loc,
                InputKind::Unreadable,
                error_kind(&e),
            ));
        }
        let mut found = read_item(
            Item {
                reader: Box::new(crate::utf16::Utf16ToUtf8::new(reader, endian)),
                ..item
            },
            ctx,
        );
        if let Some(first) = found.inputs.first_mut() {
            first.encoding = Some(
                if endian == crate::utf16::Endian::Little {
                    "utf-16le"
                } else {
                    "utf-16be"
                }
                .into(),
            );
        }
        return found;
    }
    let kind = sniff(&head, &name);
    let nested_ok = item.depth < ctx.budget.limits.max_depth;
    match kind {
        Sniffed::Gzip | Sniffed::Zip | Sniffed::Tar if !nested_ok => {
            let kind = if kind == Sniffed::Tar {
                InputKind::Tar
            } else {
                InputKind::Zip
            };
            Found::one(InputReport::failed(
                &item.loc,
                kind,
                InputErrorKind::Limit(format!(
                    "archive nested {} levels deep; the limit is {} (--max-depth)",
                    item.depth + 1,
                    ctx.budget.limits.max_depth
                )),
            ))
        }
        Sniffed::Gzip => {
            let (counted, count) = Counted::new(reader);
            let decoder: Box<dyn Read + '_> = Box::new(flate2::read::MultiGzDecoder::new(
                io::BufReader::with_capacity(256 << 10, counted),
            ));
            // A .tar.gz is many members in one stream: the per-member limit
            // then applies to each tar member, not to the whole stream.
            let (inner_head, decoder) = match peek(decoder, 512) {
                Ok(x) => x,
                Err(e) => {
                    let mut rep =
                        InputReport::failed(&item.loc, InputKind::Unreadable, error_kind(&e));
                    rep.compression = Some("gzip".into());
                    return Found::one(rep);
                }
            };
            let is_tar = sniff(&inner_head, "") == Sniffed::Tar;
            let checks = Checks {
                member: !is_tar,
                decompressed: Some(Compressed::Counter(count)),
            };
            let guarded = Guard::new(decoder, checks, ctx.budget);
            read_item(
                Item {
                    loc: item.loc,
                    reader: Box::new(guarded),
                    explicit: item.explicit,
                    depth: item.depth + 1,
                    compression: Some("gzip".into()),
                    disk_path: None,
                },
                ctx,
            )
        }
        Sniffed::Zip => archive::read_zip(item.loc, reader, item.disk_path, item.depth, ctx),
        Sniffed::Tar => archive::read_tar(item.loc, reader, item.compression, item.depth, ctx),
        Sniffed::Har => {
            let mut rep = InputReport::new(&item.loc, InputKind::Har);
            rep.compression = item.compression;
            let r = har::read_har(reader, &item.loc, &ctx.opts.har);
            rep.error = r.error.map(|e| e.to_string());
            rep.warnings.extend(r.warnings);
            rep.har = Some(r.summary);
            rep.evidence_count = r.evidence.len();
            Found {
                inputs: vec![rep],
                evidence: r.evidence,
                logs: Vec::new(),
            }
        }
        Sniffed::AgentLog | Sniffed::Log => {
            let kind = if kind == Sniffed::AgentLog {
                InputKind::AgentLog
            } else {
                InputKind::Log
            };
            let mut rep = InputReport::new(&item.loc, kind);
            rep.compression = item.compression.clone();
            let mapped = match (&item.disk_path, &item.compression) {
                (Some(path), None) => map_file(path),
                _ => None,
            };
            let r = match &mapped {
                Some(map) => agent::read_agent_slice(map, &item.loc, &ctx.opts.log),
                None => agent::read_agent_log(reader, &item.loc, &ctx.opts.log),
            };
            rep.error = r.error.map(|e| e.to_string());
            rep.warnings.extend(r.warnings);
            let s = &r.summary;
            rep.log = Some(LogStats {
                lines: s.lines,
                bytes: s.bytes,
                join_reports: s.join_count,
                node: s.node.clone(),
                pool: s.pool.clone(),
            });
            Found {
                inputs: vec![rep],
                evidence: Vec::new(),
                logs: vec![LogFile {
                    location: item.loc,
                    summary: r.summary,
                }],
            }
        }
        Sniffed::Json | Sniffed::Probe => {
            let kind = if kind == Sniffed::Json {
                InputKind::Json
            } else {
                InputKind::Probe
            };
            let mut rep = InputReport::new(&item.loc, kind);
            rep.compression = item.compression;
            let mut bytes = Vec::new();
            let limit = crate::resource::MAX_JSON_BYTES as u64;
            if let Err(e) = reader.take(limit + 1).read_to_end(&mut bytes) {
                rep.error = Some(
                    InputError::new(item.loc.at_offset(bytes.len() as u64), error_kind(&e))
                        .to_string(),
                );
                return Found::one(rep);
            }
            if bytes.len() as u64 > limit {
                rep.error = Some(
                    InputError::new(
                        item.loc.clone(),
                        InputErrorKind::Limit(format!(
                            "document larger than {}; exports and probes are far smaller, so it was not read",
                            crate::limits::human(limit)
                        )),
                    )
                    .to_string(),
                );
                return Found::one(rep);
            }
            if kind == InputKind::Probe {
                let evidence = crate::probe::read_probe(&bytes, &item.loc);
                rep.evidence_count = evidence.len();
                return Found {
                    inputs: vec![rep],
                    evidence,
                    logs: Vec::new(),
                };
            }
            match crate::resource::read_resources(&bytes, &item.loc) {
                Ok(mut r) => {
                    if r.evidence.is_empty() {
                        // Not a resource: perhaps a saved answer (an IMDS token or error).
                        r.evidence.extend(saved_answer(&bytes, &item.loc));
                    }
                    rep.evidence_count = r.evidence.len();
                    rep.members = None;
                    Found {
                        inputs: vec![rep],
                        evidence: r.evidence,
                        logs: Vec::new(),
                    }
                }
                Err(msg) => {
                    rep.error = Some(
                        InputError::new(item.loc.clone(), InputErrorKind::Syntax(msg)).to_string(),
                    );
                    Found::one(rep)
                }
            }
        }
        Sniffed::Unsupported(what) => Found::one(InputReport::failed(
            &item.loc,
            InputKind::Unreadable,
            InputErrorKind::Unrecognized(format!(
                "{what}-compressed data is not supported; decompress it first"
            )),
        )),
        Sniffed::Unrecognized => {
            let mut rep = InputReport::new(&item.loc, InputKind::Unrecognized);
            rep.compression = item.compression;
            let archive_name = [".zip", ".tar", ".tgz", ".gz"]
                .iter()
                .find(|ext| name.ends_with(*ext));
            if let Some(ext) = archive_name {
                rep.error = Some(
                    InputError::new(
                        item.loc.at_offset(0),
                        InputErrorKind::Unrecognized(format!(
                            "named like a {} archive but it is not one; it starts with {}",
                            &ext[1..],
                            describe_head(&head)
                        )),
                    )
                    .to_string(),
                );
            } else if item.explicit {
                rep.error = Some(
                    InputError::new(
                        item.loc.at_offset(0),
                        InputErrorKind::Unrecognized(format!(
                            "expected a HAR capture, a node-agent log or an archive of them; it starts with {}",
                            describe_head(&head)
                        )),
                    )
                    .to_string(),
                );
            }
            Found::one(rep)
        }
    }
}

/// Plain local files up to this size are memory-mapped and scanned in place;
/// larger ones are streamed, so resident memory never follows the file size.
const MMAP_MAX_BYTES: u64 = 64 << 20;

/// Maps a local file read-only, or `None` (then the caller streams it).
#[allow(unsafe_code)]
fn map_file(path: &std::path::Path) -> Option<memmap2::Mmap> {
    let file = std::fs::File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    if len == 0 || len > MMAP_MAX_BYTES {
        return None;
    }
    // SAFETY: the map is read-only and lives only while this file is
    // scanned. If another process truncates the file meanwhile, reads of the
    // lost pages fault (SIGBUS); that is the documented risk of every mmap
    // reader (ripgrep takes the same one) and is accepted for the speed of
    // scanning page-cache pages in place.
    let map = unsafe { memmap2::MmapOptions::new().populate().map(&file) }.ok()?;
    Some(map)
}

fn describe_head(head: &[u8]) -> String {
    let h = &head[..head.len().min(16)];
    if h.is_empty() {
        return "nothing (it is empty)".into();
    }
    if h.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        // Redact the whole first line before cutting it: a secret cut in
        // half no longer looks like one, and its first characters would show.
        let line_end = memchr::memchr2(b'\n', b'\r', head).unwrap_or(head.len());
        let line = String::from_utf8_lossy(&head[..line_end]);
        let clean: String = crate::secrets::redact_str(&line).chars().take(16).collect();
        if looks_like_key_material(&clean) {
            // A fragment of a token or key no pattern names (the middle of
            // a JWT, a bare account key): not shown even in part.
            return "text that looks like a key or token (not shown)".into();
        }
        format!("{clean:?}")
    } else {
        let hex: Vec<String> = h.iter().take(8).map(|b| format!("{b:02x}")).collect();
        format!("bytes {}", hex.join(" "))
    }
}

/// How keys and tokens look, and words, dates and ids do not: a JWT part
/// (`eyJ`), or a run of base64 characters mixing upper and lower case that
/// is long (12) or also holds digits (8). A long camel-case word is hidden
/// too; a preview can afford that.
fn looks_like_key_material(s: &str) -> bool {
    s.contains("eyJ")
        || s.split(|c: char| !(c.is_ascii_alphanumeric() || "+/_".contains(c)))
            .any(|run| {
                let mixed = run.chars().any(|c| c.is_ascii_uppercase())
                    && run.chars().any(|c| c.is_ascii_lowercase());
                let digits = run.chars().any(|c| c.is_ascii_digit());
                mixed && (run.len() >= 12 || (run.len() >= 8 && digits))
            })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_content_first() {
        assert_eq!(sniff(b"\x1f\x8b\x08\x00", "x.har"), Sniffed::Gzip);
        assert_eq!(sniff(b"PK\x03\x04rest", "logs.bin"), Sniffed::Zip);
        let mut tar = vec![0u8; 512];
        tar[257..262].copy_from_slice(b"ustar");
        assert_eq!(sniff(&tar, "whatever"), Sniffed::Tar);
        assert_eq!(sniff(b"{\"log\":{}}", "capture.json"), Sniffed::Har);
        assert_eq!(
            sniff(b"20220421T164300.123Z hello\n", "agent-debug.log.1"),
            Sniffed::AgentLog
        );
        assert_eq!(
            sniff(b"2022-04-21 16:43:00,123 hello\n", "other.txt"),
            Sniffed::Log
        );
        assert_eq!(sniff(b"x health=Status.Ok\n", "node7"), Sniffed::AgentLog);
        // NUL runs (a node that lost power) do not make a log binary.
        let mut nul_first = vec![0u8; 512];
        nul_first
            .extend_from_slice(b"20220421T164300.123Z x health=Status.TvmJoinPoolInProgress\n");
        assert_eq!(sniff(&nul_first, "agent-debug.log"), Sniffed::AgentLog);
        assert_eq!(sniff(&nul_first, "node7"), Sniffed::AgentLog);
        let mut nul_line = b"2022-04-21 16:43:00,123 a\n".to_vec();
        nul_line.extend_from_slice(&[0; 40]);
        assert_eq!(sniff(&nul_line, "agent-debug.log.1"), Sniffed::AgentLog);
        // Binary data is still binary.
        let binary: Vec<u8> = (0u8..=255).cycle().take(4096).collect();
        assert_eq!(sniff(&binary, "agent-debug.log"), Sniffed::Unrecognized);
        assert_eq!(
            sniff(b"\xFD7zXZ\x00\x00", "a.tar.xz"),
            Sniffed::Unsupported("xz")
        );
        assert_eq!(sniff(b"hello world\n", "notes.txt"), Sniffed::Unrecognized);
        assert_eq!(sniff(b"\x00\x01\x02", "random.har"), Sniffed::Har);
    }

    #[test]
    fn har_detection_by_content() {
        assert!(looks_like_har(b"\xEF\xBB\xBF{\n  \"log\": {"));
        assert!(looks_like_har(b"{\"log\":{}}"));
        assert!(!looks_like_har(b"{\"value\":[]}"));
        assert!(!looks_like_har(b"PK\x03\x04"));
    }

    fn read_named(name: &str, bytes: &[u8]) -> Found {
        let opts = ReadOptions::default();
        let budget = Budget::new(crate::limits::Limits::default());
        let ctx = Ctx {
            opts: &opts,
            budget: &budget,
        };
        read_item(
            Item {
                loc: Location::file(name),
                reader: Box::new(io::Cursor::new(bytes.to_vec())),
                explicit: true,
                depth: 0,
                compression: None,
                disk_path: None,
            },
            &ctx,
        )
    }

    #[test]
    fn saved_imds_answers_are_evidence() {
        let err = br#"{"error": "invalid_request", "error_description": "Multiple user assigned identities exist, please specify the clientId / resourceId of the identity in the token request"}"#;
        let f = read_named("imds-response.json", err);
        assert_eq!(f.inputs[0].kind, InputKind::Json);
        assert!(
            matches!(&f.evidence[..], [e] if matches!(&e.fact, crate::evidence::Fact::ImdsToken(t) if t.error.as_deref() == Some("invalid_request"))),
            "{:?}",
            f.evidence
        );
        let token = br#"{"access_token":"eyJ0eXAiOiJKV1QifQ.eyJvaWQiOiJvMSJ9.c2ln","client_id":"c1","expires_in":"86399","resource":"https://storage.azure.com/","token_type":"Bearer"}"#;
        let f = read_named("imds-token.json", token);
        assert_eq!(f.evidence.len(), 1, "{:?}", f.inputs);
        // Other JSON is still nothing.
        assert!(read_named("x.json", br#"{"a":1}"#).evidence.is_empty());
    }

    #[test]
    fn a_log_that_starts_with_nul_bytes_is_still_read() {
        let mut log = vec![0u8; 512];
        for i in 0..40 {
            log.extend_from_slice(
                format!("2024-05-01T10:{i:02}:00.000Z pool not fully joined yet, health=Status.TvmJoinPoolInProgress\n").as_bytes(),
            );
        }
        let f = read_named("agent-debug.log", &log);
        assert_eq!(f.inputs[0].kind, InputKind::AgentLog, "{:?}", f.inputs);
        assert_eq!(f.logs.len(), 1);
    }

    #[test]
    fn head_description_is_printable() {
        assert_eq!(describe_head(b""), "nothing (it is empty)");
        assert_eq!(describe_head(b"PK\x03\x04\x00"), "bytes 50 4b 03 04 00");
        assert_eq!(describe_head(b"hello"), "\"hello\"");
        assert_eq!(
            describe_head(b"20220421T164300.123Z start"),
            "\"20220421T164300.\""
        );
        assert_eq!(describe_head(b"Content-Type: x"), "\"Content-Type: x\"");
        for secret in [
            &b"sig=PLANTEDSAS15abcdefghijklmnop%3D&se=2025"[..],
            b"client_secret=PLANTEDsecretvalue123",
            b"Bearer PLANTEDOPAQUETOKENVALUE0123456789",
            b"EpwUSJ9.eyJhdWQiOiJodHRwczovL3N0b3JhZ2UuYXp1cmUuY29tIn0.PLANTsig",
            b"k3J8vQm2PLANTZa+b/dEfGh1jKlMnOpQrStUvWxYz0123456789AB==",
        ] {
            let d = describe_head(secret);
            assert!(
                !d.contains("PLANT") && !d.contains("EpwUSJ9") && !d.contains("k3J8"),
                "{d}"
            );
        }
    }
}
