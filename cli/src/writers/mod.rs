//! Output writers. Each takes a [`Redacted`] report, so none can bypass redaction.

pub mod json;
pub mod markdown;
pub mod text;

pub use batchdiag_analyzer::redact::Redacted;

/// How the reports of a run came out, bundle by bundle: the closing tally
/// of `--each`, and what the exit code is made from.
#[derive(Debug, Default)]
pub struct Tally {
    /// Reports seen.
    pub bundles: usize,
    /// Bundles with at least one diagnosis.
    pub diagnosed: usize,
    /// Bundles with an input that could not be fully read, or nothing analysable.
    pub unreadable: usize,
    /// Bundles with neither.
    pub clean: usize,
}

impl Tally {
    /// Counts one report.
    pub fn add(&mut self, r: &batchdiag_analyzer::report::Report) {
        self.bundles += 1;
        let diagnosed = !r.diagnoses.is_empty();
        // Nothing analysable is as bad as an input that could not be read.
        let unreadable = r.inputs.iter().any(|i| i.error.is_some())
            || !r.inputs.iter().any(batchdiag_analyzer::is_analysable);
        self.diagnosed += usize::from(diagnosed);
        self.unreadable += usize::from(unreadable);
        self.clean += usize::from(!diagnosed && !unreadable);
    }
}
