//! One interface for every output format: begin, one report at a time,
//! finish. Front ends (the CLI, a server, the Python package) pick a format
//! and options once and never branch on the format again.

use std::io::{self, Write};

use batchdiag_analyzer::redact::Redacted;

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
}

/// A sink writing `format` to `out`. Output is flushed after every report,
/// so wrap an unbuffered `out` in a [`std::io::BufWriter`].
pub fn sink<'a>(format: Format, out: Box<dyn Write + 'a>, opts: SinkOptions) -> Box<dyn Sink + 'a> {
    match format {
        Format::Text => Box::new(TextSink::new(out, opts.color, opts.each)),
        Format::Json => Box::new(JsonSink::new(out, opts.each)),
        Format::Markdown => Box::new(MarkdownSink::new(out, opts.each)),
    }
}
