//! The Markdown writer: a report to paste into a support case, a ticket or
//! a pull request. It says what the text report says, in the same order,
//! with headings, lists, tables and fenced code a renderer understands.

use std::io::{self, Write};

use batchdiag_analyzer::report::{CheckOutcome, Diagnosis, Report, ScenarioTable};

use super::text::{evidence_plain, input_details, input_kind};
use super::{Redacted, Tally};

/// Writes the report: under a level-1 title, or level 2 when it is one
/// bundle of `--each` (under the run's own title).
pub fn write(out: &mut dyn Write, report: &Redacted) -> io::Result<()> {
    let r = report.report();
    let h = if r.bundle.is_some() { "##" } else { "#" };
    let title = r.bundle.as_deref().map_or_else(
        || "batchdiag report".to_string(),
        |b| format!("batchdiag report: {}", code_span(b)),
    );
    writeln!(out, "{h} {title}\n")?;
    let failed = r.inputs.iter().filter(|i| i.error.is_some()).count();
    write!(
        out,
        "**{}** from {} input{}",
        match r.diagnoses.len() {
            0 => "No diagnosis".to_string(),
            1 => "1 diagnosis".to_string(),
            n => format!("{n} diagnoses"),
        },
        r.inputs.len(),
        if r.inputs.len() == 1 { "" } else { "s" }
    )?;
    if failed > 0 {
        write!(out, "; **{failed} could not be fully read**")?;
    }
    writeln!(out, ".\n")?;
    for d in &r.diagnoses {
        diagnosis(out, r, d, h)?;
    }
    let used: Vec<&str> = r
        .diagnoses
        .iter()
        .flat_map(|d| d.evidence.iter().map(String::as_str))
        .collect();
    let other = evidence_block(
        r.evidence
            .iter()
            .filter(|e| !used.contains(&e.id.as_str()))
            .map(evidence_plain),
    );
    if !other.is_empty() {
        writeln!(out, "{h}# Other evidence\n")?;
        fenced(out, "text", &other)?;
    }
    if !r.notes.is_empty() {
        writeln!(out, "{h}# Notes\n")?;
        for n in &r.notes {
            writeln!(out, "- {}", inline(n))?;
        }
        writeln!(out)?;
    }
    writeln!(out, "{h}# Inputs\n")?;
    writeln!(out, "| status | input | kind | read |")?;
    writeln!(out, "|---|---|---|---|")?;
    for i in &r.inputs {
        let mut read = input_details(i).join(", ");
        if let Some(e) = &i.error {
            read = format!("**{}**; {read}", cell(e));
        }
        for w in &i.warnings {
            read.push_str(&format!("; warning: {}", cell(w)));
        }
        writeln!(
            out,
            "| {} | {} | {} | {} |",
            if i.error.is_some() { "error" } else { "ok" },
            cell(&code_span(&i.path)),
            input_kind(i),
            cell(&read)
        )?;
    }
    writeln!(out, "\n{h}# Checked\n")?;
    writeln!(out, "| code | cause | outcome |")?;
    writeln!(out, "|---|---|---|")?;
    for c in &r.checked {
        let outcome = match c.outcome {
            CheckOutcome::Found => "**found**",
            CheckOutcome::NotFound => "not found",
            CheckOutcome::NoInput => "no input could show it",
        };
        writeln!(out, "| {} | {} | {outcome} |", c.code, cell(&c.description))?;
    }
    Ok(())
}

/// The title of an `--each` run, before its reports.
pub fn write_title(out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "# batchdiag reports\n")
}

/// The closing paragraph of `--each`: how the bundles came out.
pub fn write_tally(out: &mut dyn Write, t: &Tally) -> io::Result<()> {
    let Tally {
        bundles,
        diagnosed,
        clean,
        unreadable,
    } = t;
    write!(
        out,
        "---\n\n**{bundles} bundle{}**: {diagnosed} with diagnoses, {clean} clean",
        if *bundles == 1 { "" } else { "s" }
    )?;
    if *unreadable > 0 {
        write!(out, ", **{unreadable} not fully read**")?;
    }
    writeln!(out, ".")
}

fn diagnosis(out: &mut dyn Write, r: &Report, d: &Diagnosis, h: &str) -> io::Result<()> {
    writeln!(
        out,
        "{h}# {} `{}`: {} ({})\n",
        d.code,
        d.slug,
        inline(&d.title),
        d.confidence.as_str()
    )?;
    if let Some(s) = d.scenario {
        let table = match s.table {
            ScenarioTable::ApplicationPackages => "application packages",
            ScenarioTable::ResourceFiles => "resource files",
        };
        writeln!(out, "Scenario {} of the {table} table.\n", s.number)?;
    }
    writeln!(out, "{}\n", inline(&d.summary))?;
    writeln!(out, "**Evidence**\n")?;
    let cited = evidence_block(
        d.evidence
            .iter()
            .filter_map(|id| r.evidence.iter().find(|e| &e.id == id))
            .map(evidence_plain),
    );
    fenced(out, "text", &cited)?;
    writeln!(out, "**Fix**: {}\n", inline(&d.remediation.summary))?;
    for (n, step) in d.remediation.steps.iter().enumerate() {
        writeln!(out, "{}. {}", n + 1, inline(step))?;
    }
    if !d.remediation.steps.is_empty() {
        writeln!(out)?;
    }
    if !d.remediation.commands.is_empty() {
        let script: String = d
            .remediation
            .commands
            .iter()
            .map(|c| format!("# {}\n{}\n", c.description, c.shell))
            .collect::<Vec<_>>()
            .join("\n");
        fenced(out, "sh", &script)?;
    }
    for (label, items) in [("Notes", &d.notes), ("Would help", &d.missing_evidence)] {
        if !items.is_empty() {
            writeln!(out, "**{label}**\n")?;
            for n in items {
                writeln!(out, "- {}", inline(n))?;
            }
            writeln!(out)?;
        }
    }
    writeln!(out, "Why: `batchdiag explain {}`\n", d.code)
}

/// Evidence as the text report indents it, moved to the left margin.
fn evidence_block(items: impl Iterator<Item = String>) -> String {
    items
        .flat_map(|e| {
            e.lines()
                .map(|l| format!("{}\n", l.strip_prefix("    ").unwrap_or(l)))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// A fenced block that no backtick run in `body` can close early.
fn fenced(out: &mut dyn Write, lang: &str, body: &str) -> io::Result<()> {
    let fence = "`".repeat(longest_run(body, '`').max(2) + 1);
    let body = body.strip_suffix('\n').unwrap_or(body);
    writeln!(out, "{fence}{lang}\n{body}\n{fence}\n")
}

/// Inline code that shows `s` verbatim, whatever backticks it holds.
fn code_span(s: &str) -> String {
    let ticks = "`".repeat(longest_run(s, '`') + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{s}{pad}{ticks}")
}

/// Prose (messages, names, steps) on one line, with the characters that
/// would start markup escaped outside the `code spans` it already has.
fn inline(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_code = false;
    for c in s.chars() {
        match c {
            '`' => {
                in_code = !in_code;
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            '\\' | '*' | '_' | '[' | ']' | '<' | '|' if !in_code => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// Text in a table cell: one line, pipes escaped.
fn cell(s: &str) -> String {
    s.replace(['\n', '\r'], " ").replace('|', "\\|")
}

fn longest_run(s: &str, c: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for x in s.chars() {
        run = if x == c { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_and_spans_cannot_be_closed_by_the_content() {
        assert_eq!(code_span("a`b"), "``a`b``");
        assert_eq!(code_span("`x"), "`` `x ``");
        let mut out = Vec::new();
        fenced(&mut out, "text", "say ```hi```\n").expect("memory");
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            "````text\nsay ```hi```\n````\n\n"
        );
    }

    #[test]
    fn prose_cannot_start_markup() {
        assert_eq!(
            inline("a *b* [c](d)\n<e>|f"),
            "a \\*b\\* \\[c\\](d) \\<e>\\|f"
        );
        assert_eq!(inline("run `x[0] * 2` now"), "run `x[0] * 2` now");
        assert_eq!(cell("a|b\nc"), "a\\|b c");
    }
}
