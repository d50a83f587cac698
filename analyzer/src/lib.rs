//! # batchdiag-analyzer
//!
//! Turns evidence into diagnoses: root causes from the catalog (BD101-BD403)
//! with their evidence, confidence and the exact fix.
//!
//! Brief overview:
//! - [`analyze`] takes what the parser read and returns a [`Report`], the
//!   JSON contract (`schema_version` 1).
//! - [`rules::catalog::RULES`] is the catalog as data; each rule carries
//!   samples that must and must not fire.
//! - [`redact::redact`] is the single redaction layer between a report and
//!   any writer.
#![deny(missing_docs)]

pub mod redact;
pub mod report;
pub mod rules;
pub mod template;
pub mod world;

use batchdiag_parser::{Evidence, InputKind, InputReport};

pub use report::{Confidence, Diagnosis, Report, SCHEMA_VERSION};

pub use rules::Settings;

/// Builds the report: numbers the evidence, applies every rule, and records what was checked.
pub fn analyze(inputs: Vec<InputReport>, evidence: Vec<Evidence>, settings: &Settings) -> Report {
    let evidence: Vec<report::EvidenceItem> = evidence
        .into_iter()
        .enumerate()
        .map(|(i, e)| report::EvidenceItem {
            id: format!("E{}", i + 1),
            evidence: e,
        })
        .collect();
    let kinds: Vec<InputKind> = inputs
        .iter()
        .filter(|i| i.error.is_none() || i.evidence_count > 0 || i.har.is_some())
        .map(|i| i.kind)
        .collect();
    let mut diagnoses = Vec::new();
    let mut checked = Vec::new();
    for rule in rules::catalog::RULES {
        let found = rule.evaluate(&evidence, settings);
        checked.push(rule.check(!found.is_empty(), &kinds));
        diagnoses.extend(found);
    }
    // Most certain first; the catalog order breaks ties.
    diagnoses.sort_by_key(|d| d.confidence);
    let notes = sas_notes(&evidence);
    Report {
        schema_version: SCHEMA_VERSION,
        tool: report::Tool {
            name: "batchdiag".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        bundle: None,
        inputs,
        evidence,
        diagnoses,
        checked,
        notes,
    }
}

/// Failed tasks whose resource files all carry their own SAS used no managed
/// identity: say so rather than blame one.
fn sas_notes(evidence: &[report::EvidenceItem]) -> Vec<String> {
    evidence
        .iter()
        .filter_map(|i| {
            let t = i.evidence.fact.as_task()?;
            let code = t.failure.as_ref()?.code.as_deref()?;
            t.uses_only_sas().then(|| {
                format!(
                    "{}: task {}/{} failed with {code}, but every resource file URL carries its own SAS: no managed identity is involved; check the SAS (expiry `se`, permissions `sp`, the container) instead.",
                    i.id,
                    t.job.as_deref().unwrap_or("?"),
                    t.task
                )
            })
        })
        .collect()
}
