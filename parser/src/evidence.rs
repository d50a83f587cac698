//! Typed evidence: the facts parsers extract, each tied to its [`Location`].
//!
//! Evidence is serializable because it is part of the JSON report contract
//! (`evidence[]`) and because the analyzer's rule samples are written as
//! evidence JSON. Fields are only ever added, never renamed.

use std::fmt;

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
    /// A Batch account's identity and autostorage settings (account JSON).
    AccountConfig(AccountConfig),
    /// A pool's identities and application packages (pool JSON, either plane).
    PoolConfig(PoolConfig),
    /// A compute node's state and errors (node JSON).
    NodeStatus(NodeStatus),
    /// A task's resource files and failure (task JSON).
    TaskResult(TaskResult),
    /// A token request to the Instance Metadata Service and its answer.
    ImdsToken(ImdsToken),
    /// A request to Azure Storage that failed, or that used a bearer token without `x-ms-version`.
    StorageRequest(StorageRequest),
    /// An error the Batch service (data plane) answered: `{"odata.metadata", "code",
    /// "message": {"value"}, "values": [...]}`, alone or in a task-add result.
    BatchError(BatchError),
    /// A job's `commonResourceFiles` (job JSON), which every task of the job downloads.
    JobConfig(JobConfig),
}

/// A job that names common resource files (data-plane job JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobConfig {
    /// Batch account name, from the job URL.
    #[serde(default)]
    pub account: Option<String>,
    /// Job id.
    pub job: String,
    /// `poolInfo.poolId`.
    #[serde(default)]
    pub pool: Option<String>,
    /// `commonResourceFiles`.
    pub common_resource_files: Vec<ResourceFile>,
}

/// An error body of the Batch service data plane.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchError {
    /// Batch account name, from `odata.metadata` or the request URL.
    #[serde(default)]
    pub account: Option<String>,
    /// HTTP status, when the input gives it.
    #[serde(default)]
    pub status: Option<u16>,
    /// `code`, e.g. `OperationNotValidOnNode`.
    #[serde(default)]
    pub code: Option<String>,
    /// `message.value` (its first line; the rest is the request id and time).
    #[serde(default)]
    pub message: Option<String>,
    /// `values[]` as `key: value` lines.
    #[serde(default)]
    pub details: Vec<String>,
    /// The task a task-add result names, when the error came in one.
    #[serde(default)]
    pub task: Option<String>,
}

/// Closed sets of words the report uses, as typed enums. Each serializes to
/// the word the JSON contract documents and prints the same word, so the
/// report and the text output are unchanged by the typing.
macro_rules! words {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $word:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $word)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The word the JSON contract uses.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

words! {
    /// The IMDS query parameter that named the identity of a token request.
    IdentityParam {
        /// `mi_res_id`: the identity's ARM resource id.
        MiResId = "mi_res_id",
        /// `msi_res_id`: the older name of `mi_res_id`.
        MsiResId = "msi_res_id",
        /// `client_id`: the identity's client (application) id.
        ClientId = "client_id",
        /// `object_id`: the identity's principal (object) id.
        ObjectId = "object_id",
    }
}

impl IdentityParam {
    /// The parameter names an ARM resource id (`mi_res_id` or `msi_res_id`),
    /// the form pools and accounts list identities by.
    pub const fn is_resource_id(self) -> bool {
        matches!(self, IdentityParam::MiResId | IdentityParam::MsiResId)
    }
}

words! {
    /// Which API a pool JSON came from.
    Plane {
        /// Azure Resource Manager (identities as a map keyed by resource id).
        Management = "management",
        /// The Batch service (identities as an array).
        Data = "data",
    }
}

words! {
    /// Where a join loop's pool and node ids came from.
    Attribution {
        /// The log's content (`"PoolName"`, `"TVMName"`).
        Content = "content",
        /// The "upload batch logs" layout, where `-` may stand for `_` in node ids.
        Layout = "layout",
        /// Neither said.
        Unknown = "unknown",
    }
}

words! {
    /// How a task's resource file names its source.
    ResourceFileKind {
        /// `autoStorageContainerName`: read with the account's node identity reference.
        AutoStorageContainer = "auto_storage_container",
        /// `storageContainerUrl`: its own identity or SAS.
        StorageContainerUrl = "storage_container_url",
        /// `httpUrl`: its own identity or SAS.
        HttpUrl = "http_url",
    }
}

/// How an IMDS token request named the identity it wanted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentitySelector {
    /// The query parameter that named it.
    pub by: IdentityParam,
    /// The value asked for.
    pub value: String,
}

/// An IMDS token request (`/metadata/identity/oauth2/token`) and its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImdsToken {
    /// The identity asked for; `None` when the request named none.
    #[serde(default)]
    pub requested: Option<IdentitySelector>,
    /// `resource` asked for (the token audience).
    #[serde(default)]
    pub resource: Option<String>,
    /// HTTP status, when known.
    #[serde(default)]
    pub status: Option<u16>,
    /// `client_id` of the identity IMDS answered for.
    #[serde(default)]
    pub client_id: Option<String>,
    /// `error` of a failed request.
    #[serde(default)]
    pub error: Option<String>,
    /// `error_description` of a failed request.
    #[serde(default)]
    pub error_description: Option<String>,
    /// Claims of the returned token (never the token).
    #[serde(default)]
    pub claims: Option<crate::jwt::TokenClaims>,
}

/// A request to Azure Storage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageRequest {
    /// Method, when known.
    #[serde(default)]
    pub method: Option<String>,
    /// URL, when known.
    #[serde(default)]
    pub url: Option<String>,
    /// HTTP status, when known.
    #[serde(default)]
    pub status: Option<u16>,
    /// `x-ms-error-code` or the XML `<Code>`.
    #[serde(default)]
    pub error_code: Option<String>,
    /// First line of the XML `<Message>`.
    #[serde(default)]
    pub message: Option<String>,
    /// `<AuthenticationErrorDetail>`.
    #[serde(default)]
    pub auth_detail: Option<String>,
    /// The request carried `Authorization: Bearer`.
    pub bearer: bool,
    /// The request's `x-ms-version`, when the request is known.
    #[serde(default)]
    pub x_ms_version: Option<String>,
    /// The request headers were captured (so a missing `x-ms-version` is meaningful).
    #[serde(default)]
    pub request_known: bool,
    /// Claims of the bearer token (never the token).
    #[serde(default)]
    pub claims: Option<crate::jwt::TokenClaims>,
}

/// A user-assigned managed identity as a resource lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityRef {
    /// ARM resource id of the identity.
    pub resource_id: String,
    /// Its client (application) id, when listed.
    #[serde(default)]
    pub client_id: Option<String>,
    /// Its principal (object) id, when listed.
    #[serde(default)]
    pub principal_id: Option<String>,
}

/// The autostorage settings of a Batch account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoStorage {
    /// ARM id of the autostorage account.
    #[serde(default)]
    pub storage_account_id: Option<String>,
    /// `StorageKeys` or `BatchAccountManagedIdentity` (absent means StorageKeys).
    #[serde(default)]
    pub authentication_mode: Option<String>,
    /// `nodeIdentityReference.resourceId`: the identity nodes use for autostorage.
    #[serde(default)]
    pub node_identity_reference: Option<String>,
}

/// A Batch account (management plane, or `az batch account show`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountConfig {
    /// ARM id of the account, when present.
    #[serde(default)]
    pub account_id: Option<String>,
    /// Account name.
    #[serde(default)]
    pub name: Option<String>,
    /// `identity.type`: `SystemAssigned`, `UserAssigned`, `None` (absent: no identity).
    #[serde(default)]
    pub identity_type: Option<String>,
    /// `identity.principalId` of a system-assigned identity.
    #[serde(default)]
    pub principal_id: Option<String>,
    /// User-assigned identities of the account.
    #[serde(default)]
    pub identities: Vec<IdentityRef>,
    /// Autostorage, when linked.
    #[serde(default)]
    pub autostorage: Option<AutoStorage>,
}

/// A pool's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolConfig {
    /// Pool id.
    pub pool: String,
    /// Account name, from the ARM id or the data-plane URL.
    #[serde(default)]
    pub account: Option<String>,
    /// `management` (ARM, identities as a map) or `data` (Batch service, identities as an array).
    pub plane: Plane,
    /// `identity.type` (absent: no identity).
    #[serde(default)]
    pub identity_type: Option<String>,
    /// User-assigned identities of the pool.
    #[serde(default)]
    pub identities: Vec<IdentityRef>,
    /// Application packages the pool references (application names or ids).
    #[serde(default)]
    pub application_packages: Vec<String>,
    /// `resizeErrors[]`: why the pool could not reach its target size.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resize_errors: Vec<CodeMessage>,
    /// `startTask.resourceFiles`: read by every node before it joins, like a task's resource files.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub start_task_files: Vec<ResourceFile>,
}

/// A node's state (data-plane node JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeStatus {
    /// Batch account name, from the node URL.
    #[serde(default)]
    pub account: Option<String>,
    /// Pool id, from the node URL.
    #[serde(default)]
    pub pool: Option<String>,
    /// Node id.
    pub node: String,
    /// `state`, e.g. `starting`, `idle`, `unusable`.
    pub state: String,
    /// `errors[]`.
    #[serde(default)]
    pub errors: Vec<CodeMessage>,
    /// `nodeAgentInfo.version`.
    #[serde(default)]
    pub agent_version: Option<String>,
    /// `startTaskInfo.failureInfo`, when the start task failed.
    #[serde(default)]
    pub start_task_failure: Option<CodeMessage>,
    /// `stateTransitionTime`: when the node entered `state` (RFC 3339, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_since: Option<String>,
    /// When this snapshot of the node was taken, as far as the input shows:
    /// the latest time the node JSON itself holds (`stateTransitionTime`,
    /// `lastBootTime`, `allocationTime`, start-task and recent-task times)
    /// or the time of the answer that carried it (a recording's `Date`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_at: Option<String>,
    /// `startTask.resourceFiles` the node lists (a start task's failures are reported on the node).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub start_task_files: Vec<ResourceFile>,
}

impl NodeStatus {
    /// How long the snapshot shows the node in its state, in seconds: from
    /// `stateTransitionTime` to the snapshot's time. `None` when either is
    /// unknown, so a node seen the moment it entered a state proves nothing.
    pub fn in_state_seconds(&self) -> Option<i64> {
        let since = self
            .state_since
            .as_deref()?
            .parse::<jiff::Timestamp>()
            .ok()?;
        let seen = self
            .observed_at
            .as_deref()?
            .parse::<jiff::Timestamp>()
            .ok()?;
        Some(seen.as_second() - since.as_second())
    }

    /// The snapshot's time as a timestamp, to order snapshots of one node.
    pub fn observed(&self) -> Option<jiff::Timestamp> {
        self.observed_at.as_deref()?.parse().ok()
    }

    /// The start task read a file from autostorage with the node identity
    /// reference, or its files are not listed.
    pub fn start_task_may_use_autostorage(&self) -> bool {
        self.start_task_files.is_empty()
            || self
                .start_task_files
                .iter()
                .any(|f| f.kind == ResourceFileKind::AutoStorageContainer)
    }
}

/// A `{code, message}` pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeMessage {
    /// Code.
    #[serde(default)]
    pub code: Option<String>,
    /// Message.
    #[serde(default)]
    pub message: Option<String>,
}

/// A task's result (data-plane task JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskResult {
    /// Batch account name, from the task URL.
    #[serde(default)]
    pub account: Option<String>,
    /// Job id, from the task URL when present.
    #[serde(default)]
    pub job: Option<String>,
    /// Task id.
    pub task: String,
    /// `nodeInfo.poolId`: the pool the task ran on, when it ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<String>,
    /// `state`.
    #[serde(default)]
    pub state: Option<String>,
    /// Resource files.
    #[serde(default)]
    pub resource_files: Vec<ResourceFile>,
    /// `executionInfo.failureInfo`.
    #[serde(default)]
    pub failure: Option<TaskFailure>,
    /// `commonResourceFiles` of the task's job, when the bundle holds the
    /// job JSON: the node downloads them for every task, and their failures
    /// are reported on the task.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub job_files: Vec<ResourceFile>,
}

impl TaskResult {
    /// Every resource file (its own and its job's) carries its own SAS: the task used no managed identity.
    pub fn uses_only_sas(&self) -> bool {
        !self.resource_files.is_empty()
            && self
                .resource_files
                .iter()
                .chain(&self.job_files)
                .all(|f| f.has_sas)
    }

    /// Some resource file comes from autostorage (`autoStorageContainerName`,
    /// read with the account's node identity reference), or the export does
    /// not list the resource files. Files with a URL use their own identity
    /// or SAS, not the node identity reference.
    pub fn may_use_autostorage(&self) -> bool {
        self.resource_files.is_empty()
            || self
                .resource_files
                .iter()
                .chain(&self.job_files)
                .any(|f| f.kind == ResourceFileKind::AutoStorageContainer)
    }
}

/// A task failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskFailure {
    /// `usererror` or `servererror`.
    #[serde(default)]
    pub category: Option<String>,
    /// e.g. `ResourceContainerAccessDenied`.
    #[serde(default)]
    pub code: Option<String>,
    /// The message.
    #[serde(default)]
    pub message: Option<String>,
    /// `details[]` as `name: value` lines.
    #[serde(default)]
    pub details: Vec<String>,
}

/// One resource file of a task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceFile {
    /// `auto_storage_container`, `storage_container_url` or `http_url`.
    pub kind: ResourceFileKind,
    /// The container name or URL.
    pub source: String,
    /// `identityReference.resourceId`, when given.
    #[serde(default)]
    pub identity: Option<String>,
    /// The URL carries its own SAS (`sig=`): no managed identity is involved.
    #[serde(default)]
    pub has_sas: bool,
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

    /// The account configuration, if this fact is one.
    pub fn as_account(&self) -> Option<&AccountConfig> {
        match self {
            Fact::AccountConfig(a) => Some(a),
            _ => None,
        }
    }

    /// The pool configuration, if this fact is one.
    pub fn as_pool(&self) -> Option<&PoolConfig> {
        match self {
            Fact::PoolConfig(p) => Some(p),
            _ => None,
        }
    }

    /// The node status, if this fact is one.
    pub fn as_node(&self) -> Option<&NodeStatus> {
        match self {
            Fact::NodeStatus(n) => Some(n),
            _ => None,
        }
    }

    /// The job configuration, if this fact is one.
    pub fn as_job(&self) -> Option<&JobConfig> {
        match self {
            Fact::JobConfig(j) => Some(j),
            _ => None,
        }
    }

    /// The task result, if this fact is one.
    pub fn as_task(&self) -> Option<&TaskResult> {
        match self {
            Fact::TaskResult(t) => Some(t),
            _ => None,
        }
    }

    /// The IMDS exchange, if this fact is one.
    pub fn as_imds(&self) -> Option<&ImdsToken> {
        match self {
            Fact::ImdsToken(i) => Some(i),
            _ => None,
        }
    }

    /// The storage request, if this fact is one.
    pub fn as_storage(&self) -> Option<&StorageRequest> {
        match self {
            Fact::StorageRequest(s) => Some(s),
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
    pub attribution: Attribution,
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
    /// The first and last timestamp of each of `files`, in the same order:
    /// where one rotated file ends and the next begins.
    #[serde(default)]
    pub file_times: Vec<FileTimes>,
}

/// The time span of one log file: its first and last timestamped line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileTimes {
    /// The first timestamp (RFC 3339, UTC); `None` when no line had one.
    #[serde(default)]
    pub first: Option<String>,
    /// The last timestamp.
    #[serde(default)]
    pub last: Option<String>,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The JSON form is the contract: each value must serialize to the word
    /// documented in README.md, print the same word, and read back.
    fn round_trips<T>(all: &[T], words: &[&str])
    where
        T: Serialize + for<'de> Deserialize<'de> + fmt::Display + PartialEq + fmt::Debug + Copy,
    {
        assert_eq!(all.len(), words.len());
        for (v, w) in all.iter().zip(words) {
            assert_eq!(serde_json::to_string(v).unwrap(), format!("\"{w}\""));
            assert_eq!(v.to_string(), *w);
            assert_eq!(serde_json::from_str::<T>(&format!("\"{w}\"")).unwrap(), *v);
        }
        assert!(serde_json::from_str::<T>("\"other\"").is_err());
    }

    #[test]
    fn identity_params() {
        round_trips(
            IdentityParam::ALL,
            &["mi_res_id", "msi_res_id", "client_id", "object_id"],
        );
        let by_res_id: Vec<bool> = IdentityParam::ALL
            .iter()
            .map(|p| p.is_resource_id())
            .collect();
        assert_eq!(by_res_id, [true, true, false, false]);
    }

    #[test]
    fn planes() {
        round_trips(Plane::ALL, &["management", "data"]);
    }

    #[test]
    fn attributions() {
        round_trips(Attribution::ALL, &["content", "layout", "unknown"]);
    }

    #[test]
    fn resource_file_kinds() {
        round_trips(
            ResourceFileKind::ALL,
            &[
                "auto_storage_container",
                "storage_container_url",
                "http_url",
            ],
        );
    }

    #[test]
    fn typed_fields_keep_their_json() {
        let f = ResourceFile {
            kind: ResourceFileKind::HttpUrl,
            source: "https://x".into(),
            identity: None,
            has_sas: false,
        };
        assert_eq!(
            serde_json::to_string(&f).unwrap(),
            r#"{"kind":"http_url","source":"https://x","identity":null,"has_sas":false}"#
        );
        let s = IdentitySelector {
            by: IdentityParam::MiResId,
            value: "/i".into(),
        };
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            r#"{"by":"mi_res_id","value":"/i"}"#
        );
    }
}
