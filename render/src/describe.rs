//! Evidence in words: every kind of [`Fact`] becomes the lines a reader
//! sees under the evidence id, whatever the output format.

use batchdiag_analyzer::report::EvidenceItem;
use batchdiag_parser::arm::resource_name as short_id;
use batchdiag_parser::evidence::{
    AccountConfig, ArmError, BatchError, ImdsToken, JobConfig, JoinLoop, NodeStatus, PoolConfig,
    StorageRequest, TaskResult,
};
use batchdiag_parser::{Evidence, Fact};

use crate::view::{Detail, Line};

/// One evidence item described: its id, where and when it was found, and
/// what it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribedEvidence {
    /// `E1`, `E2`, ...
    pub id: String,
    /// Where it was found (`file:line`, `log.entries[N]`, ...).
    pub location: String,
    /// When it happened, if the input says.
    pub time: Option<String>,
    /// What it shows; never empty.
    pub details: Vec<Detail>,
}

impl DescribedEvidence {
    /// The heading line without emphasis: `E1  path:12  2024-05-01T10:00:02Z`.
    pub fn title(&self) -> String {
        let time = self
            .time
            .as_deref()
            .map(|t| format!("  {t}"))
            .unwrap_or_default();
        format!("{}  {}{time}", self.id, self.location)
    }
}

/// Describes one evidence item.
pub fn describe(item: &EvidenceItem) -> DescribedEvidence {
    let Evidence { source, time, fact } = &item.evidence;
    DescribedEvidence {
        id: item.id.clone(),
        location: source.to_string(),
        time: time.clone(),
        details: known(fact).unwrap_or_else(|| generic(fact)),
    }
}

/// The kinds this crate knows, each by name, so that a reader of a new kind
/// is written here rather than left to [`generic`]. `Fact` is
/// `#[non_exhaustive]`, so the compiler cannot insist from this crate; the
/// corpus test does instead: no kind found in the corpus may come back `None`.
pub(crate) fn known(fact: &Fact) -> Option<Vec<Detail>> {
    Some(match fact {
        Fact::ArmError(a) => arm_error(a),
        Fact::JoinLoop(j) => join_loop(j),
        Fact::AccountConfig(a) => vec![account(a)],
        Fact::PoolConfig(p) => vec![pool(p)],
        Fact::NodeStatus(n) => node(n),
        Fact::TaskResult(t) => task(t),
        Fact::ImdsToken(i) => vec![imds(i)],
        Fact::StorageRequest(s) => storage(s),
        Fact::BatchError(b) => batch_error(b),
        Fact::JobConfig(j) => job(j),
        _ => return None,
    })
}

/// A kind added to the parser after this writer: its `kind` and its
/// fields as they are in the JSON report, so it still says something.
fn generic(fact: &Fact) -> Vec<Detail> {
    let value = serde_json::to_value(fact).unwrap_or(serde_json::Value::Null);
    vec![Detail::new(generic_line(&value))]
}

fn generic_line(value: &serde_json::Value) -> Line {
    let Some(fields) = value.as_object() else {
        return Line::new().plain(format!("evidence {value}"));
    };
    let kind = fields
        .get("kind")
        .and_then(|k| k.as_str())
        .unwrap_or("evidence");
    let rest: Vec<String> = fields
        .iter()
        .filter(|(k, v)| k.as_str() != "kind" && !v.is_null())
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => format!("{k} {s}"),
            other => format!("{k} {other}"),
        })
        .collect();
    if rest.is_empty() {
        Line::new().strong(kind.to_string())
    } else {
        Line::new()
            .strong(kind.to_string())
            .plain(format!(": {}", rest.join("; ")))
    }
}

fn arm_error(a: &ArmError) -> Vec<Detail> {
    let method = a.method.as_deref().unwrap_or("?");
    let url = a.url.as_deref().unwrap_or("(request not in the capture)");
    let code = a.code.as_deref().unwrap_or("(no error code)");
    let mut call = Line::new()
        .plain(format!("{method} {url} -> "))
        .strong(format!("{} {code}", a.status));
    if let Some(env) = &a.envelope {
        call = call
            .plain(" ")
            .faint(format!("(inside POST /batch answered {})", env.status));
    }
    let mut lines = vec![Detail::new(call)];
    if let Some(m) = &a.message {
        lines.push(Detail::new(Line::new().plain(format!("\"{}\"", m.trim()))));
    }
    lines
}

fn job(j: &JobConfig) -> Vec<Detail> {
    let mut lines = vec![Detail::new(
        Line::new()
            .plain(format!(
                "job {} on pool {}: ",
                j.job,
                j.pool.as_deref().unwrap_or("?")
            ))
            .strong(format!(
                "{} common resource files",
                j.common_resource_files.len()
            )),
    )];
    for f in &j.common_resource_files {
        let how = if f.has_sas {
            "its own SAS (no identity)"
        } else {
            f.identity
                .as_deref()
                .map(short_id)
                .unwrap_or("the node identity reference")
        };
        lines.push(Detail::nested(
            Line::new().plain(format!("{} {} via {how}", f.kind, f.source)),
        ));
    }
    lines
}

fn batch_error(b: &BatchError) -> Vec<Detail> {
    let status = b.status.map(|s| format!("{s} ")).unwrap_or_default();
    let code = b.code.as_deref().unwrap_or("(no error code)");
    let about = match (&b.account, &b.task) {
        (_, Some(t)) => format!("Batch service error for task {t}: "),
        (Some(a), None) => format!("Batch service error from account {a}: "),
        (None, None) => "Batch service error: ".to_string(),
    };
    let mut lines = vec![Detail::new(
        Line::new().plain(about).strong(format!("{status}{code}")),
    )];
    if let Some(m) = &b.message {
        lines.push(Detail::new(Line::new().plain(format!("\"{}\"", m.trim()))));
    }
    for d in &b.details {
        lines.push(Detail::nested(Line::new().plain(d.clone())));
    }
    lines
}

fn account(a: &AccountConfig) -> Detail {
    let auto = a.autostorage.as_ref();
    Detail::new(Line::new().plain(format!(
        "account {}: identity {}; autostorage {} with {}; node identity reference {}",
        a.name.as_deref().unwrap_or("?"),
        a.identity_type.as_deref().unwrap_or("none"),
        auto.and_then(|x| x.storage_account_id.as_deref())
            .map(|id| id.rsplit('/').next().unwrap_or(id))
            .unwrap_or("(not linked)"),
        auto.and_then(|x| x.authentication_mode.as_deref())
            .unwrap_or("StorageKeys"),
        auto.and_then(|x| x.node_identity_reference.as_deref())
            .map(short_id)
            .unwrap_or("NOT SET"),
    )))
}

fn pool(p: &PoolConfig) -> Detail {
    let ids: Vec<&str> = p
        .identities
        .iter()
        .map(|i| short_id(&i.resource_id))
        .collect();
    Detail::new(Line::new().plain(format!(
        "pool {} ({} plane): identity {}{}{}",
        p.pool,
        p.plane,
        p.identity_type.as_deref().unwrap_or("none"),
        if ids.is_empty() {
            String::new()
        } else {
            format!(" [{}]", ids.join(", "))
        },
        if p.application_packages.is_empty() {
            String::new()
        } else {
            format!("; packages {}", p.application_packages.join(", "))
        },
    )))
}

fn node(n: &NodeStatus) -> Vec<Detail> {
    let errors: Vec<String> = n
        .errors
        .iter()
        .map(|e| e.code.clone().unwrap_or_default())
        .collect();
    let rest = format!(
        "{}{}",
        if errors.is_empty() {
            String::new()
        } else {
            format!(", errors {}", errors.join(", "))
        },
        n.agent_version
            .as_deref()
            .map(|v| format!(", agent {v}"))
            .unwrap_or_default(),
    );
    let mut lines = vec![Detail::new(
        Line::new()
            .plain(format!(
                "node {} / {}: ",
                n.pool.as_deref().unwrap_or("?"),
                n.node
            ))
            .strong(n.state.clone())
            .plain(rest),
    )];
    if let Some(f) = &n.start_task_failure {
        lines.push(Detail::new(
            Line::new()
                .plain("start task failed: ")
                .strong(f.code.as_deref().unwrap_or("?"))
                .plain(
                    f.message
                        .as_deref()
                        .map(|m| format!(" \"{m}\""))
                        .unwrap_or_default(),
                ),
        ));
    }
    lines
}

fn task(t: &TaskResult) -> Vec<Detail> {
    let code = t
        .failure
        .as_ref()
        .and_then(|f| f.code.as_deref())
        .unwrap_or("no failure");
    let mut lines = vec![Detail::new(
        Line::new()
            .plain(format!(
                "task {}/{}: ",
                t.job.as_deref().unwrap_or("?"),
                t.task
            ))
            .strong(code),
    )];
    for f in &t.resource_files {
        let how = if f.has_sas {
            "its own SAS (no identity)"
        } else {
            f.identity
                .as_deref()
                .map(short_id)
                .unwrap_or("the node identity reference")
        };
        lines.push(Detail::nested(
            Line::new().plain(format!("{} {} via {how}", f.kind, f.source)),
        ));
    }
    lines
}

fn imds(i: &ImdsToken) -> Detail {
    let asked = i
        .requested
        .as_ref()
        .map_or("no identity named".to_string(), |r| {
            format!("{} {}", r.by, short_id(&r.value))
        });
    let answer = match (&i.client_id, &i.error) {
        (Some(c), _) => format!("token for client id {c}"),
        (None, Some(e)) => format!("{e}: {}", i.error_description.as_deref().unwrap_or("")),
        _ => "no answer captured".to_string(),
    };
    let status = i.status.map(|s| format!("{s} ")).unwrap_or_default();
    Detail::new(
        Line::new()
            .plain(format!("IMDS token request ({asked}) -> "))
            .strong(format!("{status}{answer}")),
    )
}

fn storage(st: &StorageRequest) -> Vec<Detail> {
    let target = st.url.as_deref().unwrap_or("(request not captured)");
    let status = st
        .status
        .map(|s| s.to_string())
        .unwrap_or_else(|| "?".into());
    // A missing x-ms-version only means something when the request was seen.
    let auth = match (st.bearer, &st.x_ms_version, st.request_known) {
        (true, None, true) => " [bearer token, no x-ms-version]",
        (true, Some(_), _) => " [bearer token]",
        _ => "",
    };
    let mut lines = vec![Detail::new(
        Line::new()
            .plain(format!(
                "{} {target} -> ",
                st.method.as_deref().unwrap_or("Storage")
            ))
            .strong(format!(
                "{status} {}",
                st.error_code.as_deref().unwrap_or("")
            ))
            .plain(auth),
    )];
    if let Some(d) = st.auth_detail.as_deref().or(st.message.as_deref()) {
        lines.push(Detail::new(Line::new().plain(format!("\"{d}\""))));
    }
    lines
}

fn join_loop(j: &JoinLoop) -> Vec<Detail> {
    // The repeats collapse into one line per node.
    let pool = j.pool.as_deref().unwrap_or("<unknown pool>");
    let node = j.node.as_deref().unwrap_or("<unknown node>");
    let span = match (&j.first, &j.last, j.duration_seconds) {
        (Some(f), Some(l), Some(d)) => format!(" from {f} to {l} ({})", duration(d)),
        _ => String::new(),
    };
    let line = Line::new()
        .strong(format!("{pool} / {node}"))
        .plain(format!(
            ": {} x TvmJoinPoolInProgress{span}, ",
            thousands(j.count)
        ));
    let line = match &j.ended_by {
        Some(e) => line.plain(format!(
            "ended by health=Status.{}{}",
            e.status,
            e.time
                .as_deref()
                .map(|t| format!(" at {t}"))
                .unwrap_or_default()
        )),
        None => line.strong("never ended"),
    };
    let mut detail = format!("last at {}", j.last_source);
    if let Some(end) = &j.log_end {
        detail.push_str(&format!("; logs end {end}"));
    }
    if j.files.len() > 1 {
        detail.push_str(&format!("; {} files joined", j.files.len()));
    }
    if j.attribution == batchdiag_parser::evidence::Attribution::Layout {
        detail.push_str("; node id from the upload layout, where '-' may stand for '_'");
    }
    vec![Detail::new(line), Detail::new(Line::new().faint(detail))]
}

fn duration(secs: i64) -> String {
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m {s:02}s"),
        _ => format!("{h}h {m:02}m"),
    }
}

/// `12,345`: counts of log lines and reports run into the millions.
pub(crate) fn thousands(n: u64) -> String {
    let d = n.to_string();
    let mut out = String::new();
    for (i, c) in d.chars().enumerate() {
        if i > 0 && (d.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Every evidence item of every golden JSON report.
    fn corpus_evidence() -> Vec<EvidenceItem> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus/expected");
        let mut items = Vec::new();
        let mut names: Vec<_> = std::fs::read_dir(&dir)
            .expect("corpus/expected exists")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        names.sort();
        for path in names {
            let text = std::fs::read_to_string(&path).expect("readable");
            let report: batchdiag_analyzer::report::Report =
                serde_json::from_str(&text).expect("a report");
            items.extend(report.evidence);
        }
        items
    }

    #[test]
    fn every_kind_in_the_corpus_is_described_by_name_and_says_something() {
        let mut kinds = BTreeSet::new();
        for item in corpus_evidence() {
            let kind = serde_json::to_value(&item.evidence.fact).expect("serializable")["kind"]
                .as_str()
                .expect("tagged")
                .to_string();
            let lines = known(&item.evidence.fact)
                .unwrap_or_else(|| panic!("{kind} is left to the generic description"));
            assert!(!lines.is_empty(), "{kind}: no detail");
            assert!(
                lines.iter().all(|l| !l.line.text().trim().is_empty()),
                "{kind}: an empty detail line"
            );
            let d = describe(&item);
            assert!(d.title().starts_with(&item.id));
            kinds.insert(kind);
        }
        let all = [
            "account_config",
            "arm_error",
            "batch_error",
            "imds_token",
            "job_config",
            "join_loop",
            "node_status",
            "pool_config",
            "storage_request",
            "task_result",
        ];
        assert_eq!(kinds, all.iter().map(|k| k.to_string()).collect());
    }

    #[test]
    fn an_unknown_kind_still_names_its_kind_and_fields() {
        let v =
            serde_json::json!({"kind": "quota_exceeded", "pool": "p1", "cores": 64, "why": null});
        let line = generic_line(&v);
        assert_eq!(line.text(), "quota_exceeded: pool p1; cores 64");
        assert_eq!(
            generic_line(&serde_json::json!({"kind": "bare"})).text(),
            "bare"
        );
    }

    #[test]
    fn emphasis_marks_what_failed() {
        let item: EvidenceItem = serde_json::from_value(serde_json::json!({
            "id": "E7",
            "source": {"path": "a.har", "entry": 3, "line": null, "offset": 10},
            "time": "2024-05-01T10:00:00Z",
            "kind": "storage_request",
            "method": "GET", "url": "https://sa.blob.core.windows.net/c?comp=list",
            "status": 403, "error_code": "AuthenticationFailed", "message": null,
            "auth_detail": "Authentication scheme Bearer is not supported in this version.",
            "bearer": true, "x_ms_version": null, "request_known": true, "claims": null
        }))
        .expect("evidence");
        let d = describe(&item);
        assert_eq!(d.details.len(), 2);
        let first = &d.details[0].line;
        assert_eq!(
            first.text(),
            "GET https://sa.blob.core.windows.net/c?comp=list -> 403 AuthenticationFailed [bearer token, no x-ms-version]"
        );
        assert_eq!(first.spans[1].text, "403 AuthenticationFailed");
        assert_eq!(first.spans[1].emphasis, crate::view::Emphasis::Strong);
        assert!(d.title().starts_with("E7  a.har"), "{}", d.title());
        assert!(d.title().ends_with("  2024-05-01T10:00:00Z"));
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(duration(2689), "44m 49s");
    }
}
