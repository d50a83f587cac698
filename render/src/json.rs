//! The JSON writer: the contract documented in README ("JSON contract v1").
//!
//! It writes the redacted report's JSON as it is, and reads no view: the
//! contract is the report itself, not what the other writers say about it.

use std::io::{self, Write};

use batchdiag_redact::Redacted;

use crate::sink::Sink;
use crate::tally::Tally;

/// Writes the report as pretty JSON followed by a newline.
pub fn write(out: &mut dyn Write, report: &Redacted) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report.json())?;
    out.write_all(b"\n")
}

/// Writes the report on one line (JSON Lines: one report per bundle with `--each`).
pub fn write_line(out: &mut dyn Write, report: &Redacted) -> io::Result<()> {
    serde_json::to_writer(&mut *out, report.json())?;
    out.write_all(b"\n")
}

/// Writes JSON: one pretty report alone, or with `--each` one compact
/// report per line and nothing else, so every line parses on its own.
pub struct JsonSink<'a> {
    out: Box<dyn Write + 'a>,
    each: bool,
    tally: Tally,
}

impl<'a> JsonSink<'a> {
    /// A sink over `out`.
    pub fn new(out: Box<dyn Write + 'a>, each: bool) -> Self {
        JsonSink {
            out,
            each,
            tally: Tally::default(),
        }
    }
}

impl Sink for JsonSink<'_> {
    fn begin(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn report(&mut self, r: &Redacted) -> io::Result<()> {
        if self.each {
            write_line(&mut self.out, r)?;
        } else {
            write(&mut self.out, r)?;
        }
        self.tally.add(r.report());
        self.out.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn tally(&self) -> &Tally {
        &self.tally
    }
}
