//! The Markdown writer: a report to paste into a support case, a ticket or
//! a pull request. It says what the text report says, in the same order,
//! with headings, lists, tables and fenced code a renderer understands.

use std::io::{self, Write};

use batchdiag_analyzer::report::CheckOutcome;
use batchdiag_redact::Redacted;

use crate::describe::DescribedEvidence;
use crate::sink::Sink;
use crate::tally::Tally;
use crate::view::{DiagnosisView, ReportView};

/// Writes one report: under a level-1 title, or level 2 when it is one
/// bundle of `--each` (under the run's own title).
pub fn write(out: &mut dyn Write, v: &ReportView) -> io::Result<()> {
    let h = if v.bundle.is_some() { "##" } else { "#" };
    let title = v.bundle.as_deref().map_or_else(
        || "batchdiag report".to_string(),
        |b| format!("batchdiag report: {}", code_span(b)),
    );
    writeln!(out, "{h} {title}\n")?;
    let s = &v.summary;
    write!(
        out,
        "**{}** from {}",
        match s.diagnoses {
            0 => "No diagnosis".to_string(),
            1 => "1 diagnosis".to_string(),
            n => format!("{n} diagnoses"),
        },
        s.inputs_phrase()
    )?;
    if let Some(f) = s.not_fully_read_phrase() {
        write!(out, "; **{f}**")?;
    }
    writeln!(out, ".\n")?;
    for d in &v.diagnoses {
        diagnosis(out, d, h)?;
    }
    let other = evidence_block(&v.other_evidence);
    if !other.is_empty() {
        writeln!(out, "{h}# Other evidence\n")?;
        fenced(out, "text", &other)?;
    }
    if !v.notes.is_empty() {
        writeln!(out, "{h}# Notes\n")?;
        for n in &v.notes {
            writeln!(out, "- {}", inline(n))?;
        }
        writeln!(out)?;
    }
    writeln!(out, "{h}# Inputs\n")?;
    writeln!(out, "| status | input | kind | read |")?;
    writeln!(out, "|---|---|---|---|")?;
    for i in &v.inputs {
        let mut read = i.read.join(", ");
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
            i.kind,
            cell(&read)
        )?;
    }
    writeln!(out, "\n{h}# Checked\n")?;
    writeln!(out, "| code | cause | outcome |")?;
    writeln!(out, "|---|---|---|")?;
    for c in &v.checked {
        let outcome = match c.outcome {
            CheckOutcome::Found => format!("**{}**", c.outcome_words()),
            CheckOutcome::NotFound | CheckOutcome::NoInput => c.outcome_words().to_string(),
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
        ..
    } = t;
    write!(
        out,
        "---\n\n**{bundles} bundle{}**: {diagnosed} with diagnoses, {clean} clean",
        if *bundles == 1 { "" } else { "s" }
    )?;
    if *unreadable > 0 {
        write!(
            out,
            ", **{unreadable} not fully read**{}: {}",
            with_diagnoses(t),
            t.unreadable_list(code_span)
        )?;
    }
    writeln!(out, ".")
}

/// ` (1 with diagnoses)`: the unreadable bundles that had diagnoses all the same.
pub(crate) fn with_diagnoses(t: &Tally) -> String {
    if t.unreadable_diagnosed == 0 {
        String::new()
    } else {
        format!(" ({} with diagnoses)", t.unreadable_diagnosed)
    }
}

fn diagnosis(out: &mut dyn Write, d: &DiagnosisView, h: &str) -> io::Result<()> {
    writeln!(
        out,
        "{h}# {} `{}`: {} ({})\n",
        d.code,
        d.slug,
        inline(&d.title),
        d.confidence.as_str()
    )?;
    if let Some(s) = d.scenario {
        writeln!(out, "Scenario {} of the {} table.\n", s.number, s.table)?;
    }
    writeln!(out, "{}\n", inline(&d.summary))?;
    writeln!(out, "**Evidence**\n")?;
    fenced(out, "text", &evidence_block(&d.evidence))?;
    writeln!(out, "**Fix**: {}\n", inline(&d.fix.summary))?;
    for (n, step) in d.fix.steps.iter().enumerate() {
        writeln!(out, "{}. {}", n + 1, inline(step))?;
    }
    if !d.fix.steps.is_empty() {
        writeln!(out)?;
    }
    if !d.fix.commands.is_empty() {
        let script: String = d
            .fix
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

/// Evidence for a `text` code block: laid out as the text report lays it
/// out, then moved four columns left to the margin, so that both reports
/// break a message with line breaks of its own alike. Control characters and
/// escape sequences a capture carried are dropped, as they are from a
/// terminal report without colour.
fn evidence_block(items: &[DescribedEvidence]) -> String {
    let mut block = String::new();
    for e in items {
        let mut item = format!("    {}\n", e.title());
        for d in &e.details {
            item.push_str(&format!(
                "        {}{}\n",
                "  ".repeat(usize::from(d.depth)),
                d.line.text()
            ));
        }
        for l in anstream::adapter::strip_str(&item).to_string().lines() {
            block.push_str(l.strip_prefix("    ").unwrap_or(l));
            block.push('\n');
        }
    }
    block
}

/// Writes Markdown reports: one alone under a level-1 title, or with
/// `--each` a level-2 section per bundle under one title and a closing tally.
pub struct MarkdownSink<'a> {
    out: Box<dyn Write + 'a>,
    each: bool,
    tally: Tally,
}

impl<'a> MarkdownSink<'a> {
    /// A sink over `out`. Markdown is never styled.
    pub fn new(out: Box<dyn Write + 'a>, each: bool) -> Self {
        MarkdownSink {
            out,
            each,
            tally: Tally::default(),
        }
    }
}

impl Sink for MarkdownSink<'_> {
    fn begin(&mut self) -> io::Result<()> {
        if self.each {
            write_title(&mut self.out)?;
        }
        Ok(())
    }

    fn report(&mut self, r: &Redacted) -> io::Result<()> {
        write(&mut self.out, &ReportView::new(r))?;
        if self.each {
            writeln!(self.out)?;
        }
        self.tally.add(r.report());
        self.out.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        if self.each {
            write_tally(&mut self.out, &self.tally)?;
        }
        self.out.flush()
    }

    fn tally(&self) -> &Tally {
        &self.tally
    }
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
