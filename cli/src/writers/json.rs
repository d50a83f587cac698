//! The JSON writer: the contract documented in README ("JSON contract v1").

use std::io::Write;

use super::Redacted;

/// Writes the report as pretty JSON followed by a newline.
pub fn write(out: &mut dyn Write, report: &Redacted) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report.json())?;
    out.write_all(b"\n")
}

/// Writes the report on one line (JSON Lines: one report per bundle with `--each`).
pub fn write_line(out: &mut dyn Write, report: &Redacted) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, report.json())?;
    out.write_all(b"\n")
}
