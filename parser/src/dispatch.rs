//! Dispatch: a piece of content is detected by [`crate::detect`] and read
//! the way its row says: transcoded, decompressed, walked as an archive
//! (each member read here again, one level deeper), or handed to the parser
//! of its format. Each way has its own function that builds the input's report.

use std::io::Read;

use crate::agent::assemble::LogFile;
use crate::agent::{self, LogOptions};
use crate::detect::{self, Format, Handling, Head, HEAD_BYTES};
use crate::error::{InputError, InputErrorKind};
use crate::evidence::Evidence;
use crate::har::{self, HarOptions};
use crate::input::{virtual_path, InputKind, InputReport, LogStats};
use crate::limits::{Budget, Checks, Compressed, Counted, Guard};
use crate::location::Location;
use crate::readbuf::peek;
use crate::walk::{self, Content, Member, Visitor, ZipSource};

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
pub(crate) struct Found {
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

/// The shared state of one read.
pub(crate) struct Run<'a> {
    /// Options.
    pub opts: &'a ReadOptions,
    /// Decompression budget and cancel flag.
    pub budget: &'a Budget,
}

/// A piece of content to read.
pub(crate) struct Item<'r> {
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
    /// Where the content is on disk, when it is a whole local file (lets zip seek and logs map).
    pub disk_path: Option<Disk>,
}

/// A whole local file an input's content also is.
pub(crate) enum Disk {
    /// A file by its path.
    Path(std::path::PathBuf),
    /// An open file without a path to reopen (an unlinked temporary file).
    File(std::sync::Arc<std::fs::File>),
}

fn file_name(loc: &Location) -> String {
    detect::file_name(&virtual_path(loc))
}

/// Reads one item: detects it and reads it as its table row says.
pub(crate) fn read_item(item: Item<'_>, run: &Run) -> Found {
    let name = file_name(&item.loc);
    let (head, reader) = match peek(item.reader, HEAD_BYTES) {
        Ok(x) => x,
        Err(e) => {
            return Found::one(InputReport::failed(
                &item.loc,
                InputKind::Unreadable,
                InputErrorKind::from_io(&e),
            ))
        }
    };
    let format = detect::detect(&Head {
        bytes: &head,
        name: &name,
    });
    let item = Item { reader, ..item };
    match format.handling() {
        Handling::Transcode => read_utf16(item, &head, format, run),
        Handling::Decompress | Handling::Archive if item.depth >= run.budget.limits.max_depth => {
            let kind = if format == Format::Tar {
                InputKind::Tar
            } else {
                InputKind::Zip
            };
            Found::one(InputReport::failed(
                &item.loc,
                kind,
                InputErrorKind::Limit(format!(
                    "archive nested {} levels deep; the limit is {} (max_depth)",
                    item.depth + 1,
                    run.budget.limits.max_depth
                )),
            ))
        }
        Handling::Decompress => read_gzip(item, run),
        Handling::Archive if format == Format::Zip => read_zip(item, run),
        Handling::Archive => read_tar(item, run),
        Handling::Entries => read_har(item, run),
        Handling::Lines => read_log(item, format, run),
        Handling::Document => read_document(item, format),
        Handling::Refused => {
            let what = match format {
                Format::Unsupported(w) => w,
                _ => "this",
            };
            Found::one(InputReport::failed(
                &item.loc,
                InputKind::Unreadable,
                InputErrorKind::Unsupported(format!(
                    "{what}-compressed data is not supported; decompress it first"
                )),
            ))
        }
        Handling::Ignored => unrecognized(item, &head, &name),
        Handling::Listed => {
            let mut rep = InputReport::new(&item.loc, format.kind());
            rep.compression = item.compression;
            Found::one(rep)
        }
    }
}

/// UTF-16 (as Windows PowerShell saves files): transcoded, then read again.
fn read_utf16(item: Item<'_>, head: &[u8], format: Format, run: &Run) -> Found {
    let Format::Utf16(endian) = format else {
        unreachable!("only UTF-16 is transcoded")
    };
    let mut reader = item.reader;
    let mut mark = vec![0u8; crate::utf16::bom_len(head)];
    if let Err(e) = reader.read_exact(&mut mark) {
        return Found::one(InputReport::failed(
            &item.loc,
            InputKind::Unreadable,
            InputErrorKind::from_io(&e),
        ));
    }
    let mut found = read_item(
        Item {
            reader: Box::new(crate::utf16::Utf16ToUtf8::new(reader, endian)),
            // The file on disk holds UTF-16: only the transcoded stream may be read.
            disk_path: None,
            ..item
        },
        run,
    );
    if let Some(first) = found.inputs.first_mut() {
        first.encoding = Some(
            match endian {
                crate::utf16::Endian::Little => "utf-16le",
                crate::utf16::Endian::Big => "utf-16be",
            }
            .into(),
        );
    }
    found
}

fn read_gzip(item: Item<'_>, run: &Run) -> Found {
    let (counted, count) = Counted::new(item.reader);
    // The bufread decoder inflates straight from this buffer; the read one
    // would copy every compressed byte through a second, 32 KiB buffer. The
    // buffer is the thread's, kept from the last stream (a fleet's small
    // .tar.gz bundles each zeroed a fresh 256 KiB one).
    let decoder: Box<dyn Read + '_> = Box::new(flate2::bufread::MultiGzDecoder::new(
        crate::readbuf::Buffered::new(counted, 256 << 10),
    ));
    // A .tar.gz is many members in one stream: the per-member limit
    // then applies to each tar member, not to the whole stream.
    let (inner_head, decoder) = match peek(decoder, 512) {
        Ok(x) => x,
        Err(e) => {
            let mut rep = InputReport::failed(
                &item.loc,
                InputKind::Unreadable,
                InputErrorKind::from_io(&e),
            );
            rep.compression = Some("gzip".into());
            return Found::one(rep);
        }
    };
    let is_tar = detect::detect(&Head {
        bytes: &inner_head,
        name: "",
    }) == Format::Tar;
    let checks = Checks {
        member: !is_tar,
        decompressed: Some(Compressed::Counter(count)),
    };
    let guarded = Guard::new(decoder, checks, run.budget);
    read_item(
        Item {
            loc: item.loc,
            reader: Box::new(guarded),
            explicit: item.explicit,
            depth: item.depth + 1,
            compression: Some("gzip".into()),
            disk_path: None,
        },
        run,
    )
}

/// The location of a member of the archive at `archive`. The name is shown
/// with its control characters escaped: it is data, never a path.
fn member_loc(archive: &Location, name: &str) -> Location {
    let shown: String = name
        .chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect();
    let member = match &archive.member {
        Some(outer) => format!("{outer}!/{shown}"),
        None => shown,
    };
    Location {
        path: archive.path.clone(),
        member: Some(member),
        ..Location::default()
    }
}

/// The reader's visitor: each member is read as an input of its own, one
/// level deeper. Members with unsafe names are read too (their content is
/// in memory, nothing is written anywhere) and say so in a warning.
struct Members<'a, 'o> {
    archive: &'a Location,
    depth: u32,
    run: &'a Run<'o>,
}

impl Visitor for Members<'_, '_> {
    type Output = Found;

    fn member(&self, m: Member<'_>) -> Found {
        let loc = member_loc(self.archive, &m.name);
        let reader = match m.content {
            Content::File(r) => r,
            Content::Link { hard } => {
                let what = if hard { "hard" } else { "symbolic" };
                return Found::one(InputReport::failed(
                    &loc,
                    InputKind::Symlink,
                    InputErrorKind::Member(format!("{what} link member; not followed")),
                ));
            }
            Content::Unreadable(why) => {
                return Found::one(InputReport::failed(
                    &loc,
                    InputKind::Unreadable,
                    InputErrorKind::Member(why),
                ))
            }
        };
        let mut found = read_item(
            Item {
                loc,
                reader,
                explicit: false,
                depth: self.depth + 1,
                compression: None,
                disk_path: None,
            },
            self.run,
        );
        if let (Some(why), Some(first)) = (m.unsafe_name, found.inputs.first_mut()) {
            first.warnings.push(format!(
                "the member's name {why}, so it is never used as a path: the content was read in memory and nothing was written under that name"
            ));
        }
        found
    }
}

fn read_zip(item: Item<'_>, run: &Run) -> Found {
    let mut report = InputReport::new(&item.loc, InputKind::Zip);
    let visitor = Members {
        archive: &item.loc,
        depth: item.depth,
        run,
    };
    let bytes;
    let source = match item.disk_path {
        Some(Disk::Path(path)) => ZipSource::Path(path),
        Some(Disk::File(file)) => ZipSource::File(file),
        None => match walk::zip_bytes(item.reader, run.budget) {
            Ok(b) => {
                bytes = b;
                ZipSource::Bytes(&bytes)
            }
            Err(kind) => {
                report.set_error(InputError::new(item.loc.clone(), kind));
                return Found::one(report);
            }
        },
    };
    let walked = walk::zip(source, run.budget, &visitor);
    archive_found(report, &item.loc, walked)
}

fn read_tar(item: Item<'_>, run: &Run) -> Found {
    let mut report = InputReport::new(&item.loc, InputKind::Tar);
    report.compression = item.compression.clone();
    let visitor = Members {
        archive: &item.loc,
        depth: item.depth,
        run,
    };
    let walked = walk::tar(item.reader, run.budget, &visitor);
    archive_found(report, &item.loc, walked)
}

/// An archive's report (members counted, the walk's error) before its members'.
fn archive_found(mut report: InputReport, loc: &Location, walked: walk::Walked<Found>) -> Found {
    if walked.members > 0 || walked.error.is_none() {
        report.members = Some(walked.members);
    }
    if let Some(kind) = walked.error {
        report.set_error(InputError::new(loc.clone(), kind));
    }
    let mut all = Found::one(report);
    for f in walked.outputs {
        all.extend(f);
    }
    all
}

fn read_har(item: Item<'_>, run: &Run) -> Found {
    let mut rep = InputReport::new(&item.loc, InputKind::Har);
    rep.compression = item.compression;
    let r = har::read_har(item.reader, &item.loc, &run.opts.har);
    if let Some(e) = r.error {
        rep.set_error(e);
    }
    rep.warnings.extend(r.warnings);
    rep.har = Some(r.summary);
    rep.evidence_count = r.evidence.len();
    Found {
        inputs: vec![rep],
        evidence: r.evidence,
        logs: Vec::new(),
    }
}

fn read_log(item: Item<'_>, format: Format, run: &Run) -> Found {
    let mut rep = InputReport::new(&item.loc, format.kind());
    rep.compression = item.compression.clone();
    let mapped = match (&item.disk_path, &item.compression) {
        (Some(Disk::Path(path)), None) => std::fs::File::open(path).ok().and_then(|f| map_file(&f)),
        (Some(Disk::File(file)), None) => map_file(file),
        _ => None,
    };
    let r = match &mapped {
        Some(map) if !run.budget.cancelled() => {
            agent::read_agent_slice(map, &item.loc, &run.opts.log)
        }
        _ => {
            // Streamed logs go through a guard only for the cancel flag.
            let checks = Checks {
                member: false,
                decompressed: None,
            };
            let guarded = Guard::new(item.reader, checks, run.budget);
            agent::read_agent_log(guarded, &item.loc, &run.opts.log)
        }
    };
    if let Some(e) = r.error {
        rep.set_error(e);
    }
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

/// JSON exports and probes: read whole (they are small), within a limit.
fn read_document(item: Item<'_>, format: Format) -> Found {
    let kind = format.kind();
    let mut rep = InputReport::new(&item.loc, kind);
    rep.compression = item.compression;
    let mut bytes = Vec::new();
    let limit = crate::resource::MAX_JSON_BYTES as u64;
    if let Err(e) = item.reader.take(limit + 1).read_to_end(&mut bytes) {
        rep.set_error(InputError::new(
            item.loc.at_offset(bytes.len() as u64),
            InputErrorKind::from_io(&e),
        ));
        return Found::one(rep);
    }
    if bytes.len() as u64 > limit {
        rep.set_error(InputError::new(
            item.loc.clone(),
            InputErrorKind::Limit(format!(
                "document larger than {}; exports and probes are far smaller, so it was not read",
                crate::limits::human(limit)
            )),
        ));
        return Found::one(rep);
    }
    if kind == InputKind::Probe {
        let mut evidence = crate::probe::read_probe(&bytes, &item.loc);
        if evidence.is_empty() {
            evidence = crate::printed::read_printed(&bytes, &item.loc);
        }
        rep.evidence_count = evidence.len();
        return Found {
            inputs: vec![rep],
            evidence,
            logs: Vec::new(),
        };
    }
    let parsed = if format == Format::Yaml {
        crate::resource::yaml_as_json(&bytes)
            .and_then(|json| crate::resource::read_resources(&json, &item.loc))
    } else {
        crate::resource::read_resources(&bytes, &item.loc)
    };
    match parsed {
        Ok(mut r) => {
            if r.evidence.is_empty() {
                // Not a resource: perhaps a saved answer (an IMDS token or error).
                r.evidence.extend(saved_answer(&bytes, &item.loc));
            }
            if r.evidence.is_empty() {
                // Or an answer a program saved as a JSON string (Storage
                // Explorer's details: the XML error, escaped).
                r.evidence
                    .extend(crate::printed::read_printed(&bytes, &item.loc));
            }
            if r.evidence.is_empty() && r.understood == 0 {
                // Saying "ok, 0 evidence" here would read as clean.
                rep.kind = InputKind::UnknownJson;
                rep.warnings.push(not_understood(r.objects));
            }
            rep.evidence_count = r.evidence.len();
            rep.shapes = r.shapes;
            Found {
                inputs: vec![rep],
                evidence: r.evidence,
                logs: Vec::new(),
            }
        }
        Err(msg) => {
            rep.set_error(InputError::new(
                item.loc.clone(),
                InputErrorKind::Syntax(msg),
            ));
            Found::one(rep)
        }
    }
}

/// Why a JSON input gave nothing, in words a support engineer can act on.
fn not_understood(objects: usize) -> String {
    let what = match objects {
        0 => "holds no object".to_string(),
        1 => "holds 1 object".to_string(),
        n => format!("holds {n} objects"),
    };
    format!(
        "JSON not understood: it {what}, none of them a Batch account, pool, node, task, error answer or IMDS answer; nothing was read from it"
    )
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

fn unrecognized(item: Item<'_>, head: &[u8], name: &str) -> Found {
    let mut rep = InputReport::new(&item.loc, InputKind::Unrecognized);
    rep.compression = item.compression;
    // A name that promises a format the content does not have is worth an
    // error even inside a directory: the file was meant to be read.
    let promised = [
        (".zip", "a zip archive"),
        (".tar", "a tar archive"),
        (".tgz", "a tgz archive"),
        (".gz", "a gz archive"),
        (".har", "a HAR capture"),
    ]
    .iter()
    .find(|(ext, _)| name.ends_with(*ext));
    let why = match promised {
        Some((_, what)) => Some(format!(
            "named like {what} but it is not one; it starts with {}",
            describe_head(head)
        )),
        None if item.explicit => Some(format!(
            "expected {}; it starts with {}",
            detect::readable_kinds(),
            describe_head(head)
        )),
        None => None,
    };
    if let Some(why) = why {
        rep.set_error(InputError::new(
            item.loc.at_offset(0),
            InputErrorKind::Unrecognized(why),
        ));
    }
    Found::one(rep)
}

/// Plain local files up to this size are memory-mapped and scanned in place;
/// larger ones are streamed, so resident memory never follows the file size.
const MMAP_MAX_BYTES: u64 = 64 << 20;

/// Maps a local file read-only, or `None` (then the caller streams it).
#[allow(unsafe_code)]
fn map_file(file: &std::fs::File) -> Option<memmap2::Mmap> {
    let len = file.metadata().ok()?.len();
    if len == 0 || len > MMAP_MAX_BYTES {
        return None;
    }
    // SAFETY: the map is read-only and lives only while this file is
    // scanned. If another process truncates the file meanwhile, reads of the
    // lost pages fault (SIGBUS); that is the documented risk of every mmap
    // reader (ripgrep takes the same one) and is accepted for the speed of
    // scanning page-cache pages in place.
    let map = unsafe { memmap2::MmapOptions::new().populate().map(file) }.ok()?;
    Some(map)
}

/// What an unrecognized input starts with, safe to show: hex for binary
/// data; for text, its first characters only when the first line holds
/// nothing that could be part of a credential (no `=`/`:` value, no
/// authorization scheme, no key-like run). The report's redaction layer
/// still filters it, but a secret cut short may no longer look like one, so
/// this check comes first and needs no knowledge of credential formats.
fn describe_head(head: &[u8]) -> String {
    if head.is_empty() {
        return "nothing (it is empty)".into();
    }
    let h = &head[..head.len().min(16)];
    if !h.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        let hex: Vec<String> = h.iter().take(8).map(|b| format!("{b:02x}")).collect();
        return format!("bytes {}", hex.join(" "));
    }
    let line_end = memchr::memchr2(b'\n', b'\r', head).unwrap_or(head.len());
    let line = String::from_utf8_lossy(&head[..line_end.min(512)]);
    if may_hold_credential(&line) {
        return "text that may hold a credential (not shown)".into();
    }
    let shown: String = line.chars().take(16).collect();
    format!("{shown:?}")
}

/// A line that could carry a credential: a value after `=` or `:`, a quoted
/// string, an authorization scheme word, or a run that looks like a key.
fn may_hold_credential(line: &str) -> bool {
    let lower = line.to_ascii_lowercase();
    line.contains(['=', ':', '"', '\'', '&', '?', '@'])
        || [
            "bearer",
            "basic ",
            "sharedkey",
            "token",
            "secret",
            "passw",
            "key",
        ]
        .iter()
        .any(|w| lower.contains(w))
        || looks_like_key_material(line)
}

/// How keys and tokens look, and words, dates and ids do not: a JWT part
/// (`eyJ`), or a run of base64 characters mixing upper and lower case that
/// is long (12) or also holds digits (8), or a long run of letters and digits.
fn looks_like_key_material(s: &str) -> bool {
    s.contains("eyJ")
        || s.split(|c: char| !(c.is_ascii_alphanumeric() || "+/_".contains(c)))
            .any(|run| {
                let mixed = run.chars().any(|c| c.is_ascii_uppercase())
                    && run.chars().any(|c| c.is_ascii_lowercase());
                let digits = run.chars().any(|c| c.is_ascii_digit());
                let letters = run.chars().any(|c| c.is_ascii_alphabetic());
                mixed && (run.len() >= 12 || (run.len() >= 8 && digits))
                    || (run.len() >= 16 && digits && letters)
                    || (run.len() >= 24)
            })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

    pub(crate) fn read_named(name: &str, bytes: &[u8]) -> Found {
        let opts = ReadOptions::default();
        let budget = Budget::new(crate::limits::Limits::default());
        let run = Run {
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
            &run,
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
    fn utf16_without_a_bom_is_read() {
        let text =
            "2024-05-01T10:00:00Z pool not fully joined yet, health=Status.TvmJoinPoolInProgress\n"
                .repeat(3);
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let f = read_named("agent-debug.log", &le);
        assert_eq!(f.inputs[0].kind, InputKind::AgentLog, "{:?}", f.inputs);
        assert_eq!(f.inputs[0].encoding.as_deref(), Some("utf-16le"));
        assert_eq!(f.inputs[0].log.as_ref().map(|l| l.join_reports), Some(3));
    }

    #[test]
    fn utf16_agent_logs_of_windows_nodes_are_read_with_their_bom() {
        // Windows nodes write CRLF; PowerShell's redirection adds a BOM.
        let text = "2024-05-01T10:00:00Z pool not fully joined yet, health=Status.TvmJoinPoolInProgress\r\n"
            .repeat(4);
        let mut le = vec![0xFF, 0xFE];
        le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let mut be = vec![0xFE, 0xFF];
        be.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
        for (bytes, enc) in [(le, "utf-16le"), (be, "utf-16be")] {
            let f = read_named("agent-debug.log", &bytes);
            assert_eq!(f.inputs[0].kind, InputKind::AgentLog, "{:?}", f.inputs);
            assert_eq!(f.inputs[0].encoding.as_deref(), Some(enc));
            assert_eq!(f.inputs[0].log.as_ref().map(|l| l.join_reports), Some(4));
            assert_eq!(f.logs[0].summary.join_count, 4);
        }
    }

    #[test]
    fn json_of_no_known_shape_is_reported_as_not_understood() {
        let f = read_named(
            "jobs.json",
            br#"{"value":[{"id":"job-1","poolInfo":{"poolId":"p"}}]}"#,
        );
        assert_eq!(f.inputs[0].kind, InputKind::UnknownJson);
        assert!(f.inputs[0].error.is_none(), "valid JSON is no read error");
        assert!(
            f.inputs[0].warnings[0].starts_with("JSON not understood: it holds 1 object"),
            "{:?}",
            f.inputs[0].warnings
        );
        // Understood JSON stays `json`.
        let f = read_named("pool.json", br#"{"id":"p","vmSize":"a"}"#);
        assert_eq!(f.inputs[0].kind, InputKind::Json);
        assert!(f.inputs[0].warnings.is_empty());
    }

    #[test]
    fn errors_carry_their_class() {
        let f = read_named("x.xz", b"\xFD7zXZ\x00\x00rest");
        assert_eq!(
            f.inputs[0].error_kind,
            Some(crate::error::ErrorClass::Unsupported)
        );
        let f = read_named("notes.txt", b"hello world");
        assert_eq!(
            f.inputs[0].error_kind,
            Some(crate::error::ErrorClass::Unrecognized)
        );
        assert!(read_named("ok.json", br#"{"a":1}"#).inputs[0]
            .error_kind
            .is_none());
    }

    #[test]
    fn head_description_is_printable() {
        assert_eq!(describe_head(b""), "nothing (it is empty)");
        assert_eq!(describe_head(b"PK\x03\x04\x00"), "bytes 50 4b 03 04 00");
        assert_eq!(describe_head(b"hello"), "\"hello\"");
        assert_eq!(describe_head(b"<!DOCTYPE html>"), "\"<!DOCTYPE html>\"");
        assert_eq!(
            describe_head(b"20220421T164300.123Z start"),
            "\"20220421T164300.\""
        );
        for secret in [
            &b"sig=PLANTEDSAS15abcdefghijklmnop%3D&se=2025"[..],
            b"client_secret=PLANTEDsecretvalue123",
            b"Bearer PLANTEDOPAQUETOKENVALUE0123456789",
            b"EpwUSJ9.eyJhdWQiOiJodHRwczovL3N0b3JhZ2UuYXp1cmUuY29tIn0.PLANTsig",
            b"k3J8vQm2PLANTZa+b/dEfGh1jKlMnOpQrStUvWxYz0123456789AB==",
            b"PLANTEDUPPERCASEKEYMATERIAL0123456789",
            b"Content-Type: PLANTED",
        ] {
            let d = describe_head(secret);
            assert!(
                !d.contains("PLANT") && !d.contains("EpwUSJ9") && !d.contains("k3J8"),
                "{d}"
            );
        }
    }
}

#[cfg(test)]
mod archive_tests;
