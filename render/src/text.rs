//! The text writer: what a support engineer reads at a terminal.
//!
//! Diagnoses first (the answer), then their evidence and fix, then the
//! evidence no diagnosis used, then the inputs and what was checked.

use std::io::{self, Write};

use anstyle::{AnsiColor, Effects, Style};
use batchdiag_analyzer::report::{CheckOutcome, Confidence};
use batchdiag_redact::Redacted;

use crate::describe::DescribedEvidence;
use crate::sink::Sink;
use crate::tally::Tally;
use crate::view::{DiagnosisView, Emphasis, InputView, Line, ReportView};

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

/// Writes one report. Styles are plain ANSI; [`TextSink`] strips them
/// when colour is off.
pub fn write(out: &mut dyn Write, v: &ReportView) -> io::Result<()> {
    if v.diagnoses.is_empty() {
        writeln!(out, "{GREEN}No diagnosis.{GREEN:#} Nothing in the inputs shows a known managed-identity failure.")?;
    }
    for d in &v.diagnoses {
        diagnosis(out, d)?;
    }
    if !v.other_evidence.is_empty() {
        writeln!(out, "\n{BOLD}Other evidence{BOLD:#}")?;
        for e in &v.other_evidence {
            evidence(out, e)?;
        }
    }
    if !v.notes.is_empty() {
        writeln!(out, "\n{BOLD}Notes{BOLD:#}")?;
        for n in &v.notes {
            writeln!(out, "  - {n}")?;
        }
    }
    writeln!(out, "\n{BOLD}Inputs{BOLD:#}")?;
    let mut quiet = 0;
    for i in &v.inputs {
        // Members of no known format would bury the inputs that matter.
        if i.quiet {
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
    for c in &v.checked {
        let style = match c.outcome {
            CheckOutcome::Found => RED,
            CheckOutcome::NotFound => GREEN,
            CheckOutcome::NoInput => DIM,
        };
        writeln!(
            out,
            "  {} {}: {style}{}{style:#}",
            c.code,
            c.description,
            c.outcome_words()
        )?;
    }
    let s = &v.summary;
    write!(
        out,
        "\n{} diagnos{} from {}",
        s.diagnoses,
        if s.diagnoses == 1 { "is" } else { "es" },
        s.inputs_phrase()
    )?;
    if let Some(f) = s.not_fully_read_phrase() {
        write!(out, "; {RED}{f}{RED:#}")?;
    }
    writeln!(out, ".")
}

/// One report of `analyze --each`, under a heading that names its bundle.
pub fn write_bundle(out: &mut dyn Write, v: &ReportView) -> io::Result<()> {
    let name = v.bundle.as_deref().unwrap_or("(all inputs)");
    let rule = "=".repeat(name.chars().count().clamp(8, 72));
    writeln!(out, "{BOLD}{name}{BOLD:#}\n{DIM}{rule}{DIM:#}")?;
    write(out, v)
}

/// The closing line of `analyze --each`: how the bundles came out.
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
        "\n{BOLD}{bundles} bundle{}{BOLD:#}: {diagnosed} with diagnoses, {clean} clean",
        if *bundles == 1 { "" } else { "s" }
    )?;
    if *unreadable > 0 {
        write!(out, ", {RED}{unreadable} not fully read{RED:#}")?;
    }
    writeln!(out, ".")
}

fn diagnosis(out: &mut dyn Write, d: &DiagnosisView) -> io::Result<()> {
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
        writeln!(out, "  scenario {} of the {} table", s.number, s.table)?;
    }
    writeln!(out, "  {}", d.summary)?;
    writeln!(out, "\n  {BOLD}evidence{BOLD:#}")?;
    for e in &d.evidence {
        evidence(out, e)?;
    }
    writeln!(out, "\n  {BOLD}fix{BOLD:#}  {}", d.fix.summary)?;
    for (n, step) in d.fix.steps.iter().enumerate() {
        writeln!(out, "    {}. {step}", n + 1)?;
    }
    for c in &d.fix.commands {
        writeln!(out, "\n    {DIM}# {}{DIM:#}", c.description)?;
        for line in c.shell.lines() {
            writeln!(out, "    {CYAN}{line}{CYAN:#}")?;
        }
    }
    for (label, items) in [("notes", &d.notes), ("would help", &d.missing_evidence)] {
        if !items.is_empty() {
            writeln!(out, "\n  {BOLD}{label}{BOLD:#}")?;
            for n in items {
                writeln!(out, "    - {n}")?;
            }
        }
    }
    writeln!(out, "\n  {DIM}why: `batchdiag explain {}`{DIM:#}\n", d.code)
}

fn evidence(out: &mut dyn Write, e: &DescribedEvidence) -> io::Result<()> {
    writeln!(
        out,
        "    {BOLD}{}{BOLD:#}  {DIM}{}{}{DIM:#}",
        e.id,
        e.location,
        e.time
            .as_deref()
            .map(|t| format!("  {t}"))
            .unwrap_or_default()
    )?;
    for d in &e.details {
        write!(out, "        {}", "  ".repeat(usize::from(d.depth)))?;
        line(out, &d.line)?;
        writeln!(out)?;
    }
    Ok(())
}

fn line(out: &mut dyn Write, l: &Line) -> io::Result<()> {
    for s in &l.spans {
        let style = match s.emphasis {
            Emphasis::Plain => {
                out.write_all(s.text.as_bytes())?;
                continue;
            }
            Emphasis::Strong => BOLD,
            Emphasis::Faint => DIM,
        };
        write!(out, "{style}{}{style:#}", s.text)?;
    }
    Ok(())
}

fn input(out: &mut dyn Write, i: &InputView) -> io::Result<()> {
    let (style, status) = if i.error.is_some() {
        (RED, "error")
    } else {
        (GREEN, "ok")
    };
    writeln!(
        out,
        "  {style}{status:<5}{style:#} {} {DIM}{}{}{DIM:#}",
        i.path,
        i.kind,
        if i.read.is_empty() {
            String::new()
        } else {
            format!(", {}", i.read.join(", "))
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

/// Writes text reports: one alone, or with `--each` each under a heading
/// and a closing tally.
pub struct TextSink<'a> {
    out: Box<dyn Write + 'a>,
    each: bool,
    tally: Tally,
}

impl<'a> TextSink<'a> {
    /// A sink over `out`. Without colour every escape sequence is stripped,
    /// the report's own styles and any a capture smuggled into a message
    /// alike, so a terminal never interprets what an input says.
    pub fn new(out: Box<dyn Write + 'a>, color: bool, each: bool) -> Self {
        let out: Box<dyn Write + 'a> = if color {
            out
        } else {
            Box::new(Stripped {
                out,
                state: anstream::adapter::StripBytes::new(),
            })
        };
        TextSink {
            out,
            each,
            tally: Tally::default(),
        }
    }
}

impl Sink for TextSink<'_> {
    fn begin(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn report(&mut self, r: &Redacted) -> io::Result<()> {
        let v = ReportView::new(r);
        if self.each {
            if self.tally.bundles > 0 {
                writeln!(self.out)?;
            }
            write_bundle(&mut self.out, &v)?;
        } else {
            write(&mut self.out, &v)?;
        }
        self.tally.add(r.report());
        // With --each, each report shows as soon as it is written.
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

/// Output with every escape sequence and control character but whitespace
/// left out, its state kept across writes (a sequence may be split between
/// two). `anstream::StripStream` would do, but only over `'static` streams.
struct Stripped<'a> {
    out: Box<dyn Write + 'a>,
    state: anstream::adapter::StripBytes,
}

impl Write for Stripped<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        for printable in self.state.strip_next(buf) {
            self.out.write_all(printable)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
