//! Sources: the paths a user names (files, directories, `-` for stdin) become
//! inputs, each detected by its content and read by the matching parser.
//!
//! Directories are walked recursively in name order so that reports are
//! reproducible; inputs are read in parallel and their results merged in
//! that same order.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{InputError, InputErrorKind};
use crate::evidence::Evidence;
use crate::har::{self, HarOptions, HarSummary};
use crate::location::Location;

/// Options for [`read_sources`].
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// HAR limits.
    pub har: HarOptions,
}

/// What kind of input a source turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum InputKind {
    /// A HAR capture.
    Har,
    /// A file batchdiag does not read (yet); listed so nothing is silently ignored.
    Unrecognized,
    /// A symbolic link found while walking a directory; not followed.
    Symlink,
    /// A source that could not be opened at all.
    Unreadable,
}

/// One input and what reading it gave, besides evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputReport {
    /// The path as named (or found in a directory); `-` for stdin.
    pub path: String,
    /// Detected kind.
    pub kind: InputKind,
    /// `gzip` when the input was compressed.
    #[serde(default)]
    pub compression: Option<String>,
    /// Null when the input was read completely; otherwise what stopped it, with its location.
    pub error: Option<String>,
    /// Problems that lost no evidence.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// HAR counts, for HAR inputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub har: Option<HarSummary>,
    /// Number of evidence items this input gave.
    #[serde(default)]
    pub evidence_count: usize,
}

/// Everything read from all sources.
#[derive(Debug, Default)]
pub struct Bundle {
    /// One report per input, in walk order.
    pub inputs: Vec<InputReport>,
    /// All evidence, grouped by input in walk order.
    pub evidence: Vec<Evidence>,
}

enum Origin {
    Stdin,
    File(PathBuf),
    Symlink,
    Failed(String),
}

struct Source {
    display: String,
    origin: Origin,
    /// Named by the user, not found in a directory: an unknown format is then an error.
    explicit: bool,
}

/// Reads every source (files, directories, `-`) and returns reports and evidence.
pub fn read_sources(paths: &[String], opts: &ReadOptions) -> Bundle {
    let mut sources = Vec::new();
    for p in paths {
        expand(p, &mut sources);
    }
    let results: Vec<(InputReport, Vec<Evidence>)> = sources
        .into_par_iter()
        .map(|s| read_source(s, opts))
        .collect();
    let mut bundle = Bundle::default();
    for (report, evidence) in results {
        bundle.inputs.push(report);
        bundle.evidence.extend(evidence);
    }
    bundle
}

fn expand(p: &str, out: &mut Vec<Source>) {
    if p == "-" {
        out.push(Source {
            display: "-".into(),
            origin: Origin::Stdin,
            explicit: true,
        });
        return;
    }
    let path = Path::new(p);
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => walk(path, out),
        Ok(_) => out.push(Source {
            display: p.to_string(),
            origin: Origin::File(path.into()),
            explicit: true,
        }),
        Err(e) => out.push(Source {
            display: p.to_string(),
            origin: Origin::Failed(e.to_string()),
            explicit: true,
        }),
    }
}

fn walk(dir: &Path, out: &mut Vec<Source>) {
    let display = |p: &Path| p.to_string_lossy().into_owned();
    let mut children: Vec<_> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(Result::ok).map(|e| e.path()).collect(),
        Err(e) => {
            out.push(Source {
                display: display(dir),
                origin: Origin::Failed(e.to_string()),
                explicit: false,
            });
            return;
        }
    };
    children.sort();
    for child in children {
        let Ok(meta) = std::fs::symlink_metadata(&child) else {
            continue;
        };
        let origin = if meta.file_type().is_symlink() {
            Origin::Symlink
        } else if meta.is_dir() {
            walk(&child, out);
            continue;
        } else {
            Origin::File(child.clone())
        };
        out.push(Source {
            display: display(&child),
            origin,
            explicit: false,
        });
    }
}

fn report(path: &str, kind: InputKind) -> InputReport {
    InputReport {
        path: path.to_string(),
        kind,
        compression: None,
        error: None,
        warnings: Vec::new(),
        har: None,
        evidence_count: 0,
    }
}

fn read_source(src: Source, opts: &ReadOptions) -> (InputReport, Vec<Evidence>) {
    let loc = Location::file(&src.display);
    let reader: Box<dyn Read + Send> = match &src.origin {
        Origin::Stdin => Box::new(std::io::stdin()),
        Origin::File(p) => match File::open(p) {
            Ok(f) => Box::new(f),
            Err(e) => return unreadable(&src.display, InputErrorKind::Io(e.to_string())),
        },
        Origin::Failed(msg) => return unreadable(&src.display, InputErrorKind::Io(msg.clone())),
        Origin::Symlink => {
            let mut r = report(&src.display, InputKind::Symlink);
            r.warnings.push("symbolic link not followed".into());
            return (r, Vec::new());
        }
    };
    let mut reader = BufReader::with_capacity(256 << 10, reader);
    let mut rep = report(&src.display, InputKind::Unrecognized);
    let head = match reader.fill_buf() {
        Ok(h) => h,
        Err(e) => return unreadable(&src.display, InputErrorKind::Io(e.to_string())),
    };
    if head.starts_with(&[0x1f, 0x8b]) {
        rep.compression = Some("gzip".into());
        let mut inner = BufReader::with_capacity(256 << 10, MultiGzDecoder::new(reader));
        let head = match inner.fill_buf() {
            Ok(h) => h.to_vec(),
            Err(e) => {
                rep.error = Some(
                    InputError::new(loc, InputErrorKind::Decompress(e.to_string())).to_string(),
                );
                return (rep, Vec::new());
            }
        };
        dispatch(rep, &head, inner, &src, &loc, opts)
    } else {
        let head = head.to_vec();
        dispatch(rep, &head, reader, &src, &loc, opts)
    }
}

fn dispatch<R: Read + Send>(
    mut rep: InputReport,
    head: &[u8],
    reader: R,
    src: &Source,
    loc: &Location,
    opts: &ReadOptions,
) -> (InputReport, Vec<Evidence>) {
    let name = src.display.to_ascii_lowercase();
    let named_har = name.ends_with(".har") || name.ends_with(".har.gz");
    if looks_like_har(head) || (named_har && first_non_ws(head) == Some(b'{')) {
        rep.kind = InputKind::Har;
        let r = har::read_har(reader, loc, &opts.har);
        rep.error = r.error.map(|e| e.to_string());
        rep.warnings.extend(r.warnings);
        rep.har = Some(r.summary);
        rep.evidence_count = r.evidence.len();
        return (rep, r.evidence);
    }
    if src.explicit || named_har {
        let what = if named_har {
            "named like a HAR file but does not start with a JSON object"
        } else {
            "expected a HAR capture (.har, .har.gz)"
        };
        rep.error = Some(
            InputError::new(
                loc.at_offset(0),
                InputErrorKind::Unrecognized(format!(
                    "{what}; it starts with {}",
                    describe_head(head)
                )),
            )
            .to_string(),
        );
    }
    (rep, Vec::new())
}

fn unreadable(path: &str, kind: InputErrorKind) -> (InputReport, Vec<Evidence>) {
    let mut r = report(path, InputKind::Unreadable);
    r.error = Some(InputError::new(Location::file(path), kind).to_string());
    (r, Vec::new())
}

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
    let h = skip_bom_ws(head);
    let Some(rest) = h.strip_prefix(b"{") else {
        return false;
    };
    skip_bom_ws(rest).starts_with(b"\"log\"")
}

fn describe_head(head: &[u8]) -> String {
    let h = &head[..head.len().min(16)];
    if h.is_empty() {
        return "nothing (the file is empty)".into();
    }
    if h.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        format!("{:?}", String::from_utf8_lossy(h))
    } else {
        let hex: Vec<String> = h.iter().take(8).map(|b| format!("{b:02x}")).collect();
        format!("bytes {}", hex.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn har_detection_by_content() {
        assert!(looks_like_har(b"\xEF\xBB\xBF{\n  \"log\": {"));
        assert!(looks_like_har(b"{\"log\":{}}"));
        assert!(!looks_like_har(b"{\"value\":[]}"));
        assert!(!looks_like_har(b"PK\x03\x04"));
    }

    #[test]
    fn head_description_is_printable() {
        assert_eq!(describe_head(b""), "nothing (the file is empty)");
        assert_eq!(describe_head(b"PK\x03\x04\x00"), "bytes 50 4b 03 04 00");
        assert_eq!(describe_head(b"hello"), "\"hello\"");
    }
}
