//! The text writer: what a support engineer reads at a terminal.
//!
//! Diagnoses first (the answer), then their evidence and fix, then the
//! evidence no diagnosis used, then the inputs and what was checked.

use std::io::{self, Write};

use anstyle::{AnsiColor, Effects, Style};
use batchdiag_analyzer::report::{CheckOutcome, Confidence, Diagnosis, EvidenceItem, Report};
use batchdiag_parser::arm::resource_name as short_id;
use batchdiag_parser::{Evidence, InputKind, InputReport};

use super::{Redacted, Tally};

const BOLD: Style = Style::new().effects(Effects::BOLD);
const DIM: Style = Style::new().effects(Effects::DIMMED);
const RED: Style = Style::new()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Red)))
    .effects(Effects::BOLD);
const YELLOW: Style = Style::new()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Yellow)))
    .effects(Effects::BOLD);
const CYAN: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Cyan)));
const GREEN: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Green)));

/// Writes the report. Styles are plain ANSI; the caller's stream strips them
/// when colour is off.
pub fn write(out: &mut dyn Write, report: &Redacted) -> io::Result<()> {
    let r = report.report();
    if r.diagnoses.is_empty() {
        writeln!(out, "{GREEN}No diagnosis.{GREEN:#} Nothing in the inputs shows a known managed-identity failure.")?;
    }
    for d in &r.diagnoses {
        diagnosis(out, r, d)?;
    }
    let used: Vec<&str> = r
        .diagnoses
        .iter()
        .flat_map(|d| d.evidence.iter().map(String::as_str))
        .collect();
    let other: Vec<&EvidenceItem> = r
        .evidence
        .iter()
        .filter(|e| !used.contains(&e.id.as_str()))
        .collect();
    if !other.is_empty() {
        writeln!(out, "\n{BOLD}Other evidence{BOLD:#}")?;
        for e in other {
            evidence(out, e)?;
        }
    }
    if !r.notes.is_empty() {
        writeln!(out, "\n{BOLD}Notes{BOLD:#}")?;
        for n in &r.notes {
            writeln!(out, "  - {n}")?;
        }
    }
    writeln!(out, "\n{BOLD}Inputs{BOLD:#}")?;
    let mut quiet = 0;
    for i in &r.inputs {
        // Unrecognized archive members that read cleanly say nothing: count them.
        if i.kind == InputKind::Unrecognized && i.error.is_none() && i.path.contains("!/") {
            quiet += 1;
            continue;
        }
        input(out, i)?;
    }
    if quiet > 0 {
        writeln!(
            out,
            "  {DIM}and {quiet} archive members of no known format{DIM:#}"
        )?;
    }
    writeln!(out, "\n{BOLD}Checked{BOLD:#}")?;
    for c in &r.checked {
        let (style, word) = match c.outcome {
            CheckOutcome::Found => (RED, "found"),
            CheckOutcome::NotFound => (GREEN, "not found"),
            CheckOutcome::NoInput => (DIM, "no input could show it"),
        };
        writeln!(
            out,
            "  {} {}: {style}{word}{style:#}",
            c.code, c.description
        )?;
    }
    summary_line(out, r)
}

fn diagnosis(out: &mut dyn Write, r: &Report, d: &Diagnosis) -> io::Result<()> {
    let style = match d.confidence {
        Confidence::Confirmed => RED,
        Confidence::Likely => YELLOW,
        Confidence::Possible => CYAN,
    };
    writeln!(
        out,
        "{style}{} {}{style:#} [{}]  {BOLD}{}{BOLD:#}",
        d.code,
        d.slug,
        d.confidence.as_str(),
        d.title
    )?;
    if let Some(s) = d.scenario {
        let table = match s.table {
            batchdiag_analyzer::report::ScenarioTable::ApplicationPackages => {
                "application packages"
            }
            batchdiag_analyzer::report::ScenarioTable::ResourceFiles => "resource files",
        };
        writeln!(out, "  scenario {} of the {table} table", s.number)?;
    }
    writeln!(out, "  {}", d.summary)?;
    writeln!(out, "\n  {BOLD}evidence{BOLD:#}")?;
    for id in &d.evidence {
        if let Some(e) = r.evidence.iter().find(|e| &e.id == id) {
            evidence(out, e)?;
        }
    }
    writeln!(out, "\n  {BOLD}fix{BOLD:#}  {}", d.remediation.summary)?;
    for (n, step) in d.remediation.steps.iter().enumerate() {
        writeln!(out, "    {}. {step}", n + 1)?;
    }
    for c in &d.remediation.commands {
        writeln!(out, "\n    {DIM}# {}{DIM:#}", c.description)?;
        for line in c.shell.lines() {
            writeln!(out, "    {CYAN}{line}{CYAN:#}")?;
        }
    }
    if !d.notes.is_empty() {
        writeln!(out, "\n  {BOLD}notes{BOLD:#}")?;
        for n in &d.notes {
            writeln!(out, "    - {n}")?;
        }
    }
    if !d.missing_evidence.is_empty() {
        writeln!(out, "\n  {BOLD}would help{BOLD:#}")?;
        for m in &d.missing_evidence {
            writeln!(out, "    - {m}")?;
        }
    }
    writeln!(out, "\n  {DIM}why: `batchdiag explain {}`{DIM:#}\n", d.code)
}

/// An evidence item as the text report shows it, without styles.
pub(super) fn evidence_plain(item: &EvidenceItem) -> String {
    let mut buf = Vec::new();
    {
        let mut plain = anstream::StripStream::new(&mut buf);
        // Writing to memory cannot fail.
        let _ = evidence(&mut plain, item);
    }
    String::from_utf8_lossy(&buf).into_owned()
}

fn evidence(out: &mut dyn Write, item: &EvidenceItem) -> io::Result<()> {
    let Evidence { source, time, fact } = &item.evidence;
    writeln!(
        out,
        "    {BOLD}{}{BOLD:#}  {DIM}{source}{}{DIM:#}",
        item.id,
        time.as_deref()
            .map(|t| format!("  {t}"))
            .unwrap_or_default()
    )?;
    if let Some(a) = fact.as_arm_error() {
        let method = a.method.as_deref().unwrap_or("?");
        let url = a.url.as_deref().unwrap_or("(request not in the capture)");
        let code = a.code.as_deref().unwrap_or("(no error code)");
        write!(
            out,
            "        {method} {url} -> {BOLD}{} {code}{BOLD:#}",
            a.status
        )?;
        if let Some(env) = &a.envelope {
            write!(
                out,
                " {DIM}(inside POST /batch answered {}){DIM:#}",
                env.status
            )?;
        }
        writeln!(out)?;
        if let Some(m) = &a.message {
            writeln!(out, "        \"{}\"", m.trim())?;
        }
    }
    if let Some(a) = fact.as_account() {
        let auto = a.autostorage.as_ref();
        writeln!(
            out,
            "        account {}: identity {}; autostorage {} with {}; node identity reference {}",
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
        )?;
    }
    if let Some(p) = fact.as_pool() {
        let ids: Vec<&str> = p
            .identities
            .iter()
            .map(|i| short_id(&i.resource_id))
            .collect();
        writeln!(
            out,
            "        pool {} ({} plane): identity {}{}{}",
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
        )?;
    }
    if let Some(n) = fact.as_node() {
        let errors: Vec<String> = n
            .errors
            .iter()
            .map(|e| e.code.clone().unwrap_or_default())
            .collect();
        writeln!(
            out,
            "        node {} / {}: {BOLD}{}{BOLD:#}{}{}",
            n.pool.as_deref().unwrap_or("?"),
            n.node,
            n.state,
            if errors.is_empty() {
                String::new()
            } else {
                format!(", errors {}", errors.join(", "))
            },
            n.agent_version
                .as_deref()
                .map(|v| format!(", agent {v}"))
                .unwrap_or_default(),
        )?;
        if let Some(f) = &n.start_task_failure {
            writeln!(
                out,
                "        start task failed: {BOLD}{}{BOLD:#}{}",
                f.code.as_deref().unwrap_or("?"),
                f.message
                    .as_deref()
                    .map(|m| format!(" \"{m}\""))
                    .unwrap_or_default()
            )?;
        }
    }
    if let Some(t) = fact.as_task() {
        let code = t
            .failure
            .as_ref()
            .and_then(|f| f.code.as_deref())
            .unwrap_or("no failure");
        writeln!(
            out,
            "        task {}/{}: {BOLD}{code}{BOLD:#}",
            t.job.as_deref().unwrap_or("?"),
            t.task
        )?;
        for f in &t.resource_files {
            let how = if f.has_sas {
                "its own SAS (no identity)".to_string()
            } else {
                f.identity
                    .as_deref()
                    .map(short_id)
                    .unwrap_or("the node identity reference")
                    .to_string()
            };
            writeln!(out, "          {} {} via {how}", f.kind, f.source)?;
        }
    }
    if let Some(i) = fact.as_imds() {
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
        writeln!(
            out,
            "        IMDS token request ({asked}) -> {BOLD}{status}{answer}{BOLD:#}"
        )?;
    }
    if let Some(st) = fact.as_storage() {
        let target = st.url.as_deref().unwrap_or("(request not captured)");
        let status = st
            .status
            .map(|s| s.to_string())
            .unwrap_or_else(|| "?".into());
        let auth = match (st.bearer, &st.x_ms_version, st.request_known) {
            (true, None, true) => " [bearer token, no x-ms-version]",
            (true, Some(_), _) => " [bearer token]",
            _ => "",
        };
        writeln!(
            out,
            "        {} {target} -> {BOLD}{status} {}{BOLD:#}{auth}",
            st.method.as_deref().unwrap_or("Storage"),
            st.error_code.as_deref().unwrap_or("")
        )?;
        if let Some(d) = st.auth_detail.as_deref().or(st.message.as_deref()) {
            writeln!(out, "        \"{d}\"")?;
        }
    }
    if let Some(j) = fact.as_join_loop() {
        // The repeats collapse into one line per node.
        let pool = j.pool.as_deref().unwrap_or("<unknown pool>");
        let node = j.node.as_deref().unwrap_or("<unknown node>");
        let span = match (&j.first, &j.last, j.duration_seconds) {
            (Some(f), Some(l), Some(d)) => format!(" from {f} to {l} ({})", duration(d)),
            _ => String::new(),
        };
        let state = match &j.ended_by {
            Some(e) => format!(
                "ended by health=Status.{}{}",
                e.status,
                e.time
                    .as_deref()
                    .map(|t| format!(" at {t}"))
                    .unwrap_or_default()
            ),
            None => format!("{BOLD}never ended{BOLD:#}"),
        };
        writeln!(
            out,
            "        {BOLD}{pool} / {node}{BOLD:#}: {} x TvmJoinPoolInProgress{span}, {state}",
            thousands(j.count)
        )?;
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
        writeln!(out, "        {DIM}{detail}{DIM:#}")?;
    }
    Ok(())
}

fn duration(secs: i64) -> String {
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m {s:02}s"),
        _ => format!("{h}h {m:02}m"),
    }
}

/// `1 line`, `12,345 lines`.
fn counted(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

fn thousands(n: u64) -> String {
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

/// What kind of input it was, in words.
pub(super) fn input_kind(i: &InputReport) -> &'static str {
    match i.kind {
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
        _ => "other",
    }
}

/// What was read from an input (`gzip`, `1,204 entries`, `3 evidence`, ...).
pub(super) fn input_details(i: &InputReport) -> Vec<String> {
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

fn input(out: &mut dyn Write, i: &InputReport) -> io::Result<()> {
    let kind = input_kind(i);
    let detail = input_details(i);
    let (style, status) = if i.error.is_some() {
        (RED, "error")
    } else {
        (GREEN, "ok")
    };
    writeln!(
        out,
        "  {style}{status:<5}{style:#} {} {DIM}{kind}{}{DIM:#}",
        i.path,
        if detail.is_empty() {
            String::new()
        } else {
            format!(", {}", detail.join(", "))
        }
    )?;
    if let Some(e) = &i.error {
        writeln!(out, "        {e}")?;
    }
    for w in &i.warnings {
        writeln!(out, "        {YELLOW}warning{YELLOW:#}: {w}")?;
    }
    Ok(())
}

fn summary_line(out: &mut dyn Write, r: &Report) -> io::Result<()> {
    let n = r.diagnoses.len();
    let failed = r.inputs.iter().filter(|i| i.error.is_some()).count();
    write!(
        out,
        "\n{} diagnos{} from {} input{}",
        n,
        if n == 1 { "is" } else { "es" },
        r.inputs.len(),
        if r.inputs.len() == 1 { "" } else { "s" }
    )?;
    if failed > 0 {
        write!(out, "; {RED}{failed} could not be fully read{RED:#}")?;
    }
    writeln!(out, ".")
}

/// One report of `analyze --each`, under a heading that names its bundle.
pub fn write_bundle(out: &mut dyn Write, report: &Redacted) -> io::Result<()> {
    let r = report.report();
    let name = r.bundle.as_deref().unwrap_or("(all inputs)");
    let rule = "=".repeat(name.chars().count().clamp(8, 72));
    writeln!(out, "{BOLD}{name}{BOLD:#}\n{DIM}{rule}{DIM:#}")?;
    write(out, report)
}

/// The closing line of `analyze --each`: how the bundles came out.
pub fn write_tally(out: &mut dyn Write, t: &Tally) -> io::Result<()> {
    let Tally {
        bundles,
        diagnosed,
        clean,
        unreadable,
    } = t;
    write!(
        out,
        "\n{BOLD}{bundles} bundle{}{BOLD:#}: {diagnosed} with diagnoses, {clean} clean",
        if *bundles == 1 { "" } else { "s" }
    )?;
    if *unreadable > 0 {
        write!(out, ", {RED}{unreadable} not fully read{RED:#}")?;
    }
    writeln!(out, ".")
}
