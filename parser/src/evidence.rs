//! Typed evidence: the facts parsers extract, each tied to its [`Location`].
//!
//! Evidence is serializable because it is part of the JSON report contract
//! (`evidence[]`) and because the analyzer's rule samples are written as
//! evidence JSON. Fields are only ever added, never renamed.

use serde::{Deserialize, Serialize};

use crate::arm::ArmResourceId;
use crate::location::Location;

/// One fact found in the inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// Where it was found.
    pub source: Location,
    /// When it happened (RFC 3339, UTC), if the input says.
    #[serde(default)]
    pub time: Option<String>,
    /// What was found.
    #[serde(flatten)]
    pub fact: Fact,
}

/// The kinds of evidence. Serialized with a `kind` tag in snake_case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Fact {
    /// An Azure Resource Manager call that failed (HTTP status >= 400),
    /// either directly or inside the portal's `/batch` envelope.
    ArmError(ArmError),
    /// A node that reported `TvmJoinPoolInProgress`, with the loop's span.
    JoinLoop(JoinLoop),
}

/// A failed ARM call and the error the service returned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArmError {
    /// HTTP method of the failing request, when known.
    #[serde(default)]
    pub method: Option<String>,
    /// URL of the failing request, when known (absolute or `/subscriptions/...`).
    #[serde(default)]
    pub url: Option<String>,
    /// HTTP status of the failing request.
    pub status: u16,
    /// `error.code`.
    #[serde(default)]
    pub code: Option<String>,
    /// `error.message`.
    #[serde(default)]
    pub message: Option<String>,
    /// `error.target`.
    #[serde(default)]
    pub target: Option<String>,
    /// `error.details[]`, flattened one level.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<ErrorDetail>,
    /// The ARM resource the URL addresses, when it parses.
    #[serde(default)]
    pub resource: Option<ArmResourceId>,
    /// Present when the call was an inner request of the portal's `/batch` envelope.
    #[serde(default)]
    pub envelope: Option<Envelope>,
}

/// One `error.details[]` item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// `code`.
    #[serde(default)]
    pub code: Option<String>,
    /// `message`.
    #[serde(default)]
    pub message: Option<String>,
    /// `target`.
    #[serde(default)]
    pub target: Option<String>,
}

/// The outer `POST .../batch` that carried an inner request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// The outer URL.
    pub url: String,
    /// The outer HTTP status (usually 200 even when the inner call failed).
    pub status: u16,
    /// The inner request/response `name` that paired them.
    #[serde(default)]
    pub name: Option<String>,
}

impl Fact {
    /// The ARM error, if this fact is one.
    pub fn as_arm_error(&self) -> Option<&ArmError> {
        match self {
            Fact::ArmError(a) => Some(a),
            _ => None,
        }
    }

    /// The join loop, if this fact is one.
    pub fn as_join_loop(&self) -> Option<&JoinLoop> {
        match self {
            Fact::JoinLoop(j) => Some(j),
            _ => None,
        }
    }
}

/// A node's join loop: the agent kept reporting `health=Status.TvmJoinPoolInProgress`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinLoop {
    /// Pool id, from the log content or the upload layout.
    #[serde(default)]
    pub pool: Option<String>,
    /// Node id, from the log content (`TVMName`) or the upload layout (where `-` may stand for `_`).
    #[serde(default)]
    pub node: Option<String>,
    /// Where pool and node came from: `content`, `layout` or `unknown`.
    pub attribution: String,
    /// How many join-in-progress reports.
    pub count: u64,
    /// Time of the first report (RFC 3339, UTC).
    #[serde(default)]
    pub first: Option<String>,
    /// Time of the last report.
    #[serde(default)]
    pub last: Option<String>,
    /// Seconds from the first report to the last.
    #[serde(default)]
    pub duration_seconds: Option<i64>,
    /// True when a later health report with another status ended the loop.
    pub ended: bool,
    /// The report that ended it.
    #[serde(default)]
    pub ended_by: Option<HealthReport>,
    /// Where the last join report is.
    pub last_source: Location,
    /// The last timestamp in the node's logs: how far the logs go.
    #[serde(default)]
    pub log_end: Option<String>,
    /// The node's log files, oldest first.
    pub files: Vec<String>,
}

/// One `health=Status.<Name>` report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthReport {
    /// The status name.
    pub status: String,
    /// When (RFC 3339, UTC).
    #[serde(default)]
    pub time: Option<String>,
    /// Where.
    pub source: Location,
}
