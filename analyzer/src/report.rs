//! The report: the JSON contract (schema version 1) that scripts depend on.
//!
//! Fields are only ever added, never renamed or removed; a change that would
//! break a reader bumps [`SCHEMA_VERSION`]. README.md documents every field.

use batchdiag_parser::{Evidence, InputReport};
use serde::{Deserialize, Serialize};

/// Version of the JSON report contract.
pub const SCHEMA_VERSION: u32 = 1;

/// Everything batchdiag concluded from a bundle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The program that wrote the report.
    pub tool: Tool,
    /// The path this report is about when each path was analysed on its own
    /// (`analyze --each`); `null` when all inputs form one bundle.
    #[serde(default)]
    pub bundle: Option<String>,
    /// Every input, in the order they were found.
    pub inputs: Vec<InputReport>,
    /// Every piece of evidence, each with an id (`E1`, `E2`, ...) that diagnoses cite.
    pub evidence: Vec<EvidenceItem>,
    /// Root causes found, most certain first.
    pub diagnoses: Vec<Diagnosis>,
    /// What was looked for, so that an empty `diagnoses` says something.
    pub checked: Vec<Check>,
    /// Observations that are not diagnoses (e.g. failures that involve no managed identity).
    #[serde(default)]
    pub notes: Vec<String>,
}

/// The program that wrote a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    /// `batchdiag`.
    pub name: String,
    /// Its version.
    pub version: String,
}

/// Evidence with the id diagnoses refer to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceItem {
    /// `E1`, `E2`, ... in input order.
    pub id: String,
    /// The evidence itself.
    #[serde(flatten)]
    pub evidence: Evidence,
}

/// How sure a diagnosis is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// The service or the configuration states the cause outright.
    Confirmed,
    /// A symptom points to this one cause.
    Likely,
    /// One of several candidates; `missing_evidence` says what would decide.
    Possible,
}

impl Confidence {
    /// The word used in both outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Confirmed => "confirmed",
            Confidence::Likely => "likely",
            Confidence::Possible => "possible",
        }
    }
}

/// A row of the support article's behaviour tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scenario {
    /// `application-packages` or `resource-files`.
    pub table: ScenarioTable,
    /// Row number, from 1.
    pub number: u8,
}

/// The two behaviour tables of the node plane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScenarioTable {
    /// Application packages at pool level.
    ApplicationPackages,
    /// Task resource files from autostorage.
    ResourceFiles,
}

/// One root cause with its evidence and its fix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diagnosis {
    /// Stable catalog code, e.g. `BD101`.
    pub code: String,
    /// Stable slug, e.g. `autostorage-no-permission`.
    pub slug: String,
    /// The catalog title.
    pub title: String,
    /// How sure.
    pub confidence: Confidence,
    /// The behaviour-table row, for node-plane causes.
    pub scenario: Option<Scenario>,
    /// One sentence naming the concrete resources.
    pub summary: String,
    /// The resources concerned.
    pub subjects: Subjects,
    /// Ids of the evidence items that support the diagnosis.
    pub evidence: Vec<String>,
    /// Why this happens.
    pub explanation: String,
    /// How to fix it.
    pub remediation: Remediation,
    /// Inputs that would raise the confidence or fill in the fix.
    pub missing_evidence: Vec<String>,
    /// Further observations (e.g. node agents older than a relevant fix).
    #[serde(default)]
    pub notes: Vec<String>,
}

/// Resources a diagnosis is about. Absent values are `null`; lists may be empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subjects {
    /// Subscription id.
    pub subscription: Option<String>,
    /// Resource group.
    pub resource_group: Option<String>,
    /// Batch account name.
    pub account: Option<String>,
    /// ARM id of the Batch account.
    pub account_id: Option<String>,
    /// Application packages concerned.
    pub applications: Vec<ApplicationVersion>,
    /// Pools concerned.
    #[serde(default)]
    pub pools: Vec<String>,
    /// Nodes concerned.
    #[serde(default)]
    pub nodes: Vec<NodeRef>,
    /// Tasks concerned, as `job/task`.
    #[serde(default)]
    pub tasks: Vec<String>,
    /// The managed identity concerned (ARM resource id).
    #[serde(default)]
    pub identity: Option<String>,
    /// The autostorage account (ARM resource id).
    #[serde(default)]
    pub storage_account: Option<String>,
    /// The principal (object) id of the account's identity.
    #[serde(default)]
    pub principal_id: Option<String>,
    /// Identities named by resource files that no pool of the bundle has.
    #[serde(default)]
    pub missing_identities: Vec<String>,
    /// Storage URLs concerned (secrets removed by the redaction layer).
    #[serde(default)]
    pub urls: Vec<String>,
    /// The client id IMDS answered with, when it differs from the expected one.
    #[serde(default)]
    pub returned_client_id: Option<String>,
    /// The client id the pool lists for the identity asked for.
    #[serde(default)]
    pub expected_client_id: Option<String>,
}

/// A compute node of a pool.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NodeRef {
    /// Pool id.
    pub pool: String,
    /// Node id.
    pub node: String,
}

/// An application package version.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ApplicationVersion {
    /// Application name.
    pub application: String,
    /// Version, when the URL names one.
    pub version: Option<String>,
}

/// The fix: what to do, and commands filled in from the evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Remediation {
    /// One sentence.
    pub summary: String,
    /// Ordered steps.
    pub steps: Vec<String>,
    /// Commands, ready to run where every value was known (`<...>` marks one that was not).
    pub commands: Vec<Command>,
}

/// One command of a remediation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Command {
    /// What it does.
    pub description: String,
    /// The shell text (bash).
    pub shell: String,
}

/// One thing the analyzer looked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// Catalog code.
    pub code: String,
    /// What was checked, in words.
    pub description: String,
    /// `found`, `not_found`, or `no_input` when no input could show it.
    pub outcome: CheckOutcome,
}

/// Result of a [`Check`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckOutcome {
    /// The diagnosis fired.
    Found,
    /// Inputs that could show it were read and did not.
    NotFound,
    /// No input of a kind that could show it was given.
    NoInput,
}

/// How a report came out, worst last: what the exit code and the `--each`
/// tally are made from, so every front end judges a report alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verdict {
    /// Everything was read and nothing was found.
    Clean,
    /// At least one diagnosis, and every input was read.
    Diagnosed,
    /// Some input could not be fully read, or nothing given could be
    /// analysed; outranks diagnoses, since what was not read may hold more.
    NotFullyRead,
}

impl Verdict {
    /// The process exit code documented in README ("Exit codes").
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Clean => 0,
            Verdict::Diagnosed => 1,
            Verdict::NotFullyRead => 3,
        }
    }
}

impl Report {
    /// The verdict on this report.
    pub fn verdict(&self) -> Verdict {
        // Nothing analysable is as bad as an input that could not be read:
        // an empty result must not pass for a clean one.
        if self.inputs.iter().any(|i| i.error.is_some())
            || !self.inputs.iter().any(crate::is_analysable)
        {
            Verdict::NotFullyRead
        } else if self.diagnoses.is_empty() {
            Verdict::Clean
        } else {
            Verdict::Diagnosed
        }
    }
}
