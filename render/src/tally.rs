//! How the reports of a run came out: the closing tally of `--each`, and
//! the verdict the exit code is made from.

use batchdiag_analyzer::report::{Report, Verdict};

/// How many bundles the closing line names among those not fully read; the
/// rest are counted, so a run of thousands keeps a bounded tally.
pub const NAMED_UNREADABLE: usize = 10;

/// The reports of a run, counted bundle by bundle.
///
/// Every bundle counts once, under its verdict, so `diagnosed + clean +
/// unreadable == bundles`: a bundle with diagnoses that was not fully read
/// counts as not fully read (what was not read may hold more), and
/// [`unreadable_diagnosed`](Tally::unreadable_diagnosed) says how many of
/// those had diagnoses all the same.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Reports seen.
    pub bundles: usize,
    /// Bundles fully read with at least one diagnosis.
    pub diagnosed: usize,
    /// Bundles with an input that could not be fully read, or nothing analysable.
    pub unreadable: usize,
    /// Of the `unreadable` bundles, those with diagnoses.
    pub unreadable_diagnosed: usize,
    /// Bundles fully read without a diagnosis.
    pub clean: usize,
    /// The names of the first [`NAMED_UNREADABLE`] bundles not fully read.
    pub unreadable_names: Vec<String>,
    worst: Option<Verdict>,
}

impl Tally {
    /// Counts one report.
    pub fn add(&mut self, r: &Report) {
        let verdict = r.verdict();
        self.bundles += 1;
        match verdict {
            Verdict::Clean => self.clean += 1,
            Verdict::Diagnosed => self.diagnosed += 1,
            Verdict::NotFullyRead => {
                self.unreadable += 1;
                self.unreadable_diagnosed += usize::from(!r.diagnoses.is_empty());
                if self.unreadable_names.len() < NAMED_UNREADABLE {
                    let name = r.bundle.as_deref().unwrap_or("(all inputs)");
                    self.unreadable_names.push(name.to_string());
                }
            }
        }
        self.worst = self.worst.max(Some(verdict));
    }

    /// `a, b and 3 more`: the bundles not fully read, each through
    /// `quote`, for a closing line.
    pub fn unreadable_list(&self, quote: impl Fn(&str) -> String) -> String {
        let names: Vec<String> = self.unreadable_names.iter().map(|n| quote(n)).collect();
        let mut s = names.join(", ");
        let more = self.unreadable - self.unreadable_names.len();
        if more > 0 {
            s.push_str(&format!(" and {more} more"));
        }
        s
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
        assert_eq!((t.diagnosed, t.clean, t.unreadable), (1, 2, 1));
        assert_eq!(t.diagnosed + t.clean + t.unreadable, t.bundles, "adds up");
        assert_eq!(t.unreadable_diagnosed, 1, "bd101-truncated has a diagnosis");
        assert_eq!(t.unreadable_list(str::to_string), "(all inputs)");
        assert_eq!(t.verdict(), Verdict::NotFullyRead);
        assert_eq!(t.verdict().exit_code(), 3);
    }

    #[test]
    fn only_the_first_unreadable_bundles_are_named() {
        let mut t = Tally::default();
        let mut r = corpus("bd101-truncated").report().clone();
        for n in 0..NAMED_UNREADABLE + 3 {
            r.bundle = Some(format!("b{n}"));
            t.add(&r);
        }
        assert_eq!(t.unreadable_names.len(), NAMED_UNREADABLE);
        assert!(t.unreadable_list(str::to_string).starts_with("b0, b1, "));
        assert!(t.unreadable_list(str::to_string).ends_with("b9 and 3 more"));
    }
}
