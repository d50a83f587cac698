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
//! - Reports reach writers only through the redaction layer of
//!   `batchdiag-redact`, which owns the credential vocabulary.
#![deny(missing_docs)]

pub mod report;
pub mod rules;
pub mod template;
pub mod world;

use batchdiag_parser::{Evidence, InputKind, InputReport};

pub use report::{Confidence, Diagnosis, Report, SCHEMA_VERSION};

pub use rules::Settings;

/// Builds the report: numbers the evidence, applies every rule, and records what was checked.
pub fn analyze(inputs: Vec<InputReport>, evidence: Vec<Evidence>, settings: &Settings) -> Report {
    let evidence = with_log_times(with_job_files(evidence));
    let evidence: Vec<report::EvidenceItem> = evidence
        .into_iter()
        .enumerate()
        .map(|(i, e)| report::EvidenceItem {
            id: format!("E{}", i + 1),
            evidence: e,
        })
        .collect();
    let counted = |i: &&InputReport| {
        i.error.is_none() || i.evidence_count > 0 || i.har.as_ref().is_some_and(|h| h.entries > 0)
    };
    let shapes: Vec<batchdiag_parser::Shape> = inputs
        .iter()
        .filter(counted)
        .flat_map(|i| i.shapes.iter().copied())
        .collect();
    let kinds: Vec<InputKind> = inputs
        .iter()
        // An input that failed counts only for what it gave: a HAR that
        // could not be read at all (empty, not a HAR) shows nothing, and
        // its rules must say "no input could show it", not "not found".
        .filter(counted)
        .filter(|i| !lost_every_batch_response(i))
        .map(|i| i.kind)
        .collect();
    let mut diagnoses = Vec::new();
    let mut checked = Vec::new();
    // One correlated view for every rule: joining the bundle's files is the
    // same work whichever rule asks.
    let world = world::World::new(&evidence);
    for rule in rules::catalog::RULES {
        let found = rule.evaluate(&world, settings);
        checked.push(rule.check(!found.is_empty(), &kinds, &shapes));
        diagnoses.extend(found);
    }
    // Most certain first; the catalog order breaks ties.
    diagnoses.sort_by_key(|d| d.confidence);
    let mut notes = sas_notes(&evidence);
    if !inputs.iter().any(is_analysable) {
        notes.push(NOTHING_READ.into());
    }
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

/// Gives each task its job's `commonResourceFiles` when the bundle holds
/// the job JSON: a task's failure may be one of them, and a task whose own
/// files carry a SAS may still read the job's from autostorage.
fn with_job_files(mut evidence: Vec<Evidence>) -> Vec<Evidence> {
    let jobs: Vec<batchdiag_parser::evidence::JobConfig> = evidence
        .iter()
        .filter_map(|e| e.fact.as_job().cloned())
        .collect();
    if jobs.is_empty() {
        return evidence;
    }
    for e in &mut evidence {
        if let batchdiag_parser::Fact::TaskResult(t) = &mut e.fact {
            let same = |a: &Option<String>, b: &Option<String>| match (a, b) {
                (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                _ => true,
            };
            let job = jobs.iter().find(|j| {
                t.job
                    .as_deref()
                    .is_some_and(|id| id.eq_ignore_ascii_case(&j.job))
                    && same(&t.account, &j.account)
            });
            if let Some(j) = job {
                t.job_files = j.common_resource_files.clone();
            }
        }
    }
    evidence
}

/// Gives a node snapshot that holds no time after its own
/// `stateTransitionTime` (no `Date` of the answer that carried it, no later
/// `...Time` in the node) the time its logs show it still in its join loop:
/// the node was still starting then. A loop that ended says the node left
/// the state, so it gives no such time; an earlier log time changes nothing.
fn with_log_times(mut evidence: Vec<Evidence>) -> Vec<Evidence> {
    let loops: Vec<(String, Option<String>, jiff::Timestamp)> = evidence
        .iter()
        .filter_map(|e| e.fact.as_join_loop())
        .filter(|j| !j.ended)
        .filter_map(|j| {
            let node = rules::real_node_id(j.node.as_deref()?).to_ascii_lowercase();
            let last = j.last.as_deref()?.parse().ok()?;
            Some((node, j.pool.clone(), last))
        })
        .collect();
    if loops.is_empty() {
        return evidence;
    }
    for e in &mut evidence {
        let batchdiag_parser::Fact::NodeStatus(n) = &mut e.fact else {
            continue;
        };
        if !n.state.eq_ignore_ascii_case("starting") {
            continue;
        }
        let Some(since) = n
            .state_since
            .as_deref()
            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
        else {
            continue;
        };
        let id = rules::real_node_id(&n.node).to_ascii_lowercase();
        let same_pool = |p: &Option<String>| match (p, &n.pool) {
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            _ => true,
        };
        let latest = loops
            .iter()
            .filter(|(node, pool, _)| *node == id && same_pool(pool))
            .map(|(_, _, t)| *t)
            .max();
        let seen = n.observed().unwrap_or(since);
        if let Some(t) = latest.filter(|t| *t > seen) {
            n.observed_at = Some(t.to_string());
        }
    }
    evidence
}

/// The note of a report in which no input could be analysed.
pub const NOTHING_READ: &str = "Nothing in the inputs is a HAR capture, a node-agent log, a resource JSON or a probe: nothing could be analysed.";

/// An input whose content was analysed (archives are only containers).
pub fn is_analysable(i: &InputReport) -> bool {
    matches!(
        i.kind,
        InputKind::Har | InputKind::AgentLog | InputKind::Log | InputKind::Json | InputKind::Probe
    )
}

/// A capture whose every portal `/batch` call lost its response body (a
/// sanitized export, Firefox without bodies) cannot show what those bodies
/// would have: the rules it serves say "no input could show it", not "not
/// found".
fn lost_every_batch_response(i: &InputReport) -> bool {
    i.evidence_count == 0
        && i.har
            .as_ref()
            .is_some_and(|h| h.batch_calls > 0 && h.batch_without_response == h.batch_calls)
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

#[cfg(test)]
mod tests {
    use super::*;
    use batchdiag_parser::har::HarSummary;
    use batchdiag_parser::Location;

    fn har(calls: u64, without: u64) -> InputReport {
        let mut r = InputReport::new(&Location::file("p.har"), InputKind::Har);
        r.har = Some(HarSummary {
            entries: calls,
            batch_calls: calls,
            batch_without_response: without,
            ..HarSummary::default()
        });
        r
    }

    fn bd101(inputs: Vec<InputReport>) -> report::CheckOutcome {
        let r = analyze(inputs, Vec::new(), &Settings::default());
        r.checked
            .into_iter()
            .find(|c| c.code == "BD101")
            .map(|c| c.outcome)
            .unwrap()
    }

    #[test]
    fn a_report_builds_its_world_once() {
        let rule = rules::catalog::find("BD201").unwrap();
        let evidence: Vec<Evidence> = serde_json::from_str(rule.samples[0].evidence).unwrap();
        let before = world::BUILT.with(|n| n.get());
        let r = analyze(Vec::new(), evidence, &Settings::default());
        assert!(!r.diagnoses.is_empty(), "the rules ran");
        assert_eq!(world::BUILT.with(|n| n.get()) - before, 1);
    }

    #[test]
    fn a_task_reads_its_jobs_common_resource_files() {
        // The task's own file has a SAS; its job's common files come from autostorage.
        let ev: Vec<Evidence> = serde_json::from_str(
            r#"[{"source":{"path":"job.json"},"kind":"job_config","job":"job-1","pool":"p",
                 "common_resource_files":[{"kind":"auto_storage_container","source":"shared"}]},
                {"source":{"path":"task.json"},"kind":"task_result","job":"job-1","task":"t1",
                 "resource_files":[{"kind":"http_url","source":"https://sa.blob.core.windows.net/c/f?sig=x","has_sas":true}],
                 "failure":{"code":"ResourceContainerAccessDenied"}}]"#,
        )
        .unwrap();
        let r = analyze(Vec::new(), ev, &Settings::default());
        let t = r.evidence[1].evidence.fact.as_task().unwrap();
        assert_eq!(t.job_files.len(), 1);
        assert!(!t.uses_only_sas());
        assert!(t.may_use_autostorage());
        assert!(r.notes.iter().all(|n| !n.contains("SAS")), "{:?}", r.notes);
        assert!(r.diagnoses.iter().any(|d| d.code == "BD201"));
    }

    #[test]
    fn a_report_of_nothing_says_so() {
        let unknown = InputReport::new(&Location::file("x.bin"), InputKind::Unrecognized);
        let r = analyze(vec![unknown], Vec::new(), &Settings::default());
        assert_eq!(r.notes, vec![NOTHING_READ.to_string()]);
        let r = analyze(vec![har(1, 0)], Vec::new(), &Settings::default());
        assert!(r.notes.is_empty());
    }

    #[test]
    fn a_capture_without_response_bodies_could_not_show_bd101() {
        assert_eq!(bd101(vec![har(3, 3)]), report::CheckOutcome::NoInput);
        assert_eq!(bd101(vec![har(3, 1)]), report::CheckOutcome::NotFound);
        assert_eq!(bd101(vec![har(0, 0)]), report::CheckOutcome::NotFound);
    }

    #[test]
    fn a_capture_that_could_not_be_read_at_all_could_not_show_bd101() {
        let mut empty = har(0, 0);
        empty.set_error(batchdiag_parser::InputError::new(
            Location::file("p.har"),
            batchdiag_parser::InputErrorKind::Syntax("empty file".into()),
        ));
        assert_eq!(bd101(vec![empty.clone()]), report::CheckOutcome::NoInput);
        // Cut after some entries: what was read could show it.
        let mut cut = har(5, 0);
        cut.error = empty.error.clone();
        assert_eq!(bd101(vec![cut]), report::CheckOutcome::NotFound);
    }

    #[test]
    fn an_activity_log_counts_as_looked_at_for_bd101() {
        let mut json = InputReport::new(&Location::file("events.json"), InputKind::Json);
        assert_eq!(bd101(vec![json.clone()]), report::CheckOutcome::NoInput);
        json.shapes = vec![batchdiag_parser::Shape::ActivityLog];
        assert_eq!(bd101(vec![json.clone()]), report::CheckOutcome::NotFound);
        json.shapes = vec![batchdiag_parser::Shape::ServiceLog];
        assert_eq!(bd101(vec![json]), report::CheckOutcome::NoInput);
    }

    fn starting_node_and_loop(ended: bool) -> Vec<Evidence> {
        serde_json::from_str(&format!(
            r#"[{{"source":{{"path":"nodes.json"}},"kind":"node_status","pool":"p","node":"tvm-1_1-20240611t090000z",
                 "state":"starting","state_since":"2024-06-11T09:10:00Z","observed_at":"2024-06-11T09:10:00Z"}},
                {{"source":{{"path":"p/tvm-1-1-20240611t090000z/x/agent-debug.log"}},"kind":"join_loop","pool":"p",
                 "node":"tvm-1-1-20240611t090000z","attribution":"layout","count":300,"first":"2024-06-11T09:11:00Z",
                 "last":"2024-06-11T09:40:00Z","duration_seconds":1740,"ended":{ended},"last_source":{{"path":"l"}},"files":[]}}]"#
        ))
        .unwrap()
    }

    #[test]
    fn a_starting_node_without_a_later_time_is_seen_when_its_logs_still_join() {
        let r = analyze(
            Vec::new(),
            starting_node_and_loop(false),
            &Settings::default(),
        );
        let n = r.evidence[0].evidence.fact.as_node().unwrap();
        assert_eq!(n.observed_at.as_deref(), Some("2024-06-11T09:40:00Z"));
        assert_eq!(n.in_state_seconds(), Some(1800));
        // A loop that ended says the node left the state: no such time.
        let r = analyze(
            Vec::new(),
            starting_node_and_loop(true),
            &Settings::default(),
        );
        let n = r.evidence[0].evidence.fact.as_node().unwrap();
        assert_eq!(n.observed_at.as_deref(), Some("2024-06-11T09:10:00Z"));
    }

    #[test]
    fn missing_evidence_never_asks_for_an_input_the_bundle_holds() {
        // A storage probe denied with a bearer token, and the pool JSON:
        // BD202 would help with the account JSON only.
        let ev: Vec<Evidence> = serde_json::from_str(
            r#"[{"source":{"path":"probe.txt"},"kind":"storage_request","url":"https://sa.blob.core.windows.net/c/b","status":403,
                 "error_code":"AuthorizationPermissionMismatch","bearer":true,"request_known":true,"x_ms_version":"2021-08-06"},
                {"source":{"path":"pool.json"},"kind":"pool_config","pool":"p","plane":"data","identity_type":"UserAssigned",
                 "identities":[{"resource_id":"/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u"}]}]"#,
        )
        .unwrap();
        let r = analyze(Vec::new(), ev, &Settings::default());
        let d = r
            .diagnoses
            .iter()
            .find(|d| d.code == "BD202")
            .expect("BD202");
        assert!(!d.missing_evidence.is_empty());
        for line in &d.missing_evidence {
            assert!(line.starts_with("The Batch account JSON"), "{line}");
        }
    }

    #[test]
    fn one_application_version_however_its_id_is_cased() {
        let id = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Batch/batchAccounts/alpine/applications/transcode/versions/3.0.1";
        let item = |id: &str| {
            format!(
                r#"{{"source":{{"path":"a.json"}},"kind":"arm_error","method":"PUT","url":"{id}","status":409,"code":"AutoStorageNoPermission",
                   "resource":{}}}"#,
                serde_json::to_string(&batchdiag_parser::ArmResourceId::parse(id).unwrap())
                    .unwrap()
            )
        };
        let ev: Vec<Evidence> =
            serde_json::from_str(&format!("[{},{}]", item(&id.to_uppercase()), item(id))).unwrap();
        let r = analyze(Vec::new(), ev, &Settings::default());
        let d = &r.diagnoses[0];
        assert!(d.summary.contains("account alpine "), "{}", d.summary);
        assert!(
            d.summary.ends_with("could not store transcode 3.0.1."),
            "{}",
            d.summary
        );
    }
}
