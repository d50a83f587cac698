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

/// How a text report is laid out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Layout {
    /// Every evidence line, the evidence no diagnosis used, every input and
    /// every check (`-v`). Without it the report is the answer on one
    /// screen: per diagnosis its summary, one line per evidence item and
    /// the fix commands.
    pub verbose: bool,
    /// Wrap prose and clip one-line evidence to this many columns; `None`
    /// (output that is not a terminal) writes every line whole.
    pub width: Option<usize>,
}

impl Layout {
    /// Writes `text` as a paragraph: the first line after `first`, the
    /// others after `rest`, wrapped at the width (whole without one).
    fn para(
        &self,
        out: &mut dyn Write,
        first: &str,
        rest: &str,
        text: &str,
        style: Style,
    ) -> io::Result<()> {
        let Some(width) = self.width else {
            return writeln!(out, "{first}{style}{text}{style:#}");
        };
        let opts = textwrap::Options::new(width)
            .initial_indent(first)
            .subsequent_indent(rest)
            .break_words(true);
        for l in textwrap::wrap(text, opts) {
            // The indent stays unstyled, so only the words are.
            let (indent, words) = l.split_at(l.len() - l.trim_start().len());
            writeln!(out, "{indent}{style}{words}{style:#}")?;
        }
        Ok(())
    }

    /// `text` cut to fit after `indent` columns, with `…` where it was cut.
    fn clip(&self, indent: usize, text: &str) -> String {
        match self.width {
            Some(w) if textwrap::core::display_width(text) + indent > w => {
                let room = w.saturating_sub(indent + 1).max(8);
                let mut kept = String::new();
                let mut used = 0;
                for c in text.chars() {
                    let cw = textwrap::core::display_width(c.encode_utf8(&mut [0; 4]));
                    if used + cw > room {
                        break;
                    }
                    used += cw;
                    kept.push(c);
                }
                kept.push('…');
                kept
            }
            _ => text.to_string(),
        }
    }
}

/// Writes one report. Styles are plain ANSI; [`TextSink`] strips them
/// when colour is off.
pub fn write(out: &mut dyn Write, v: &ReportView, l: &Layout) -> io::Result<()> {
    if v.nothing_analysable {
        l.para(
            out,
            "",
            "",
            "Nothing could be analysed: no input is a HAR capture, a node-agent log, a resource JSON or a probe.",
            RED,
        )?;
        writeln!(out)?;
    } else if v.diagnoses.is_empty() {
        l.para(
            out,
            "",
            "",
            "No diagnosis. Nothing in the inputs shows a known managed-identity failure.",
            GREEN,
        )?;
        writeln!(out)?;
    }
    for d in &v.diagnoses {
        diagnosis(out, d, l)?;
    }
    if !v.other_evidence.is_empty() {
        if l.verbose {
            writeln!(out, "{BOLD}Other evidence{BOLD:#}")?;
            for e in &v.other_evidence {
                evidence(out, e, l)?;
            }
            writeln!(out)?;
        } else {
            let n = v.other_evidence.len();
            writeln!(
                out,
                "{DIM}{n} other evidence item{} no diagnosis used (-v){DIM:#}",
                if n == 1 { "" } else { "s" }
            )?;
        }
    }
    if !v.notes.is_empty() {
        writeln!(out, "{BOLD}Notes{BOLD:#}")?;
        for n in &v.notes {
            l.para(out, "  - ", "    ", n, Style::new())?;
        }
        writeln!(out)?;
    }
    inputs(out, v, l)?;
    checked(out, v, l)?;
    if !l.verbose {
        let why = v
            .diagnoses
            .first()
            .map(|d| format!("; why: `batchdiag explain {}`", d.code))
            .unwrap_or_default();
        l.para(
            out,
            "",
            "",
            &format!("-v: all evidence, inputs and checks{why}"),
            DIM,
        )?;
    }
    closing(out, v, l)
}

/// The last line, naming every code found with its confidence.
fn closing(out: &mut dyn Write, v: &ReportView, l: &Layout) -> io::Result<()> {
    let s = &v.summary;
    let mut line = format!(
        "{} diagnos{} from {}",
        s.diagnoses,
        if s.diagnoses == 1 { "is" } else { "es" },
        s.inputs_phrase()
    );
    if !v.diagnoses.is_empty() {
        let codes: Vec<String> = v
            .diagnoses
            .iter()
            .map(|d| format!("{} {}", d.code, d.confidence.as_str()))
            .collect();
        line.push_str(": ");
        line.push_str(&codes.join(", "));
    }
    let style = if s.not_fully_read > 0 || v.nothing_analysable {
        RED
    } else {
        BOLD
    };
    if let Some(f) = s.not_fully_read_phrase() {
        line.push_str("; ");
        line.push_str(&f);
    }
    line.push('.');
    l.para(out, "", "", &line, style)
}

fn inputs(out: &mut dyn Write, v: &ReportView, l: &Layout) -> io::Result<()> {
    if !l.verbose {
        // Only the inputs with something to say; the count is on the last line.
        let troubled: Vec<&InputView> = v
            .inputs
            .iter()
            .filter(|i| i.error.is_some() || !i.warnings.is_empty())
            .collect();
        if troubled.is_empty() {
            return Ok(());
        }
        writeln!(out, "{BOLD}Inputs with problems{BOLD:#}")?;
        for i in troubled {
            input(out, i, l)?;
        }
        return writeln!(out);
    }
    writeln!(out, "{BOLD}Inputs{BOLD:#}")?;
    let mut quiet = 0;
    for i in &v.inputs {
        // Members of no known format would bury the inputs that matter.
        if i.quiet {
            quiet += 1;
            continue;
        }
        input(out, i, l)?;
    }
    if quiet > 0 {
        writeln!(
            out,
            "  {DIM}and {quiet} archive members of no known format{DIM:#}"
        )?;
    }
    writeln!(out)
}

fn checked(out: &mut dyn Write, v: &ReportView, l: &Layout) -> io::Result<()> {
    if !l.verbose {
        let count = |o: CheckOutcome| v.checked.iter().filter(|c| c.outcome == o).count();
        let blind: Vec<&str> = v
            .checked
            .iter()
            .filter(|c| c.outcome == CheckOutcome::NoInput)
            .map(|c| c.code.as_str())
            .collect();
        let mut line = format!(
            "Checked {} causes: {} found, {} not found",
            v.checked.len(),
            count(CheckOutcome::Found),
            count(CheckOutcome::NotFound)
        );
        if !blind.is_empty() {
            line.push_str(&format!(", no input could show {}", blind.join(", ")));
        }
        line.push('.');
        return l.para(out, "", "", &line, Style::new());
    }
    writeln!(out, "{BOLD}Checked{BOLD:#}")?;
    for c in &v.checked {
        let style = match c.outcome {
            CheckOutcome::Found => RED,
            CheckOutcome::NotFound => GREEN,
            CheckOutcome::NoInput => DIM,
        };
        let text = format!("{} {}: ", c.code, c.description);
        match l.width {
            // The outcome after the wrapped description, styled.
            Some(_) => {
                let opts = textwrap::Options::new(l.width.unwrap_or(usize::MAX))
                    .initial_indent("  ")
                    .subsequent_indent("        ");
                let body = format!("{text}{}", c.outcome_words());
                let lines = textwrap::wrap(&body, opts);
                let n = lines.len();
                for (k, line) in lines.iter().enumerate() {
                    if k + 1 == n {
                        let cut = line.len() - c.outcome_words().len().min(line.len());
                        let (head, tail) = line.split_at(cut);
                        writeln!(out, "{head}{style}{tail}{style:#}")?;
                    } else {
                        writeln!(out, "{line}")?;
                    }
                }
            }
            None => writeln!(out, "  {text}{style}{}{style:#}", c.outcome_words())?,
        }
    }
    writeln!(out)
}

/// One report of `analyze --each`, under a heading that names its bundle.
pub fn write_bundle(out: &mut dyn Write, v: &ReportView, l: &Layout) -> io::Result<()> {
    let name = v.bundle.as_deref().unwrap_or("(all inputs)");
    let rule = "=".repeat(name.chars().count().clamp(8, l.width.unwrap_or(72).min(72)));
    writeln!(out, "{BOLD}{name}{BOLD:#}\n{DIM}{rule}{DIM:#}")?;
    write(out, v, l)
}

/// The closing line of `analyze --each`: how the bundles came out. The
/// counts add up to the bundles, and those not fully read are named.
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
        write!(
            out,
            ", {RED}{unreadable} not fully read{RED:#}{}: {}",
            crate::markdown::with_diagnoses(t),
            t.unreadable_list(str::to_string)
        )?;
    }
    writeln!(out, ".")
}

fn diagnosis(out: &mut dyn Write, d: &DiagnosisView, l: &Layout) -> io::Result<()> {
    let style = match d.confidence {
        Confidence::Confirmed => RED,
        Confidence::Likely => YELLOW,
        Confidence::Possible => CYAN,
    };
    let head = format!("{} {} [{}]", d.code, d.slug, d.confidence.as_str());
    let fits = l.width.is_none_or(|w| {
        textwrap::core::display_width(&head) + 2 + textwrap::core::display_width(&d.title) <= w
    });
    write!(
        out,
        "{style}{} {}{style:#} [{}]",
        d.code,
        d.slug,
        d.confidence.as_str()
    )?;
    if fits {
        writeln!(out, "  {BOLD}{}{BOLD:#}", d.title)?;
    } else {
        writeln!(out)?;
        l.para(out, "  ", "  ", &d.title, BOLD)?;
    }
    if let Some(s) = d.scenario {
        writeln!(out, "  scenario {} of the {} table", s.number, s.table)?;
    }
    if l.verbose {
        // Without -v the title is the one-line summary; this sentence
        // names the resources, which the evidence and commands show too.
        l.para(out, "  ", "  ", &d.summary, Style::new())?;
        writeln!(out, "\n  {BOLD}evidence{BOLD:#}")?;
        for e in &d.evidence {
            evidence(out, e, l)?;
        }
    } else {
        let hidden: usize = d
            .evidence
            .iter()
            .map(|e| e.details.len().saturating_sub(1))
            .sum();
        write!(out, "  {BOLD}evidence{BOLD:#}")?;
        if hidden > 0 {
            write!(
                out,
                "  {DIM}{hidden} more line{} with -v{DIM:#}",
                if hidden == 1 { "" } else { "s" }
            )?;
        }
        writeln!(out)?;
        for e in &d.evidence {
            // The item's first line says what it is; the rest wait for -v.
            let first = e.details.first().map(|d| d.line.text()).unwrap_or_default();
            let text = l.clip(4, &format!("{}  {first}", e.id));
            writeln!(out, "    {text}")?;
        }
    }
    if l.verbose {
        writeln!(out)?;
    }
    let fix = format!("  {BOLD}fix{BOLD:#}  ");
    l.para(out, &fix, "       ", &d.fix.summary, Style::new())?;
    if l.verbose {
        for (n, step) in d.fix.steps.iter().enumerate() {
            let first = format!("    {}. ", n + 1);
            let rest = " ".repeat(first.len());
            l.para(out, &first, &rest, step, Style::new())?;
        }
    }
    for c in &d.fix.commands {
        // Commands are never wrapped: they must paste as they are. What
        // each does is in -v; the fix sentence above says what they are for.
        if l.verbose {
            writeln!(out, "\n    {DIM}# {}{DIM:#}", c.description)?;
        }
        for line in c.shell.lines() {
            writeln!(out, "    {CYAN}{line}{CYAN:#}")?;
        }
    }
    if l.verbose {
        for (label, items) in [("notes", &d.notes), ("would help", &d.missing_evidence)] {
            if !items.is_empty() {
                writeln!(out, "\n  {BOLD}{label}{BOLD:#}")?;
                for n in items {
                    l.para(out, "    - ", "      ", n, Style::new())?;
                }
            }
        }
        writeln!(out, "\n  {DIM}why: `batchdiag explain {}`{DIM:#}", d.code)?;
    }
    writeln!(out)
}

fn evidence(out: &mut dyn Write, e: &DescribedEvidence, l: &Layout) -> io::Result<()> {
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
        let indent = format!("        {}", "  ".repeat(usize::from(d.depth)));
        if l.width.is_some() {
            // Wrapped lines lose their emphasis: the words matter more.
            l.para(out, &indent, &indent, &d.line.text(), Style::new())?;
        } else {
            write!(out, "{indent}")?;
            line(out, &d.line)?;
            writeln!(out)?;
        }
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

fn input(out: &mut dyn Write, i: &InputView, l: &Layout) -> io::Result<()> {
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
        l.para(out, "        ", "        ", e, Style::new())?;
    }
    for w in &i.warnings {
        l.para(out, "        warning: ", "        ", w, Style::new())?;
    }
    Ok(())
}

/// Writes text reports: one alone, or with `--each` each under a heading
/// and a closing tally.
pub struct TextSink<'a> {
    out: Box<dyn Write + 'a>,
    each: bool,
    layout: Layout,
    tally: Tally,
}

impl<'a> TextSink<'a> {
    /// A sink over `out`. Without colour every escape sequence is stripped,
    /// the report's own styles and any a capture smuggled into a message
    /// alike, so a terminal never interprets what an input says.
    pub fn new(out: Box<dyn Write + 'a>, color: bool, each: bool, layout: Layout) -> Self {
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
            layout,
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
            write_bundle(&mut self.out, &v, &self.layout)?;
        } else {
            write(&mut self.out, &v, &self.layout)?;
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
