//! How the reports of a run came out: the closing tally of `--each`, and
//! the verdict the exit code is made from.

use batchdiag_analyzer::report::{Report, Verdict};

/// The reports of a run, counted bundle by bundle.
///
/// A bundle with diagnoses that was not fully read counts under both
/// `diagnosed` and `unreadable`: a reader of the tally wants to know of
/// both, so the three counts may add up to more than `bundles`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Reports seen.
    pub bundles: usize,
    /// Bundles with at least one diagnosis.
    pub diagnosed: usize,
    /// Bundles with an input that could not be fully read, or nothing analysable.
    pub unreadable: usize,
    /// Bundles with neither.
    pub clean: usize,
    worst: Option<Verdict>,
}

impl Tally {
    /// Counts one report.
    pub fn add(&mut self, r: &Report) {
        let verdict = r.verdict();
        self.bundles += 1;
        self.diagnosed += usize::from(!r.diagnoses.is_empty());
        self.unreadable += usize::from(verdict == Verdict::NotFullyRead);
        self.clean += usize::from(verdict == Verdict::Clean);
        self.worst = self.worst.max(Some(verdict));
    }

    /// The verdict of the worst bundle (a run of none is clean).
    pub fn verdict(&self) -> Verdict {
        self.worst.unwrap_or(Verdict::Clean)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::tests::corpus;

    #[test]
    fn the_verdict_of_a_report() {
        let v = |b: &str| corpus(b).report().verdict();
        assert_eq!(v("healthy-upload"), Verdict::Clean);
        assert_eq!(v("bd101-chrome"), Verdict::Diagnosed);
        // Diagnosed, but a capture was cut: what was not read may hold more.
        assert_eq!(v("bd101-truncated"), Verdict::NotFullyRead);
        let mut nothing = corpus("healthy-upload").report().clone();
        nothing.inputs.clear();
        assert_eq!(
            nothing.verdict(),
            Verdict::NotFullyRead,
            "nothing analysable"
        );
        assert_eq!(
            [Verdict::Clean, Verdict::Diagnosed, Verdict::NotFullyRead].map(Verdict::exit_code),
            [0, 1, 3]
        );
    }

    #[test]
    fn the_worst_bundle_decides_and_each_is_counted() {
        let mut t = Tally::default();
        assert_eq!(t.verdict(), Verdict::Clean);
        for b in [
            "healthy-upload",
            "bd101-chrome",
            "bd101-truncated",
            "other-409",
        ] {
            t.add(corpus(b).report());
        }
        assert_eq!(t.bundles, 4);
        assert_eq!((t.diagnosed, t.clean, t.unreadable), (2, 2, 1));
        assert_eq!(t.verdict(), Verdict::NotFullyRead);
        assert_eq!(t.verdict().exit_code(), 3);
    }
}
