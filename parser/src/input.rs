//! What a report says about each input: its kind, what was read from it,
//! and what could not be.

use serde::{Deserialize, Serialize};

use crate::error::{ErrorClass, InputError, InputErrorKind};
use crate::har::HarSummary;
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
    /// Valid JSON of no shape batchdiag understands (a job list, a task-add
    /// result, an empty list): read, but nothing in it could inform a check,
    /// so checks count it as no input and it never makes a bundle clean.
    UnknownJson,
    /// A symbolic link (in a directory or an archive); not followed.
    Symlink,
    /// A source that could not be opened or a member that was not read.
    Unreadable,
    /// A report batchdiag wrote (text, JSON or Markdown), saved beside the
    /// bundle: listed, never analysed as a log or resource JSON.
    Report,
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
    /// The class of `error` (`io`, `decompress`, `syntax`, `records`, `limit`,
    /// `member`, `unrecognized`, `unsupported`, `cancelled`); absent when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_kind: Option<ErrorClass>,
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
    /// What a JSON input held besides resources (Activity Log events, Batch
    /// service-log records, recorded HTTP exchanges), so checks count it for
    /// the causes those can show; absent when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shapes: Vec<Shape>,
}

/// A kind of record a JSON input can hold besides resource objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    /// Azure Activity Log events (`az monitor activity-log list`, the REST
    /// list, the diagnostic-setting archive).
    ActivityLog,
    /// Batch service-log records (diagnostic-setting category `ServiceLog`).
    ServiceLog,
    /// HTTP exchanges recorded by the Azure SDK test proxy.
    HttpRecording,
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
            error_kind: None,
            warnings: Vec::new(),
            har: None,
            log: None,
            members: None,
            evidence_count: 0,
            shapes: Vec::new(),
        }
    }

    /// A report for something that could not be read at all.
    pub fn failed(loc: &Location, kind: InputKind, error: InputErrorKind) -> Self {
        let mut r = InputReport::new(loc, kind);
        r.set_error(InputError::new(loc.clone(), error));
        r
    }

    /// Records what stopped reading this input (the message and its class).
    pub fn set_error(&mut self, e: InputError) {
        self.error_kind = Some(e.kind.class());
        self.error = Some(e.to_string());
    }
}

/// `path` or `path!/member`.
pub fn virtual_path(loc: &Location) -> String {
    match &loc.member {
        Some(m) => format!("{}!/{m}", loc.path),
        None => loc.path.clone(),
    }
}
