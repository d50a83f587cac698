//! A format-neutral view of a report: what every writer says, already in
//! words, so that text and Markdown cannot drift apart in content and differ
//! only in layout.
//!
//! A view is built from a [`Redacted`] report only, so nothing in it has
//! skipped the secret filter.

use batchdiag_analyzer::report::{CheckOutcome, Confidence, Diagnosis, Report, ScenarioTable};
use batchdiag_parser::{InputKind, InputReport};
use batchdiag_redact::Redacted;

use crate::describe::{describe, thousands, DescribedEvidence};

/// How a piece of a line stands out. Writers map it to their own means
/// (terminal styles) or ignore it (inside a Markdown code block).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Emphasis {
    /// Ordinary text.
    Plain,
    /// What failed, or what matters most on the line.
    Strong,
    /// Context a reader may skip.
    Faint,
}

/// A run of text with one emphasis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// The text.
    pub text: String,
    /// How it stands out.
    pub emphasis: Emphasis,
}

/// One line of text made of spans.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Line {
    /// The spans, in order.
    pub spans: Vec<Span>,
}

impl Line {
    /// An empty line, to append spans to.
    pub fn new() -> Self {
        Line::default()
    }

    /// Appends plain text.
    #[must_use]
    pub fn plain(self, text: impl Into<String>) -> Self {
        self.push(text, Emphasis::Plain)
    }

    /// Appends strong text.
    #[must_use]
    pub fn strong(self, text: impl Into<String>) -> Self {
        self.push(text, Emphasis::Strong)
    }

    /// Appends faint text.
    #[must_use]
    pub fn faint(self, text: impl Into<String>) -> Self {
        self.push(text, Emphasis::Faint)
    }

    fn push(mut self, text: impl Into<String>, emphasis: Emphasis) -> Self {
        self.spans.push(Span {
            text: text.into(),
            emphasis,
        });
        self
    }

    /// The line's text without emphasis.
    pub fn text(&self) -> String {
        self.spans.iter().map(|s| s.text.as_str()).collect()
    }
}

/// One detail line of an evidence item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detail {
    /// 0 for a line about the item, 1 for one about a part of it (a task's
    /// resource file).
    pub depth: u8,
    /// The line.
    pub line: Line,
}

impl Detail {
    /// A line about the item itself.
    pub fn new(line: Line) -> Self {
        Detail { depth: 0, line }
    }

    /// A line about a part of the item.
    pub fn nested(line: Line) -> Self {
        Detail { depth: 1, line }
    }
}

/// A report as every writer sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportView {
    /// The bundle's path with `--each`; `None` when all inputs form one bundle.
    pub bundle: Option<String>,
    /// Diagnoses, most certain first.
    pub diagnoses: Vec<DiagnosisView>,
    /// Evidence no diagnosis cites, in report order.
    pub other_evidence: Vec<DescribedEvidence>,
    /// Top-level notes.
    pub notes: Vec<String>,
    /// Every input, in the order found.
    pub inputs: Vec<InputView>,
    /// What was looked for.
    pub checked: Vec<CheckView>,
    /// The counts of the closing summary line.
    pub summary: Summary,
    /// No input could be analysed at all (none was a capture, a log, a
    /// resource JSON or a probe): not a clean result.
    pub nothing_analysable: bool,
}

/// One diagnosis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiagnosisView {
    /// Catalog code, e.g. `BD101`.
    pub code: String,
    /// Catalog slug.
    pub slug: String,
    /// Catalog title.
    pub title: String,
    /// How sure.
    pub confidence: Confidence,
    /// The behaviour-table row, for node-plane causes.
    pub scenario: Option<ScenarioView>,
    /// One sentence naming the resources.
    pub summary: String,
    /// The evidence it rests on, in the order it cites them.
    pub evidence: Vec<DescribedEvidence>,
    /// The fix.
    pub fix: FixView,
    /// Further observations.
    pub notes: Vec<String>,
    /// Inputs that would help.
    pub missing_evidence: Vec<String>,
}

/// A row of a behaviour table, in words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScenarioView {
    /// Row number, from 1.
    pub number: u8,
    /// `application packages` or `resource files`.
    pub table: &'static str,
}

/// The fix of a diagnosis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixView {
    /// One sentence.
    pub summary: String,
    /// Ordered steps.
    pub steps: Vec<String>,
    /// Commands: what each does, and its shell text.
    pub commands: Vec<CommandView>,
}

/// One command of a fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandView {
    /// What it does.
    pub description: String,
    /// The shell text; may span lines.
    pub shell: String,
}

/// One input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputView {
    /// Its path (virtual inside archives: `a.zip!/b.log`).
    pub path: String,
    /// What kind of input it was, in words.
    pub kind: &'static str,
    /// What was read (`gzip`, `1,204 entries`, `3 evidence`, ...).
    pub read: Vec<String>,
    /// Why it could not be fully read.
    pub error: Option<String>,
    /// Warnings.
    pub warnings: Vec<String>,
    /// An archive member of no known format that read cleanly: a terminal
    /// report counts these instead of listing them.
    pub quiet: bool,
}

/// One thing looked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckView {
    /// Catalog code.
    pub code: String,
    /// What was checked.
    pub description: String,
    /// The outcome.
    pub outcome: CheckOutcome,
}

impl CheckView {
    /// The outcome in words.
    pub fn outcome_words(&self) -> &'static str {
        match self.outcome {
            CheckOutcome::Found => "found",
            CheckOutcome::NotFound => "not found",
            CheckOutcome::NoInput => "no input could show it",
        }
    }
}

/// The counts a report closes (or, in Markdown, opens) with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Diagnoses.
    pub diagnoses: usize,
    /// Inputs.
    pub inputs: usize,
    /// Inputs that could not be fully read.
    pub not_fully_read: usize,
}

impl Summary {
    /// `3 inputs`.
    pub fn inputs_phrase(&self) -> String {
        format!(
            "{} input{}",
            self.inputs,
            if self.inputs == 1 { "" } else { "s" }
        )
    }

    /// `2 could not be fully read`, when any could not.
    pub fn not_fully_read_phrase(&self) -> Option<String> {
        (self.not_fully_read > 0)
            .then(|| format!("{} could not be fully read", self.not_fully_read))
    }

    /// The closing line without emphasis: `1 diagnosis from 3 inputs; 1 could not be fully read.`
    pub fn line(&self) -> String {
        let n = self.diagnoses;
        let mut s = format!(
            "{n} diagnos{} from {}",
            if n == 1 { "is" } else { "es" },
            self.inputs_phrase()
        );
        if let Some(f) = self.not_fully_read_phrase() {
            s.push_str("; ");
            s.push_str(&f);
        }
        s.push('.');
        s
    }
}

impl ReportView {
    /// The view of a redacted report.
    pub fn new(redacted: &Redacted) -> Self {
        let r = redacted.report();
        let cited: Vec<&str> = r
            .diagnoses
            .iter()
            .flat_map(|d| d.evidence.iter().map(String::as_str))
            .collect();
        ReportView {
            bundle: r.bundle.clone(),
            diagnoses: r.diagnoses.iter().map(|d| diagnosis(r, d)).collect(),
            other_evidence: r
                .evidence
                .iter()
                .filter(|e| !cited.contains(&e.id.as_str()))
                .map(describe)
                .collect(),
            notes: r.notes.clone(),
            inputs: r.inputs.iter().map(input).collect(),
            checked: r
                .checked
                .iter()
                .map(|c| CheckView {
                    code: c.code.clone(),
                    description: c.description.clone(),
                    outcome: c.outcome,
                })
                .collect(),
            summary: Summary {
                diagnoses: r.diagnoses.len(),
                inputs: r.inputs.len(),
                not_fully_read: r.inputs.iter().filter(|i| i.error.is_some()).count(),
            },
            nothing_analysable: !r.inputs.iter().any(batchdiag_analyzer::is_analysable),
        }
    }
}

fn diagnosis(r: &Report, d: &Diagnosis) -> DiagnosisView {
    DiagnosisView {
        code: d.code.clone(),
        slug: d.slug.clone(),
        title: d.title.clone(),
        confidence: d.confidence,
        scenario: d.scenario.map(|s| ScenarioView {
            number: s.number,
            table: match s.table {
                ScenarioTable::ApplicationPackages => "application packages",
                ScenarioTable::ResourceFiles => "resource files",
            },
        }),
        summary: d.summary.clone(),
        // An id that names no item is the analyzer's bug; it is left out
        // rather than shown as an empty heading.
        evidence: d
            .evidence
            .iter()
            .filter_map(|id| r.evidence.iter().find(|e| &e.id == id))
            .map(describe)
            .collect(),
        fix: FixView {
            summary: d.remediation.summary.clone(),
            steps: d.remediation.steps.clone(),
            commands: d
                .remediation
                .commands
                .iter()
                .map(|c| CommandView {
                    description: c.description.clone(),
                    shell: c.shell.clone(),
                })
                .collect(),
        },
        notes: d.notes.clone(),
        missing_evidence: d.missing_evidence.clone(),
    }
}

fn input(i: &InputReport) -> InputView {
    InputView {
        path: i.path.clone(),
        kind: input_kind(i.kind),
        read: input_details(i),
        error: i.error.clone(),
        warnings: i.warnings.clone(),
        quiet: i.kind == InputKind::Unrecognized && i.error.is_none() && i.path.contains("!/"),
    }
}

fn input_kind(kind: InputKind) -> &'static str {
    match kind {
        InputKind::Har => "har",
        InputKind::AgentLog => "agent log",
        InputKind::Log => "log",
        InputKind::Json => "resource json",
        InputKind::Probe => "probe",
        InputKind::Zip => "zip",
        InputKind::Tar => "tar",
        InputKind::Unrecognized => "unrecognized",
        InputKind::Symlink => "symlink",
        InputKind::Unreadable => "unreadable",
        InputKind::Report => "batchdiag report, not analysed",
        InputKind::UnknownJson => "json not understood",
        _ => "other",
    }
}

/// `1 line`, `12,345 lines`.
fn counted(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

fn input_details(i: &InputReport) -> Vec<String> {
    let mut detail = Vec::new();
    if let Some(c) = &i.compression {
        detail.push(c.clone());
    }
    if let Some(h) = &i.har {
        if let Some(b) = h.browser.as_ref().or(h.creator.as_ref()) {
            detail.push(b.clone());
        }
        detail.push(counted(h.entries, "entry", "entries"));
        if h.batch_calls > 0 {
            detail.push(format!(
                "{} with {}",
                counted(h.batch_calls, "/batch call", "/batch calls"),
                counted(h.batch_requests, "inner request", "inner requests")
            ));
        }
        if h.batch_without_response > 0 {
            detail.push(format!(
                "{} not kept by the browser",
                counted(
                    h.batch_without_response,
                    "/batch response",
                    "/batch responses"
                )
            ));
        }
    }
    if let Some(l) = &i.log {
        detail.push(counted(l.lines, "line", "lines"));
        if l.join_reports > 0 {
            detail.push(counted(l.join_reports, "join report", "join reports"));
        }
    }
    if let Some(m) = i.members {
        detail.push(counted(m, "member", "members"));
    }
    if i.evidence_count > 0 {
        detail.push(format!("{} evidence", i.evidence_count));
    }
    detail
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use batchdiag_redact::redact;

    /// A golden report of the corpus, redacted as the CLI would.
    pub(crate) fn corpus(bundle: &str) -> Redacted {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../corpus/expected")
            .join(format!("{bundle}.json"));
        let text = std::fs::read_to_string(&path).expect("golden report");
        let report: Report = serde_json::from_str(&text).expect("a report");
        redact(&report).expect("redactable")
    }

    #[test]
    fn cited_evidence_goes_with_its_diagnosis_and_the_rest_is_other() {
        let red = corpus("mixed-bd101-bd201");
        let r = red.report();
        let v = ReportView::new(&red);
        assert_eq!(v.diagnoses.len(), r.diagnoses.len());
        let cited: usize = v.diagnoses.iter().map(|d| d.evidence.len()).sum();
        assert!(cited > 0);
        for (d, dv) in r.diagnoses.iter().zip(&v.diagnoses) {
            let ids: Vec<&str> = dv.evidence.iter().map(|e| e.id.as_str()).collect();
            assert_eq!(
                ids,
                d.evidence.iter().map(String::as_str).collect::<Vec<_>>()
            );
            assert_eq!(dv.fix.summary, d.remediation.summary);
            assert_eq!(dv.fix.commands.len(), d.remediation.commands.len());
        }
        for e in &v.other_evidence {
            assert!(!r.diagnoses.iter().any(|d| d.evidence.contains(&e.id)));
        }
        assert_eq!(v.inputs.len(), r.inputs.len());
        assert_eq!(v.checked.len(), r.checked.len());
        assert_eq!(v.summary.diagnoses, r.diagnoses.len());
    }

    #[test]
    fn inputs_in_words_and_the_summary_line() {
        let v = ReportView::new(&corpus("bd101-truncated"));
        let har = v.inputs.iter().find(|i| i.kind == "har").expect("a har");
        assert!(har.error.is_some(), "the truncated capture: {har:?}");
        assert!(har
            .read
            .iter()
            .any(|r| r.ends_with("entries") || r.ends_with("entry")));
        assert_eq!(v.summary.not_fully_read, 1);
        assert!(
            v.summary.line().ends_with("; 1 could not be fully read."),
            "{}",
            v.summary.line()
        );
        let s = Summary {
            diagnoses: 1,
            inputs: 1,
            not_fully_read: 0,
        };
        assert_eq!(s.line(), "1 diagnosis from 1 input.");
    }

    #[test]
    fn quiet_members_are_marked_not_dropped() {
        let v = ReportView::new(&corpus("hostile-archives"));
        for i in &v.inputs {
            assert_eq!(
                i.quiet,
                i.kind == "unrecognized" && i.error.is_none() && i.path.contains("!/"),
                "{i:?}"
            );
        }
        assert!(v.checked.iter().all(|c| !c.outcome_words().is_empty()));
    }
}
