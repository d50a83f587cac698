//! Output writers. Each takes a [`Redacted`] report, so none can bypass redaction.

pub mod json;
pub mod text;

pub use batchdiag_analyzer::redact::Redacted;
