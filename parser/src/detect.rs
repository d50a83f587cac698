//! The one detection table: what a file or member is, how that is
//! recognized, and how it is read. The analyzer's reader and the `redact`
//! copier both ask [`detect`], so they never disagree about what something is.
//!
//! Content decides; the name is only a hint where content alone cannot
//! (a damaged capture named `.har` still gets the HAR parser's error, a
//! text file named `agent-debug.log` is a log even before its first health
//! report). Rows are tried in order; the first that recognizes the head wins.

use crate::input::InputKind;
use crate::utf16::Endian;

/// What a piece of content is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// UTF-16 text (with or without a byte-order mark): transcoded, then detected again.
    Utf16(Endian),
    /// A gzip stream (`.gz`, `.tgz`, a rotated log).
    Gzip,
    /// A zip archive.
    Zip,
    /// A tar archive.
    Tar,
    /// A HAR capture.
    Har,
    /// Resource JSON (accounts, pools, nodes, tasks) or a saved JSON answer.
    Json,
    /// A probe transcript (`curl -v`, a raw HTTP response, a Storage XML error).
    Probe,
    /// Resource YAML, as `az ... -o yaml` prints it: read as the same resource JSON.
    Yaml,
    /// A node-agent log.
    AgentLog,
    /// Another timestamped text log.
    Log,
    /// A report batchdiag wrote (text, JSON, JSON Lines or Markdown).
    Report,
    /// A compressed or archive format batchdiag does not read (bzip2, xz, zstd, 7-Zip, RAR).
    Unsupported(&'static str),
    /// Nothing batchdiag reads.
    Unrecognized,
}

/// How content of a format is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handling {
    /// Decoded into text, then detected again.
    Transcode,
    /// A compressed stream: inflated, then detected again.
    Decompress,
    /// A container of members, each detected on its own.
    Archive,
    /// Streamed entry by entry (HAR).
    Entries,
    /// Streamed line by line (logs).
    Lines,
    /// Read whole, within a size limit (JSON, probes).
    Document,
    /// Named as unsupported.
    Refused,
    /// Listed, not read.
    Ignored,
    /// Recognized, listed as what it is, not read.
    Listed,
}

/// The first bytes of some content and its file name (lowercase), which
/// detection looks at.
#[derive(Debug, Clone, Copy)]
pub struct Head<'a> {
    /// Up to [`HEAD_BYTES`] bytes from the start.
    pub bytes: &'a [u8],
    /// The file name (last path component), lowercase.
    pub name: &'a str,
}

/// The name a [`Head`] carries for `path`: its last component (after `/`
/// or `\`), lowercase.
pub fn file_name(path: &str) -> String {
    path.rsplit(['/', '\\'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// How many bytes of the head detection reads.
pub const HEAD_BYTES: usize = 4096;

/// One row of the table.
pub struct Detector {
    /// What it detects.
    pub format: Format,
    /// How it is recognized, in words (shown by the "not recognized" message and the docs).
    pub recognized_by: &'static str,
    recognize: fn(&Head) -> Option<Format>,
}

impl Format {
    /// The input kind a report lists for this format.
    pub fn kind(self) -> InputKind {
        match self {
            Format::Har => InputKind::Har,
            Format::AgentLog => InputKind::AgentLog,
            Format::Log => InputKind::Log,
            Format::Json | Format::Yaml => InputKind::Json,
            Format::Probe => InputKind::Probe,
            Format::Report => InputKind::Report,
            Format::Zip => InputKind::Zip,
            Format::Tar => InputKind::Tar,
            Format::Unsupported(_) => InputKind::Unreadable,
            Format::Utf16(_) | Format::Gzip | Format::Unrecognized => InputKind::Unrecognized,
        }
    }

    /// How content of this format is read.
    pub fn handling(self) -> Handling {
        match self {
            Format::Utf16(_) => Handling::Transcode,
            Format::Gzip => Handling::Decompress,
            Format::Zip | Format::Tar => Handling::Archive,
            Format::Har => Handling::Entries,
            Format::AgentLog | Format::Log => Handling::Lines,
            Format::Json | Format::Yaml | Format::Probe => Handling::Document,
            Format::Unsupported(_) => Handling::Refused,
            Format::Unrecognized => Handling::Ignored,
            Format::Report => Handling::Listed,
        }
    }
}

/// The table, in the order rows are tried.
pub static TABLE: &[Detector] = &[
    Detector {
        format: Format::Gzip,
        recognized_by: "the gzip magic bytes 1f 8b",
        recognize: |h| h.bytes.starts_with(&[0x1f, 0x8b]).then_some(Format::Gzip),
    },
    Detector {
        format: Format::Zip,
        recognized_by: "a zip local header or end-of-directory record (PK)",
        recognize: |h| {
            (h.bytes.starts_with(b"PK\x03\x04")
                || h.bytes.starts_with(b"PK\x05\x06")
                || h.bytes.starts_with(b"PK\x07\x08"))
            .then_some(Format::Zip)
        },
    },
    Detector {
        format: Format::Tar,
        recognized_by: "the ustar magic at byte 257",
        recognize: |h| (h.bytes.get(257..262) == Some(b"ustar")).then_some(Format::Tar),
    },
    Detector {
        format: Format::Unsupported(""),
        recognized_by: "the magic bytes of bzip2, xz, zstd, 7-Zip or RAR",
        recognize: |h| {
            [
                (&b"BZh"[..], "bzip2"),
                (b"\xFD7zXZ\x00", "xz"),
                (b"\x28\xB5\x2F\xFD", "zstd"),
                (b"7z\xBC\xAF\x27\x1C", "7-Zip"),
                (b"Rar!\x1A\x07", "RAR"),
            ]
            .iter()
            .find(|(magic, _)| h.bytes.starts_with(magic))
            .map(|(_, what)| Format::Unsupported(what))
        },
    },
    Detector {
        format: Format::Utf16(Endian::Little),
        recognized_by: "a UTF-16 byte-order mark, or text with every other byte zero",
        recognize: |h| crate::utf16::sniff(h.bytes).map(Format::Utf16),
    },
    Detector {
        format: Format::Report,
        recognized_by: "batchdiag's own text, JSON or Markdown report (its first lines)",
        recognize: |h| looks_like_own_report(h.bytes).then_some(Format::Report),
    },
    Detector {
        format: Format::Har,
        recognized_by:
            "a JSON object whose first key is \"log\" (or a name ending .har on JSON-like text)",
        recognize: |h| {
            let named = h.name.ends_with(".har") && starts_like_json_text(h.bytes);
            (looks_like_har(h.bytes) || named).then_some(Format::Har)
        },
    },
    Detector {
        format: Format::Json,
        recognized_by: "text starting with { or [",
        recognize: |h| {
            let json_start = matches!(first_non_ws(h.bytes), Some(b'{') | Some(b'['));
            (json_start && (h.name.ends_with(".json") || !h.name.contains(".log")))
                .then_some(Format::Json)
        },
    },
    // Agent logs are most of a bundle's files: recognized by their name or
    // marker before the costlier probe shapes are tried (measured: the
    // probe row first cost ~25% of a log directory's time).
    Detector {
        format: Format::AgentLog,
        recognized_by: "text named agent*.log*, or text with a health=Status. report",
        recognize: |h| {
            let named = h.name.starts_with("agent") && h.name.contains(".log");
            let marker = memchr::memmem::find(h.bytes, crate::agent::line::HEALTH_MARKER).is_some();
            ((named || marker) && looks_textual(h.bytes)).then_some(Format::AgentLog)
        },
    },
    Detector {
        format: Format::Probe,
        recognized_by:
            "curl -v request lines, a curl command and its output, an HTTP status line with headers, a Storage <Error> body, or an answer as PowerShell, .NET or Node.js print it",
        recognize: |h| {
            (looks_textual(h.bytes)
                && (crate::probe::looks_like_probe(h.bytes)
                    || crate::printed::looks_like_printed(h.bytes)))
            .then_some(Format::Probe)
        },
    },
    Detector {
        format: Format::Log,
        recognized_by: "text whose first line starts with a timestamp",
        recognize: |h| {
            let stamped = h
                .bytes
                .split(|&b| b == b'\n')
                .next()
                .and_then(crate::agent::line::find_timestamp)
                .is_some();
            // A YAML node list opens with a node id, which holds a time
            // (`- affinityId: TVM:tvm-..._1-20240611t180000z`).
            (stamped && looks_textual(h.bytes) && !looks_like_yaml(h.bytes))
                .then_some(Format::Log)
        },
    },
    Detector {
        format: Format::Yaml,
        recognized_by: "text of YAML mappings (`key: value` lines, or a `- key: value` list), as az -o yaml prints it",
        recognize: |h| (looks_textual(h.bytes) && looks_like_yaml(h.bytes)).then_some(Format::Yaml),
    },
];

/// `az -o yaml` output: the first meaningful line is a mapping key (or a
/// list item of one), and most top-level lines are `key: ...` or `- ...`.
/// Prose, logs and `Name : value` lists (PowerShell) are not.
fn looks_like_yaml(head: &[u8]) -> bool {
    let t = String::from_utf8_lossy(head);
    let lines: Vec<&str> = t
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#') && *l != "---")
        .collect();
    let key = |l: &str| {
        let l = l.strip_prefix("- ").unwrap_or(l);
        l.split_once(':').is_some_and(|(k, rest)| {
            !k.is_empty()
                && k.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-.$@".contains(c))
                && (rest.is_empty() || rest.starts_with(' '))
        })
    };
    let Some(first) = lines.first() else {
        return false;
    };
    let top: Vec<&&str> = lines.iter().filter(|l| !l.starts_with(' ')).collect();
    // PyYAML (which az uses) writes a key's sequence unindented: `- item`
    // lines at the top level are structure too.
    let keyed = top.iter().filter(|l| key(l) || l.starts_with("- ")).count();
    key(first) && lines.len() >= 3 && keyed * 10 >= top.len() * 9
}

/// What `head` is: the first row of [`TABLE`] that recognizes it.
pub fn detect(head: &Head) -> Format {
    TABLE
        .iter()
        .find_map(|d| (d.recognize)(head))
        .unwrap_or(Format::Unrecognized)
}

/// A report batchdiag wrote: a JSON report opens with its schema version
/// and the tool's name, Markdown with its title, text with a diagnosis
/// heading (`BD101 slug [confirmed]`) or its no-diagnosis line, under a
/// bundle heading with `--each`. Saved into the bundle folder (as the README
/// suggests for case notes), it must not be read as a log of its own.
fn looks_like_own_report(head: &[u8]) -> bool {
    let h = skip_bom_ws(head);
    if h.starts_with(b"{") {
        let compact: Vec<u8> = h
            .iter()
            .take(200)
            .copied()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        return compact.starts_with(br#"{"schema_version":"#)
            && memchr::memmem::find(&compact, br#""tool":{"name":"batchdiag""#).is_some();
    }
    if h.starts_with(b"# batchdiag report") {
        return true;
    }
    let mut lines = h
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let first = lines.next().unwrap_or_default();
    let opens = |l: &[u8]| {
        l.starts_with(b"No diagnosis. Nothing in the inputs shows")
            || l.starts_with(b"Nothing could be analysed: ")
            || is_diagnosis_heading(l)
    };
    if opens(first) {
        return true;
    }
    // `--each`: a bundle name, a rule of `=`, then the report.
    let second = lines.next().unwrap_or_default();
    second.len() >= 8 && second.iter().all(|&b| b == b'=') && lines.next().is_some_and(opens)
}

/// `BD101 autostorage-no-permission [confirmed]`.
fn is_diagnosis_heading(l: &[u8]) -> bool {
    let Some(rest) = l.strip_prefix(b"BD") else {
        return false;
    };
    if rest.len() < 4 || !rest[..3].iter().all(u8::is_ascii_digit) || rest[3] != b' ' {
        return false;
    }
    let rest = &rest[4..];
    let slug = rest
        .iter()
        .take_while(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || **b == b'-')
        .count();
    let after = &rest[slug..];
    slug > 0
        && [&b" [confirmed]"[..], b" [likely]", b" [possible]"]
            .iter()
            .any(|c| after.starts_with(c))
}

/// The kinds batchdiag reads, in words, for messages about what it did not recognize.
pub fn readable_kinds() -> &'static str {
    "a HAR capture, a node-agent or other timestamped log, resource JSON or YAML (accounts, pools, nodes, tasks), a probe transcript (curl, HTTP response, Storage error), or a zip, tar, tar.gz or .gz archive of them"
}

/// Text, as logs are: NUL bytes are ignored (a node that lost power leaves
/// runs of them in its logs), and few other control bytes remain.
pub fn looks_textual(head: &[u8]) -> bool {
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
pub(crate) fn skip_bom_ws(head: &[u8]) -> &[u8] {
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

/// Empty, or text whose first character could open a JSON document: a
/// damaged or cut capture, not an image someone named `.har`.
fn starts_like_json_text(head: &[u8]) -> bool {
    match first_non_ws(head) {
        None => true,
        Some(b) => looks_textual(head) && matches!(b, b'{' | b'[' | b'"'),
    }
}

/// A HAR document opens with `{` and its first key is `"log"`.
pub fn looks_like_har(head: &[u8]) -> bool {
    let Some(rest) = skip_bom_ws(head).strip_prefix(b"{") else {
        return false;
    };
    skip_bom_ws(rest).starts_with(b"\"log\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_name_is_the_last_component_lowercase() {
        assert_eq!(file_name(r"logs\Node-1/Agent-Debug.LOG"), "agent-debug.log");
        assert_eq!(file_name("a.zip!/b/"), "");
        assert_eq!(file_name("Bundle.ZIP"), "bundle.zip");
    }

    fn sniff(bytes: &[u8], name: &str) -> Format {
        detect(&Head { bytes, name })
    }

    #[test]
    fn batchdiags_own_reports_are_reports_whatever_their_name() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/expected/");
        for ext in ["json", "md", "txt"] {
            for b in ["mixed-bd101-bd201", "healthy-upload", "bd101-truncated"] {
                let bytes = std::fs::read(format!("{root}{b}.{ext}")).expect("golden");
                let head = &bytes[..bytes.len().min(HEAD_BYTES)];
                for name in [
                    "case-notes.md",
                    "agent-debug.log",
                    "report.json",
                    "notes.txt",
                ] {
                    assert_eq!(sniff(head, name), Format::Report, "{b}.{ext} as {name}");
                }
            }
        }
        let lines =
            br#"{"schema_version":1,"tool":{"name":"batchdiag","version":"0.1.0"},"bundle":"x"}"#;
        assert_eq!(
            sniff(lines, "out.jsonl"),
            Format::Report,
            "JSON Lines of --each"
        );
        let each = b"corpus/bd101-chrome\n===================\nBD101 autostorage-no-permission [confirmed]\n";
        assert_eq!(sniff(each, "each.txt"), Format::Report);
        // Not reports: a resource JSON, a log that mentions a code, a heading alone.
        assert_eq!(
            sniff(br#"{"schema_version": 1, "name": "x"}"#, "a.json"),
            Format::Json
        );
        assert_eq!(
            sniff(
                b"2024-05-01T10:00:00Z BD101 autostorage-no-permission [confirmed]\n",
                "agent-debug.log"
            ),
            Format::AgentLog
        );
        assert_eq!(
            sniff(b"BD101 is a code\n", "notes.txt"),
            Format::Unrecognized
        );
    }

    #[test]
    fn sniffs_by_content_first() {
        assert_eq!(sniff(b"\x1f\x8b\x08\x00", "x.har"), Format::Gzip);
        assert_eq!(sniff(b"PK\x03\x04rest", "logs.bin"), Format::Zip);
        let mut tar = vec![0u8; 512];
        tar[257..262].copy_from_slice(b"ustar");
        assert_eq!(sniff(&tar, "whatever"), Format::Tar);
        assert_eq!(sniff(b"{\"log\":{}}", "capture.json"), Format::Har);
        assert_eq!(
            sniff(b"20220421T164300.123Z hello\n", "agent-debug.log.1"),
            Format::AgentLog
        );
        assert_eq!(
            sniff(b"2022-04-21 16:43:00,123 hello\n", "other.txt"),
            Format::Log
        );
        assert_eq!(sniff(b"x health=Status.Ok\n", "node7"), Format::AgentLog);
        // NUL runs (a node that lost power) do not make a log binary.
        let mut nul_first = vec![0u8; 512];
        nul_first
            .extend_from_slice(b"20220421T164300.123Z x health=Status.TvmJoinPoolInProgress\n");
        assert_eq!(sniff(&nul_first, "agent-debug.log"), Format::AgentLog);
        assert_eq!(sniff(&nul_first, "node7"), Format::AgentLog);
        let mut nul_line = b"2022-04-21 16:43:00,123 a\n".to_vec();
        nul_line.extend_from_slice(&[0; 40]);
        assert_eq!(sniff(&nul_line, "agent-debug.log.1"), Format::AgentLog);
        // Binary data is still binary.
        let binary: Vec<u8> = (0u8..=255).cycle().take(4096).collect();
        assert_eq!(sniff(&binary, "agent-debug.log"), Format::Unrecognized);
        assert_eq!(
            sniff(b"\xFD7zXZ\x00\x00", "a.tar.xz"),
            Format::Unsupported("xz")
        );
        assert_eq!(sniff(b"hello world\n", "notes.txt"), Format::Unrecognized);
    }

    #[test]
    fn a_name_is_only_a_hint() {
        // A damaged capture named .har is read as one, to get the HAR parser's error...
        assert_eq!(sniff(b"{\"lo", "cut.har"), Format::Har);
        assert_eq!(sniff(b"", "empty.har"), Format::Har);
        // ...but an image named .har is not a capture.
        let jpeg = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00";
        assert_eq!(sniff(jpeg, "photo.har"), Format::Unrecognized);
        assert_eq!(sniff(b"\x00\x01\x02", "random.har"), Format::Unrecognized);
    }

    #[test]
    fn utf16_with_and_without_bom() {
        let le: Vec<u8> = "2024-05-01T10:00:00Z health=Status.Ok\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(sniff(&le, "agent-debug.log"), Format::Utf16(Endian::Little));
        let mut bom = vec![0xFE, 0xFF];
        bom.extend("{\"log\":{}}".encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(sniff(&bom, "x.har"), Format::Utf16(Endian::Big));
    }

    #[test]
    fn har_detection_by_content() {
        assert!(looks_like_har(b"\xEF\xBB\xBF{\n  \"log\": {"));
        assert!(looks_like_har(b"{\"log\":{}}"));
        assert!(!looks_like_har(b"{\"value\":[]}"));
        assert!(!looks_like_har(b"PK\x03\x04"));
    }

    #[test]
    fn every_format_has_a_handling_and_a_kind() {
        for d in TABLE {
            let _ = (d.format.handling(), d.format.kind(), d.recognized_by);
        }
        assert_eq!(Format::Har.handling(), Handling::Entries);
        assert_eq!(Format::Unrecognized.handling(), Handling::Ignored);
    }
}
