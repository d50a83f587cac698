//! One interface for every output format: begin, one report at a time,
//! finish. Front ends (the CLI, a server, the Python package) pick a format
//! and options once and never branch on the format again.

use std::io::{self, Write};

use batchdiag_redact::Redacted;

use crate::html::HtmlSink;
use crate::json::JsonSink;
use crate::markdown::MarkdownSink;
use crate::tally::Tally;
use crate::text::TextSink;

/// Where reports go, in one format.
///
/// Call [`begin`](Sink::begin) once, [`report`](Sink::report) for every
/// bundle, then [`finish`](Sink::finish); what a run of several bundles adds
/// (a title, headings, the closing tally) is the sink's business. Only a
/// [`Redacted`] report can be written, so no output skips the secret filter.
pub trait Sink {
    /// Starts the output (the title of a Markdown `--each` run).
    fn begin(&mut self) -> io::Result<()>;
    /// Writes one report and counts it in the tally.
    fn report(&mut self, r: &Redacted) -> io::Result<()>;
    /// Ends the output (the closing tally of `--each`) and flushes it.
    fn finish(&mut self) -> io::Result<()>;
    /// The reports written so far; its [`verdict`](Tally::verdict) gives the exit code.
    fn tally(&self) -> &Tally;
}

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The readable report for a terminal.
    Text,
    /// The JSON contract (schema version 1).
    Json,
    /// Markdown, to paste into a support case or a ticket.
    Markdown,
    /// One self-contained HTML page: cards, a timeline, the evidence.
    Html,
}

/// How a sink writes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SinkOptions {
    /// Styles in the text report (ANSI escape sequences). The caller decides,
    /// since only it knows whether its output is a terminal; JSON and
    /// Markdown are never styled.
    pub color: bool,
    /// Several bundles, one report each (`analyze --each`): JSON Lines,
    /// headings per bundle and a closing tally.
    pub each: bool,
    /// The text report in full (`-v`): every evidence line, input and
    /// check. JSON and Markdown are always complete.
    pub verbose: bool,
    /// Wrap the text report at this many columns (`None`: not wrapped, for
    /// output that is not a terminal).
    pub width: Option<usize>,
}

/// A sink writing `format` to `out`. Output is flushed after every report,
/// so wrap an unbuffered `out` in a [`std::io::BufWriter`].
pub fn sink<'a>(format: Format, out: Box<dyn Write + 'a>, opts: SinkOptions) -> Box<dyn Sink + 'a> {
    match format {
        Format::Text => Box::new(TextSink::new(
            out,
            opts.color,
            opts.each,
            crate::text::Layout {
                verbose: opts.verbose,
                width: opts.width,
            },
        )),
        Format::Json => Box::new(JsonSink::new(out, opts.each)),
        Format::Markdown => Box::new(MarkdownSink::new(out, opts.each)),
        Format::Html => Box::new(HtmlSink::new(out, opts.each)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use batchdiag_redact::redact;

    /// Golden reports of the corpus as `--each` makes them: each names its bundle.
    fn bundles(names: &[&str]) -> Vec<Redacted> {
        names
            .iter()
            .map(|b| {
                let mut r = crate::view::tests::corpus(b).report().clone();
                r.bundle = Some(format!("corpus/{b}"));
                redact(&r).expect("redactable")
            })
            .collect()
    }

    /// Runs a sink over the reports: the output and the exit code.
    fn run(format: Format, opts: SinkOptions, reports: &[Redacted]) -> (String, u8) {
        let mut out = Vec::new();
        let code = {
            let mut s = sink(format, Box::new(&mut out), opts);
            s.begin().expect("memory");
            for r in reports {
                s.report(r).expect("memory");
            }
            s.finish().expect("memory");
            assert_eq!(s.tally().bundles, reports.len());
            s.tally().verdict().exit_code()
        };
        (String::from_utf8(out).expect("utf-8"), code)
    }

    const THREE: [&str; 3] = ["bd101-chrome", "healthy-upload", "bd101-truncated"];
    const EACH: SinkOptions = SinkOptions {
        color: false,
        each: true,
        verbose: false,
        width: None,
    };

    #[test]
    fn json_alone_is_the_pretty_contract_and_each_is_json_lines() {
        let one = crate::view::tests::corpus("bd101-chrome");
        let (out, code) = run(
            Format::Json,
            SinkOptions::default(),
            std::slice::from_ref(&one),
        );
        let want = serde_json::to_string_pretty(one.json()).expect("json") + "\n";
        assert_eq!(out, want);
        assert_eq!(code, 1);

        let reports = bundles(&THREE);
        let (out, code) = run(Format::Json, EACH, &reports);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 3, "one compact report per line, nothing else");
        for (line, r) in lines.iter().zip(&reports) {
            let v: serde_json::Value = serde_json::from_str(line).expect("a report per line");
            assert_eq!(&v, r.json());
        }
        assert_eq!(code, 3, "the worst bundle decides");
    }

    #[test]
    fn text_each_has_a_heading_per_bundle_and_a_tally_that_adds_up() {
        let (out, code) = run(Format::Text, EACH, &bundles(&THREE));
        for b in THREE {
            assert_eq!(
                out.matches(&format!("corpus/{b}\n====")).count(),
                1,
                "{out}"
            );
        }
        // bd101-truncated has a diagnosis and a cut capture: it counts once, as not fully read.
        assert!(
            out.ends_with(
                "\n3 bundles: 1 with diagnoses, 1 clean, 1 not fully read (1 with diagnoses): corpus/bd101-truncated.\n"
            ),
            "{out}"
        );
        assert!(!out.contains('\u{1b}'), "no colour unless asked");
        assert_eq!(code, 3);
        let (alone, code) = run(Format::Text, SinkOptions::default(), &bundles(&THREE[1..2]));
        assert!(
            alone.starts_with("No diagnosis."),
            "no heading alone: {alone}"
        );
        assert!(!alone.contains("bundle"), "no tally alone: {alone}");
        assert_eq!(code, 0);
    }

    #[test]
    fn colour_is_the_callers_choice_and_off_strips_what_inputs_smuggle_in() {
        let mut r = crate::view::tests::corpus("healthy-upload")
            .report()
            .clone();
        r.notes.push("evil \u{1b}]0;title\u{7} note".into());
        let red = redact(&r).expect("redactable");
        let on = SinkOptions {
            color: true,
            ..SinkOptions::default()
        };
        let (styled, _) = run(Format::Text, on, std::slice::from_ref(&red));
        assert!(
            styled.contains("\u{1b}[32mNo diagnosis. Nothing"),
            "{styled}"
        );
        let (plain, _) = run(Format::Text, SinkOptions::default(), &[red]);
        assert!(plain.contains("  - evil  note\n"), "{plain}");
        assert!(!plain.contains('\u{1b}') && !plain.contains('\u{7}'));
    }

    #[test]
    fn markdown_each_has_one_title_a_section_per_bundle_and_the_tally() {
        let (out, code) = run(Format::Markdown, EACH, &bundles(&THREE));
        assert!(
            out.starts_with("# batchdiag reports\n\n## batchdiag report: `corpus/bd101-chrome`\n"),
            "{out}"
        );
        assert_eq!(out.matches("# batchdiag reports").count(), 1);
        assert_eq!(out.matches("\n## batchdiag report: ").count(), 3);
        assert!(
            out.contains("### BD101 `autostorage-no-permission`"),
            "{out}"
        );
        assert!(
            out.ends_with(
                "---\n\n**3 bundles**: 1 with diagnoses, 1 clean, **1 not fully read** (1 with diagnoses): `corpus/bd101-truncated`.\n"
            ),
            "{out}"
        );
        assert_eq!(code, 3);
        let (alone, _) = run(
            Format::Markdown,
            SinkOptions::default(),
            &[crate::view::tests::corpus("bd101-chrome")],
        );
        assert!(
            alone.starts_with("# batchdiag report\n\n**1 diagnosis**"),
            "{alone}"
        );
        assert!(!alone.contains("---\n\n**"), "no tally alone");
    }

    #[test]
    fn markdown_evidence_is_the_views_lines_at_the_margin() {
        let red = crate::view::tests::corpus("bd201-upload-logs");
        let view = crate::view::ReportView::new(&red);
        let (out, _) = run(Format::Markdown, SinkOptions::default(), &[red]);
        let e = &view.diagnoses[0].evidence[0];
        let mut want = format!("```text\n{}\n", e.title());
        for d in &e.details {
            want.push_str(&format!("    {}\n", d.line.text()));
        }
        assert!(out.contains(&want), "{want}\n---\n{out}");
        assert!(!out.contains('\u{1b}'));
    }
}
