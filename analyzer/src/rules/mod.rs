//! Diagnosis rules as data, and the engine that applies them.
//!
//! A [`Rule`] is a table row: its catalog code and slug, the conditions an
//! evidence item must meet, how matching items are grouped into diagnoses,
//! the explanation, a remediation template, and samples that must and must
//! not fire. [`catalog::RULES`] is the table; `tests` runs every sample.

pub mod catalog;

use std::collections::BTreeMap;

use batchdiag_parser::{Evidence, InputKind};

use crate::report::{
    ApplicationVersion, Check, CheckOutcome, Command, Confidence, Diagnosis, EvidenceItem, NodeRef,
    Remediation, Scenario, Subjects,
};
use crate::template::{fill, Values};

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
    /// One-sentence summary template (placeholders: see [`values`]).
    pub summary: &'static str,
    /// Long explanation (`batchdiag explain`).
    pub explanation: &'static str,
    /// Conditions one evidence item must all meet.
    pub when: &'static [Condition],
    /// How matching evidence becomes diagnoses.
    pub group_by: GroupBy,
    /// Confidence when the rule fires.
    pub confidence: Confidence,
    /// The fix.
    pub remediation: RemediationTemplate,
    /// Inputs that would complete the picture, as advice.
    pub missing_evidence: &'static [&'static str],
    /// Input kinds able to show this cause (drives `checked`).
    pub seen_in: &'static [InputKind],
    /// Evidence that must (or must not) make the rule fire.
    pub samples: &'static [Sample],
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
        }
    }
}

impl Rule {
    /// True when one evidence item meets every condition.
    pub fn matches(&self, e: &Evidence, settings: &Settings) -> bool {
        self.when.iter().all(|c| c.holds(e, settings))
    }

    /// Applies the rule to all evidence.
    pub fn evaluate(&self, evidence: &[EvidenceItem], settings: &Settings) -> Vec<Diagnosis> {
        let mut groups: BTreeMap<String, Vec<&EvidenceItem>> = BTreeMap::new();
        for item in evidence
            .iter()
            .filter(|i| self.matches(&i.evidence, settings))
        {
            let key = match self.group_by {
                GroupBy::BatchAccount => account_key(&item.evidence),
                GroupBy::All => String::new(),
            };
            groups.entry(key).or_default().push(item);
        }
        groups
            .into_values()
            .map(|items| self.diagnose(&items))
            .collect()
    }

    fn diagnose(&self, items: &[&EvidenceItem]) -> Diagnosis {
        let subjects = subjects(items);
        let v = values(&subjects);
        Diagnosis {
            code: self.code.into(),
            slug: self.slug.into(),
            title: self.title.into(),
            confidence: self.confidence,
            scenario: self.scenario,
            summary: fill(self.summary, &v),
            subjects,
            evidence: items.iter().map(|i| i.id.clone()).collect(),
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
                        shell: fill(s, &v),
                    })
                    .collect(),
            },
            missing_evidence: self
                .missing_evidence
                .iter()
                .map(|s| s.to_string())
                .collect(),
        }
    }

    /// What `checked` says about this rule, given the diagnoses and input kinds.
    pub fn check(&self, fired: bool, kinds: &[InputKind]) -> Check {
        let outcome = if fired {
            CheckOutcome::Found
        } else if self.seen_in.iter().any(|k| kinds.contains(k)) {
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

fn subjects(items: &[&EvidenceItem]) -> Subjects {
    let mut s = Subjects::default();
    for j in items.iter().filter_map(|i| i.evidence.fact.as_join_loop()) {
        let pool = j.pool.clone().unwrap_or_else(|| "<unknown pool>".into());
        if !s.pools.contains(&pool) {
            s.pools.push(pool.clone());
        }
        s.nodes.push(NodeRef {
            pool,
            node: j.node.clone().unwrap_or_else(|| "<unknown node>".into()),
        });
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
        if s.account.is_none() {
            if let Some(acct) = r.name_of("batchAccounts") {
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
            let av = ApplicationVersion {
                application: app.to_string(),
                version: r.name_of("versions").map(str::to_string),
            };
            if !s.applications.contains(&av) {
                s.applications.push(av);
            }
        }
    }
    s.applications.sort();
    s
}

/// Placeholder values: `subscription`, `resource_group`, `account`,
/// `account_id`, `applications` (e.g. `app1 2.0, app2`), `account_ref`
/// (the `az` arguments that name the account).
fn values(s: &Subjects) -> Values {
    let mut v = Values::new();
    if let Some(x) = &s.subscription {
        v.insert("subscription", x.clone());
    }
    if let Some(x) = &s.resource_group {
        v.insert("resource_group", x.clone());
    }
    if let Some(x) = &s.account {
        v.insert("account", x.clone());
    }
    if let Some(x) = &s.account_id {
        v.insert("account_id", x.clone());
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
        v.insert("applications", list.join(", "));
    } else {
        v.insert("applications", "an application package".into());
    }
    if !s.pools.is_empty() {
        v.insert("pools", s.pools.join(", "));
        v.insert("pool", s.pools[0].clone());
        let n = s.nodes.len();
        v.insert(
            "node_count",
            format!("{n} node{}", if n == 1 { "" } else { "s" }),
        );
        let reboots: Vec<String> = s
            .nodes
            .iter()
            .map(|n| {
                format!(
                    "az batch node reboot --pool-id {} --node-id {}",
                    n.pool, n.node
                )
            })
            .collect();
        v.insert("node_reboots", reboots.join("\n"));
    }
    v
}

#[cfg(test)]
mod tests;
