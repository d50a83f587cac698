//! Diagnosis rules as data, and the engine that applies them.
//!
//! A [`Rule`] is a table row: its catalog code and slug, the conditions an
//! evidence item must meet, how matching items are grouped into diagnoses,
//! the explanation, a remediation template, and samples that must and must
//! not fire. [`catalog::RULES`] is the table; `tests` runs every sample.

pub mod catalog;

use std::collections::BTreeMap;

use batchdiag_parser::{Evidence, InputKind, Shape};

use crate::report::{
    ApplicationVersion, Check, CheckOutcome, Command, Confidence, Diagnosis, EvidenceItem, NodeRef,
    Remediation, Scenario, Subjects,
};
use crate::template::{fill, Placeholder, Values};
use crate::world::{Outcome, World};

/// One row of the diagnosis catalog.
#[derive(Debug)]
pub struct Rule {
    /// Stable code, e.g. `BD101`.
    pub code: &'static str,
    /// Stable slug.
    pub slug: &'static str,
    /// Title.
    pub title: &'static str,
    /// Behaviour-table row, for node-plane causes.
    pub scenario: Option<Scenario>,
    /// The row when failed tasks (with configuration) are all that shows
    /// the cause: the two tables share their row numbers, and a task's
    /// failure is the resource-files table's. `None`: `scenario` still.
    pub task_scenario: Option<Scenario>,
    /// One-sentence summary template (placeholders: [`Placeholder`]).
    pub summary: &'static str,
    /// The summary when the configuration that shows the cause is not in
    /// the bundle: it words that configuration as an assumption, never as
    /// fact. Empty: `summary` states nothing the symptoms do not show.
    pub assumed_summary: &'static str,
    /// Long explanation (`batchdiag explain`).
    pub explanation: &'static str,
    /// What shows the cause happening: any one symptom (all its conditions
    /// met by one evidence item) makes the rule fire.
    pub symptoms: &'static [Symptom],
    /// Configuration that shows the cause: with a symptom it makes the
    /// diagnosis confirmed; alone it predicts the failure (see `predicted`).
    pub config: Option<ConfigCheck>,
    /// Configuration that rules the cause out, even when a symptom matches.
    pub refuted_by: &'static [ConfigCheck],
    /// Confidence of a diagnosis made from the configuration alone (`None`: never).
    pub predicted: Option<Confidence>,
    /// How matching evidence becomes diagnoses.
    pub group_by: GroupBy,
    /// The fix.
    pub remediation: RemediationTemplate,
    /// Inputs that would decide or complete the diagnosis, shown while the
    /// diagnosis is undecided and the bundle lacks the input each names.
    pub missing_evidence: &'static [(Needs, &'static str)],
    /// Input kinds able to show this cause (drives `checked`).
    pub seen_in: &'static [InputKind],
    /// Records a JSON input can hold that are able to show this cause
    /// (Activity Log events, service logs, recorded HTTP exchanges): an
    /// input holding them counts as looked at, even when its kind does not.
    pub seen_in_shapes: &'static [Shape],
    /// Node-agent releases that fixed a failure like this one: a node
    /// running an older agent gets a note on the diagnosis.
    pub agent_fixes: &'static [AgentFix],
    /// Evidence that must (or must not) make the rule fire.
    pub samples: &'static [Sample],
}

/// One way a cause shows itself, and how sure it is without configuration.
#[derive(Debug, Clone, Copy)]
pub struct Symptom {
    /// Conditions one evidence item must all meet.
    pub all: &'static [Condition],
    /// Confidence from this symptom alone, when no configuration decides.
    pub alone: Confidence,
}

pub use crate::world::ConfigCheck;

/// A node-agent release that fixed a failure (from the node-agent changelog).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgentFix {
    /// The first agent version with the fix, `(major, minor, patch)`.
    pub fixed_in: (u32, u32, u32),
    /// What it fixed, as the note says it (e.g. `1.11.5 fixed nodes stuck in ...`).
    pub what: &'static str,
}

/// The input a "would help" line asks for. The engine never shows a line
/// whose input the bundle holds (any account, pool or storage answer in
/// the bundle, whichever account it is for): asking a support engineer for
/// what they already sent reads as if batchdiag had not looked at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// The Batch account JSON.
    Account,
    /// The pool JSON.
    Pool,
    /// A Storage request from a node and its answer (a probe, a capture).
    StorageProbe,
}

impl Needs {
    /// Whether the bundle already holds what this line asks for. Judged
    /// on every item of the bundle, not the diagnosis's scope.
    pub fn held_by(self, items: &[EvidenceItem]) -> bool {
        let has = |f: fn(&Evidence) -> bool| items.iter().any(|i| f(&i.evidence));
        let account = || has(|e| e.fact.as_account().is_some());
        let pool = || has(|e| e.fact.as_pool().is_some());
        match self {
            Needs::Account => account(),
            Needs::Pool => pool(),
            Needs::StorageProbe => has(|e| e.fact.as_storage().is_some()),
        }
    }
}

/// A condition on one evidence item.
#[derive(Debug, Clone, Copy)]
pub enum Condition {
    /// An ARM error whose `error.code` equals this (case-insensitive).
    ArmErrorCode(&'static str),
    /// An ARM error with this HTTP status.
    ArmStatus(u16),
    /// A join loop that never ended and lasted at least the join threshold.
    JoinLoopStuck,
    /// A task that may read autostorage failed with this code;
    /// or a node's start task failed with it (start-task failures are reported on the node).
    TaskFailure(&'static str),
    /// A node in this state.
    NodeState(&'static str),
    /// A node the snapshot shows in this state for at least the join
    /// threshold (`stateTransitionTime` to the snapshot's time); a node
    /// seen just after it entered the state is not stuck.
    NodeStuck(&'static str),
    /// A node in this state with an error of this code.
    NodeError(&'static str, &'static str),
    /// An IMDS token request whose `error_description` contains this text.
    ImdsErrorContains(&'static str),
    /// A Storage request that failed with this error code.
    StorageErrorCode(&'static str),
    /// The Storage request is known to have carried a bearer token (a managed identity's).
    StorageBearer,
    /// The Storage request is not in the input, so whether it carried a
    /// bearer token or a SAS is unknown.
    StorageRequestUnknown,
    /// A Storage request with a bearer token and no `x-ms-version` (or Storage saying so).
    StorageBearerWithoutVersion,
}

/// How matching evidence items are grouped.
#[derive(Debug, Clone, Copy)]
pub enum GroupBy {
    /// One diagnosis per Batch account (ARM id, case-insensitive).
    BatchAccount,
    /// One diagnosis for all matching evidence (an account-wide cause seen on many nodes).
    All,
}

/// Settings that conditions depend on.
#[derive(Debug, Clone)]
pub struct Settings {
    /// A join loop this long (seconds) that has not ended means a stuck node (`--join-threshold`).
    pub join_threshold_secs: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            join_threshold_secs: 600,
        }
    }
}

/// Remediation text with `{placeholders}`.
#[derive(Debug)]
pub struct RemediationTemplate {
    /// One sentence.
    pub summary: &'static str,
    /// Ordered steps.
    pub steps: &'static [&'static str],
    /// `(description, shell)` pairs.
    pub commands: &'static [(&'static str, &'static str)],
}

/// Evidence (a JSON array, as in the report's `evidence`) and whether the rule must fire on it.
#[derive(Debug)]
pub struct Sample {
    /// What the sample shows.
    pub name: &'static str,
    /// Must the rule fire?
    pub fires: bool,
    /// JSON array of evidence items.
    pub evidence: &'static str,
}

impl Condition {
    fn holds(&self, e: &Evidence, settings: &Settings) -> bool {
        match *self {
            Condition::ArmErrorCode(code) => e.fact.as_arm_error().is_some_and(|a| {
                a.code
                    .as_deref()
                    .is_some_and(|c| c.eq_ignore_ascii_case(code))
            }),
            Condition::ArmStatus(s) => e.fact.as_arm_error().is_some_and(|a| a.status == s),
            Condition::JoinLoopStuck => e.fact.as_join_loop().is_some_and(|j| {
                !j.ended
                    && j.duration_seconds
                        .is_some_and(|d| d >= settings.join_threshold_secs)
            }),
            Condition::TaskFailure(code) => {
                let task = e.fact.as_task().is_some_and(|t| {
                    let failed = t
                        .failure
                        .as_ref()
                        .and_then(|f| f.code.as_deref())
                        .is_some_and(|c| c.eq_ignore_ascii_case(code));
                    // The node identity reference matters only to autostorage
                    // resource files; files with their own SAS or identity are
                    // not its failures.
                    failed && t.may_use_autostorage()
                });
                // A start task's failure is reported on its node; files
                // with their own SAS or identity are not the reference's.
                let start_task = e.fact.as_node().is_some_and(|n| {
                    n.start_task_may_use_autostorage()
                        && n.start_task_failure
                            .as_ref()
                            .and_then(|f| f.code.as_deref())
                            .is_some_and(|c| c.eq_ignore_ascii_case(code))
                });
                task || start_task
            }
            Condition::ImdsErrorContains(text) => e.fact.as_imds().is_some_and(|i| {
                i.error_description
                    .as_deref()
                    .is_some_and(|d| d.to_ascii_lowercase().contains(&text.to_ascii_lowercase()))
            }),
            Condition::StorageErrorCode(code) => e.fact.as_storage().is_some_and(|s| {
                s.error_code
                    .as_deref()
                    .is_some_and(|c| c.eq_ignore_ascii_case(code))
            }),
            Condition::StorageBearerWithoutVersion => e.fact.as_storage().is_some_and(|s| {
                (s.bearer && s.request_known && s.x_ms_version.is_none())
                    || s.auth_detail
                        .as_deref()
                        .is_some_and(|d| d.contains("Bearer is not supported in this version"))
            }),
            Condition::NodeState(state) => e
                .fact
                .as_node()
                .is_some_and(|n| n.state.eq_ignore_ascii_case(state)),
            Condition::NodeStuck(state) => e.fact.as_node().is_some_and(|n| {
                n.state.eq_ignore_ascii_case(state)
                    && n.in_state_seconds()
                        .is_some_and(|d| d >= settings.join_threshold_secs)
            }),
            Condition::StorageBearer => e.fact.as_storage().is_some_and(|s| s.bearer),
            Condition::StorageRequestUnknown => e
                .fact
                .as_storage()
                .is_some_and(|s| !s.bearer && !s.request_known && !url_has_sas(s.url.as_deref())),
            Condition::NodeError(state, code) => e.fact.as_node().is_some_and(|n| {
                n.state.eq_ignore_ascii_case(state)
                    && n.errors.iter().any(|x| {
                        x.code
                            .as_deref()
                            .is_some_and(|c| c.eq_ignore_ascii_case(code))
                    })
            }),
        }
    }
}

impl Rule {
    /// Every template the rule fills from the evidence: the summary, the
    /// remediation's summary, steps and commands (descriptions and shell),
    /// and the missing-evidence lines.
    pub fn templates(&self) -> impl Iterator<Item = &'static str> + '_ {
        let r = &self.remediation;
        std::iter::once(self.summary)
            .chain(Some(self.assumed_summary).filter(|s| !s.is_empty()))
            .chain(std::iter::once(r.summary))
            .chain(r.steps.iter().copied())
            .chain(r.commands.iter().flat_map(|(d, s)| [*d, *s]))
            .chain(self.missing_evidence.iter().map(|(_, s)| *s))
    }

    /// The symptom an evidence item shows, if any.
    pub fn symptom_of(&self, e: &Evidence, settings: &Settings) -> Option<&Symptom> {
        self.symptoms
            .iter()
            .find(|s| s.all.iter().all(|c| c.holds(e, settings)))
    }

    /// Applies the rule to the bundle. `world` is the whole bundle's view,
    /// built once per report and shared by every rule (see
    /// [`crate::analyze`]); the rule scopes it per account itself.
    pub fn evaluate(&self, world: &World, settings: &Settings) -> Vec<Diagnosis> {
        let evidence = world.items();
        let mut groups: BTreeMap<String, (Vec<&EvidenceItem>, Confidence)> = BTreeMap::new();
        for item in evidence {
            if world.superseded(item) {
                continue;
            }
            let Some(symptom) = self.symptom_of(&item.evidence, settings) else {
                continue;
            };
            let key = match self.group_by {
                GroupBy::BatchAccount => account_key(&item.evidence),
                GroupBy::All => symptom_account(&item.evidence).unwrap_or_default(),
            };
            let g = groups
                .entry(key)
                .or_insert((Vec::new(), Confidence::Possible));
            g.0.push(item);
            g.1 = g.1.min(symptom.alone);
        }
        // Symptoms that name no account (join loops, probes) belong to the
        // account the others name, when they name only one.
        if groups.len() == 2 && groups.contains_key("") {
            if let Some(unnamed) = groups.remove("") {
                if let Some(g) = groups.values_mut().next() {
                    g.0.extend(unnamed.0);
                    g.0.sort_by_key(|i| evidence.iter().position(|e| e.id == i.id));
                    g.1 = g.1.min(unnamed.1);
                }
            }
        }
        let mut out = Vec::new();
        let mut cited: Vec<String> = Vec::new();
        for (key, (items, alone)) in groups {
            // A symptom that names its account is judged by that account's configuration.
            let account_scope = if key.is_empty() {
                world.clone()
            } else {
                world.scoped(&key)
            };
            for (mut items, alone, scope) in self.by_pool(items, alone, account_scope, settings) {
                let scope = &scope;
                if self
                    .refuted_by
                    .iter()
                    .any(|c| matches!(scope.check(*c), Outcome::Holds(_)))
                {
                    continue;
                }
                let outcome = self
                    .config
                    .map(|c| scope.check(c))
                    .unwrap_or(Outcome::Unknown);
                // The configuration that shows the cause is cited with the symptoms.
                let (ids, confidence, undecided) = match outcome {
                    Outcome::Holds(ids) => (ids, Confidence::Confirmed, false),
                    Outcome::Assumed(ids) => (ids, alone, true),
                    Outcome::Unknown => (Vec::new(), alone, true),
                    // The configuration is in the bundle and shows another state: not this cause.
                    Outcome::Fails => continue,
                };
                let extra: Vec<&EvidenceItem> = evidence
                    .iter()
                    .filter(|i| ids.contains(&i.id) && !items.iter().any(|x| x.id == i.id))
                    .collect();
                items.extend(extra);
                let d = self.diagnose(&items, confidence, undecided, scope);
                cited.extend(d.evidence.iter().cloned());
                out.push(d);
            }
        }
        // The configuration alone may predict the failure where no symptom showed it.
        // Each account's configuration is judged on its own.
        if let (Some(confidence), Some(c)) = (self.predicted, self.config) {
            for scope in world.scopes() {
                // Configuration alone predicts a failure only when it shows
                // the whole cause: a prediction resting on an assumption
                // (a pool alone, its account's autostorage unknown) would be
                // a verdict on healthy configuration as often as not.
                let ids = match scope.check(c) {
                    Outcome::Holds(ids) => ids,
                    _ => continue,
                };
                let fresh: Vec<&EvidenceItem> = evidence
                    .iter()
                    .filter(|i| ids.contains(&i.id) && !cited.contains(&i.id))
                    .collect();
                let refuted = self
                    .refuted_by
                    .iter()
                    .any(|r| matches!(scope.check(*r), Outcome::Holds(_)));
                if fresh.iter().any(|i| is_config(&i.evidence)) && !refuted {
                    let d = self.diagnose(&fresh, confidence, false, &scope);
                    cited.extend(d.evidence.iter().cloned());
                    out.push(d);
                }
            }
        }
        out
    }

    /// Splits a group's symptoms by the pool each happened on, when the
    /// bundle holds those pools' configuration and it judges them
    /// differently than the account as a whole: with two pools, a denied
    /// task on the well-configured pool keeps its own diagnosis. Symptoms
    /// on no known pool stay with the account.
    fn by_pool<'w>(
        &self,
        items: Vec<&'w EvidenceItem>,
        alone: Confidence,
        scope: World<'w>,
        settings: &Settings,
    ) -> Vec<(Vec<&'w EvidenceItem>, Confidence, World<'w>)> {
        let verdict = |w: &World| {
            let refuted = self
                .refuted_by
                .iter()
                .any(|c| matches!(w.check(*c), Outcome::Holds(_)));
            let outcome = self.config.map(|c| std::mem::discriminant(&w.check(c)));
            (refuted, outcome)
        };
        let mut by: BTreeMap<String, Vec<&'w EvidenceItem>> = BTreeMap::new();
        let mut rest: Vec<&'w EvidenceItem> = Vec::new();
        for i in items {
            match symptom_pool(&i.evidence).filter(|p| scope.has_pool(p)) {
                Some(p) => by.entry(p.to_ascii_lowercase()).or_default().push(i),
                None => rest.push(i),
            }
        }
        let whole = verdict(&scope);
        if by.keys().all(|p| verdict(&scope.with_pool(p)) == whole) {
            let mut all: Vec<&EvidenceItem> = by.into_values().flatten().chain(rest).collect();
            all.sort_by_key(|i| scope.items().iter().position(|e| e.id == i.id));
            return vec![(all, alone, scope)];
        }
        let confidence = |v: &[&EvidenceItem]| {
            v.iter()
                .filter_map(|i| self.symptom_of(&i.evidence, settings))
                .map(|s| s.alone)
                .min()
                .unwrap_or(alone)
        };
        let mut out: Vec<(Vec<&'w EvidenceItem>, Confidence, World<'w>)> = by
            .into_iter()
            .map(|(p, v)| (confidence(&v), v, scope.with_pool(&p)))
            .map(|(c, v, w)| (v, c, w))
            .collect();
        if !rest.is_empty() {
            let c = confidence(&rest);
            out.push((rest, c, scope));
        }
        out
    }

    fn diagnose(
        &self,
        items: &[&EvidenceItem],
        confidence: Confidence,
        undecided: bool,
        world: &World,
    ) -> Diagnosis {
        let (subjects, used) = subjects(items, world);
        let v = values(&subjects);
        let mut evidence: Vec<String> = items.iter().map(|i| i.id.clone()).collect();
        for id in used {
            push_unique(&mut evidence, id);
        }
        Diagnosis {
            code: self.code.into(),
            slug: self.slug.into(),
            title: self.title.into(),
            confidence,
            scenario: if tasks_only(items) {
                self.task_scenario.or(self.scenario)
            } else {
                self.scenario
            },
            summary: fill(
                if undecided && !self.assumed_summary.is_empty() {
                    self.assumed_summary
                } else {
                    self.summary
                },
                &v,
            ),
            evidence,
            explanation: self.explanation.into(),
            remediation: Remediation {
                summary: fill(self.remediation.summary, &v),
                steps: self.remediation.steps.iter().map(|s| fill(s, &v)).collect(),
                commands: self
                    .remediation
                    .commands
                    .iter()
                    .map(|(d, s)| Command {
                        description: fill(d, &v),
                        shell: fill_per_pool(s, &v, &subjects.pools),
                    })
                    .collect(),
            },
            missing_evidence: if undecided || confidence != Confidence::Confirmed {
                self.missing_evidence
                    .iter()
                    .filter(|(needs, _)| !needs.held_by(world.items()))
                    .map(|(_, s)| s.to_string())
                    .collect()
            } else {
                Vec::new()
            },
            notes: world.agent_notes(self.agent_fixes),
            subjects,
        }
    }

    /// What `checked` says about this rule, given the diagnoses, the input
    /// kinds and the record shapes the inputs held.
    pub fn check(&self, fired: bool, kinds: &[InputKind], shapes: &[Shape]) -> Check {
        let outcome = if fired {
            CheckOutcome::Found
        } else if self.seen_in.iter().any(|k| kinds.contains(k))
            || self.seen_in_shapes.iter().any(|s| shapes.contains(s))
        {
            CheckOutcome::NotFound
        } else {
            CheckOutcome::NoInput
        };
        Check {
            code: self.code.into(),
            description: self.title.into(),
            outcome,
        }
    }
}

/// A URL that carries its own SAS (`sig=`) authenticates without any identity.
fn url_has_sas(url: Option<&str>) -> bool {
    url.and_then(|u| u.split_once('?')).is_some_and(|(_, q)| {
        q.split('&')
            .any(|kv| kv.to_ascii_lowercase().starts_with("sig="))
    })
}

/// Failed tasks (and the configuration they are judged by) are all the
/// diagnosis rests on.
fn tasks_only(items: &[&EvidenceItem]) -> bool {
    items.iter().any(|i| i.evidence.fact.as_task().is_some())
        && items
            .iter()
            .all(|i| i.evidence.fact.as_task().is_some() || is_config(&i.evidence))
}

/// The Batch account a symptom names, lowercase (node and task URLs, ARM ids).
fn symptom_account(e: &Evidence) -> Option<String> {
    let f = &e.fact;
    f.as_task()
        .and_then(|t| t.account.clone())
        .or_else(|| f.as_node().and_then(|n| n.account.clone()))
        .or_else(|| {
            f.as_arm_error()
                .and_then(|a| a.resource.as_ref())
                .and_then(|r| r.name_of("batchAccounts").map(str::to_string))
        })
        .map(|a| a.to_ascii_lowercase())
}

/// Account, pool, task or IMDS configuration (what a prediction rests on).
fn is_config(e: &Evidence) -> bool {
    e.fact.as_account().is_some()
        || e.fact.as_pool().is_some()
        || e.fact.as_task().is_some()
        || e.fact.as_imds().is_some()
}

/// The pool a symptom happened on, when it says.
fn symptom_pool(e: &Evidence) -> Option<&str> {
    let f = &e.fact;
    f.as_task()
        .and_then(|t| t.pool.as_deref())
        .or_else(|| f.as_node().and_then(|n| n.pool.as_deref()))
        .or_else(|| f.as_join_loop().and_then(|j| j.pool.as_deref()))
}

fn account_key(e: &Evidence) -> String {
    e.fact
        .as_arm_error()
        .and_then(|a| a.resource.as_ref())
        .filter(|r| r.name_of("batchAccounts").is_some())
        .map(|r| {
            format!(
                "{}/{}/{}",
                r.subscription,
                r.resource_group.as_deref().unwrap_or(""),
                r.name_of("batchAccounts").unwrap_or("")
            )
            .to_ascii_lowercase()
        })
        .unwrap_or_default()
}

/// Adds a node once: the "upload batch logs" layout writes `_` in node ids
/// as `-`, so ids that differ only there are the same node, and the id with
/// `_` (from node JSON or the log's content) is the real one.
fn push_node(nodes: &mut Vec<NodeRef>, n: NodeRef) {
    let norm = |id: &str| id.replace('_', "-").to_ascii_lowercase();
    match nodes
        .iter_mut()
        .find(|x| x.pool == n.pool && norm(&x.node) == norm(&n.node))
    {
        Some(x) if n.node.contains('_') && !x.node.contains('_') => x.node = n.node,
        Some(_) => {}
        None => nodes.push(n),
    }
}

/// The id Azure Batch knows a node by. Batch names nodes
/// `tvm-<number>_<index>-<timestamp>`; the "upload batch logs" layout writes
/// the `_` as `-`, and a command given that form fails. An id that already
/// has a `_`, or is not of that shape, is kept as it is.
pub(crate) fn real_node_id(id: &str) -> String {
    let Some(rest) = id.strip_prefix("tvm-") else {
        return id.to_string();
    };
    if id.contains('_') {
        return id.to_string();
    }
    let mut parts = rest.splitn(3, '-');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(n), Some(i), Some(ts))
            if !n.is_empty()
                && !i.is_empty()
                && n.bytes().all(|b| b.is_ascii_digit())
                && i.bytes().all(|b| b.is_ascii_digit())
                && !ts.is_empty() =>
        {
            format!("tvm-{n}_{i}-{ts}")
        }
        _ => id.to_string(),
    }
}

fn push_unique<T: PartialEq>(v: &mut Vec<T>, x: T) {
    if !v.contains(&x) {
        v.push(x);
    }
}

/// What the diagnosis is about, and the ids of configuration items it was
/// filled from that are not among `items` (they are cited too).
fn subjects(items: &[&EvidenceItem], world: &World) -> (Subjects, Vec<String>) {
    let mut s = Subjects::default();
    let mut used: Vec<String> = Vec::new();
    for j in items.iter().filter_map(|i| i.evidence.fact.as_join_loop()) {
        let pool = j.pool.clone().unwrap_or_else(|| "<unknown pool>".into());
        push_unique(&mut s.pools, pool.clone());
        push_node(
            &mut s.nodes,
            NodeRef {
                pool,
                node: j.node.clone().unwrap_or_else(|| "<unknown node>".into()),
            },
        );
    }
    for n in items.iter().filter_map(|i| i.evidence.fact.as_node()) {
        let pool = n.pool.clone().unwrap_or_else(|| "<unknown pool>".into());
        push_unique(&mut s.pools, pool.clone());
        push_node(
            &mut s.nodes,
            NodeRef {
                pool,
                node: n.node.clone(),
            },
        );
    }
    for p in items.iter().filter_map(|i| i.evidence.fact.as_pool()) {
        push_unique(&mut s.pools, p.pool.clone());
    }
    for st in items.iter().filter_map(|i| i.evidence.fact.as_storage()) {
        if let Some(u) = &st.url {
            push_unique(&mut s.urls, u.clone());
        }
    }
    for im in items.iter().filter_map(|i| i.evidence.fact.as_imds()) {
        if let Some(r) = &im.requested {
            if r.by.is_resource_id() && s.identity.is_none() {
                s.identity = Some(r.value.clone());
            }
        }
        if let Some((returned, expected)) = world.client_id_mismatch(im) {
            s.returned_client_id = Some(returned);
            s.expected_client_id = Some(expected);
        }
    }
    for t in items.iter().filter_map(|i| i.evidence.fact.as_task()) {
        // A task names its pool when the export kept `nodeInfo` (service
        // logs always do): the fix is for that pool.
        if let Some(p) = &t.pool {
            push_unique(&mut s.pools, p.clone());
        }
        push_unique(
            &mut s.tasks,
            format!("{}/{}", t.job.as_deref().unwrap_or("<job>"), t.task),
        );
    }
    let account = items
        .iter()
        .find_map(|i| i.evidence.fact.as_account())
        .or_else(|| {
            let (id, a) = world.single_account_item()?;
            used.push(id.to_string());
            Some(a)
        });
    if let Some(a) = account {
        if let Some(r) = a
            .account_id
            .as_deref()
            .and_then(batchdiag_parser::arm::ArmResourceId::parse)
        {
            s.subscription = Some(r.subscription.clone());
            s.resource_group = r.resource_group.clone();
            s.account_id = Some(r.id.clone());
        }
        s.account = a.name.clone();
        s.storage_account = a
            .autostorage
            .as_ref()
            .and_then(|x| x.storage_account_id.clone());
        s.identity = a
            .autostorage
            .as_ref()
            .and_then(|x| x.node_identity_reference.clone());
        s.principal_id = a
            .principal_id
            .clone()
            .or_else(|| a.identities.first().and_then(|i| i.principal_id.clone()));
    }
    s.missing_identities = world.resource_identities_not_in_pool();
    if s.identity.is_none() {
        s.identity = items
            .iter()
            .filter_map(|i| i.evidence.fact.as_imds())
            .find_map(|im| {
                im.requested
                    .as_ref()
                    .filter(|r| r.by.is_resource_id())
                    .map(|r| r.value.clone())
            });
    }
    if s.identity.is_none() {
        // The identity the pool already has is the one to reference.
        if let Some((id, p, identity)) = world
            .pool_items()
            .find_map(|(id, p)| p.identities.first().map(|i| (id, p, i)))
        {
            s.identity = Some(identity.resource_id.clone());
            used.push(id.to_string());
            if s.pools.is_empty() {
                s.pools.push(p.pool.clone());
            }
        }
    }
    for item in items {
        let Some(r) = item
            .evidence
            .fact
            .as_arm_error()
            .and_then(|a| a.resource.as_ref())
        else {
            continue;
        };
        // The diagnostic-setting archive upper-cases resource ids: the id
        // as the service wrote it elsewhere names the account better.
        if s.account.as_deref().is_none_or(shouting) {
            if let Some(acct) = r
                .name_of("batchAccounts")
                .filter(|a| s.account.is_none() || !shouting(a))
            {
                s.subscription = Some(r.subscription.clone());
                s.resource_group = r.resource_group.clone();
                s.account = Some(acct.to_string());
                let prefix_len = r
                    .types
                    .iter()
                    .position(|(t, _)| t.eq_ignore_ascii_case("batchAccounts"))
                    .unwrap_or(0)
                    + 1;
                s.account_id = Some(format!(
                    "/subscriptions/{}/resourceGroups/{}/providers/{}/{}",
                    r.subscription,
                    r.resource_group.as_deref().unwrap_or(""),
                    r.provider.as_deref().unwrap_or("Microsoft.Batch"),
                    r.types[..prefix_len]
                        .iter()
                        .map(|(t, n)| format!("{t}/{n}"))
                        .collect::<Vec<_>>()
                        .join("/")
                ));
            }
        }
        if let Some(app) = r.name_of("applications") {
            let new = ApplicationVersion {
                application: app.to_string(),
                version: r.name_of("versions").map(str::to_string),
            };
            // ARM names compare without case: one version, however written.
            let same = |a: &ApplicationVersion| {
                a.application.eq_ignore_ascii_case(&new.application)
                    && a.version.as_deref().map(str::to_ascii_lowercase)
                        == new.version.as_deref().map(str::to_ascii_lowercase)
            };
            match s.applications.iter_mut().find(|a| same(a)) {
                Some(old) if shouting(&old.application) && !shouting(&new.application) => {
                    *old = new
                }
                Some(_) => {}
                None => s.applications.push(new),
            }
        }
    }
    s.applications.sort();
    (s, used)
}

/// A name written all in capitals, as the Azure Monitor archive writes ids.
fn shouting(name: &str) -> bool {
    name.bytes().any(|b| b.is_ascii_uppercase()) && !name.bytes().any(|b| b.is_ascii_lowercase())
}

/// Fills a command template; a command (a line, with its `\` continuation
/// lines) that names `{pool}` is repeated for each pool, so a fix for
/// several pools fixes them all.
fn fill_per_pool(template: &str, v: &Values, pools: &[String]) -> String {
    let slot = format!("{{{}}}", Placeholder::Pool.name());
    if pools.len() < 2 || !template.contains(&slot) {
        return fill(template, v);
    }
    let mut commands: Vec<String> = Vec::new();
    let mut current = String::new();
    for line in template.split('\n') {
        if !current.is_empty() {
            current.push('\n');
        }
        current.push_str(line);
        if !line.ends_with('\\') {
            commands.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        commands.push(current);
    }
    let mut out: Vec<String> = Vec::new();
    for c in commands {
        if c.contains(&slot) {
            for p in pools {
                let mut pv = v.clone();
                pv.insert(Placeholder::Pool, p.clone());
                out.push(fill(&c, &pv));
            }
        } else {
            out.push(fill(&c, v));
        }
    }
    out.join("\n")
}

/// The values of the [`Placeholder`] table this diagnosis knows (each
/// entry's doc says what it holds).
fn values(s: &Subjects) -> Values {
    let mut v = Values::new();
    if let Some(x) = &s.subscription {
        v.insert(Placeholder::Subscription, x.clone());
    }
    if let Some(x) = &s.resource_group {
        v.insert(Placeholder::ResourceGroup, x.clone());
    }
    if let Some(x) = &s.account {
        v.insert(Placeholder::Account, x.clone());
    }
    if let Some(x) = &s.account_id {
        v.insert(Placeholder::AccountId, x.clone());
    }
    if !s.applications.is_empty() {
        let list: Vec<String> = s
            .applications
            .iter()
            .map(|a| match &a.version {
                Some(ver) => format!("{} {}", a.application, ver),
                None => a.application.clone(),
            })
            .collect();
        v.insert(Placeholder::Applications, list.join(", "));
    } else {
        v.insert(Placeholder::Applications, "an application package".into());
    }
    for (k, x) in [
        (Placeholder::StorageAccountId, &s.storage_account),
        (Placeholder::IdentityResourceId, &s.identity),
        (Placeholder::PrincipalId, &s.principal_id),
    ] {
        if let Some(x) = x {
            v.insert(k, x.clone());
        }
    }
    if !s.tasks.is_empty() {
        v.insert(Placeholder::Tasks, s.tasks.join(", "));
    }
    if !s.missing_identities.is_empty() {
        v.insert(
            Placeholder::MissingIdentities,
            s.missing_identities.join(", "),
        );
    }
    for (k, x) in [
        (Placeholder::ReturnedClientId, &s.returned_client_id),
        (Placeholder::ExpectedClientId, &s.expected_client_id),
    ] {
        if let Some(x) = x {
            v.insert(k, x.clone());
        }
    }
    if let Some(u) = s.urls.first() {
        v.insert(
            Placeholder::StorageUrl,
            u.split('?').next().unwrap_or(u).to_string(),
        );
    }
    let short = |id: &str| batchdiag_parser::arm::resource_name(id).to_string();
    v.insert(
        Placeholder::IdentityName,
        s.identity.as_deref().map_or_else(
            || "the node identity".to_string(),
            |i| format!("identity {}", short(i)),
        ),
    );
    v.insert(
        Placeholder::PoolPhrase,
        if s.pools.is_empty() {
            "the pool".to_string()
        } else {
            format!("pool {}", s.pools.join(", "))
        },
    );
    v.insert(
        Placeholder::MissingNames,
        if s.missing_identities.is_empty() {
            "an identity".to_string()
        } else {
            s.missing_identities
                .iter()
                .map(|i| short(i))
                .collect::<Vec<_>>()
                .join(", ")
        },
    );
    v.insert(
        Placeholder::TheAccount,
        s.account.as_ref().map_or_else(
            || "the Batch account".to_string(),
            |a| format!("Batch account {a}"),
        ),
    );
    let n = s.nodes.len();
    v.insert(
        Placeholder::NodesPhrase,
        match (n, s.pools.is_empty()) {
            (0, true) => "its nodes".to_string(),
            (0, false) => format!("the nodes of pool {}", s.pools.join(", ")),
            _ => format!(
                "{n} node{} of pool {}",
                if n == 1 { "" } else { "s" },
                s.pools.join(", ")
            ),
        },
    );
    if s.nodes.is_empty() {
        // No node ids in the bundle: find the stuck ones first.
        let pool = s.pools.first().map_or("<pool>", String::as_str);
        v.insert(
            Placeholder::NodeReboots,
            format!("az batch node list --pool-id {pool} --query \"[?state=='starting'].id\" -o tsv | xargs -n1 az batch node reboot --pool-id {pool} --node-id"),
        );
    }
    if !s.pools.is_empty() {
        v.insert(Placeholder::Pools, s.pools.join(", "));
        v.insert(Placeholder::Pool, s.pools[0].clone());
        let reboots: Vec<String> = s
            .nodes
            .iter()
            .map(|n| {
                format!(
                    "az batch node reboot --pool-id {} --node-id {}",
                    n.pool,
                    real_node_id(&n.node)
                )
            })
            .collect();
        v.insert(Placeholder::NodeReboots, reboots.join("\n"));
    }
    v
}

#[cfg(test)]
mod tests;
