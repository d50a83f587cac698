//! Progress on stderr for long reads: bytes read of the total and inputs
//! done. Shown only when asked for by the caller (a terminal, not CI, not
//! JSON) and only once the work has taken more than a second, so short runs
//! and every pipe see nothing.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use batchdiag_parser::Observer;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How long work runs before the bar appears.
const DELAY: Duration = Duration::from_secs(1);

/// A progress bar fed by the reader; hidden until [`DELAY`] has passed.
pub struct Progress {
    bar: ProgressBar,
    inputs: AtomicUsize,
    done: AtomicUsize,
    sized: AtomicBool,
}

impl Progress {
    /// A bar that draws on stderr after [`DELAY`], until [`Progress::clear`].
    pub fn start() -> Arc<Self> {
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::hidden());
        bar.set_style(spinner_style());
        let p = Arc::new(Progress {
            bar,
            inputs: AtomicUsize::new(0),
            done: AtomicUsize::new(0),
            sized: AtomicBool::new(false),
        });
        let later = Arc::downgrade(&p);
        std::thread::spawn(move || {
            std::thread::sleep(DELAY);
            if let Some(p) = later.upgrade() {
                if !p.bar.is_finished() {
                    p.bar.set_draw_target(ProgressDrawTarget::stderr());
                    p.bar.enable_steady_tick(Duration::from_millis(120));
                }
            }
        });
        p
    }

    /// Runs `f` (a write to stdout) with the bar off the screen.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        self.bar.suspend(f)
    }

    /// Removes the bar for good, before the report's end is written.
    pub fn clear(&self) {
        self.bar.finish_and_clear();
    }

    fn message(&self) {
        let (done, all) = (
            self.done.load(Ordering::Relaxed),
            self.inputs.load(Ordering::Relaxed),
        );
        self.bar.set_message(format!("{done}/{all} inputs"));
    }
}

fn spinner_style() -> ProgressStyle {
    ProgressStyle::with_template("{spinner} {bytes} read, {msg} ({elapsed})")
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
}

impl Observer for Progress {
    fn sources(&self, count: usize, total_bytes: u64) {
        self.inputs.fetch_add(count, Ordering::Relaxed);
        if total_bytes > 0 {
            self.bar.inc_length(total_bytes);
            if !self.sized.swap(true, Ordering::Relaxed) {
                let style = ProgressStyle::with_template(
                    "{spinner} [{wide_bar}] {bytes}/{total_bytes}, {msg} (eta {eta})",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar());
                self.bar.set_style(style.progress_chars("=> "));
            }
        }
        self.message();
    }

    fn bytes_read(&self, n: u64) {
        self.bar.inc(n);
    }

    fn source_done(&self, _path: &str) {
        self.done.fetch_add(1, Ordering::Relaxed);
        self.message();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_bytes_and_inputs_and_stays_hidden_when_cleared() {
        let p = Progress::start();
        p.sources(2, 100);
        p.sources(1, 0);
        p.bytes_read(40);
        p.source_done("a");
        assert_eq!(p.bar.length(), Some(100));
        assert_eq!(p.bar.position(), 40);
        assert_eq!(p.bar.message(), "1/3 inputs");
        p.clear();
        assert!(p.bar.is_finished());
        assert!(p.bar.is_hidden(), "never drawn before the delay");
    }
}
